package cn.yizhengtong;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strings cross into the library as UTF-8 byte arrays, which it checks as it checks C strings
 * ({@link ResultCode#INVALID_UTF8}). A Java string that has no UTF-8 form (a lone surrogate) is
 * refused here with the same code rather than silently replaced.
 */
final class Text {
    private Text() {}

    /**
     * The UTF-8 bytes of {@code s}.
     *
     * @param s the string, or null
     * @param what the argument's name, for the message
     * @return the bytes, or null for null
     * @throws YztException {@link ResultCode#INVALID_UTF8} for a lone surrogate
     */
    static byte[] utf8(String s, String what) throws YztException {
        if (s == null) {
            return null;
        }
        ByteBuffer b;
        try {
            b = StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new YztException(
                    ResultCode.INVALID_UTF8, what + " is not valid Unicode (a lone surrogate)");
        }
        byte[] out = new byte[b.remaining()];
        b.get(out);
        if (b.hasArray()) {
            Arrays.fill(b.array(), (byte) 0); // it may hold a PIN
        }
        return out;
    }

    /**
     * Overwrites byte arrays that held secrets.
     *
     * @param bs the arrays (null elements skipped)
     */
    static void wipe(byte[]... bs) {
        for (byte[] b : bs) {
            if (b != null) {
                Arrays.fill(b, (byte) 0);
            }
        }
    }
}
