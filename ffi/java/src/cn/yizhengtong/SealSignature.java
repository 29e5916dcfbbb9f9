package cn.yizhengtong;

import java.util.List;

/**
 * A parsed seal signature ({@code SES_Signature}, an OFD {@code SignedValue.dat}). Immutable;
 * thread-safe.
 */
public final class SealSignature extends NativeHandle {
    SealSignature(long handle) {
        super(handle, Native::sealSignatureFree);
    }

    /**
     * Parses a seal signature.
     *
     * @param data the signature's bytes
     * @return the signature
     * @throws YztException {@link ResultCode#MALFORMED}
     */
    public static SealSignature parse(byte[] data) throws YztException {
        return new SealSignature(Native.sealSignatureParse(data));
    }

    /**
     * The seal inside.
     *
     * @return a new seal object
     * @throws YztException if the signature is closed
     */
    public Seal seal() throws YztException {
        long h = acquire();
        try {
            return new Seal(Native.sealSignatureSeal(h));
        } finally {
            release();
        }
    }

    /**
     * The signing time.
     *
     * @return Unix seconds
     * @throws YztException if the signature is closed
     */
    public long time() throws YztException {
        long h = acquire();
        try {
            return Native.sealSignatureTime(h);
        } finally {
            release();
        }
    }

    /**
     * The signer's certificate (DER).
     *
     * @return the DER
     * @throws YztException if the signature is closed
     */
    public byte[] signerCert() throws YztException {
        long h = acquire();
        try {
            return Native.sealSignatureSignerCert(h);
        } finally {
            release();
        }
    }

    /**
     * Verifies the signature: the document signature, the signer in the seal's list, the seal,
     * the chains (with {@code anchors}), validity at the signing time, and the document digest
     * when {@code document} is given.
     *
     * @param document the signed document (e.g. {@code Signature.xml}), or null to skip that step
     * @param anchors trust anchors, or null for none
     * @param intermediates intermediate CA certificates, or null
     * @param crls CRLs, or null
     * @return the report, valid or not
     * @throws YztException for unusable arguments
     */
    public Report verify(
            byte[] document,
            List<Certificate> anchors,
            List<Certificate> intermediates,
            List<Crl> crls)
            throws YztException {
        long r;
        try (Held held = new Held()) {
            r =
                    Native.sealSignatureVerify(
                            held.hold(this),
                            document,
                            held.holdAll(anchors),
                            held.holdAll(intermediates),
                            held.holdAll(crls));
        }
        return Report.take(r);
    }
}
