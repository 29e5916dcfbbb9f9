package cn.yizhengtong;

/**
 * Whose package an authorisation is charged to; the C header's {@code YZT_QR_INSTITUTION_*}
 * constants.
 */
public enum QrInstitution implements Coded {
    /** The CA's package (login, encrypt, decrypt, signatures). */
    CA(0),
    /** The seal maker's package (stamping). */
    SEAL(1);

    private final int code;

    QrInstitution(int code) {
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
}
