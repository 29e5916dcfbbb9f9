package cn.yizhengtong;

/** An SM2 public key. Immutable; thread-safe. */
public final class PublicKey extends NativeHandle {
    PublicKey(long handle) {
        super(handle, Native::publicKeyFree);
    }

    /**
     * Reads a public key: SPKI PEM or DER, a raw SEC1 point (compressed or not), or hex of a
     * raw point (detected). For a certificate's key use {@link Certificate#publicKey()}.
     *
     * @param data the key's bytes
     * @return the key
     * @throws YztException {@link ResultCode#MALFORMED}, {@link ResultCode#POINT_NOT_ON_CURVE}
     *     ...
     */
    public static PublicKey fromBytes(byte[] data) throws YztException {
        return new PublicKey(Native.publicKeyImport(data));
    }

    /**
     * Exports the key.
     *
     * @param format the format
     * @return the encoded key
     * @throws YztException if the key is closed
     */
    public byte[] export(PublicKeyFormat format) throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.publicKeyExport(h, f);
        } finally {
            release();
        }
    }

    /**
     * Verifies {@code signature} over {@code message} under {@code userId}.
     *
     * @param userId the user ID; null for the default {@code 1234567812345678}
     * @param message the message
     * @param signature the signature
     * @param format its encoding, or {@link SignatureFormat#DETECT}
     * @return true when it verifies, false when it is well-formed but does not ({@code
     *     YZT_SIGNATURE_MISMATCH})
     * @throws YztException for a signature that cannot be read ({@link ResultCode#MALFORMED},
     *     {@link ResultCode#INVALID_LENGTH}, {@link ResultCode#SIGNATURE_OUT_OF_RANGE}) and
     *     other unusable input
     */
    public boolean verify(byte[] userId, byte[] message, byte[] signature, SignatureFormat format)
            throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.verify(h, userId, message, signature, f);
        } finally {
            release();
        }
    }

    /**
     * Verifies a DER or raw signature under the default user ID.
     *
     * @param message the message
     * @param signature the signature
     * @return true when it verifies, false when it does not
     * @throws YztException for a signature that cannot be read
     */
    public boolean verify(byte[] message, byte[] signature) throws YztException {
        return verify(null, message, signature, SignatureFormat.DETECT);
    }

    /**
     * The digest an SM2 signature signs, {@code e = SM3(ZA || message)}.
     *
     * @param userId the user ID; null for the default
     * @param message the message
     * @return the 32-byte digest
     * @throws YztException {@link ResultCode#USER_ID_TOO_LONG}
     */
    public byte[] messageDigest(byte[] userId, byte[] message) throws YztException {
        long h = acquire();
        try {
            return Native.messageDigest(h, userId, message);
        } finally {
            release();
        }
    }

    /**
     * Verifies a signature over a precomputed digest; answers as {@link #verify(byte[], byte[],
     * byte[], SignatureFormat)}.
     *
     * @param digest the 32-byte digest
     * @param signature the signature
     * @param format its encoding
     * @return true when it verifies, false when it does not
     * @throws YztException {@link ResultCode#INVALID_LENGTH} for a digest that is not 32 bytes
     */
    public boolean verifyDigest(byte[] digest, byte[] signature, SignatureFormat format)
            throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.verifyDigest(h, digest, signature, f);
        } finally {
            release();
        }
    }

    /**
     * A verifier prepared for this key and {@code userId}: the fast path for many signatures
     * by one key, shareable by any number of threads.
     *
     * @param userId the user ID; null for the default
     * @return the verifier
     * @throws YztException {@link ResultCode#USER_ID_TOO_LONG}
     */
    public Verifier verifier(byte[] userId) throws YztException {
        long h = acquire();
        try {
            return new Verifier(Native.verifierNew(h, userId));
        } finally {
            release();
        }
    }

    /**
     * SM2-encrypts {@code plaintext} (at least one byte) to this key.
     *
     * @param plaintext the plaintext
     * @param format the layout (not {@link CiphertextFormat#DETECT})
     * @return the ciphertext
     * @throws YztException {@link ResultCode#EMPTY_PLAINTEXT}, {@link ResultCode#UNKNOWN_VALUE}
     */
    public byte[] encrypt(byte[] plaintext, CiphertextFormat format) throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.encrypt(h, plaintext, f);
        } finally {
            release();
        }
    }
}
