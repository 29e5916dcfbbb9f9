package cn.yizhengtong;

/** A public key export format. The codes are the C header's {@code YZT_PUB_*} constants. */
public enum PublicKeyFormat implements Coded {
    /** SPKI PEM ({@code PUBLIC KEY}). */
    SPKI_PEM(0),
    /** SPKI DER. */
    SPKI_DER(1),
    /** The uncompressed SEC1 point (65 bytes, {@code 04 || x || y}). */
    POINT(2),
    /** The compressed SEC1 point (33 bytes). */
    POINT_COMPRESSED(3);

    private final int code;

    PublicKeyFormat(int code) {
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
    public static PublicKeyFormat fromCode(int code) {
        for (PublicKeyFormat v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
