package cn.yizhengtong;

/** Which check of a certificate chain failed (see {@link ChainException}). The codes are the C header's {@code YZT_CHECK_*} constants. */
public enum CertCheck implements Coded {
    /** No check failed. */
    NONE(0),
    /** The certificate could not be parsed. */
    PARSE(1),
    /** No issuer among the intermediates and trust anchors. */
    ISSUER_NOT_FOUND(2),
    /** The chain ends at a self-issued certificate that is not a trust anchor. */
    UNTRUSTED_ROOT(3),
    /** The issuer's signature does not verify. */
    SIGNATURE(4),
    /** The signature algorithm is not SM2 with SM3. */
    SIGNATURE_ALGORITHM(5),
    /** Not yet valid. */
    NOT_YET_VALID(6),
    /** Expired. */
    EXPIRED(7),
    /** An issuer that is not a CA. */
    NOT_CA(8),
    /** pathLenConstraint exceeded. */
    PATH_LENGTH(9),
    /** keyUsage does not allow the use. */
    KEY_USAGE(10),
    /** Revoked. */
    REVOKED(11),
    /** On hold (frozen). */
    FROZEN(12),
    /** Revocation status required but unknown. */
    REVOCATION_UNKNOWN(13),
    /** An unknown critical extension. */
    UNKNOWN_CRITICAL_EXTENSION(14),
    /** The chain is too long. */
    CHAIN_TOO_LONG(15),
    /** A check this version of the binding has no code for yet. */
    OTHER(99);

    private final int code;

    CertCheck(int code) {
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
     * @return the value; {@link #OTHER} when no value has it
     */
    public static CertCheck fromCode(int code) {
        for (CertCheck v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return OTHER;
    }
}

