package cn.yizhengtong;

/** An enum whose values stand for the C header's integer codes. */
interface Coded {
    /**
     * The C header's number for this value.
     *
     * @return the code
     */
    int code();

    /**
     * The code of {@code value}.
     *
     * @param value the value
     * @param what the argument's name, for the message
     * @return its code
     * @throws YztException {@link ResultCode#NULL_POINTER} when {@code value} is null
     */
    static int of(Coded value, String what) throws YztException {
        if (value == null) {
            throw new YztException(ResultCode.NULL_POINTER, what + " is null");
        }
        return value.code();
    }
}
