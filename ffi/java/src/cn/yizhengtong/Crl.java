package cn.yizhengtong;

/** A parsed certificate revocation list. Immutable; thread-safe. */
public final class Crl extends NativeHandle {
    Crl(long handle) {
        super(handle, Native::crlFree);
    }

    /**
     * Parses a CRL, PEM or DER.
     *
     * @param data the CRL's bytes
     * @return the CRL
     * @throws YztException {@link ResultCode#MALFORMED}
     */
    public static Crl parse(byte[] data) throws YztException {
        return new Crl(Native.crlParse(data));
    }
}
