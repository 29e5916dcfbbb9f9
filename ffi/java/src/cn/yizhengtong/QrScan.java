package cn.yizhengtong;

/**
 * A challenge the app scanned and authenticated against its {@link QrRegistry}, with what the
 * phone shows; answer it with {@link #respond}. Immutable; thread-safe.
 */
public final class QrScan extends NativeHandle {
    // The C header's YZT_QR_* scan text fields.
    static final int PLATFORM_NAME = 0;
    static final int ACTION_LABEL = 1;
    static final int DISPLAY_TEXT = 2;

    QrScan(long handle) {
        super(handle, Native::qrScanFree);
    }

    /**
     * Scans QR text at the phone's time: the platform must be in the registry, its signature
     * must verify with the registry's certificate, the callback host must be one the registry
     * allows, and the code must not have expired.
     *
     * @param text the QR text
     * @param registry the app's registry
     * @param now the phone's time, Unix seconds
     * @return the scan
     * @throws YztException {@link ResultCode#NOT_FOUND} for an unknown platform, {@link
     *     ResultCode#FORBIDDEN} for a bad signature or host, {@link ResultCode#INVALID_STATE}
     *     for an expired code, {@link ResultCode#MALFORMED}
     */
    public static QrScan scan(String text, QrRegistry registry, long now) throws YztException {
        byte[] t = Text.utf8(text, "text");
        try (Held held = new Held()) {
            return new QrScan(Native.qrScan(t, held.hold(registry), now));
        }
    }

    private String text(int field) throws YztException {
        long h = acquire();
        try {
            return Native.qrScanText(h, field);
        } finally {
            release();
        }
    }

    /**
     * The platform's name, from the registry.
     *
     * @return the name
     * @throws YztException for a closed object
     */
    public String platformName() throws YztException {
        return text(PLATFORM_NAME);
    }

    /**
     * The action as the app labels it (授权登录, ...).
     *
     * @return the label
     * @throws YztException for a closed object
     */
    public String actionLabel() throws YztException {
        return text(ACTION_LABEL);
    }

    /**
     * The text the phone displays (its SM3 is signed into the response, so the platform can tell
     * a misdirected code).
     *
     * @return the text
     * @throws YztException for a closed object
     */
    public String displayText() throws YztException {
        return text(DISPLAY_TEXT);
    }

    /**
     * The scanned challenge.
     *
     * @return a new challenge object
     * @throws YztException for a closed object
     */
    public QrChallenge challenge() throws YztException {
        long h = acquire();
        try {
            return new QrChallenge(Native.qrScanChallenge(h));
        } finally {
            release();
        }
    }

    /**
     * Answers the challenge for the user who authorised it.
     *
     * @param member the app user who authorised
     * @param enterprise the credit code when acting for an enterprise, else null
     * @param signingCert the certificate that signs the statement
     * @param signingKey its key ({@link ResultCode#KEY_MISMATCH} when it is not)
     * @param encryptionCert for {@link QrAction#ENCRYPT} and {@link QrAction#DECRYPT}, else null
     * @param encryptionKey for {@link QrAction#DECRYPT}, else null
     * @param data the action's material fetched from the platform, whose SM3 must be the
     *     challenge's digest: the document (seal), the envelope (decrypt), the file (file sign),
     *     the message (message sign); null for the others
     * @param seal for {@link QrAction#SEAL} only, else null
     * @param property the protected range, for {@link QrAction#SEAL} only, else null
     * @param gmt0010 for {@link QrAction#FILE_SIGN}: use the GM/T 0010 object identifiers
     * @param now the phone's time, Unix seconds
     * @return the response (DER), what the app submits to the callback host
     * @throws YztException {@link ResultCode#INVALID_ARGUMENT} for data the action does not take
     *     or lacks, {@link ResultCode#INVALID_PARAMETER} for material that does not match the
     *     challenge
     */
    public byte[] respond(
            String member,
            String enterprise,
            Certificate signingCert,
            PrivateKey signingKey,
            Certificate encryptionCert,
            PrivateKey encryptionKey,
            byte[] data,
            Seal seal,
            String property,
            boolean gmt0010,
            long now)
            throws YztException {
        byte[] m = Text.utf8(member, "member");
        byte[] e = Text.utf8(enterprise, "enterprise");
        byte[] p = Text.utf8(property, "property");
        try (Held held = new Held()) {
            return Native.qrRespond(
                    held.hold(this),
                    m,
                    e,
                    held.hold(signingCert),
                    held.hold(signingKey),
                    held.hold(encryptionCert),
                    held.hold(encryptionKey),
                    data,
                    held.hold(seal),
                    p,
                    gmt0010,
                    now);
        }
    }

    /**
     * Answers a challenge that needs no encryption key or seal (login, file sign, message sign).
     *
     * @param member the app user who authorised
     * @param signingCert the certificate that signs the statement
     * @param signingKey its key
     * @param data the file or message, null for a login
     * @param now the phone's time, Unix seconds
     * @return the response (DER)
     * @throws YztException as {@link #respond(String, String, Certificate, PrivateKey,
     *     Certificate, PrivateKey, byte[], Seal, String, boolean, long)}
     */
    public byte[] respond(
            String member, Certificate signingCert, PrivateKey signingKey, byte[] data, long now)
            throws YztException {
        return respond(member, null, signingCert, signingKey, null, null, data, null, null, false, now);
    }
}
