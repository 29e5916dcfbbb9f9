package cn.yizhengtong;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;

/**
 * The in-memory QR store: pending and used transactions (so a replay is told apart), the
 * packages (quotas) charged per authorisation, the scan report. Thread-safe. A {@link
 * QrVerifier} keeps its own reference, so closing the store does not stop verifiers made with
 * it.
 */
public final class QrStore extends NativeHandle {
    /**
     * A new, empty store.
     *
     * @throws YztException if the library fails
     */
    public QrStore() throws YztException {
        super(Native.qrStoreNew(), Native::qrStoreFree);
    }

    /**
     * The holder a certificate's packages are kept under: its subject's serial number (the ID
     * number) or organisation identifier (the credit code).
     *
     * @param cert the holder's certificate
     * @return the holder
     * @throws YztException for a null or closed certificate
     */
    public static String holderOf(Certificate cert) throws YztException {
        try (Held held = new Held()) {
            return Native.qrHolder(held.hold(cert));
        }
    }

    /**
     * Opens or tops up a holder's package on a platform: sets its uses left.
     *
     * @param holder see {@link #holderOf}
     * @param platform the platform's system code
     * @param institution whose package
     * @param uses the uses left (not negative)
     * @throws YztException {@link ResultCode#INVALID_PARAMETER} for an empty holder or a bad
     *     platform code
     */
    public void setQuota(String holder, String platform, QrInstitution institution, long uses)
            throws YztException {
        int inst = Coded.of(institution, "institution");
        byte[] hb = Text.utf8(holder, "holder");
        byte[] pb = Text.utf8(platform, "platform");
        long h = acquire();
        try {
            Native.qrStoreSetQuota(h, hb, pb, inst, uses);
        } finally {
            release();
        }
    }

    /**
     * The uses left in a package.
     *
     * @param holder see {@link #holderOf}
     * @param platform the platform's system code
     * @param institution whose package
     * @return the uses left; empty when no package was opened
     * @throws YztException as {@link #setQuota}
     */
    public OptionalLong quota(String holder, String platform, QrInstitution institution)
            throws YztException {
        int inst = Coded.of(institution, "institution");
        byte[] hb = Text.utf8(holder, "holder");
        byte[] pb = Text.utf8(platform, "platform");
        long h = acquire();
        try {
            long n = Native.qrStoreQuota(h, hb, pb, inst);
            return n < 0 ? OptionalLong.empty() : OptionalLong.of(n);
        } finally {
            release();
        }
    }

    /**
     * The scan report: every accepted authorisation, oldest first.
     *
     * @return a JSON array
     * @throws YztException for a closed store
     */
    public String recordsJson() throws YztException {
        long h = acquire();
        try {
            return new String(Native.qrStoreRecordsJson(h), StandardCharsets.UTF_8);
        } finally {
            release();
        }
    }
}
