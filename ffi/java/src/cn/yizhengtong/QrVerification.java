package cn.yizhengtong;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * The result of verifying one response: accepted, or the refusal's reason; on acceptance the
 * verified certificate, the uses left and what the action hands over. Immutable; thread-safe;
 * closing it wipes a decrypted document key.
 *
 * <p>Reason codes (the verifier's, stable): 0 accepted, 1001 malformed, 1002 wrong platform,
 * 1003 unknown transaction, 1004 already used (a replay), 1005 wrong action, 1006 wrong digest,
 * 1007 wrong nonce, 1008 expired, 1009 misdirected, 1010 untrusted certificate, 1011 certificate
 * expired, 1012 frozen, 1013 revoked, 1014 wrong key usage, 1015 bad signature, 1016 bad
 * payload, 1017 quota not opened, 1018 quota exhausted, 1019 store unavailable.
 */
public final class QrVerification extends NativeHandle {
    // The C header's YZT_QR_* verification text fields.
    static final int DETAIL = 0;
    static final int REASON_NAME = 1;
    static final int ANSWER_JSON = 2;
    static final int VERIFIED_TRANSACTION = 3;

    QrVerification(long handle) {
        super(handle, Native::qrVerificationFree);
    }

    private String text(int field) throws YztException {
        long h = acquire();
        try {
            return Native.qrVerificationText(h, field);
        } finally {
            release();
        }
    }

    /**
     * Whether the response was accepted.
     *
     * @return true when accepted
     * @throws YztException for a closed object
     */
    public boolean accepted() throws YztException {
        long h = acquire();
        try {
            return Native.qrVerificationAccepted(h);
        } finally {
            release();
        }
    }

    /**
     * The reason code: 0 when accepted (see the class documentation).
     *
     * @return the code
     * @throws YztException for a closed object
     */
    public int reason() throws YztException {
        long h = acquire();
        try {
            return Native.qrVerificationReason(h);
        } finally {
            release();
        }
    }

    /**
     * The reason's name ({@code ok}, {@code already_used}, ...).
     *
     * @return the name
     * @throws YztException for a closed object
     */
    public String reasonName() throws YztException {
        return text(REASON_NAME);
    }

    /**
     * Why it was refused.
     *
     * @return the detail; empty when accepted
     * @throws YztException for a closed object
     */
    public String detail() throws YztException {
        return text(DETAIL);
    }

    /**
     * The platforms' JSON answer.
     *
     * @return the JSON text
     * @throws YztException for a closed object
     */
    public String answerJson() throws YztException {
        return text(ANSWER_JSON);
    }

    /**
     * The transaction id, hex.
     *
     * @return the id; empty when the response could not be read
     * @throws YztException for a closed object
     */
    public Optional<String> transaction() throws YztException {
        return Optional.ofNullable(text(VERIFIED_TRANSACTION));
    }

    /**
     * The uses left in the holder's package after the charge.
     *
     * @return the uses; empty when refused
     * @throws YztException for a closed object
     */
    public OptionalLong remaining() throws YztException {
        long h = acquire();
        try {
            long n = Native.qrVerificationRemaining(h);
            return n < 0 ? OptionalLong.empty() : OptionalLong.of(n);
        } finally {
            release();
        }
    }

    /**
     * The verified signer's certificate.
     *
     * @return a new certificate object; empty when refused
     * @throws YztException for a closed object
     */
    public Optional<Certificate> certificate() throws YztException {
        long h = acquire();
        try {
            long c = Native.qrVerificationCertificate(h);
            return c == 0 ? Optional.empty() : Optional.of(new Certificate(c));
        } finally {
            release();
        }
    }

    /**
     * What an accepted authorisation hands to the platform: for {@link QrAction#SEAL} the
     * verified {@code SES_Signature} (parse it with {@link SealSignature#parse}), {@link
     * QrAction#ENCRYPT} the user's encryption certificate (DER), {@link QrAction#DECRYPT} the
     * document key (a secret: overwrite the array when done), {@link QrAction#FILE_SIGN} the
     * verified detached CMS {@code SignedData}, {@link QrAction#MSG_SIGN} the verified message
     * signature (DER).
     *
     * @return the bytes; empty for a login and for a refusal
     * @throws YztException for a closed object
     */
    public Optional<byte[]> outcome() throws YztException {
        long h = acquire();
        try {
            return Optional.ofNullable(Native.qrVerificationOutcome(h));
        } finally {
            release();
        }
    }

    /**
     * The action {@link #outcome()} came from.
     *
     * @return the action; empty when there is no outcome
     * @throws YztException for a closed object
     */
    public Optional<QrAction> outcomeAction() throws YztException {
        long h = acquire();
        try {
            return Optional.ofNullable(QrAction.fromCode(Native.qrVerificationOutcomeAction(h)));
        } finally {
            release();
        }
    }
}
