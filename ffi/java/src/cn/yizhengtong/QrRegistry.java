package cn.yizhengtong;

import java.util.List;

/**
 * The app's list of the platforms it recognises (never taken from a QR code). Thread-safe.
 */
public final class QrRegistry extends NativeHandle {
    /**
     * A new, empty registry.
     *
     * @throws YztException if the library fails
     */
    public QrRegistry() throws YztException {
        super(Native.qrRegistryNew(), Native::qrRegistryFree);
    }

    /**
     * Adds (or replaces) a platform.
     *
     * @param code its system code
     * @param name the name the phone shows: 1 to 64 characters, without control, bidirectional
     *     or invisible characters, without white space at either end
     * @param certificate the certificate whose key signs its challenges (copied)
     * @param hosts the hosts the app may submit responses to: 1 to 1024, each a plain {@code
     *     host[:port]} (a DNS name, IPv4 or {@code [IPv6]}, port 1 to 65535; no scheme, user
     *     information, path or white space)
     * @throws YztException {@link ResultCode#INVALID_ARGUMENT} for no hosts, {@link
     *     ResultCode#INVALID_PARAMETER} for a bad code, name or host
     */
    public void add(String code, String name, Certificate certificate, List<String> hosts)
            throws YztException {
        byte[] c = Text.utf8(code, "code");
        byte[] n = Text.utf8(name, "name");
        byte[][] hs = null;
        if (hosts != null) {
            hs = new byte[hosts.size()][];
            for (int i = 0; i < hs.length; i++) {
                hs[i] = Text.utf8(hosts.get(i), "hosts[" + i + "]");
            }
        }
        try (Held held = new Held()) {
            Native.qrRegistryAdd(held.hold(this), c, n, held.hold(certificate), hs);
        }
    }
}
