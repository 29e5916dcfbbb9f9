package cn.yizhengtong;

/** A signature encoding. The codes are the C header's {@code YZT_SIG_*} constants. */
public enum SignatureFormat implements Coded {
    /** DER {@code SEQUENCE { r, s }} (GM/T 0009, OpenSSL); the default. */
    DER(0),
    /** Raw 64 bytes {@code r || s}. */
    RAW(1),
    /** When verifying only: DER or raw, told apart by shape. */
    DETECT(2);

    private final int code;

    SignatureFormat(int code) {
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
    public static SignatureFormat fromCode(int code) {
        for (SignatureFormat v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
