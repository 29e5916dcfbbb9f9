package cn.yizhengtong;

/** The outcome of one step of a seal verification report. The codes are the C header's {@code YZT_STEP_*} constants. */
public enum StepStatus implements Coded {
    /** The check passed. */
    PASSED(0),
    /** The check failed (the detail says why). */
    FAILED(1),
    /** The check was not run (the detail says why). */
    SKIPPED(2);

    private final int code;

    StepStatus(int code) {
        this.code = code;
    }

    /**
     * The C header's number for this value.
     *
     * @return the code
     */
    @Override
    public int code() {
        return code;
    }

    /**
     * The value with this code.
     *
     * @param code a code
     * @return the value, or null when no value has it
     */
    public static StepStatus fromCode(int code) {
        for (StepStatus v : values()) {
            if (v.code == code) {
                return v;
            }
        }
        return null;
    }
}
