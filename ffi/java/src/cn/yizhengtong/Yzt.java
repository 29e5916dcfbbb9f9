package cn.yizhengtong;

import java.nio.charset.StandardCharsets;

/**
 * The library: loading, version, the panic self-test, the constants shared by the other
 * classes.
 *
 * <p>The native library {@code libyizhengtong_ffi.so} (the same one C programs link) is loaded
 * on first use: from the path in the system property {@value #LIBRARY_PROPERTY} when it is set,
 * else with {@code System.loadLibrary("yizhengtong_ffi")}, which searches {@code
 * -Djava.library.path}.
 *
 * <p>Conventions of the binding: objects that own native values ({@link PrivateKey}, {@link
 * PublicKey}, {@link Verifier}, {@link Container}, {@link Sm3}, {@link Certificate}, {@link
 * Crl}, {@link Seal}, {@link SealSignature}, and for QR authorisation {@link QrStore}, {@link
 * QrVerifier}, {@link QrChallenge}, {@link QrVerification}, {@link QrRegistry}, {@link QrScan})
 * are {@link AutoCloseable}: close them (closing
 * twice is harmless, a use after close throws with {@link ResultCode#NULL_POINTER}); private
 * keys and containers are wiped when closed. All of them may be shared between threads. Every
 * failure is a checked {@link YztException} carrying the C header's result code and a detailed
 * message; a verification that answers "no" is {@code false}, not an exception. Byte arrays in
 * are copied (the copies are wiped); byte arrays out are new. Strings go in as UTF-8 (a string
 * with a lone surrogate is refused with {@link ResultCode#INVALID_UTF8}). Times are Unix
 * seconds.
 */
public final class Yzt {
    private Yzt() {}

    /** The system property naming the library file to load instead of searching for it. */
    public static final String LIBRARY_PROPERTY = "yizhengtong.library";

    /** The default SM2 user ID, {@code 1234567812345678} (GM/T 0009). */
    private static final byte[] DEFAULT_USER_ID =
            "1234567812345678".getBytes(StandardCharsets.US_ASCII);

    /** The longest SM2 user ID the library accepts, in bytes. */
    public static final int MAX_USER_ID_LEN = 8191;

    /** The longest signature the library writes (DER), in bytes. */
    public static final int SIGNATURE_MAX_LEN = 72;

    /** The length of an SM3 digest and an HMAC-SM3 tag, in bytes. */
    public static final int SM3_LEN = 32;

    private static boolean loaded;

    /** Loads the native library if it is not loaded yet. */
    static synchronized void load() {
        if (loaded) {
            return;
        }
        String path = System.getProperty(LIBRARY_PROPERTY);
        if (path != null && !path.isEmpty()) {
            System.load(path);
        } else {
            System.loadLibrary("yizhengtong_ffi");
        }
        loaded = true;
    }

    /**
     * The default SM2 user ID.
     *
     * @return a new copy of {@code "1234567812345678"} as bytes
     */
    public static byte[] defaultUserId() {
        return DEFAULT_USER_ID.clone();
    }

    /**
     * The version of the native library.
     *
     * @return e.g. {@code "0.1.0"}
     */
    public static String version() {
        return Native.version();
    }

    /**
     * Panics inside the native library on purpose, to show that the boundary turns a panic into
     * an exception.
     *
     * @throws YztException always, with {@link ResultCode#PANIC}
     */
    public static void selftestPanic() throws YztException {
        Native.selftestPanic();
    }
}
