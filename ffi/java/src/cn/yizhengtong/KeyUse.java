package cn.yizhengtong;

/** The intended use of the end-entity key in chain verification. The codes are the C header's {@code YZT_USE_*} constants. */
public enum KeyUse implements Coded {
    /** Anything (keyUsage not checked). */
    ANY(0),
    /** Signatures (digitalSignature or nonRepudiation). */
    SIGNATURE(1),
    /** Encryption (keyEncipherment, dataEncipherment or keyAgreement). */
    ENCRYPTION(2),
    /** Issuing certificates (keyCertSign). */
    CERT_SIGN(3);

    private final int code;

    KeyUse(int code) {
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
    public static KeyUse fromCode(int code) {
        for (KeyUse v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
