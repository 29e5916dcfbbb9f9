package cn.yizhengtong;

import java.util.Optional;
import java.util.OptionalInt;

/** A parsed SM2 X.509 certificate (the exact DER kept). Immutable; thread-safe. */
public final class Certificate extends NativeHandle {
    // The C header's YZT_CERT_* field selectors.
    static final int SUBJECT = 0;
    static final int ISSUER = 1;
    static final int SERIAL_HEX = 2;
    static final int COMMON_NAME = 3;
    static final int ORGANIZATION = 4;
    static final int PEM = 5;

    Certificate(long handle) {
        super(handle, Native::certificateFree);
    }

    /**
     * Parses a certificate, PEM or DER (detected; of a PEM bundle the first).
     *
     * @param data the certificate's bytes
     * @return the certificate
     * @throws YztException {@link ResultCode#MALFORMED}, {@link
     *     ResultCode#UNSUPPORTED_ALGORITHM} ...
     */
    public static Certificate parse(byte[] data) throws YztException {
        return new Certificate(Native.certificateParse(data));
    }

    private String text(int field) throws YztException {
        long h = acquire();
        try {
            return Native.certificateText(h, field);
        } finally {
            release();
        }
    }

    /**
     * The subject DN, as OpenSSL prints it in RFC 2253 order.
     *
     * @return the DN
     * @throws YztException if the certificate is closed
     */
    public String subject() throws YztException {
        return text(SUBJECT);
    }

    /**
     * The issuer DN.
     *
     * @return the DN
     * @throws YztException if the certificate is closed
     */
    public String issuer() throws YztException {
        return text(ISSUER);
    }

    /**
     * The serial number in hex.
     *
     * @return the serial
     * @throws YztException if the certificate is closed
     */
    public String serialHex() throws YztException {
        return text(SERIAL_HEX);
    }

    /**
     * The subject's common name.
     *
     * @return the name, empty when the subject has none
     * @throws YztException if the certificate is closed
     */
    public Optional<String> commonName() throws YztException {
        return Optional.ofNullable(text(COMMON_NAME));
    }

    /**
     * The subject's organisation.
     *
     * @return the organisation, empty when the subject has none
     * @throws YztException if the certificate is closed
     */
    public Optional<String> organization() throws YztException {
        return Optional.ofNullable(text(ORGANIZATION));
    }

    /**
     * The certificate as PEM.
     *
     * @return the PEM text
     * @throws YztException if the certificate is closed
     */
    public String pem() throws YztException {
        return text(PEM);
    }

    /**
     * The certificate's exact DER.
     *
     * @return the DER
     * @throws YztException if the certificate is closed
     */
    public byte[] der() throws YztException {
        long h = acquire();
        try {
            return Native.certificateDer(h);
        } finally {
            release();
        }
    }

    private long validity(int which) throws YztException {
        long h = acquire();
        try {
            return Native.certificateValidity(h)[which];
        } finally {
            release();
        }
    }

    /**
     * The start of the validity period.
     *
     * @return Unix seconds
     * @throws YztException if the certificate is closed
     */
    public long notBefore() throws YztException {
        return validity(0);
    }

    /**
     * The end of the validity period.
     *
     * @return Unix seconds
     * @throws YztException if the certificate is closed
     */
    public long notAfter() throws YztException {
        return validity(1);
    }

    /**
     * Whether basicConstraints says cA.
     *
     * @return true for a CA certificate
     * @throws YztException if the certificate is closed
     */
    public boolean isCa() throws YztException {
        long h = acquire();
        try {
            return Native.certificateIsCa(h);
        } finally {
            release();
        }
    }

    /**
     * The keyUsage bits ({@link KeyUsage}).
     *
     * @return the bits, empty when the certificate has no keyUsage extension
     * @throws YztException {@link ResultCode#MALFORMED} for an unreadable extension
     */
    public OptionalInt keyUsage() throws YztException {
        long h = acquire();
        try {
            int bits = Native.certificateKeyUsage(h);
            return bits < 0 ? OptionalInt.empty() : OptionalInt.of(bits);
        } finally {
            release();
        }
    }

    /**
     * The subject's public key.
     *
     * @return a new public key object
     * @throws YztException if the certificate is closed
     */
    public PublicKey publicKey() throws YztException {
        long h = acquire();
        try {
            return new PublicKey(Native.certificatePublicKey(h));
        } finally {
            release();
        }
    }
}
