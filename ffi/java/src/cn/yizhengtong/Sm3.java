package cn.yizhengtong;

/**
 * SM3: one-shot ({@link #digest}), streaming (an {@code Sm3} object), HMAC-SM3 and
 * PBKDF2-HMAC-SM3. A streaming object is thread-safe (each call takes an internal lock), though
 * feeding one from several threads is rarely meaningful.
 */
public final class Sm3 extends NativeHandle {
    /**
     * Starts a streaming SM3.
     *
     * @throws YztException if the library fails
     */
    public Sm3() throws YztException {
        super(Native.sm3New(), Native::sm3Free);
    }

    /**
     * Feeds {@code data}.
     *
     * @param data the next bytes
     * @throws YztException {@link ResultCode#NULL_POINTER} for null, or a closed object
     */
    public void update(byte[] data) throws YztException {
        long h = acquire();
        try {
            Native.sm3Update(h, data);
        } finally {
            release();
        }
    }

    /**
     * The digest of everything fed; the object is reset and can hash a new message.
     *
     * @return the 32-byte digest
     * @throws YztException if the object is closed
     */
    public byte[] finish() throws YztException {
        long h = acquire();
        try {
            return Native.sm3Finalize(h);
        } finally {
            release();
        }
    }

    /**
     * SM3 of {@code data}.
     *
     * @param data the data
     * @return the 32-byte digest
     * @throws YztException {@link ResultCode#NULL_POINTER} for null
     */
    public static byte[] digest(byte[] data) throws YztException {
        return Native.sm3(data);
    }

    /**
     * HMAC-SM3 of {@code data} under {@code key}.
     *
     * @param key the key
     * @param data the data
     * @return the 32-byte tag
     * @throws YztException {@link ResultCode#NULL_POINTER} for null
     */
    public static byte[] hmac(byte[] key, byte[] data) throws YztException {
        return Native.hmacSm3(key, data);
    }

    /**
     * Checks an HMAC-SM3 tag in constant time. A tag truncated to 16..32 bytes is compared on
     * its length.
     *
     * @param key the key
     * @param data the data
     * @param tag the tag
     * @return true when it matches, false when it does not ({@code YZT_AUTHENTICATION_FAILED})
     * @throws YztException {@link ResultCode#INVALID_LENGTH} for a tag shorter than 16 or longer
     *     than 32 bytes
     */
    public static boolean hmacVerify(byte[] key, byte[] data, byte[] tag) throws YztException {
        return Native.hmacSm3Verify(key, data, tag);
    }

    /**
     * PBKDF2-HMAC-SM3.
     *
     * @param password the password
     * @param salt the salt
     * @param iterations at least 1
     * @param length the output length, 1 byte to 1 MiB
     * @return the derived key
     * @throws YztException {@link ResultCode#INVALID_PARAMETER} for 0 iterations, {@link
     *     ResultCode#INVALID_ARGUMENT} for a length out of range
     */
    public static byte[] pbkdf2(byte[] password, byte[] salt, int iterations, int length)
            throws YztException {
        return Native.pbkdf2HmacSm3(password, salt, iterations, length);
    }
}
