package cn.yizhengtong;

/** An SM4 mode. The codes are the C header's {@code YZT_SM4_*} constants. */
public enum Sm4Mode implements Coded {
    /** ECB: no IV; padding applies. */
    ECB(0),
    /** CBC: 16-byte IV; padding applies. */
    CBC(1),
    /** CTR: 16-byte initial counter block; no padding. */
    CTR(2),
    /** GCM: 12-byte nonce, AAD; the output is ciphertext || 16-byte tag. */
    GCM(3),
    /** CCM: 12-byte nonce, AAD; the output is ciphertext || 16-byte tag. */
    CCM(4);

    private final int code;

    Sm4Mode(int code) {
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
    public static Sm4Mode fromCode(int code) {
        for (Sm4Mode v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
