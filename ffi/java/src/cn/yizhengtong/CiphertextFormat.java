package cn.yizhengtong;

/** An SM2 ciphertext layout. The codes are the C header's {@code YZT_CT_*} constants. */
public enum CiphertextFormat implements Coded {
    /** GM/T 0009 ASN.1 DER (what OpenSSL reads and writes); the default. */
    ASN1(0),
    /** {@code 04 || C1 || C3 || C2}. */
    C1C3C2(1),
    /** {@code 04 || C1 || C2 || C3}. */
    C1C2C3(2),
    /** {@code C1 || C3 || C2} without the 04 prefix. */
    C1C3C2_NOPREFIX(3),
    /** {@code C1 || C2 || C3} without the 04 prefix. */
    C1C2C3_NOPREFIX(4),
    /** When decrypting only: detect the layout. */
    DETECT(5);

    private final int code;

    CiphertextFormat(int code) {
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
    public static CiphertextFormat fromCode(int code) {
        for (CiphertextFormat v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
