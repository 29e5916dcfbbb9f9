package cn.yizhengtong;

/**
 * The JNI entry points ({@code ffi/src/jni} in the Rust crate). Package-private: the public
 * classes pass only handles they own and keep alive; a handle is a {@code long} pointer to the
 * same value a C handle points to. Every method except the {@code *Free} ones throws {@link
 * YztException} on failure; the {@code *Free} ones return the result code (0, or {@code
 * WRONG_HANDLE} for a handle of another type, which is then not freed). Integer codes are
 * those of the C header.
 */
final class Native {
    private Native() {}

    static {
        Yzt.load();
    }

    // the library
    static native String version();

    static native String resultMessage(int code) throws YztException;

    static native int[] resultCodes();

    static native void selftestPanic() throws YztException;

    // keys
    static native long privateKeyGenerate() throws YztException;

    static native long privateKeyImport(byte[] data) throws YztException;

    static native long privateKeyImportEncrypted(byte[] data, byte[] password)
            throws YztException;

    static native byte[] privateKeyExport(long key, int format) throws YztException;

    static native byte[] privateKeyExportEncrypted(
            long key, byte[] password, int scheme, int iterations, boolean pem)
            throws YztException;

    static native long privateKeyPublicKey(long key) throws YztException;

    static native int privateKeyFree(long key);

    static native long publicKeyImport(byte[] data) throws YztException;

    static native byte[] publicKeyExport(long key, int format) throws YztException;

    static native int publicKeyFree(long key);

    // signatures, encryption, hashes, SM4
    static native byte[] sign(long key, byte[] userId, byte[] msg, int format)
            throws YztException;

    static native boolean verify(long key, byte[] userId, byte[] msg, byte[] sig, int format)
            throws YztException;

    static native byte[] messageDigest(long key, byte[] userId, byte[] msg) throws YztException;

    static native byte[] signDigest(long key, byte[] digest, int format) throws YztException;

    static native boolean verifyDigest(long key, byte[] digest, byte[] sig, int format)
            throws YztException;

    static native long verifierNew(long key, byte[] userId) throws YztException;

    static native boolean verifierVerify(long verifier, byte[] msg, byte[] sig, int format)
            throws YztException;

    static native int verifierFree(long verifier);

    static native byte[] encrypt(long key, byte[] plaintext, int format) throws YztException;

    static native byte[] decrypt(long key, byte[] ciphertext, int format) throws YztException;

    static native byte[] sm3(byte[] data) throws YztException;

    static native long sm3New() throws YztException;

    static native void sm3Update(long ctx, byte[] data) throws YztException;

    static native byte[] sm3Finalize(long ctx) throws YztException;

    static native int sm3Free(long ctx);

    static native byte[] hmacSm3(byte[] key, byte[] data) throws YztException;

    static native boolean hmacSm3Verify(byte[] key, byte[] data, byte[] tag) throws YztException;

    static native byte[] pbkdf2HmacSm3(byte[] password, byte[] salt, int iterations, int length)
            throws YztException;

    static native byte[] sm4(
            boolean encrypt, int mode, byte[] key, byte[] iv, byte[] aad, int padding, byte[] data)
            throws YztException;

    // the PIN container
    static native long containerCreate(
            long key, byte[] pin, byte[] confirm, int iterations, int maxAttempts)
            throws YztException;

    static native long containerFromBytes(byte[] data) throws YztException;

    static native byte[] containerToBytes(long container) throws YztException;

    static native long containerUnlock(long container, byte[] pin) throws YztException;

    static native void containerChangePin(
            long container, byte[] oldPin, byte[] newPin, byte[] confirm) throws YztException;

    static native int containerRemainingAttempts(long container) throws YztException;

    static native long containerPublicKey(long container) throws YztException;

    static native int containerFree(long container);

    // certificates, CRLs, chains
    static native long certificateParse(byte[] data) throws YztException;

    static native String certificateText(long cert, int field) throws YztException;

    static native byte[] certificateDer(long cert) throws YztException;

    static native long[] certificateValidity(long cert) throws YztException;

    static native boolean certificateIsCa(long cert) throws YztException;

    static native int certificateKeyUsage(long cert) throws YztException;

    static native long certificatePublicKey(long cert) throws YztException;

    static native int certificateFree(long cert);

