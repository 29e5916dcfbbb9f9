package cn.yizhengtong;

/**
 * A certificate chain that does not verify ({@link ResultCode#CERTIFICATE}): which certificate
 * (0 is the leaf) and which check ({@link CertCheck}) failed.
 */
public final class ChainException extends YztException {
    private static final long serialVersionUID = 1L;

    private final int index;
    private final int check;

    /**
     * Made by the library.
     *
     * @param code the result code ({@link ResultCode#CERTIFICATE})
     * @param message the detailed message
     * @param index the failing certificate's position, 0 for the leaf
     * @param check the failed check's code ({@code YZT_CHECK_*})
     */
    public ChainException(int code, String message, int index, int check) {
        super(code, message);
        this.index = index;
        this.check = check;
    }

    /**
     * The failing certificate's position in the chain: 0 for the leaf.
     *
     * @return the index
     */
    public int index() {
        return index;
    }

    /**
     * The failed check.
     *
     * @return the check; {@link CertCheck#OTHER} for a code this version does not know
     */
    public CertCheck check() {
        return CertCheck.fromCode(check);
    }

    /**
     * The failed check's code ({@code YZT_CHECK_*}).
     *
     * @return the code
     */
    public int checkCode() {
        return check;
    }
}
