package cn.yizhengtong;

/**
 * An SM2 private key. Thread-safe; wiped when closed (or collected). Signing uses the SDK's
 * constant-time code and the operating system's CSPRNG.
 */
public final class PrivateKey extends NativeHandle {
    PrivateKey(long handle) {
        super(handle, Native::privateKeyFree);
    }

    /**
     * A new key from the operating system's CSPRNG.
     *
     * @return the key
     * @throws YztException if the library fails
     */
    public static PrivateKey generate() throws YztException {
        return new PrivateKey(Native.privateKeyGenerate());
    }

    /**
     * Reads an unencrypted key: PKCS#8 or SEC1, PEM or DER (detected).
     *
     * @param data the key file's bytes
     * @return the key
     * @throws YztException {@link ResultCode#MALFORMED} for unreadable data, {@link
     *     ResultCode#INVALID_PARAMETER} for an encrypted key (use {@link #fromEncrypted})
     */
    public static PrivateKey fromBytes(byte[] data) throws YztException {
        return new PrivateKey(Native.privateKeyImport(data));
    }

    /**
     * Reads a key that may be encrypted PKCS#8 (PEM or DER), opening it with {@code password};
     * an unencrypted key is read as by {@link #fromBytes}.
     *
     * @param data the key file's bytes
     * @param password the password's bytes
     * @return the key
     * @throws YztException {@link ResultCode#WRONG_PASSWORD} for a wrong password
     */
    public static PrivateKey fromEncrypted(byte[] data, byte[] password) throws YztException {
        return new PrivateKey(Native.privateKeyImportEncrypted(data, password));
    }

    /**
     * Exports the key (the returned array holds the secret: overwrite it when done).
     *
     * @param format the format
     * @return the encoded key
     * @throws YztException if the key is closed
     */
    public byte[] export(KeyFormat format) throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.privateKeyExport(h, f);
        } finally {
            release();
        }
    }

    /**
     * Exports the key as encrypted PKCS#8 ({@code EncryptedPrivateKeyInfo}).
     *
     * @param password the password's bytes
     * @param scheme the PBES2 scheme
     * @param iterations PBKDF2 iterations: 0 for the default (65,536), else 1,000 to 10,000,000
     * @param pem PEM ({@code ENCRYPTED PRIVATE KEY}) when true, else DER
     * @return the encrypted key
     * @throws YztException {@link ResultCode#INVALID_PARAMETER} for an iteration count out of
     *     range
     */
    public byte[] exportEncrypted(byte[] password, Pbes2Scheme scheme, int iterations, boolean pem)
            throws YztException {
        int s = Coded.of(scheme, "scheme");
        long h = acquire();
        try {
            return Native.privateKeyExportEncrypted(h, password, s, iterations, pem);
        } finally {
            release();
        }
    }

    /**
     * The public key.
     *
     * @return a new public key object
     * @throws YztException if the key is closed
     */
    public PublicKey publicKey() throws YztException {
        long h = acquire();
        try {
            return new PublicKey(Native.privateKeyPublicKey(h));
        } finally {
            release();
        }
    }

    /**
     * Signs {@code message} under the SM2 user ID {@code userId} (ZA and SM3 computed inside).
     *
     * @param userId the user ID; null for the default {@code 1234567812345678} (an empty array
     *     is the empty ID)
     * @param message the message
     * @param format the encoding ({@link SignatureFormat#DER} or {@link SignatureFormat#RAW})
     * @return the signature
     * @throws YztException {@link ResultCode#USER_ID_TOO_LONG}, {@link ResultCode#UNKNOWN_VALUE}
     *     for {@link SignatureFormat#DETECT}
     */
    public byte[] sign(byte[] userId, byte[] message, SignatureFormat format)
            throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.sign(h, userId, message, f);
        } finally {
            release();
        }
    }

    /**
     * Signs {@code message} under the default user ID, DER encoded.
     *
     * @param message the message
     * @return the DER signature
     * @throws YztException if the key is closed
     */
    public byte[] sign(byte[] message) throws YztException {
        return sign(null, message, SignatureFormat.DER);
    }

    /**
     * Signs a precomputed digest {@code e = SM3(ZA || M)} (see {@link
     * PublicKey#messageDigest}).
     *
     * @param digest the 32-byte digest
     * @param format the encoding
     * @return the signature
     * @throws YztException {@link ResultCode#INVALID_LENGTH} for a digest that is not 32 bytes
     */
    public byte[] signDigest(byte[] digest, SignatureFormat format) throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.signDigest(h, digest, f);
        } finally {
            release();
        }
    }

    /**
     * SM2-decrypts {@code ciphertext} (the returned array holds the plaintext: overwrite it when
     * done).
     *
     * @param ciphertext the ciphertext
     * @param format its layout, or {@link CiphertextFormat#DETECT}
     * @return the plaintext
     * @throws YztException {@link ResultCode#DECRYPTION_FAILED} for a wrong key or tampered
     *     data
     */
    public byte[] decrypt(byte[] ciphertext, CiphertextFormat format) throws YztException {
        int f = Coded.of(format, "format");
        long h = acquire();
        try {
            return Native.decrypt(h, ciphertext, f);
        } finally {
            release();
        }
    }
}
