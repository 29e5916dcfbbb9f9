package cn.yizhengtong;

/**
 * SM4 in ECB, CBC, CTR, GCM and CCM.
 *
 * <p>The IV: none for ECB ({@code null} or empty), 16 bytes for CBC and CTR, a 12-byte nonce
 * for GCM and CCM. The AAD: GCM and CCM only ({@code null} for none). Padding: {@link
 * Sm4Padding#PKCS7} or {@link Sm4Padding#NONE} for ECB and CBC, {@link Sm4Padding#NONE} for the
 * others. GCM and CCM output ciphertext || 16-byte tag.
 */
public final class Sm4 {
    private Sm4() {}

    /**
     * Encrypts.
     *
     * @param mode the mode
     * @param key the 16-byte key
     * @param iv the IV or nonce, or null
     * @param aad the additional data (GCM, CCM), or null
     * @param padding the padding
     * @param data the plaintext
     * @return the ciphertext
     * @throws YztException {@link ResultCode#INVALID_LENGTH} for a key or IV of the wrong
     *     length, {@link ResultCode#INVALID_ARGUMENT} for an argument the mode does not take
     */
    public static byte[] encrypt(
            Sm4Mode mode, byte[] key, byte[] iv, byte[] aad, Sm4Padding padding, byte[] data)
            throws YztException {
        return Native.sm4(
                true, Coded.of(mode, "mode"), key, iv, aad, Coded.of(padding, "padding"), data);
    }

    /**
     * Decrypts (the returned array holds the plaintext: overwrite it when done).
     *
     * @param mode the mode
     * @param key the 16-byte key
     * @param iv the IV or nonce, or null
     * @param aad the additional data (GCM, CCM), or null
     * @param padding the padding
     * @param data the ciphertext (with the tag for GCM and CCM)
     * @return the plaintext
     * @throws YztException {@link ResultCode#INVALID_PADDING}, {@link
     *     ResultCode#AUTHENTICATION_FAILED} for a wrong GCM/CCM tag, and as {@link #encrypt}
     */
    public static byte[] decrypt(
            Sm4Mode mode, byte[] key, byte[] iv, byte[] aad, Sm4Padding padding, byte[] data)
            throws YztException {
        return Native.sm4(
                false, Coded.of(mode, "mode"), key, iv, aad, Coded.of(padding, "padding"), data);
    }
}
