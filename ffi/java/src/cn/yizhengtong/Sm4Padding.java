package cn.yizhengtong;

/** SM4 padding (ECB and CBC; the other modes take {@link #NONE}). The codes are the C header's {@code YZT_PAD_*} constants. */
public enum Sm4Padding implements Coded {
    /** PKCS#7. */
    PKCS7(0),
    /** None: the input must be whole 16-byte blocks in ECB and CBC. */
    NONE(1);

    private final int code;

    Sm4Padding(int code) {
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
    public static Sm4Padding fromCode(int code) {
        for (Sm4Padding v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
