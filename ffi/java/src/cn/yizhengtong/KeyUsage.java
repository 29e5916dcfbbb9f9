package cn.yizhengtong;

/**
 * The keyUsage bits {@link Certificate#keyUsage()} returns; the C header's {@code YZT_KU_*}
 * constants.
 */
public final class KeyUsage {
    private KeyUsage() {}

    /** digitalSignature. */
    public static final int DIGITAL_SIGNATURE = 1;
    /** nonRepudiation (contentCommitment). */
    public static final int NON_REPUDIATION = 1 << 1;
    /** keyEncipherment. */
    public static final int KEY_ENCIPHERMENT = 1 << 2;
    /** dataEncipherment. */
    public static final int DATA_ENCIPHERMENT = 1 << 3;
    /** keyAgreement. */
    public static final int KEY_AGREEMENT = 1 << 4;
    /** keyCertSign. */
    public static final int KEY_CERT_SIGN = 1 << 5;
    /** cRLSign. */
    public static final int CRL_SIGN = 1 << 6;
}
