package cn.yizhengtong;

import java.util.List;

/**
 * A parsed electronic seal ({@code SES_Seal}, GB/T 38540 / GM/T 0031, v1, v4 or v5), the signed
 * bytes kept. Immutable; thread-safe.
 */
public final class Seal extends NativeHandle {
    // The C header's YZT_SEAL_* field selectors: text, integer and binary fields.
    static final int TEXT_ID = 0;
    static final int TEXT_NAME = 1;
    static final int TEXT_PICTURE_TYPE = 2;
    static final int TEXT_VENDOR_ID = 3;
    static final int INT_VERSION = 0;
    static final int INT_TYPE = 1;
    static final int INT_CREATED = 2;
    static final int INT_VALID_START = 3;
    static final int INT_VALID_END = 4;
    static final int INT_PICTURE_WIDTH_MM = 5;
    static final int INT_PICTURE_HEIGHT_MM = 6;
    static final int BYTES_PICTURE = 0;
    static final int BYTES_MAKER_CERT = 1;
    static final int BYTES_DER = 2;

    Seal(long handle) {
        super(handle, Native::sealFree);
    }

    /**
     * Parses a seal ({@code .esl} DER; the version detected).
     *
     * @param data the seal's bytes
     * @return the seal
     * @throws YztException {@link ResultCode#MALFORMED}
     */
    public static Seal parse(byte[] data) throws YztException {
        return new Seal(Native.sealParse(data));
    }

    private String text(int field) throws YztException {
        long h = acquire();
        try {
            return Native.sealText(h, field);
        } finally {
            release();
        }
    }

    private long number(int field) throws YztException {
        long h = acquire();
        try {
            return Native.sealInt(h, field);
        } finally {
            release();
        }
    }

    private byte[] bytes(int field) throws YztException {
        long h = acquire();
        try {
            return Native.sealBytes(h, field);
        } finally {
            release();
        }
    }

    /**
     * The seal's ID ({@code esID}).
     *
     * @return the ID
     * @throws YztException if the seal is closed
     */
    public String id() throws YztException {
        return text(TEXT_ID);
    }

    /**
     * The seal's name.
     *
     * @return the name
     * @throws YztException if the seal is closed
     */
    public String name() throws YztException {
        return text(TEXT_NAME);
    }

    /**
     * The picture's type, e.g. {@code png}.
     *
     * @return the type
     * @throws YztException if the seal is closed
     */
    public String pictureType() throws YztException {
        return text(TEXT_PICTURE_TYPE);
    }

    /**
     * The header's vendor ID ({@code vid}).
     *
     * @return the vendor ID
     * @throws YztException if the seal is closed
     */
    public String vendorId() throws YztException {
        return text(TEXT_VENDOR_ID);
    }

    /**
     * The format version: 1, 4 or 5.
     *
     * @return the version
     * @throws YztException if the seal is closed
     */
    public int version() throws YztException {
        return (int) number(INT_VERSION);
    }

    /**
     * The seal type (1 official, 2 personal, ...).
     *
     * @return the type
     * @throws YztException if the seal is closed
     */
    public int type() throws YztException {
        return (int) number(INT_TYPE);
    }

    /**
     * When the seal was made.
     *
     * @return Unix seconds
     * @throws YztException if the seal is closed
     */
    public long created() throws YztException {
        return number(INT_CREATED);
    }

    /**
     * The start of the seal's validity.
     *
     * @return Unix seconds
     * @throws YztException if the seal is closed
     */
    public long validStart() throws YztException {
        return number(INT_VALID_START);
    }

    /**
     * The end of the seal's validity.
     *
     * @return Unix seconds
     * @throws YztException if the seal is closed
     */
    public long validEnd() throws YztException {
        return number(INT_VALID_END);
    }

    /**
     * The picture's width.
     *
     * @return millimetres
     * @throws YztException if the seal is closed
     */
    public int pictureWidthMm() throws YztException {
        return (int) number(INT_PICTURE_WIDTH_MM);
    }

    /**
     * The picture's height.
     *
     * @return millimetres
     * @throws YztException if the seal is closed
     */
    public int pictureHeightMm() throws YztException {
        return (int) number(INT_PICTURE_HEIGHT_MM);
    }

    /**
     * The picture's bytes.
     *
     * @return the picture
     * @throws YztException if the seal is closed
     */
    public byte[] picture() throws YztException {
        return bytes(BYTES_PICTURE);
    }

    /**
     * The maker's certificate (DER); parse it with {@link Certificate#parse}.
     *
     * @return the DER
     * @throws YztException if the seal is closed
     */
    public byte[] makerCert() throws YztException {
        return bytes(BYTES_MAKER_CERT);
    }

    /**
     * The whole seal's DER as received.
     *
     * @return the DER
     * @throws YztException if the seal is closed
     */
    public byte[] der() throws YztException {
        return bytes(BYTES_DER);
    }

    /**
     * Verifies the seal on its own at {@code at}: the maker's signature, the maker's chain up to
     * {@code anchors} (skipped when there are none), the maker certificate's validity at
     * creation, the seal's validity at {@code at}.
     *
     * @param at the time, Unix seconds
     * @param anchors trust anchors, or null for none
     * @param intermediates intermediate CA certificates, or null
     * @param crls CRLs, or null
     * @return the report, valid or not
     * @throws YztException for unusable arguments (a null element, a closed object)
     */
    public Report verify(
            long at, List<Certificate> anchors, List<Certificate> intermediates, List<Crl> crls)
            throws YztException {
        long r;
        try (Held held = new Held()) {
            r =
                    Native.sealVerify(
                            held.hold(this),
                            at,
                            held.holdAll(anchors),
                            held.holdAll(intermediates),
                            held.holdAll(crls));
        }
        return Report.take(r);
    }
}
