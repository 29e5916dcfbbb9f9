package cn.yizhengtong;

/** A private key export format. The codes are the C header's {@code YZT_KEY_*} constants. */
public enum KeyFormat implements Coded {
    /** PKCS#8 PEM ({@code PRIVATE KEY}, what {@code openssl pkey} reads). */
    PKCS8_PEM(0),
    /** PKCS#8 DER. */
    PKCS8_DER(1),
    /** SEC1 PEM ({@code EC PRIVATE KEY}). */
    SEC1_PEM(2),
    /** SEC1 DER. */
    SEC1_DER(3);

    private final int code;

    KeyFormat(int code) {
        this.code = code;
    }

    /**
     * The C header's number for this value.
     *
     * @return the code
     */
    @Override
    public int code() {
        return code;
    }

    /**
     * The value with this code.
     *
     * @param code a code
     * @return the value, or null when no value has it
     */
    public static KeyFormat fromCode(int code) {
        for (KeyFormat v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
