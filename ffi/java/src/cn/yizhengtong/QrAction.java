package cn.yizhengtong;

/**
 * What a QR authorisation asks the user to do. The codes are the wire codes, the C header's
 * {@code YZT_QR_LOGIN} ... {@code YZT_QR_MSG_SIGN}.
 */
public enum QrAction implements Coded {
    /** Log in (授权登录). */
    LOGIN(1),
    /** Stamp a document with a seal (授权签章). */
    SEAL(2),
    /** Hand over the encryption certificate (授权加密). */
    ENCRYPT(3),
    /** Decrypt a document key (授权解密). */
    DECRYPT(4),
    /** Sign a file (授权文件签名). */
    FILE_SIGN(5),
    /** Sign a message (授权消息签名). */
    MSG_SIGN(6);

    private final int code;

    QrAction(int code) {
        this.code = code;
    }

    /**
     * The wire code.
     *
     * @return the code
     */
    @Override
    public int code() {
        return code;
    }

    /**
     * The action with this wire code.
     *
     * @param code a code
     * @return the action, or null when no action has it
     */
    public static QrAction fromCode(int code) {
        for (QrAction a : values()) {
            if (a.code == code) {
                return a;
            }
        }
        return null;
    }
}
