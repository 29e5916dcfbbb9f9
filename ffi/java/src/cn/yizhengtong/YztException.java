package cn.yizhengtong;

/**
 * A failure reported by the library: the result code (one of {@link ResultCode}, the same
 * numbers as the C header's {@code YZT_*} codes) and the detailed message (which field, which
 * check), the text C callers get from {@code yzt_last_error_message}.
 *
 * <p>Verifications are not failures: {@code verify} methods answer {@code false} for a
 * well-formed signature that does not verify ({@code YZT_SIGNATURE_MISMATCH}) and throw this
 * only for input they cannot use.
 */
public class YztException extends Exception {
    private static final long serialVersionUID = 1L;

    private final int code;

    /**
     * Makes an exception (the library makes them; tests and wrappers may too).
     *
     * @param code the result code
     * @param message the detailed message
     */
    public YztException(int code, String message) {
        super(message);
        this.code = code;
    }

    /**
     * The result code: a {@link ResultCode} constant.
     *
     * @return the code
     */
    public int code() {
        return code;
    }

    /**
     * The code's constant name, e.g. {@code WRONG_PIN}.
     *
     * @return the name, or the number when it is not a known code
     */
    public String codeName() {
        return ResultCode.name(code);
    }

    @Override
    public String toString() {
        return getClass().getName() + ": " + codeName() + " (" + code + "): " + getMessage();
    }
}
