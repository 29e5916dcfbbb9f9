package cn.yizhengtong;

/**
 * A verifier prepared for one public key and user ID (its ZA and tables computed once): the
 * fast path for verifying many signatures by the same key. Immutable; share one object between
 * any number of threads. Made by {@link PublicKey#verifier(byte[])}.
 */
public final class Verifier extends NativeHandle {
    Verifier(long handle) {
        super(handle, Native::verifierFree);
    }

    /**
     * Verifies {@code signature} over {@code message}.
     *
     * @param message the message
     * @param signature the signature
     * @param format its encoding, or {@link SignatureFormat#DETECT}
     * @return true when it verifies, false when it is well-formed but does not
     * @throws YztException for a signature that cannot be read, or a closed verifier
     */
    public boolean verify(byte[] message, byte[] signature, SignatureFormat format)
            throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.verifierVerify(h, message, signature, f);
        } finally {
            release();
        }
    }

    /**
     * Verifies a DER or raw signature.
     *
     * @param message the message
     * @param signature the signature
     * @return true when it verifies, false when it does not
     * @throws YztException for a signature that cannot be read
     */
    public boolean verify(byte[] message, byte[] signature) throws YztException {
        return verify(message, signature, SignatureFormat.DETECT);
    }
}
