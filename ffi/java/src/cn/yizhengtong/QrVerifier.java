package cn.yizhengtong;

import java.util.List;

/**
 * A platform's QR verifier: issues challenges and verifies the app's responses (refusing
 * replays, stale, misdirected and tampered responses, checking the signer's chain, charging the
 * holder's package once). Thread-safe: share one object between threads.
 */
public final class QrVerifier extends NativeHandle {
    QrVerifier(long handle) {
        super(handle, Native::qrVerifierFree);
    }

    /**
     * Makes a platform's verifier.
     *
     * @param platformCode its 11-character system code
     * @param platformName its name as the apps' registry shows it (checked as {@link
     *     QrRegistry#add} checks it)
     * @param callbackHost where apps submit responses ({@code host[:port]}, checked as {@link
     *     QrRegistry#add} checks it)
     * @param platformKey the key that signs its challenges (copied)
     * @param anchors the CAs the signers' certificates must chain to (at least one)
     * @param intermediates intermediate CA certificates, or null
     * @param crls CRLs the signers are checked against, or null
     * @param lifetimeSecs how long a challenge lives: 0 for the default (120 s), at most 3600
     * @param store the store (shared, not copied)
     * @return the verifier
     * @throws YztException {@link ResultCode#INVALID_ARGUMENT} without anchors, {@link
     *     ResultCode#INVALID_PARAMETER} for a bad code, name, host or lifetime
     */
    public static QrVerifier create(
            String platformCode,
            String platformName,
            String callbackHost,
            PrivateKey platformKey,
            List<Certificate> anchors,
            List<Certificate> intermediates,
            List<Crl> crls,
            int lifetimeSecs,
            QrStore store)
            throws YztException {
        byte[] code = Text.utf8(platformCode, "platformCode");
        byte[] name = Text.utf8(platformName, "platformName");
        byte[] host = Text.utf8(callbackHost, "callbackHost");
        try (Held held = new Held()) {
            return new QrVerifier(
                    Native.qrVerifierNew(
                            code,
                            name,
                            host,
                            held.hold(platformKey),
                            held.holdAll(anchors),
                            held.holdAll(intermediates),
                            held.holdAll(crls),
                            lifetimeSecs,
                            held.hold(store)));
        }
    }

    /**
     * Issues a challenge for {@code action} and keeps it pending in the store.
     *
     * @param action the action
     * @param data none (null) for {@link QrAction#LOGIN} and {@link QrAction#ENCRYPT}; the
     *     document's or file's 32-byte SM3 for {@link QrAction#SEAL} and {@link
     *     QrAction#FILE_SIGN}; the envelope (the document key encrypted to the user's encryption
     *     certificate) for {@link QrAction#DECRYPT}; the message (at most 64 KiB) for {@link
     *     QrAction#MSG_SIGN}
     * @param now the time, Unix seconds
     * @return the challenge
     * @throws YztException {@link ResultCode#INVALID_ARGUMENT} for data the action does not take
     *     or lacks, {@link ResultCode#INVALID_LENGTH} for a digest that is not 32 bytes
     */
    public QrChallenge issue(QrAction action, byte[] data, long now) throws YztException {
        int a = Coded.of(action, "action");
        long h = acquire();
        try {
            return new QrChallenge(Native.qrVerifierIssue(h, a, data, now));
        } finally {
            release();
        }
    }

    /**
     * Verifies an app's response. A response is consumed by its first verification, so a
     * second one is refused as a replay.
     *
     * @param response the response (DER), as the app submitted it
     * @param now the time, Unix seconds
     * @return the verification, accepted or refused (close it: it may hold a document key)
     * @throws YztException for a null response or a closed verifier; a response that does not
     *     verify is a refused verification, not an exception
     */
    public QrVerification verify(byte[] response, long now) throws YztException {
        long h = acquire();
        try {
            return new QrVerification(Native.qrVerifierVerify(h, response, now));
        } finally {
            release();
        }
    }
}
