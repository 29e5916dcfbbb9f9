package cn.yizhengtong;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.TreeMap;

/**
 * The result codes: the numbers of the C header's {@code YZT_*} codes (without the prefix).
 * Stable: a code keeps its number forever; new codes are added at new numbers.
 */
public final class ResultCode {
    private ResultCode() {}

    /** Success. */
    public static final int OK = 0;
    /** A well-formed signature (or MAC, or tag) that does not verify. */
    public static final int SIGNATURE_MISMATCH = 1;
    /** A required argument was null; also any use of a closed object. */
    public static final int NULL_POINTER = 2;
    /** An argument is unusable (a negative count, an argument the operation does not take). */
    public static final int INVALID_ARGUMENT = 3;
    /** An output buffer too small (C only). */
    public static final int INSUFFICIENT_SIZE = 4;
    /** The library panicked (a bug); the panic was stopped at the boundary. */
    public static final int PANIC = 5;
    /** A handle of another type was passed. */
    public static final int WRONG_HANDLE = 6;
    /** A string argument is not valid UTF-8. */
    public static final int INVALID_UTF8 = 7;
    /** An integer code (a format, mode, field...) outside the documented values. */
    public static final int UNKNOWN_VALUE = 8;
    /** An index past the end. */
    public static final int OUT_OF_RANGE = 9;
    /** The value asked for is absent. */
    public static final int ABSENT = 10;
    /** Structurally malformed input (bad DER, bad PEM, trailing bytes). */
    public static final int MALFORMED = 20;
    /** A length that does not fit what the format allows. */
    public static final int INVALID_LENGTH = 21;
    /** An algorithm or curve the SDK does not handle. */
    public static final int UNSUPPORTED_ALGORITHM = 22;
    /** A point not on the SM2 curve. */
    public static final int POINT_NOT_ON_CURVE = 23;
    /** The point at infinity where a real point is required. */
    public static final int POINT_AT_INFINITY = 24;
    /** A point encoding that is neither compressed nor uncompressed SEC1. */
    public static final int INVALID_POINT_ENCODING = 25;
    /** A private scalar outside [1, n-2]. */
    public static final int SCALAR_OUT_OF_RANGE = 26;
    /** A public key stored with a private key does not belong to it. */
    public static final int KEY_MISMATCH = 27;
    /** A signature component outside [1, n-1]. */
    public static final int SIGNATURE_OUT_OF_RANGE = 28;
    /** An SM2 user ID longer than 8191 bytes. */
    public static final int USER_ID_TOO_LONG = 29;
    /** SM2 encryption of an empty plaintext. */
    public static final int EMPTY_PLAINTEXT = 30;
    /** SM2 decryption failed its integrity check (wrong key, tampered data). */
    public static final int DECRYPTION_FAILED = 31;
    /** PKCS#7 padding that does not check out. */
    public static final int INVALID_PADDING = 32;
    /** An AEAD tag that does not verify. */
    public static final int AUTHENTICATION_FAILED = 33;
    /** An encrypted private key that does not open with this password. */
    public static final int WRONG_PASSWORD = 34;
    /** A parameter outside what the SDK accepts (the message says which). */
    public static final int INVALID_PARAMETER = 35;
    /** A PIN that is not exactly six ASCII digits. */
    public static final int PIN_FORMAT = 36;
    /** The PIN and its confirmation differ. */
    public static final int PIN_CONFIRMATION_MISMATCH = 37;
    /** A wrong PIN (see {@link Container#remainingAttempts()}). */
    public static final int WRONG_PIN = 38;
    /** The key container is locked after too many wrong PINs. */
    public static final int CONTAINER_LOCKED = 39;
    /** A certificate chain check failed (see {@link ChainException}). */
    public static final int CERTIFICATE = 40;
    /** A CRL that cannot be used (bad signature, wrong issuer, stale). */
    public static final int CRL = 41;
    /** An action the object's current state does not allow. */
    public static final int INVALID_STATE = 42;
    /** The actor may not do this. */
    public static final int FORBIDDEN = 43;
    /** Something looked up does not exist. */
    public static final int NOT_FOUND = 44;
    /** A concurrent change got there first; nothing was written. */
    public static final int CONFLICT = 45;
    /** The storage backend failed; nothing was changed. */
    public static final int STORE = 46;
    /** An SDK error this version of the binding has no code for yet. */
    public static final int OTHER = 99;

    private static final Map<Integer, String> NAMES = names();

    private static Map<Integer, String> names() {
        Map<Integer, String> m = new TreeMap<>();
        for (Field f : ResultCode.class.getDeclaredFields()) {
            int mod = f.getModifiers();
            if (f.getType() == int.class && Modifier.isPublic(mod) && Modifier.isStatic(mod)) {
                try {
                    m.put(f.getInt(null), f.getName());
                } catch (IllegalAccessException e) {
                    throw new AssertionError(e);
                }
            }
        }
        return m;
    }

    /**
     * The constant name of a code, e.g. {@code "WRONG_PIN"}.
     *
     * @param code a result code
     * @return its name, or the number as text when it is not a known code
     */
    public static String name(int code) {
        String n = NAMES.get(code);
        return n != null ? n : Integer.toString(code);
    }

    /**
     * Every code this class declares, with its name, in number order.
     *
     * @return an unmodifiable map from code to name
     */
    public static Map<Integer, String> all() {
        return java.util.Collections.unmodifiableMap(NAMES);
    }

    /**
     * The library's fixed description of a code.
     *
     * @param code a result code
     * @return its description
     * @throws YztException {@link #UNKNOWN_VALUE} when {@code code} is not a result code
     */
    public static String message(int code) throws YztException {
        return Native.resultMessage(code);
    }
}