    static native long crlParse(byte[] data) throws YztException;

    static native int crlFree(long crl);

    static native void chainVerify(
            long leaf,
            long[] intermediates,
            long[] anchors,
            long[] crls,
            long at,
            int usage,
            boolean requireRevocation)
            throws YztException;

    // seals, seal signatures, reports
    static native long sealParse(byte[] data) throws YztException;

    static native String sealText(long seal, int field) throws YztException;

    static native long sealInt(long seal, int field) throws YztException;

    static native byte[] sealBytes(long seal, int field) throws YztException;

    static native int sealFree(long seal);

    static native long sealSignatureParse(byte[] data) throws YztException;

    static native long sealSignatureSeal(long sig) throws YztException;

    static native long sealSignatureTime(long sig) throws YztException;

    static native byte[] sealSignatureSignerCert(long sig) throws YztException;

    static native int sealSignatureFree(long sig);

    static native long sealVerify(
            long seal, long at, long[] anchors, long[] intermediates, long[] crls)
            throws YztException;

    static native long sealSignatureVerify(
            long sig, byte[] document, long[] anchors, long[] intermediates, long[] crls)
            throws YztException;

    static native boolean reportValid(long report) throws YztException;

    static native int reportSteps(long report) throws YztException;

    static native int reportStepStatus(long report, int index) throws YztException;

    static native String reportStepName(long report, int index) throws YztException;

    static native String reportStepDetail(long report, int index) throws YztException;

    static native byte[] reportJson(long report) throws YztException;

    static native int reportFree(long report);

    // QR authorisation: challenges, the store, the verifier, verifications
    static native long qrChallengeDecode(byte[] text) throws YztException;

    static native boolean qrChallengeVerify(long challenge, long platformKey)
            throws YztException;

    static native String qrChallengeText(long challenge, int field) throws YztException;

    static native long qrChallengeInt(long challenge, int field) throws YztException;

    static native String qrChallengeSvg(long challenge) throws YztException;

    static native int qrChallengeFree(long challenge);

    static native long qrStoreNew() throws YztException;

    static native void qrStoreSetQuota(
            long store, byte[] holder, byte[] platform, int institution, long uses)
            throws YztException;

    static native long qrStoreQuota(long store, byte[] holder, byte[] platform, int institution)
            throws YztException;

    static native byte[] qrStoreRecordsJson(long store) throws YztException;

    static native int qrStoreFree(long store);

    static native String qrHolder(long cert) throws YztException;

    static native long qrVerifierNew(
            byte[] platformCode,
            byte[] platformName,
            byte[] callbackHost,
            long platformKey,
            long[] anchors,
            long[] intermediates,
            long[] crls,
            int lifetimeSecs,
            long store)
            throws YztException;

    static native long qrVerifierIssue(long verifier, int action, byte[] data, long now)
            throws YztException;

    static native long qrVerifierVerify(long verifier, byte[] response, long now)
            throws YztException;

    static native int qrVerifierFree(long verifier);

    static native boolean qrVerificationAccepted(long verification) throws YztException;

    static native int qrVerificationReason(long verification) throws YztException;

    static native String qrVerificationText(long verification, int field) throws YztException;

    static native long qrVerificationRemaining(long verification) throws YztException;

    static native long qrVerificationCertificate(long verification) throws YztException;

    static native byte[] qrVerificationOutcome(long verification) throws YztException;

    static native int qrVerificationOutcomeAction(long verification) throws YztException;

    static native int qrVerificationFree(long verification);

    // QR authorisation: the app's side
    static native long qrRegistryNew() throws YztException;

    static native void qrRegistryAdd(
            long registry, byte[] code, byte[] name, long certificate, byte[][] hosts)
            throws YztException;

    static native int qrRegistryFree(long registry);

    static native long qrScan(byte[] text, long registry, long now) throws YztException;

    static native String qrScanText(long scan, int field) throws YztException;

    static native long qrScanChallenge(long scan) throws YztException;

    static native int qrScanFree(long scan);

    static native byte[] qrRespond(
            long scan,
            byte[] member,
            byte[] enterprise,
            long signingCert,
            long signingKey,
            long encryptionCert,
            long encryptionKey,
            byte[] data,
            long seal,
            byte[] property,
            boolean gmt0010,
            long now)
            throws YztException;
}
