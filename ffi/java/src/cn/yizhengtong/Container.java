package cn.yizhengtong;

/**
 * A private key sealed under a six-digit PIN, with a retry counter. Mutable (a wrong PIN
 * counts); thread-safe: each call takes the container's lock for its whole duration, so
 * attempts from several threads take turns and together get at most the limit. Persist it with
 * {@link #toBytes()} after every unlock attempt. The count lives in this object and in what you
 * persist: two objects read from the same bytes count separately, a crash before you persist
 * loses the attempt, and a restored older copy brings its older count back; keep one object per
 * container. Wiped when closed.
 *
 * <p>PINs are given as {@code String} or as UTF-8 bytes (which this class does not keep; the
 * caller may overwrite them after the call). Bytes that are not UTF-8, or a string with a lone
 * surrogate, are refused with {@link ResultCode#INVALID_UTF8}, a PIN that is not six ASCII digits
 * with {@link ResultCode#PIN_FORMAT} (not counted).
 */
public final class Container extends NativeHandle {
    Container(long handle) {
        super(handle, Native::containerFree);
    }

    /**
     * Seals {@code key} under a PIN entered twice.
     *
     * @param key the key (it stays open and the caller's)
     * @param pin the PIN as UTF-8
     * @param confirm the PIN again
     * @param iterations PBKDF2-HMAC-SM3 iterations: 0 for the default (100,000), else 1,000 to
     *     10,000,000
     * @param maxAttempts wrong PINs before it locks: 0 for the default (6), else 1 to 100
     * @return the container
     * @throws YztException {@link ResultCode#PIN_FORMAT}, {@link
     *     ResultCode#PIN_CONFIRMATION_MISMATCH}, {@link ResultCode#INVALID_PARAMETER}
     */
    public static Container create(
            PrivateKey key, byte[] pin, byte[] confirm, int iterations, int maxAttempts)
            throws YztException {
        try (Held held = new Held()) {
            long k = held.hold(key);
            return new Container(Native.containerCreate(k, pin, confirm, iterations, maxAttempts));
        }
    }

    /**
     * Seals {@code key} under a PIN entered twice, with the default parameters.
     *
     * @param key the key
     * @param pin the PIN
     * @param confirm the PIN again
     * @return the container
     * @throws YztException as {@link #create(PrivateKey, byte[], byte[], int, int)}
     */
    public static Container create(PrivateKey key, String pin, String confirm)
            throws YztException {
        return create(key, pin, confirm, 0, 0);
    }

    /**
     * Seals {@code key} under a PIN entered twice.
     *
     * @param key the key
     * @param pin the PIN
     * @param confirm the PIN again
     * @param iterations PBKDF2 iterations, 0 for the default
     * @param maxAttempts wrong PINs before it locks, 0 for the default
     * @return the container
     * @throws YztException as {@link #create(PrivateKey, byte[], byte[], int, int)}
     */
    public static Container create(
            PrivateKey key, String pin, String confirm, int iterations, int maxAttempts)
            throws YztException {
        byte[] p = Text.utf8(pin, "pin");
        byte[] c = Text.utf8(confirm, "confirm");
        try {
            return create(key, p, c, iterations, maxAttempts);
        } finally {
            Text.wipe(p, c);
        }
    }

    /**
     * Reads a serialised container (every field checked).
     *
     * @param data what {@link #toBytes()} wrote
     * @return the container
     * @throws YztException {@link ResultCode#MALFORMED}
     */
    public static Container fromBytes(byte[] data) throws YztException {
        return new Container(Native.containerFromBytes(data));
    }

    /**
     * Serialises the container with its current retry count.
     *
     * @return the bytes
     * @throws YztException if the container is closed
     */
    public byte[] toBytes() throws YztException {
        long h = acquire();
        try {
            return Native.containerToBytes(h);
        } finally {
            release();
        }
    }

    /**
     * Opens the container; the retry count is reset on success.
     *
     * @param pin the PIN as UTF-8
     * @return the private key
     * @throws YztException {@link ResultCode#WRONG_PIN} (counted), {@link
     *     ResultCode#CONTAINER_LOCKED}, {@link ResultCode#PIN_FORMAT} (not counted)
     */
    public PrivateKey unlock(byte[] pin) throws YztException {
        long h = acquire();
        try {
            return new PrivateKey(Native.containerUnlock(h, pin));
        } finally {
            release();
        }
    }

    /**
     * Opens the container.
     *
     * @param pin the PIN
     * @return the private key
     * @throws YztException as {@link #unlock(byte[])}
     */
    public PrivateKey unlock(String pin) throws YztException {
        byte[] p = Text.utf8(pin, "pin");
        try {
            return unlock(p);
        } finally {
            Text.wipe(p);
        }
    }

    /**
     * Changes the PIN (the old one counted like an unlock); re-seals under a fresh salt.
     *
     * @param oldPin the current PIN as UTF-8
     * @param newPin the new PIN
     * @param confirm the new PIN again
     * @throws YztException {@link ResultCode#WRONG_PIN}, {@link
     *     ResultCode#PIN_CONFIRMATION_MISMATCH} ...
     */
    public void changePin(byte[] oldPin, byte[] newPin, byte[] confirm) throws YztException {
        long h = acquire();
        try {
            Native.containerChangePin(h, oldPin, newPin, confirm);
        } finally {
            release();
        }
    }

    /**
     * Changes the PIN.
     *
     * @param oldPin the current PIN
     * @param newPin the new PIN
     * @param confirm the new PIN again
     * @throws YztException as {@link #changePin(byte[], byte[], byte[])}
     */
    public void changePin(String oldPin, String newPin, String confirm) throws YztException {
        byte[] o = Text.utf8(oldPin, "oldPin");
        byte[] n = Text.utf8(newPin, "newPin");
        byte[] c = Text.utf8(confirm, "confirm");
        try {
            changePin(o, n, c);
        } finally {
            Text.wipe(o, n, c);
        }
    }

    /**
     * Wrong PINs still allowed before the container locks.
     *
     * @return the count; 0 when locked
     * @throws YztException if the container is closed
     */
    public int remainingAttempts() throws YztException {
        long h = acquire();
        try {
            return Native.containerRemainingAttempts(h);
        } finally {
            release();
        }
    }

    /**
     * The public key of the sealed key (readable without the PIN).
     *
     * @return the key
     * @throws YztException if the container is closed
     */
    public PublicKey publicKey() throws YztException {
        long h = acquire();
        try {
            return new PublicKey(Native.containerPublicKey(h));
        } finally {
            release();
        }
    }
}
