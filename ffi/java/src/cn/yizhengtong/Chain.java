package cn.yizhengtong;

import java.util.List;

/** Certificate chain verification against the platform's trust anchors. */
public final class Chain {
    private Chain() {}

    /**
     * Verifies {@code leaf} up to one of {@code anchors}, through {@code intermediates} (any
     * order), at Unix time {@code at}, for {@code use}, consulting {@code crls} (each used for
     * its issuer's certificates after its own signature and freshness check).
     *
     * @param leaf the end-entity certificate
     * @param intermediates intermediate CA certificates, or null for none
     * @param anchors the trust anchors, or null for none (then nothing verifies)
     * @param crls CRLs, or null for none
     * @param at the time to verify at, Unix seconds
     * @param use what the leaf's key is to be used for
     * @param requireRevocation refuse a certificate whose status no CRL establishes
     * @throws ChainException when a check fails: which certificate, which {@link CertCheck}
     * @throws YztException for unusable arguments ({@link ResultCode#NULL_POINTER} for a null
     *     leaf or list element, ...)
     */
    public static void verify(
            Certificate leaf,
            List<Certificate> intermediates,
            List<Certificate> anchors,
            List<Crl> crls,
            long at,
            KeyUse use,
            boolean requireRevocation)
            throws YztException {
        int u = Coded.of(use, "use");
        try (Held held = new Held()) {
            Native.chainVerify(
                    held.hold(leaf),
                    held.holdAll(intermediates),
                    held.holdAll(anchors),
                    held.holdAll(crls),
                    at,
                    u,
                    requireRevocation);
        }
    }
}
