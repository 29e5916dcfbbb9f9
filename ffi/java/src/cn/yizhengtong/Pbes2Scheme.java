package cn.yizhengtong;

/** An encrypted PKCS#8 scheme. The codes are the C header's {@code YZT_PBES2_*} constants. */
public enum Pbes2Scheme implements Coded {
    /** PBKDF2-HMAC-SM3 with SM4-CBC (as GmSSL writes). */
    SM4_HMAC_SM3(0),
    /** PBKDF2-HMAC-SHA256 with SM4-CBC (OpenSSL 3 reads it). */
    SM4_HMAC_SHA256(1),
    /** PBKDF2-HMAC-SHA256 with AES-256-CBC (OpenSSL's default). */
    AES256_HMAC_SHA256(2);

    private final int code;

    Pbes2Scheme(int code) {
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
    public static Pbes2Scheme fromCode(int code) {
        for (Pbes2Scheme v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
