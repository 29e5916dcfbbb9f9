package cn.yizhengtong;

import java.util.Optional;

/**
 * A QR challenge, as a {@link QrVerifier} issued it or decoded from QR text. Immutable;
 * thread-safe.
 */
public final class QrChallenge extends NativeHandle {
    // The C header's YZT_QR_* challenge fields: text, then integer.
    static final int TEXT = 0;
    static final int PLATFORM_CODE = 1;
    static final int TRANSACTION = 2;
    static final int CALLBACK_HOST = 3;
    static final int ACTION_NAME = 4;
    static final int DIGEST_HEX = 5;
    static final int INT_ACTION = 0;
    static final int INT_ISSUED_AT = 1;
    static final int INT_EXPIRES_AT = 2;

    QrChallenge(long handle) {
        super(handle, Native::qrChallengeFree);
    }

    /**
     * Decodes QR text <b>without</b> checking the platform's signature (see {@link #verify}, or
     * {@link QrScan#scan} on the app's side).
     *
     * @param text what the QR code encodes
     * @return the challenge
     * @throws YztException {@link ResultCode#MALFORMED}
     */
    public static QrChallenge decode(String text) throws YztException {
        return new QrChallenge(Native.qrChallengeDecode(Text.utf8(text, "text")));
    }

    /**
     * Checks the platform's signature on the challenge.
     *
     * @param platformKey the platform's public key
     * @return true when it verifies, false for a forged or altered code
     * @throws YztException for a closed object
     */
    public boolean verify(PublicKey platformKey) throws YztException {
        try (Held held = new Held()) {
            return Native.qrChallengeVerify(held.hold(this), held.hold(platformKey));
        }
    }

    private String text(int field) throws YztException {
        long h = acquire();
        try {
            return Native.qrChallengeText(h, field);
        } finally {
            release();
        }
    }

    private long number(int field) throws YztException {
        long h = acquire();
        try {
            return Native.qrChallengeInt(h, field);
        } finally {
            release();
        }
    }

    /**
     * The QR text (what the QR code encodes).
     *
     * @return the text
     * @throws YztException for a closed object
     */
    public String text() throws YztException {
        return text(TEXT);
    }

    /**
     * The platform's system code.
     *
     * @return the code
     * @throws YztException for a closed object
     */
    public String platformCode() throws YztException {
        return text(PLATFORM_CODE);
    }

    /**
     * The transaction id, hex.
     *
     * @return the id
     * @throws YztException for a closed object
     */
    public String transaction() throws YztException {
        return text(TRANSACTION);
    }

    /**
     * The host responses go to.
     *
     * @return {@code host[:port]}
     * @throws YztException for a closed object
     */
    public String callbackHost() throws YztException {
        return text(CALLBACK_HOST);
    }

    /**
     * The action's name ({@code login}, {@code seal}, ...).
     *
     * @return the name
     * @throws YztException for a closed object
     */
    public String actionName() throws YztException {
        return text(ACTION_NAME);
    }

    /**
     * The digest the action signs over, hex.
     *
     * @return the digest; empty for actions without one
     * @throws YztException for a closed object
     */
    public Optional<String> digestHex() throws YztException {
        return Optional.ofNullable(text(DIGEST_HEX));
    }

    /**
     * The action.
     *
     * @return the action
     * @throws YztException for a closed object
     */
    public QrAction action() throws YztException {
        return QrAction.fromCode((int) number(INT_ACTION));
    }

    /**
     * When the challenge was issued.
     *
     * @return Unix seconds
     * @throws YztException for a closed object
     */
    public long issuedAt() throws YztException {
        return number(INT_ISSUED_AT);
    }

    /**
     * When it expires.
     *
     * @return Unix seconds
     * @throws YztException for a closed object
     */
    public long expiresAt() throws YztException {
        return number(INT_EXPIRES_AT);
    }

    /**
     * The QR code as an SVG image.
     *
     * @return the SVG text
     * @throws YztException for a closed object
     */
    public String svg() throws YztException {
        long h = acquire();
        try {
            return Native.qrChallengeSvg(h);
        } finally {
            release();
        }
    }
}
