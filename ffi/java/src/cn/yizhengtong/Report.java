package cn.yizhengtong;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The report of a seal or seal-signature verification: whether it is valid and each step that
 * ran. A plain immutable value (read out of the library's report when it was made).
 */
public final class Report {
    /** One step of a report. */
    public static final class Step {
        private final String name;
        private final StepStatus status;
        private final String detail;

        Step(String name, StepStatus status, String detail) {
            this.name = name;
            this.status = status;
            this.detail = detail;
        }

        /**
         * The step's stable name, e.g. {@code seal_signature}.
         *
         * @return the name
         */
        public String name() {
            return name;
        }

        /**
         * Its outcome.
         *
         * @return the status
         */
        public StepStatus status() {
            return status;
        }

        /**
         * Why it failed or was skipped; empty when it passed.
         *
         * @return the detail
         */
        public String detail() {
            return detail;
        }

        @Override
        public String toString() {
            return name + ": " + status + (detail.isEmpty() ? "" : " (" + detail + ")");
        }
    }

    private final boolean valid;
    private final List<Step> steps;
    private final String json;

    private Report(boolean valid, List<Step> steps, String json) {
        this.valid = valid;
        this.steps = steps;
        this.json = json;
    }

    /** Reads the report handle {@code r} and frees it. */
    static Report take(long r) throws YztException {
        try {
            boolean valid = Native.reportValid(r);
            int n = Native.reportSteps(r);
            List<Step> steps = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                int code = Native.reportStepStatus(r, i);
                StepStatus status = StepStatus.fromCode(code);
                if (status == null) {
                    throw new YztException(ResultCode.UNKNOWN_VALUE, "step status " + code);
                }
                steps.add(
                        new Step(
                                Native.reportStepName(r, i), status, Native.reportStepDetail(r, i)));
            }
            String json = new String(Native.reportJson(r), StandardCharsets.UTF_8);
            return new Report(valid, Collections.unmodifiableList(steps), json);
        } finally {
            Native.reportFree(r);
        }
    }

    /**
     * Whether no step failed.
     *
     * @return true when valid
     */
    public boolean valid() {
        return valid;
    }

    /**
     * The steps, in the order they ran.
     *
     * @return an unmodifiable list
     */
    public List<Step> steps() {
        return steps;
    }

    /**
     * The report as JSON: {@code {"valid":..,"steps":[{"step":..,"status":..,"detail":..}]}}.
     *
     * @return the JSON text
     */
    public String json() {
        return json;
    }

    @Override
    public String toString() {
        return json;
    }
}
