package cn.yizhengtong;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Java binding's test: every wrapped function through success and refusal, bad input at
 * the boundary (null, empty and over-long arrays, codes outside the enums through the int path
 * of the package-private natives, wrong handle types, invalid UTF-8), use after close, threads
 * sharing objects, the constants against the C header, and signatures exchanged with the CLI.
 * A plain main (no JUnit), run by ffi/tests/run-java-tests.sh.
 *
 * <p>Usage: {@code java -Djava.library.path=DIR cn.yizhengtong.TestYzt VECTORS FIXTURES HEADER
 * YZT}. Prints "N passed, N failed" last; exits 1 when anything failed.
 */
public final class TestYzt {
    private TestYzt() {}

    private static int passed;
    private static int failed;
    private static Path vectors;
    private static Path fixtures;
    private static Path header;
    private static Path yzt;

    private static final byte[] MSG = "bid document".getBytes(StandardCharsets.UTF_8);

    @FunctionalInterface
    interface Call<T> {
        T run() throws Exception;
    }

    @FunctionalInterface
    interface VoidCall {
        void run() throws Exception;
    }

    private static String where() {
        for (StackTraceElement e : new Throwable().getStackTrace()) {
            if (e.getClassName().equals(TestYzt.class.getName())
                    && !e.getMethodName().equals("where")
                    && !e.getMethodName().equals("fail")
                    && !e.getMethodName().equals("check")
                    && !e.getMethodName().equals("ok")
                    && !e.getMethodName().equals("okv")
                    && !e.getMethodName().equals("code")
                    && !e.getMethodName().equals("codev")) {
                return "TestYzt.java:" + e.getLineNumber();
            }
        }
        return "?";
    }

    private static void fail(String what) {
        failed++;
        System.err.println("FAIL " + where() + ": " + what);
    }

    static void check(boolean cond, String what) {
        if (cond) {
            passed++;
        } else {
            fail(what);
        }
    }

    /** Runs {@code c}, which must succeed; returns its value (null when it failed). */
    static <T> T ok(String what, Call<T> c) {
        try {
            T v = c.run();
            passed++;
            return v;
        } catch (Exception e) {
            fail(what + " threw " + e);
            return null;
        }
    }

    static void okv(String what, VoidCall c) {
        ok(what, () -> {
            c.run();
            return null;
        });
    }

    /** Runs {@code c}, which must throw a YztException with code {@code want}. */
    static YztException code(int want, String what, Call<?> c) {
        try {
            Object v = c.run();
            fail(what + " returned " + v + ", expected " + ResultCode.name(want));
        } catch (YztException e) {
            if (e.code() == want) {
                passed++;
                if (e.getMessage() == null || e.getMessage().isEmpty()) {
                    fail(what + ": an exception without a message");
                }
                return e;
            }
            fail(what + " threw " + e + ", expected " + ResultCode.name(want));
        } catch (Exception e) {
            fail(what + " threw " + e + ", expected " + ResultCode.name(want));
        }
        return null;
    }

    static YztException codev(int want, String what, VoidCall c) {
        return code(want, what, () -> {
            c.run();
            return "normally";
        });
    }

    private static byte[] read(Path dir, String name) throws IOException {
        return Files.readAllBytes(dir.resolve(name));
    }

    private static String hex(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xff));
        }
        return s.toString();
    }

    /** {@code s} quoted, with everything outside printable ASCII as a \\u escape (for test names). */
    private static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch >= 0x20 && ch < 0x7f) {
                b.append(ch);
            } else {
                b.append(String.format("\\u%04x", (int) ch));
            }
        }
        return b.append('"').toString();
    }

    private static byte[] unhex(String s) {
        byte[] b = new byte[s.length() / 2];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return b;
    }

    // ---- conventions ------------------------------------------------------------------

    static void testConventions() throws Exception {
        String m = ok("message", () -> ResultCode.message(ResultCode.SIGNATURE_MISMATCH));
        check(m != null && m.contains("signature"), "SIGNATURE_MISMATCH message: " + m);
        code(ResultCode.UNKNOWN_VALUE, "message(12345)", () -> ResultCode.message(12345));
        code(ResultCode.UNKNOWN_VALUE, "message(-1)", () -> ResultCode.message(-1));
        for (int c : ResultCode.all().keySet()) {
            ok("message(" + c + ")", () -> ResultCode.message(c));
        }
        // the Java constants are exactly the library's codes
        Set<Integer> lib = new TreeSet<>();
        for (int c : Native.resultCodes()) {
            lib.add(c);
        }
        check(lib.equals(ResultCode.all().keySet()), "ResultCode constants != library codes");
        check(ResultCode.name(ResultCode.WRONG_PIN).equals("WRONG_PIN"), "name(WRONG_PIN)");
        check(ResultCode.name(777).equals("777"), "name(777)");
        check(Yzt.version().matches("\\d+\\.\\d+\\.\\d+.*"), "version " + Yzt.version());
        check(Arrays.equals(Yzt.defaultUserId(), "1234567812345678".getBytes()), "default ID");

        // the panic boundary: a Java exception, the JVM carries on
        YztException e = code(ResultCode.PANIC, "selftestPanic", () -> {
            Yzt.selftestPanic();
            return null;
        });
        check(e != null && e.getMessage().contains("panic"), "panic message");
        check(e != null && e.toString().contains("PANIC (5)"), "toString: " + e);
        code(ResultCode.PANIC, "selftestPanic again", () -> {
            Yzt.selftestPanic();
            return null;
        });
        ok("a call after the panics", () -> Sm3.digest(MSG));
    }

    /** Every Java constant against the header cbindgen generates from the Rust constants. */
    static void testHeader() throws Exception {
        Map<String, Long> defs = new HashMap<>();
        Pattern p = Pattern.compile("^#define (YZT_\\w+) (.+)$");
        Pattern shift = Pattern.compile("\\((\\d+) << (\\d+)\\)");
        for (String line : Files.readAllLines(header, StandardCharsets.UTF_8)) {
            Matcher mm = p.matcher(line.trim());
            if (!mm.matches()) {
                continue;
            }
            String v = mm.group(2).trim();
            Matcher s = shift.matcher(v);
            if (s.matches()) {
                defs.put(mm.group(1), Long.parseLong(s.group(1)) << Integer.parseInt(s.group(2)));
            } else if (v.matches("-?\\d+")) {
                defs.put(mm.group(1), Long.parseLong(v));
            }
        }
        check(defs.size() > 100, "header constants read: " + defs.size());
        for (Map.Entry<Integer, String> c : ResultCode.all().entrySet()) {
            Long h = defs.get("YZT_" + c.getValue());
            check(h != null && h.longValue() == c.getKey(), "ResultCode." + c.getValue() + " vs header " + h);
        }
        Map<Class<? extends Enum<?>>, String> enums = new HashMap<>();
        enums.put(SignatureFormat.class, "YZT_SIG_");
        enums.put(CiphertextFormat.class, "YZT_CT_");
        enums.put(KeyFormat.class, "YZT_KEY_");
        enums.put(PublicKeyFormat.class, "YZT_PUB_");
        enums.put(Pbes2Scheme.class, "YZT_PBES2_");
        enums.put(Sm4Mode.class, "YZT_SM4_");
        enums.put(Sm4Padding.class, "YZT_PAD_");
        enums.put(KeyUse.class, "YZT_USE_");
        enums.put(CertCheck.class, "YZT_CHECK_");
        enums.put(StepStatus.class, "YZT_STEP_");
        enums.put(QrAction.class, "YZT_QR_");
        enums.put(QrInstitution.class, "YZT_QR_INSTITUTION_");
        Set<String> resultNames = new TreeSet<>(ResultCode.all().values());
        for (Map.Entry<Class<? extends Enum<?>>, String> en : enums.entrySet()) {
            String prefix = en.getValue();
            Set<String> java = new TreeSet<>();
            for (Enum<?> v : en.getKey().getEnumConstants()) {
                java.add(v.name());
                Long h = defs.get(prefix + v.name());
                int jc = ((Coded) v).code();
                check(h != null && h == jc, en.getKey().getSimpleName() + "." + v + " vs " + h);
            }
            // and every header constant of that family has a Java value (YZT_QR_ names many
            // families; its actions are checked one way only)
            for (String d : en.getKey() == QrAction.class ? Collections.<String>emptySet() : defs.keySet()) {
                String rest = d.substring(4);
                if (d.startsWith(prefix) && !resultNames.contains(rest)) {
                    check(java.contains(d.substring(prefix.length())), "no Java value for " + d);
                }
            }
        }
        constantsOf(KeyUsage.class, "YZT_KU_", n -> n, defs);
        constantsOf(Certificate.class, "YZT_CERT_", n -> n, defs);
        constantsOf(Seal.class, "YZT_SEAL_", n -> n.replaceFirst("^(TEXT|INT|BYTES)_", ""), defs);
        constantsOf(QrChallenge.class, "YZT_QR_", n -> n.replaceFirst("^INT_", ""), defs);
        constantsOf(QrVerification.class, "YZT_QR_", n -> n, defs);
        constantsOf(QrScan.class, "YZT_QR_", n -> n, defs);
        check(defs.get("YZT_MAX_USER_ID_LEN") == Yzt.MAX_USER_ID_LEN, "MAX_USER_ID_LEN");
        check(defs.get("YZT_SIGNATURE_MAX_LEN") == Yzt.SIGNATURE_MAX_LEN, "SIGNATURE_MAX_LEN");
        check(defs.get("YZT_SM3_LEN") == Yzt.SM3_LEN, "SM3_LEN");
    }

    private static void constantsOf(
            Class<?> cls,
            String prefix,
            java.util.function.UnaryOperator<String> rename,
            Map<String, Long> defs)
            throws IllegalAccessException {
        int n = 0;
        for (Field f : cls.getDeclaredFields()) {
            int mod = f.getModifiers();
            if (f.getType() != int.class || !Modifier.isStatic(mod) || !Modifier.isFinal(mod)) {
                continue;
            }
            f.setAccessible(true);
            Long h = defs.get(prefix + rename.apply(f.getName()));
            check(h != null && h == f.getInt(null), cls.getSimpleName() + "." + f.getName());
            n++;
        }
        check(n > 0, "constants of " + cls.getSimpleName());
    }

    // ---- keys ---------------------------------------------------------------------------

    static void testKeys() throws Exception {
        try (PrivateKey key = PrivateKey.generate()) {
            for (KeyFormat f : KeyFormat.values()) {
                byte[] data = ok("export " + f, () -> key.export(f));
                try (PrivateKey again = PrivateKey.fromBytes(data)) {
                    check(Arrays.equals(again.export(f), data), "round trip " + f);
                }
            }
            code(ResultCode.MALFORMED, "import junk", () -> PrivateKey.fromBytes("junk".getBytes()));
            code(ResultCode.MALFORMED, "import empty", () -> PrivateKey.fromBytes(new byte[0]));
            code(ResultCode.NULL_POINTER, "import null", () -> PrivateKey.fromBytes(null));
            code(ResultCode.NULL_POINTER, "export null format", () -> key.export(null));

            byte[] pw = "correct horse".getBytes(StandardCharsets.UTF_8);
            int i = 0;
            for (Pbes2Scheme s : Pbes2Scheme.values()) {
                boolean pem = i++ % 2 == 1;
                byte[] enc = ok("export encrypted " + s, () -> key.exportEncrypted(pw, s, 1000, pem));
                try (PrivateKey opened = PrivateKey.fromEncrypted(enc, pw)) {
                    check(
                            Arrays.equals(
                                    opened.export(KeyFormat.PKCS8_DER),
                                    key.export(KeyFormat.PKCS8_DER)),
                            "encrypted round trip " + s);
                }
                code(
                        ResultCode.WRONG_PASSWORD,
                        "wrong password",
                        () -> PrivateKey.fromEncrypted(enc, "wrong".getBytes()));
                if (pem) {
                    code(
                            ResultCode.INVALID_PARAMETER,
                            "encrypted PEM without a password",
                            () -> PrivateKey.fromBytes(enc));
                }
            }
            code(
                    ResultCode.INVALID_PARAMETER,
                    "10 iterations",
                    () -> key.exportEncrypted(pw, Pbes2Scheme.SM4_HMAC_SM3, 10, true));
            code(
                    ResultCode.INVALID_ARGUMENT,
                    "negative iterations",
                    () -> key.exportEncrypted(pw, Pbes2Scheme.SM4_HMAC_SM3, -1, true));
            code(
                    ResultCode.NULL_POINTER,
                    "null password",
                    () -> key.exportEncrypted(null, Pbes2Scheme.SM4_HMAC_SM3, 1000, true));
            code(
                    ResultCode.NULL_POINTER,
                    "null scheme",
                    () -> key.exportEncrypted(pw, null, 1000, true));
            code(
                    ResultCode.NULL_POINTER,
                    "null encrypted data",
                    () -> PrivateKey.fromEncrypted(null, pw));

            try (PublicKey pub = key.publicKey()) {
                for (PublicKeyFormat f : PublicKeyFormat.values()) {
                    byte[] data = ok("export " + f, () -> pub.export(f));
                    if (f == PublicKeyFormat.POINT) {
                        check(data.length == 65 && data[0] == 4, "uncompressed point");
                    }
                    if (f == PublicKeyFormat.POINT_COMPRESSED) {
                        check(data.length == 33, "compressed point");
                    }
                    try (PublicKey again = PublicKey.fromBytes(data)) {
                        check(
                                Arrays.equals(again.export(f), data),
                                "public round trip " + f);
                    }
                }
                byte[] bad = new byte[65];
                Arrays.fill(bad, (byte) 1);
                bad[0] = 4;
                code(ResultCode.POINT_NOT_ON_CURVE, "off the curve", () -> PublicKey.fromBytes(bad));
                code(ResultCode.MALFORMED, "empty public", () -> PublicKey.fromBytes(new byte[0]));
                code(ResultCode.NULL_POINTER, "null public", () -> PublicKey.fromBytes(null));
                code(ResultCode.NULL_POINTER, "null public format", () -> pub.export(null));

                // the int path: codes outside the enums, through the natives
                long kh = key.acquire();
                long ph = pub.acquire();
                try {
                    code(ResultCode.UNKNOWN_VALUE, "key format 77", () -> Native.privateKeyExport(kh, 77));
                    code(ResultCode.UNKNOWN_VALUE, "pub format -3", () -> Native.publicKeyExport(ph, -3));
                    code(
                            ResultCode.UNKNOWN_VALUE,
                            "scheme 9",
                            () -> Native.privateKeyExportEncrypted(kh, pw, 9, 1000, true));
                    // wrong handle types are detected; nothing is freed
                    code(ResultCode.WRONG_HANDLE, "pub as key", () -> Native.privateKeyExport(ph, 0));
                    code(ResultCode.WRONG_HANDLE, "key as pub", () -> Native.publicKeyExport(kh, 0));
                    check(Native.publicKeyFree(kh) == ResultCode.WRONG_HANDLE, "free key as pub");
                    check(Native.privateKeyFree(ph) == ResultCode.WRONG_HANDLE, "free pub as key");
                    code(ResultCode.NULL_POINTER, "handle 0", () -> Native.privateKeyExport(0, 0));
                    check(Native.privateKeyFree(0) == ResultCode.OK, "free 0");
                } finally {
                    pub.release();
                    key.release();
                }
                check(key.export(KeyFormat.PKCS8_PEM).length > 0, "key alive after refusals");
                check(pub.export(PublicKeyFormat.POINT).length == 65, "pub alive");
            }
        }
    }

    // ---- signatures -------------------------------------------------------------------

    static void testSign() throws Exception {
        byte[] id = "alice@example".getBytes(StandardCharsets.UTF_8);
        try (PrivateKey key = PrivateKey.generate();
                PublicKey pub = key.publicKey();
                PrivateKey okey = PrivateKey.generate();
                PublicKey other = okey.publicKey()) {
            byte[] sig = ok("sign", () -> key.sign(MSG));
            check(sig.length > 64 && sig.length <= Yzt.SIGNATURE_MAX_LEN && sig[0] == 0x30, "DER");
            check(ok("verify", () -> pub.verify(MSG, sig)) == Boolean.TRUE, "verifies");
            check(
                    ok(
                            "verify explicit ID",
                            () -> pub.verify(Yzt.defaultUserId(), MSG, sig, SignatureFormat.DER))
                            == Boolean.TRUE,
                    "default ID spelt out");
            check(ok("tampered", () -> pub.verify("tampered".getBytes(), sig)) == Boolean.FALSE, "tampered is false");
            check(ok("other key", () -> other.verify(MSG, sig)) == Boolean.FALSE, "other key is false");
            check(
                    ok("other ID", () -> pub.verify(id, MSG, sig, SignatureFormat.DER)) == Boolean.FALSE,
                    "other ID is false");
            check(
                    ok("empty ID", () -> pub.verify(new byte[0], MSG, sig, SignatureFormat.DER))
                            == Boolean.FALSE,
                    "an empty ID is not the default");
            code(
                    ResultCode.INVALID_LENGTH,
                    "DER as raw",
                    () -> pub.verify(null, MSG, sig, SignatureFormat.RAW));
            code(
                    ResultCode.MALFORMED,
                    "truncated DER",
                    () -> pub.verify(null, MSG, Arrays.copyOf(sig, sig.length - 1), SignatureFormat.DER));
            code(ResultCode.MALFORMED, "empty signature", () -> pub.verify(MSG, new byte[0]));
            code(ResultCode.NULL_POINTER, "null signature", () -> pub.verify(MSG, null));
            code(ResultCode.NULL_POINTER, "null message", () -> pub.verify(null, sig));
            code(ResultCode.NULL_POINTER, "null format", () -> pub.verify(null, MSG, sig, null));

            byte[] raw = ok("sign raw", () -> key.sign(id, MSG, SignatureFormat.RAW));
            check(raw.length == 64, "raw is 64 bytes");
            check(ok("verify raw", () -> pub.verify(id, MSG, raw, SignatureFormat.RAW)) == Boolean.TRUE, "raw verifies");
            check(ok("detect raw", () -> pub.verify(id, MSG, raw, SignatureFormat.DETECT)) == Boolean.TRUE, "detect");
            code(
                    ResultCode.SIGNATURE_OUT_OF_RANGE,
                    "zero signature",
                    () -> pub.verify(null, MSG, new byte[64], SignatureFormat.RAW));
            code(ResultCode.UNKNOWN_VALUE, "sign DETECT", () -> key.sign(null, MSG, SignatureFormat.DETECT));
            code(ResultCode.NULL_POINTER, "sign null message", () -> key.sign(null));
            code(ResultCode.NULL_POINTER, "sign null format", () -> key.sign(null, MSG, null));

            // empty and long inputs
            byte[] esig = ok("sign empty message", () -> key.sign(new byte[0]));
            check(ok("verify empty message", () -> pub.verify(new byte[0], esig)) == Boolean.TRUE, "empty message");
            byte[] big = new byte[16 << 20];
            big[big.length - 1] = 1;
            byte[] bsig = ok("sign 16 MiB", () -> key.sign(big));
            check(ok("verify 16 MiB", () -> pub.verify(big, bsig)) == Boolean.TRUE, "16 MiB message");
            byte[] maxId = new byte[Yzt.MAX_USER_ID_LEN];
            byte[] msig = ok("8191-byte ID", () -> key.sign(maxId, MSG, SignatureFormat.DER));
            check(ok("verify 8191-byte ID", () -> pub.verify(maxId, MSG, msig, SignatureFormat.DER)) == Boolean.TRUE, "max ID");
            byte[] longId = new byte[Yzt.MAX_USER_ID_LEN + 1];
            code(ResultCode.USER_ID_TOO_LONG, "8192-byte ID", () -> key.sign(longId, MSG, SignatureFormat.DER));
            code(ResultCode.USER_ID_TOO_LONG, "verify 8192-byte ID", () -> pub.verify(longId, MSG, sig, SignatureFormat.DER));
            code(ResultCode.USER_ID_TOO_LONG, "verifier 8192-byte ID", () -> pub.verifier(longId));

            // digests
            byte[] digest = ok("digest", () -> pub.messageDigest(null, MSG));
            check(digest.length == 32, "digest is 32 bytes");
            byte[] dsig = ok("sign digest", () -> key.signDigest(digest, SignatureFormat.DER));
            check(ok("digest sig verifies as message", () -> pub.verify(MSG, dsig)) == Boolean.TRUE, "digest sig");
            check(ok("verify digest", () -> pub.verifyDigest(digest, dsig, SignatureFormat.DER)) == Boolean.TRUE, "verify digest");
            byte[] flipped = digest.clone();
            flipped[0] ^= 1;
            check(ok("flipped digest", () -> pub.verifyDigest(flipped, dsig, SignatureFormat.DER)) == Boolean.FALSE, "flipped");
            code(ResultCode.INVALID_LENGTH, "31-byte digest", () -> key.signDigest(Arrays.copyOf(digest, 31), SignatureFormat.DER));
            code(ResultCode.INVALID_LENGTH, "33-byte digest", () -> pub.verifyDigest(Arrays.copyOf(digest, 33), dsig, SignatureFormat.DER));
            code(ResultCode.NULL_POINTER, "null digest", () -> key.signDigest(null, SignatureFormat.DER));
            code(ResultCode.USER_ID_TOO_LONG, "digest 8192-byte ID", () -> pub.messageDigest(longId, MSG));
            code(ResultCode.NULL_POINTER, "digest null message", () -> pub.messageDigest(null, null));
            code(ResultCode.NULL_POINTER, "verify null digest", () -> pub.verifyDigest(null, dsig, SignatureFormat.DER));

            // the prepared verifier
            byte[] isig = key.sign(id, MSG, SignatureFormat.DER);
            try (Verifier v = ok("verifier", () -> pub.verifier(id))) {
                check(ok("verifier verify", () -> v.verify(MSG, isig)) == Boolean.TRUE, "verifier true");
                check(
                        ok("verifier mismatch", () -> v.verify(Arrays.copyOf(MSG, MSG.length - 1), isig))
                                == Boolean.FALSE,
                        "verifier false");
                code(ResultCode.MALFORMED, "verifier empty sig", () -> v.verify(MSG, new byte[0]));
                code(ResultCode.NULL_POINTER, "verifier null msg", () -> v.verify(null, isig));
                long vh = v.acquire();
                long ph = pub.acquire();
                try {
                    code(ResultCode.UNKNOWN_VALUE, "verifier format 42", () -> Native.verifierVerify(vh, MSG, isig, 42));
                    code(ResultCode.WRONG_HANDLE, "pub as verifier", () -> Native.verifierVerify(ph, MSG, isig, 0));
                    code(ResultCode.WRONG_HANDLE, "verifier as pub", () -> Native.verify(vh, null, MSG, isig, 0));
                    code(ResultCode.UNKNOWN_VALUE, "verify format -1", () -> Native.verify(ph, null, MSG, isig, -1));
                    code(ResultCode.UNKNOWN_VALUE, "sign format 5", () -> {
                        long kh = key.acquire();
                        try {
                            return Native.sign(kh, null, MSG, 5);
                        } finally {
                            key.release();
                        }
                    });
                    code(ResultCode.NULL_POINTER, "verifierNew(0)", () -> Native.verifierNew(0, null));
                } finally {
                    pub.release();
                    v.release();
                }
            }
        }
    }

    // ---- encryption ---------------------------------------------------------------------

    static void testEncrypt() throws Exception {
        try (PrivateKey key = PrivateKey.generate();
                PrivateKey okey = PrivateKey.generate();
                PublicKey pub = key.publicKey()) {
            for (CiphertextFormat f : CiphertextFormat.values()) {
                if (f == CiphertextFormat.DETECT) {
                    code(ResultCode.UNKNOWN_VALUE, "encrypt DETECT", () -> pub.encrypt(MSG, f));
                    continue;
                }
                byte[] ct = ok("encrypt " + f, () -> pub.encrypt(MSG, f));
                check(Arrays.equals(ok("decrypt " + f, () -> key.decrypt(ct, f)), MSG), "round trip " + f);
                check(Arrays.equals(ok("detect " + f, () -> key.decrypt(ct, CiphertextFormat.DETECT)), MSG), "detect " + f);
                code(ResultCode.DECRYPTION_FAILED, "other key " + f, () -> okey.decrypt(ct, f));
            }
            code(ResultCode.EMPTY_PLAINTEXT, "empty plaintext", () -> pub.encrypt(new byte[0], CiphertextFormat.ASN1));
            code(ResultCode.INVALID_LENGTH, "short ciphertext", () -> key.decrypt(MSG, CiphertextFormat.DETECT));
            code(ResultCode.NULL_POINTER, "null plaintext", () -> pub.encrypt(null, CiphertextFormat.ASN1));
            code(ResultCode.NULL_POINTER, "null ciphertext", () -> key.decrypt(null, CiphertextFormat.ASN1));
            long kh = key.acquire();
            long ph = pub.acquire();
            try {
                code(ResultCode.UNKNOWN_VALUE, "decrypt format 99", () -> Native.decrypt(kh, MSG, 99));
                code(ResultCode.UNKNOWN_VALUE, "encrypt format 5", () -> Native.encrypt(ph, MSG, 5));
                code(ResultCode.WRONG_HANDLE, "pub decrypts", () -> Native.decrypt(ph, MSG, 0));
            } finally {
                pub.release();
                key.release();
            }
        }
    }

    // ---- hashes -------------------------------------------------------------------------

    static void testHash() throws Exception {
        String abc = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0";
        String empty = "1ab21d8355cfa17f8e61194831e81a8f22bec8c728fefb747ed035eb5082aa2b";
        check(hex(ok("sm3 abc", () -> Sm3.digest("abc".getBytes()))).equals(abc), "SM3(abc)");
        check(hex(ok("sm3 empty", () -> Sm3.digest(new byte[0]))).equals(empty), "SM3()");
        code(ResultCode.NULL_POINTER, "sm3 null", () -> Sm3.digest(null));
        try (Sm3 h = new Sm3()) {
            okv("update a", () -> h.update("a".getBytes()));
            okv("update bc", () -> h.update("bc".getBytes()));
            check(hex(ok("finish", h::finish)).equals(abc), "streaming SM3(abc)");
            // finish resets
            okv("update abc", () -> h.update("abc".getBytes()));
            check(hex(ok("finish again", h::finish)).equals(abc), "reset after finish");
            check(hex(ok("finish empty", h::finish)).equals(empty), "empty after reset");
            codev(ResultCode.NULL_POINTER, "update null", () -> h.update(null));
            try (PrivateKey notSm3 = PrivateKey.generate()) {
                long kh = notSm3.acquire();
                try {
                    codev(ResultCode.WRONG_HANDLE, "key as sm3", () -> Native.sm3Update(kh, MSG));
                    check(Native.sm3Free(kh) == ResultCode.WRONG_HANDLE, "free key as sm3");
                } finally {
                    notSm3.release();
                }
            }
        }

        byte[] key = "key".getBytes();
        byte[] tag = ok("hmac", () -> Sm3.hmac(key, MSG));
        check(tag.length == 32, "tag length");
        check(ok("hmac verify", () -> Sm3.hmacVerify(key, MSG, tag)) == Boolean.TRUE, "hmac true");
        byte[] bad = tag.clone();
        bad[31] ^= 1;
        check(ok("hmac wrong", () -> Sm3.hmacVerify(key, MSG, bad)) == Boolean.FALSE, "hmac false");
        check(ok("hmac truncated", () -> Sm3.hmacVerify(key, MSG, Arrays.copyOf(bad, 31))) == Boolean.TRUE, "truncated tag");
        code(ResultCode.INVALID_LENGTH, "15-byte tag", () -> Sm3.hmacVerify(key, MSG, Arrays.copyOf(tag, 15)));
        code(ResultCode.NULL_POINTER, "hmac null key", () -> Sm3.hmac(null, MSG));
        code(ResultCode.NULL_POINTER, "hmac verify null tag", () -> Sm3.hmacVerify(key, MSG, null));
        code(ResultCode.INVALID_LENGTH, "hmac verify empty tag", () -> Sm3.hmacVerify(key, MSG, new byte[0]));
        check(ok("hmac empty key", () -> Sm3.hmac(new byte[0], MSG)).length == 32, "empty HMAC key");

        byte[] dk = ok("pbkdf2", () -> Sm3.pbkdf2("pw".getBytes(), "salt".getBytes(), 10, 40));
        check(dk != null && dk.length == 40, "pbkdf2 length");
        code(ResultCode.INVALID_PARAMETER, "pbkdf2 0 iterations", () -> Sm3.pbkdf2("pw".getBytes(), new byte[0], 0, 40));
        code(ResultCode.INVALID_ARGUMENT, "pbkdf2 length 0", () -> Sm3.pbkdf2("pw".getBytes(), new byte[0], 1, 0));
        code(ResultCode.INVALID_ARGUMENT, "pbkdf2 length 1 MiB + 1", () -> Sm3.pbkdf2("pw".getBytes(), new byte[0], 1, (1 << 20) + 1));
        code(ResultCode.INVALID_ARGUMENT, "pbkdf2 length -1", () -> Sm3.pbkdf2("pw".getBytes(), new byte[0], 1, -1));
        code(ResultCode.INVALID_ARGUMENT, "pbkdf2 iterations -1", () -> Sm3.pbkdf2("pw".getBytes(), new byte[0], -1, 8));
        code(ResultCode.NULL_POINTER, "pbkdf2 null salt", () -> Sm3.pbkdf2("pw".getBytes(), null, 1, 8));
    }

    // ---- SM4 ----------------------------------------------------------------------------

    static void testSm4() throws Exception {
        byte[] key = unhex("0123456789abcdeffedcba9876543210");
        byte[] iv = new byte[16];
        byte[] nonce = new byte[12];
        nonce[0] = 1;
        byte[] aad = "header".getBytes();
        // GB/T 32907 example 1
        byte[] ex = ok("ECB example", () -> Sm4.encrypt(Sm4Mode.ECB, key, null, null, Sm4Padding.NONE, key));
        check(ex != null && hex(ex).equals("681edf34d206965e86b3e94f536e4246"), "GB/T 32907 example 1");

        Object[][] cases = {
            {Sm4Mode.ECB, Sm4Padding.PKCS7, null, null},
            {Sm4Mode.CBC, Sm4Padding.PKCS7, iv, null},
            {Sm4Mode.CBC, Sm4Padding.NONE, iv, null},
            {Sm4Mode.CTR, Sm4Padding.NONE, iv, null},
            {Sm4Mode.GCM, Sm4Padding.NONE, nonce, aad},
            {Sm4Mode.CCM, Sm4Padding.NONE, nonce, aad},
        };
        byte[] block = new byte[32];
        for (Object[] c : cases) {
            Sm4Mode mode = (Sm4Mode) c[0];
            Sm4Padding pad = (Sm4Padding) c[1];
            byte[] civ = (byte[]) c[2];
            byte[] caad = (byte[]) c[3];
            byte[] pt = pad == Sm4Padding.NONE && mode == Sm4Mode.CBC ? block : MSG;
            byte[] ct = ok("encrypt " + mode, () -> Sm4.encrypt(mode, key, civ, caad, pad, pt));
            check(
                    Arrays.equals(ok("decrypt " + mode, () -> Sm4.decrypt(mode, key, civ, caad, pad, ct)), pt),
                    "SM4 round trip " + mode + " " + pad);
        }
        code(ResultCode.INVALID_LENGTH, "15-byte key", () -> Sm4.encrypt(Sm4Mode.CBC, Arrays.copyOf(key, 15), iv, null, Sm4Padding.PKCS7, MSG));
        code(ResultCode.INVALID_LENGTH, "8-byte IV", () -> Sm4.encrypt(Sm4Mode.CBC, key, new byte[8], null, Sm4Padding.PKCS7, MSG));
        code(ResultCode.INVALID_LENGTH, "ECB no padding, partial block", () -> Sm4.encrypt(Sm4Mode.ECB, key, null, null, Sm4Padding.NONE, MSG));
        code(ResultCode.INVALID_ARGUMENT, "ECB with an IV", () -> Sm4.encrypt(Sm4Mode.ECB, key, iv, null, Sm4Padding.PKCS7, MSG));
        code(ResultCode.INVALID_ARGUMENT, "CBC with AAD", () -> Sm4.encrypt(Sm4Mode.CBC, key, iv, aad, Sm4Padding.PKCS7, MSG));
        code(ResultCode.INVALID_ARGUMENT, "GCM with padding", () -> Sm4.encrypt(Sm4Mode.GCM, key, nonce, null, Sm4Padding.PKCS7, MSG));
        code(ResultCode.NULL_POINTER, "null key", () -> Sm4.encrypt(Sm4Mode.CBC, null, iv, null, Sm4Padding.PKCS7, MSG));
        code(ResultCode.NULL_POINTER, "null data", () -> Sm4.encrypt(Sm4Mode.CBC, key, iv, null, Sm4Padding.PKCS7, null));
        code(ResultCode.NULL_POINTER, "null mode", () -> Sm4.encrypt(null, key, iv, null, Sm4Padding.PKCS7, MSG));
        code(ResultCode.NULL_POINTER, "null padding", () -> Sm4.encrypt(Sm4Mode.CBC, key, iv, null, null, MSG));
        code(ResultCode.UNKNOWN_VALUE, "mode 17", () -> Native.sm4(true, 17, key, iv, null, 0, MSG));
        code(ResultCode.UNKNOWN_VALUE, "padding 3", () -> Native.sm4(true, 1, key, iv, null, 3, MSG));
        byte[] ct = Sm4.encrypt(Sm4Mode.GCM, key, nonce, aad, Sm4Padding.NONE, MSG);
        code(ResultCode.AUTHENTICATION_FAILED, "GCM other AAD", () -> Sm4.decrypt(Sm4Mode.GCM, key, nonce, "he".getBytes(), Sm4Padding.NONE, ct));
        byte[] bad = ct.clone();
        bad[0] ^= 1;
        code(ResultCode.AUTHENTICATION_FAILED, "GCM tampered", () -> Sm4.decrypt(Sm4Mode.GCM, key, nonce, aad, Sm4Padding.NONE, bad));
        byte[] zero = Sm4.encrypt(Sm4Mode.CBC, key, iv, null, Sm4Padding.NONE, new byte[16]);
        code(ResultCode.INVALID_PADDING, "bad padding", () -> Sm4.decrypt(Sm4Mode.CBC, key, iv, null, Sm4Padding.PKCS7, zero));
        byte[] empty = ok("CBC empty", () -> Sm4.encrypt(Sm4Mode.CBC, key, iv, null, Sm4Padding.PKCS7, new byte[0]));
        check(empty != null && empty.length == 16, "empty input pads to one block");
    }

    // ---- the PIN container --------------------------------------------------------------

    static void testContainer() throws Exception {
        try (PrivateKey key = PrivateKey.generate()) {
            code(ResultCode.PIN_CONFIRMATION_MISMATCH, "confirmation", () -> Container.create(key, "123456", "123457", 1000, 3));
            code(ResultCode.PIN_FORMAT, "5 digits", () -> Container.create(key, "12345", "12345", 1000, 3));
            code(ResultCode.INVALID_PARAMETER, "10 iterations", () -> Container.create(key, "123456", "123456", 10, 3));
            code(ResultCode.INVALID_PARAMETER, "101 attempts", () -> Container.create(key, "123456", "123456", 1000, 101));
            code(ResultCode.INVALID_ARGUMENT, "negative attempts", () -> Container.create(key, "123456", "123456", 1000, -1));
            code(
                    ResultCode.INVALID_UTF8,
                    "not UTF-8",
                    () -> Container.create(key, new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xfd}, "123456".getBytes(), 1000, 3));
            code(ResultCode.INVALID_UTF8, "a lone surrogate", () -> Container.create(key, "12345\ud800", "12345\ud800", 1000, 3));
            code(ResultCode.NULL_POINTER, "null PIN", () -> Container.create(key, (String) null, "123456", 1000, 3));
            code(ResultCode.NULL_POINTER, "null key", () -> Container.create(null, "123456", "123456", 1000, 3));
            byte[] saved;
            try (Container c = ok("create", () -> Container.create(key, "123456", "123456", 1000, 3))) {
                check(ok("remaining", c::remainingAttempts) == 3, "3 attempts");
                try (PublicKey pub = c.publicKey(); PublicKey kp = key.publicKey()) {
                    check(Arrays.equals(pub.export(PublicKeyFormat.POINT), kp.export(PublicKeyFormat.POINT)), "container public key");
                }
                code(ResultCode.WRONG_PIN, "wrong PIN", () -> c.unlock("000000"));
                check(c.remainingAttempts() == 2, "2 left");
                code(ResultCode.PIN_FORMAT, "PIN abc", () -> c.unlock("abc"));
                code(ResultCode.INVALID_UTF8, "PIN not UTF-8", () -> c.unlock(new byte[] {(byte) 0xc3, 0x28}));
                code(ResultCode.NULL_POINTER, "null PIN", () -> c.unlock((byte[]) null));
                code(ResultCode.PIN_FORMAT, "empty PIN", () -> c.unlock(new byte[0]));
                check(c.remainingAttempts() == 2, "format errors do not count");
                try (PrivateKey opened = ok("unlock", () -> c.unlock("123456"))) {
                    check(Arrays.equals(opened.export(KeyFormat.PKCS8_DER), key.export(KeyFormat.PKCS8_DER)), "same key");
                }
                check(c.remainingAttempts() == 3, "reset");
                okv("change PIN", () -> c.changePin("123456", "654321", "654321"));
                codev(ResultCode.PIN_CONFIRMATION_MISMATCH, "change mismatch", () -> c.changePin("654321", "111111", "111112"));
                codev(ResultCode.WRONG_PIN, "change wrong", () -> c.changePin("123456", "111111", "111111"));
                codev(ResultCode.NULL_POINTER, "change null", () -> c.changePin((String) null, "111111", "111111"));
                saved = ok("toBytes", c::toBytes);
                try (Container c2 = ok("fromBytes", () -> Container.fromBytes(saved))) {
                    check(c2.remainingAttempts() == 2, "count carried along");
                    try (PrivateKey k2 = ok("unlock reloaded", () -> c2.unlock("654321"))) {
                        check(k2 != null, "reloaded key");
                    }
                }
                code(ResultCode.MALFORMED, "fromBytes shifted", () -> Container.fromBytes(Arrays.copyOfRange(saved, 1, saved.length)));
                code(ResultCode.MALFORMED, "fromBytes half", () -> Container.fromBytes(Arrays.copyOf(saved, saved.length / 2)));
                code(ResultCode.MALFORMED, "fromBytes empty", () -> Container.fromBytes(new byte[0]));
                code(ResultCode.NULL_POINTER, "fromBytes null", () -> Container.fromBytes(null));
                // lock it
                code(ResultCode.WRONG_PIN, "wrong 1", () -> c.unlock("000000"));
                code(ResultCode.WRONG_PIN, "wrong 2", () -> c.unlock("000000"));
                code(ResultCode.CONTAINER_LOCKED, "locked", () -> c.unlock("654321"));
                check(c.remainingAttempts() == 0, "0 left");
                long ch = c.acquire();
                long kh = key.acquire();
                try {
                    code(ResultCode.WRONG_HANDLE, "key as container", () -> Native.containerUnlock(kh, "654321".getBytes()));
                    code(ResultCode.WRONG_HANDLE, "container as key", () -> Native.containerCreate(ch, "123456".getBytes(), "123456".getBytes(), 1000, 3));
                    check(Native.containerFree(kh) == ResultCode.WRONG_HANDLE, "free key as container");
                } finally {
                    key.release();
                    c.release();
                }
            }
        }
    }

    // ---- certificates -------------------------------------------------------------------

    private static Certificate cert(Path dir, String name) throws Exception {
        return Certificate.parse(read(dir, name));
    }

    static void testCert() throws Exception {
        try (Certificate root = cert(vectors, "certs/nrcac_rootca.pem");
                Certificate ca = cert(vectors, "certs/sheca_sm2_ca.pem");
                Certificate ee = cert(vectors, "certs/zhejiang_tax_signer_ee.pem")) {
            check(ok("subject", ca::subject).contains("SHECA SM2"), "subject");
            check(ok("issuer", ca::issuer).contains("ROOTCA"), "issuer");
            check(ok("serial", ca::serialHex).equalsIgnoreCase("2DA1A6BD0CE76C624E634B7D6A29D02A"), "serial");
            check(ok("cn", ca::commonName).equals(java.util.Optional.of("SHECA SM2")), "common name");
            check(ok("o", ca::organization).isPresent(), "organization");
            check(ok("ee cn", ee::commonName).equals(java.util.Optional.of("浙江省税务监制章电子证书")), "UTF-8 common name");
            check(ok("pem", ca::pem).startsWith("-----BEGIN CERTIFICATE-----"), "PEM");
            check(ok("notBefore", ca::notBefore) == 1379059825L, "notBefore");
            check(ok("notAfter", ca::notAfter) == 2009779825L, "notAfter");
            check(ok("isCa", ca::isCa) == Boolean.TRUE, "CA");
            check(ok("ee isCa", ee::isCa) == Boolean.FALSE, "not CA");
            check(ok("ku", ca::keyUsage).getAsInt() == (KeyUsage.KEY_CERT_SIGN | KeyUsage.CRL_SIGN), "CA key usage");
            int eku = ee.keyUsage().getAsInt();
            check((eku & KeyUsage.DIGITAL_SIGNATURE) != 0 && (eku & KeyUsage.NON_REPUDIATION) != 0, "EE key usage");
            byte[] der = ok("der", ca::der);
            check(der.length > 300 && der[0] == 0x30, "DER");
            try (Certificate again = ok("parse DER", () -> Certificate.parse(der))) {
                check(again.subject().equals(ca.subject()), "DER round trip");
            }
            try (PublicKey pk = ok("cert public key", ca::publicKey)) {
                check(pk.export(PublicKeyFormat.POINT).length == 65, "cert key");
            }
            code(ResultCode.MALFORMED, "bad cert", () -> Certificate.parse(new byte[] {0x30, 0x03, 0x02, 0x01, 0x01}));
            code(ResultCode.MALFORMED, "empty cert", () -> Certificate.parse(new byte[0]));
            code(ResultCode.NULL_POINTER, "null cert", () -> Certificate.parse(null));
            long ch = ca.acquire();
            try {
                code(ResultCode.UNKNOWN_VALUE, "field 1000", () -> Native.certificateText(ch, 1000));
                code(ResultCode.UNKNOWN_VALUE, "usage 7", () -> {
                    Native.chainVerify(ch, null, new long[] {ch}, null, 1577836800L, 7, false);
                    return null;
                });
            } finally {
                ca.release();
            }

            // chains
            List<Certificate> anchors = Collections.singletonList(root);
            long at2020 = 1577836800L;
            long at2040 = 2208988800L;
            okv("chain", () -> Chain.verify(ca, null, anchors, null, at2020, KeyUse.CERT_SIGN, false));
            okv("chain any", () -> Chain.verify(ca, Collections.emptyList(), anchors, Collections.emptyList(), at2020, KeyUse.ANY, false));
            chainFails(ca, anchors, null, at2040, KeyUse.ANY, false, 0, CertCheck.EXPIRED);
            chainFails(ca, anchors, null, at2020, KeyUse.ENCRYPTION, false, 0, CertCheck.KEY_USAGE);
            chainFails(ee, anchors, null, at2020, KeyUse.ANY, false, 0, CertCheck.ISSUER_NOT_FOUND);
            chainFails(ca, null, null, at2020, KeyUse.ANY, false, -2, null);
            chainFails(ca, anchors, null, at2020, KeyUse.ANY, true, 0, CertCheck.REVOCATION_UNKNOWN);
            chainFails(ca, anchors, null, Long.MAX_VALUE, KeyUse.ANY, false, 0, CertCheck.EXPIRED);
            chainFails(ca, anchors, null, -1000000000000L, KeyUse.ANY, false, 0, CertCheck.NOT_YET_VALID);
            codev(ResultCode.NULL_POINTER, "null leaf", () -> Chain.verify(null, null, anchors, null, at2020, KeyUse.ANY, false));
            codev(ResultCode.NULL_POINTER, "null use", () -> Chain.verify(ca, null, anchors, null, at2020, null, false));
            codev(ResultCode.NULL_POINTER, "null anchor", () -> Chain.verify(ca, null, Arrays.asList(root, null), null, at2020, KeyUse.ANY, false));
        }

        // fixtures made by the CLI: the issuing CA's CRL revokes one leaf
        try (Crl crl = ok("crl", () -> Crl.parse(read(fixtures, "crl.pem")));
                Certificate froot = cert(fixtures, "root/ca.cert.pem");
                Certificate fsub = cert(fixtures, "sub/ca.cert.pem");
                Certificate revoked = cert(fixtures, "revoked.pem");
                Certificate good = cert(fixtures, "good.pem")) {
            code(ResultCode.MALFORMED, "bad crl", () -> Crl.parse(new byte[] {0x30, 0x00}));
            code(ResultCode.NULL_POINTER, "null crl", () -> Crl.parse(null));
            List<Certificate> anchors = Collections.singletonList(froot);
            List<Certificate> inter = Collections.singletonList(fsub);
            List<Crl> crls = Collections.singletonList(crl);
            long now = good.notBefore() + 3600;
            okv("good chain with CRL", () -> Chain.verify(good, inter, anchors, crls, now, KeyUse.SIGNATURE, false));
            // with revocation required, the issuing CA's own status is unknown (no CRL from the root)
            chainFails(good, anchors, inter, now, KeyUse.SIGNATURE, true, 1, CertCheck.REVOCATION_UNKNOWN, crls);
            chainFails(revoked, anchors, inter, now, KeyUse.SIGNATURE, false, 0, CertCheck.REVOKED, crls);
            okv("revoked without the CRL", () -> Chain.verify(revoked, inter, anchors, null, now, KeyUse.SIGNATURE, false));
            check(revoked.commonName().orElse("").equals("revoked"), "fixture CN");
            check(ok("no organisation", good::organization).isEmpty(), "absent organisation is empty");
            long lh = revoked.acquire();
            long ih = fsub.acquire();
            long ah = froot.acquire();
            try {
                codev(ResultCode.WRONG_HANDLE, "certificate as CRL", () -> Native.chainVerify(lh, new long[] {ih}, new long[] {ah}, new long[] {ah}, now, 0, false));
                codev(ResultCode.NULL_POINTER, "CRL 0", () -> Native.chainVerify(lh, new long[] {ih}, new long[] {ah}, new long[] {0}, now, 0, false));
                check(Native.crlFree(lh) == ResultCode.WRONG_HANDLE, "free certificate as CRL");
            } finally {
                froot.release();
                fsub.release();
                revoked.release();
            }
            long rh = crl.acquire();
            try {
                check(Native.certificateFree(rh) == ResultCode.WRONG_HANDLE, "free CRL as certificate");
                code(ResultCode.WRONG_HANDLE, "CRL as certificate", () -> Native.certificateDer(rh));
            } finally {
                crl.release();
            }
        }
    }

    private static void chainFails(
            Certificate leaf,
            List<Certificate> anchors,
            List<Certificate> inter,
            long at,
            KeyUse use,
            boolean requireRevocation,
            int index,
            CertCheck check) {
        chainFails(leaf, anchors, inter, at, use, requireRevocation, index, check, null);
    }

    /** Expects a ChainException at {@code index} for {@code check} (index -2: any). */
    private static void chainFails(
            Certificate leaf,
            List<Certificate> anchors,
            List<Certificate> inter,
            long at,
            KeyUse use,
            boolean requireRevocation,
            int index,
            CertCheck check,
            List<Crl> crls) {
        YztException e =
                codev(
                        ResultCode.CERTIFICATE,
                        "chain " + check,
                        () -> Chain.verify(leaf, inter, anchors, crls, at, use, requireRevocation));
        if (e == null) {
            return;
        }
        if (!(e instanceof ChainException)) {
            fail("not a ChainException: " + e);
            return;
        }
        ChainException ce = (ChainException) e;
        check(index == -2 || ce.index() == index, "chain index " + ce.index() + " != " + index);
        check(check == null || ce.check() == check, "chain check " + ce.check() + " != " + check);
        check(ce.checkCode() == ce.check().code(), "check code");
    }

    // ---- seals --------------------------------------------------------------------------

    static void testSeal() throws Exception {
        byte[] esl = read(vectors, "ses/UserV4.esl");
        code(ResultCode.MALFORMED, "truncated seal", () -> Seal.parse(Arrays.copyOf(esl, esl.length - 1)));
        code(ResultCode.MALFORMED, "empty seal", () -> Seal.parse(new byte[0]));
        code(ResultCode.NULL_POINTER, "null seal", () -> Seal.parse(null));
        try (Seal seal = ok("seal", () -> Seal.parse(esl));
                Certificate root = cert(vectors, "ses/ofdrw_ROOT_cert.pem")) {
            check(!ok("id", seal::id).isEmpty(), "seal ID");
            ok("name", seal::name);
            check(ok("picture type", seal::pictureType).equalsIgnoreCase("png"), "png");
            ok("vendor", seal::vendorId);
            check(ok("version", seal::version) == 4, "v4");
            ok("type", seal::type);
            long start = ok("validStart", seal::validStart);
            long end = ok("validEnd", seal::validEnd);
            check(end > start && ok("created", seal::created) > 0, "seal dates");
            check(ok("width", seal::pictureWidthMm) > 0 && ok("height", seal::pictureHeightMm) > 0, "picture size");
            check(ok("picture", seal::picture).length > 0, "picture");
            check(ok("maker", seal::makerCert).length > 0, "maker cert");
            check(Arrays.equals(ok("der", seal::der), esl), "seal DER");
            try (Certificate maker = ok("maker parses", () -> Certificate.parse(seal.makerCert()))) {
                check(maker != null, "maker certificate");
            }
            long sh = seal.acquire();
            try {
                code(ResultCode.UNKNOWN_VALUE, "text 9", () -> Native.sealText(sh, 9));
                code(ResultCode.UNKNOWN_VALUE, "int -8", () -> Native.sealInt(sh, -8));
                code(ResultCode.UNKNOWN_VALUE, "bytes 3", () -> Native.sealBytes(sh, 3));
                code(ResultCode.WRONG_HANDLE, "seal as report", () -> Native.reportValid(sh));
                code(ResultCode.WRONG_HANDLE, "seal as signature", () -> Native.sealSignatureVerify(sh, null, null, null, null));
                // a report handle through the natives: indexes out of range
                long r = Native.sealVerify(sh, 1609459200L, null, null, null);
                try {
                    int n = Native.reportSteps(r);
                    check(n > 0, "steps");
                    code(ResultCode.OUT_OF_RANGE, "step n", () -> Native.reportStepStatus(r, n));
                    code(ResultCode.OUT_OF_RANGE, "step -1", () -> Native.reportStepName(r, -1));
                    code(ResultCode.OUT_OF_RANGE, "step max", () -> Native.reportStepDetail(r, Integer.MAX_VALUE));
                    code(ResultCode.WRONG_HANDLE, "report as seal", () -> Native.sealText(r, 0));
                } finally {
                    check(Native.reportFree(r) == ResultCode.OK, "report freed");
                }
            } finally {
                seal.release();
            }

            // in 2021, no anchors: chain steps skipped
            Report r = ok("verify", () -> seal.verify(1609459200L, null, null, null));
            check(!r.steps().isEmpty(), "report steps");
            for (Report.Step s : r.steps()) {
                check(!s.name().isEmpty() && (s.status() == StepStatus.PASSED) == s.detail().isEmpty(), "step " + s);
            }
            check(r.json().startsWith("{\"valid\":"), "report JSON");
            Report future = ok("verify 2100", () -> seal.verify(4102444800L, Collections.singletonList(root), null, null));
            check(!future.valid(), "expired seal is invalid");
            code(ResultCode.NULL_POINTER, "null anchor", () -> seal.verify(0, Arrays.asList((Certificate) null), null, null));
        }

        // a signature over Signature.xml
        byte[] sv = read(vectors, "ses/SignedValueV4.dat");
        byte[] doc = read(vectors, "ses/Signature.xml");
        code(ResultCode.MALFORMED, "truncated signature", () -> SealSignature.parse(Arrays.copyOf(sv, 10)));
        code(ResultCode.NULL_POINTER, "null signature", () -> SealSignature.parse(null));
        try (SealSignature sig = ok("signature", () -> SealSignature.parse(sv))) {
            check(ok("time", sig::time) > 1500000000L, "signing time");
            try (Seal inner = ok("inner seal", sig::seal)) {
                check(inner.version() == 4, "inner v4");
            }
            check(ok("signer", sig::signerCert).length > 0, "signer cert");
            // ofdrw's sample signs a zero dataHash: every step passes but the digest
            Report r = ok("verify with doc", () -> sig.verify(doc, null, null, null));
            check(!r.valid(), "zero dataHash is invalid");
            for (Report.Step s : r.steps()) {
                check(s.name().equals("document_digest") == (s.status() == StepStatus.FAILED), "step " + s);
            }
            Report nodoc = ok("verify without doc", () -> sig.verify(null, null, null, null));
            check(nodoc.valid(), "valid without the document");
            check(nodoc.steps().stream().anyMatch(s -> s.status() == StepStatus.SKIPPED), "digest step skipped");
        }
        // a real signed OFD: valid with its document, invalid when tampered
        byte[] sv2 = read(vectors, "ses/ofd_sign_v4signed/SignedValue.dat");
        byte[] doc2 = read(vectors, "ses/ofd_sign_v4signed/Signature.xml");
        try (SealSignature sig = SealSignature.parse(sv2)) {
            check(ok("real OFD", () -> sig.verify(doc2, null, null, null)).valid(), "real OFD valid");
            byte[] tampered = doc2.clone();
            tampered[tampered.length / 2] ^= 1;
            check(!ok("tampered OFD", () -> sig.verify(tampered, null, null, null)).valid(), "tampered OFD invalid");
            check(!ok("empty document", () -> sig.verify(new byte[0], null, null, null)).valid(), "empty document invalid");
        }
    }

    // ---- close ----------------------------------------------------------------------------

    static void testClose() throws Exception {
        PrivateKey key = PrivateKey.generate();
        PublicKey pub = key.publicKey();
        Verifier v = pub.verifier(null);
        Container c = Container.create(key, "123456", "123456", 1000, 3);
        Sm3 h = new Sm3();
        Certificate cert = cert(vectors, "certs/sheca_sm2_ca.pem");
        Crl crl = Crl.parse(read(fixtures, "crl.pem"));
        Seal seal = Seal.parse(read(vectors, "ses/UserV4.esl"));
        SealSignature sig = SealSignature.parse(read(vectors, "ses/SignedValueV4.dat"));
        byte[] s = key.sign(MSG);
        List<NativeHandle> all = Arrays.asList(key, pub, v, c, h, cert, crl, seal, sig);
        for (NativeHandle o : all) {
            check(!o.isClosed(), "open " + o.getClass().getSimpleName());
            o.close();
            check(o.isClosed(), "closed " + o.getClass().getSimpleName());
            o.close(); // idempotent
        }
        code(ResultCode.NULL_POINTER, "sign after close", () -> key.sign(MSG));
        code(ResultCode.NULL_POINTER, "export after close", () -> key.export(KeyFormat.PKCS8_PEM));
        code(ResultCode.NULL_POINTER, "verify after close", () -> pub.verify(MSG, s));
        code(ResultCode.NULL_POINTER, "verifier after close", () -> v.verify(MSG, s));
        code(ResultCode.NULL_POINTER, "unlock after close", () -> c.unlock("123456"));
        codev(ResultCode.NULL_POINTER, "update after close", () -> h.update(MSG));
        code(ResultCode.NULL_POINTER, "subject after close", cert::subject);
        code(ResultCode.NULL_POINTER, "seal after close", seal::name);
        code(ResultCode.NULL_POINTER, "signature after close", sig::time);
        List<Call<?>> afterClose =
                Arrays.asList(
                        () -> key.exportEncrypted(MSG, Pbes2Scheme.SM4_HMAC_SM3, 0, true),
                        () -> key.signDigest(new byte[32], SignatureFormat.DER),
                        () -> key.decrypt(MSG, CiphertextFormat.DETECT),
                        () -> pub.export(PublicKeyFormat.POINT),
                        () -> pub.messageDigest(null, MSG),
                        () -> pub.verifyDigest(new byte[32], s, SignatureFormat.DER),
                        () -> pub.verifier(null),
                        () -> pub.encrypt(MSG, CiphertextFormat.ASN1),
                        c::toBytes,
                        c::remainingAttempts,
                        c::publicKey,
                        () -> {
                            c.changePin("123456", "654321", "654321");
                            return null;
                        },
                        h::finish,
                        cert::der,
                        cert::notBefore,
                        cert::isCa,
                        cert::keyUsage,
                        cert::publicKey,
                        cert::pem,
                        seal::picture,
                        seal::version,
                        () -> seal.verify(0, null, null, null),
                        sig::seal,
                        sig::signerCert,
                        () -> sig.verify(null, null, null, null));
        for (Call<?> call : afterClose) {
            code(ResultCode.NULL_POINTER, "after close", call);
        }
        YztException e = code(ResultCode.NULL_POINTER, "closed message", () -> key.publicKey());
        check(e != null && e.getMessage().contains("PrivateKey is closed"), "says what is closed");
        // a closed object passed as an argument
        try (PrivateKey k2 = PrivateKey.generate()) {
            code(ResultCode.NULL_POINTER, "closed key to a container", () -> Container.create(key, "123456", "123456"));
            try (Certificate ca = cert(vectors, "certs/sheca_sm2_ca.pem")) {
                codev(ResultCode.NULL_POINTER, "closed CRL to a chain", () -> Chain.verify(ca, null, null, Collections.singletonList(crl), 0, KeyUse.ANY, false));
                codev(ResultCode.NULL_POINTER, "closed anchor to a chain", () -> Chain.verify(ca, null, Collections.singletonList(cert), null, 0, KeyUse.ANY, false));
                check(!ca.isClosed() && ca.subject().contains("SHECA"), "the other arguments were released");
            }
            check(k2.sign(MSG).length > 0, "other keys unaffected");
        }
        // objects never closed are freed by the cleaner
        for (int i = 0; i < 2000; i++) {
            PrivateKey.generate().publicKey();
        }
        System.gc();
        Thread.sleep(100);
        check(true, "garbage collected handles");
    }

    // ---- threads --------------------------------------------------------------------------

    /**
     * Wrong PINs from many threads on one container: the container's lock makes them take turns,
     * so together they get exactly the limit; each number of tries left is told once.
     */
    static void testContainerThreads() throws Exception {
        final int threads = 12;
        final int limit = 6;
        try (PrivateKey key = PrivateKey.generate();
                Container c = Container.create(key, "123456", "123456", 5000, limit)) {
            int[] left = new int[threads];
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            Pattern tries = Pattern.compile("wrong PIN, (\\d+) tries left");
            for (int t = 0; t < threads; t++) {
                final int i = t;
                Thread th =
                        new Thread(
                                () -> {
                                    try {
                                        start.await();
                                        c.unlock("000000").close();
                                        left[i] = -3; // opened with a wrong PIN
                                    } catch (YztException e) {
                                        Matcher m = tries.matcher(String.valueOf(e.getMessage()));
                                        if (e.code() == ResultCode.WRONG_PIN && m.find()) {
                                            left[i] = Integer.parseInt(m.group(1));
                                        } else if (e.code() == ResultCode.CONTAINER_LOCKED) {
                                            left[i] = -1;
                                        } else {
                                            left[i] = -2;
                                        }
                                    } catch (Exception e) {
                                        left[i] = -2;
                                    }
                                });
                ts.add(th);
                th.start();
            }
            start.countDown();
            for (Thread th : ts) {
                th.join();
            }
            int[] told = new int[limit];
            int locked = 0;
            for (int l : left) {
                if (l >= 0 && l < limit) {
                    told[l]++;
                } else if (l == -1) {
                    locked++;
                }
            }
            check(Arrays.equals(told, new int[] {1, 1, 1, 1, 1, 1}), "each try left told once: " + Arrays.toString(left));
            check(locked == threads - limit, "the rest refused as locked: " + Arrays.toString(left));
            check(c.remainingAttempts() == 0, "no tries left");
            code(ResultCode.CONTAINER_LOCKED, "the right PIN after the limit", () -> c.unlock("123456"));
        }
    }

    static void testThreads() throws Exception {
        final int threads = 8;
        final int rounds = 25;
        try (PrivateKey key = PrivateKey.generate();
                PublicKey pub = key.publicKey();
                Verifier v = pub.verifier(null);
                Container c = Container.create(key, "123456", "123456", 1000, 6)) {
            byte[] sig = key.sign(MSG);
            byte[] shortMsg = Arrays.copyOf(MSG, MSG.length - 1);
            AtomicInteger errors = new AtomicInteger();
            AtomicInteger calls = new AtomicInteger();
            CountDownLatch start = new CountDownLatch(1);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th =
                        new Thread(
                                () -> {
                                    try {
                                        start.await();
                                        for (int i = 0; i < rounds; i++) {
                                            if (!v.verify(MSG, sig, SignatureFormat.DER)) {
                                                errors.incrementAndGet();
                                            }
                                            if (v.verify(shortMsg, sig, SignatureFormat.DER)) {
                                                errors.incrementAndGet();
                                            }
                                            if (!pub.verify(MSG, sig)) {
                                                errors.incrementAndGet();
                                            }
                                            try {
                                                v.verify(MSG, new byte[3], SignatureFormat.DER);
                                                errors.incrementAndGet();
                                            } catch (YztException e) {
                                                if (e.code() != ResultCode.MALFORMED) {
                                                    errors.incrementAndGet();
                                                }
                                            }
                                            if (c.remainingAttempts() != 6) {
                                                errors.incrementAndGet();
                                            }
                                            calls.addAndGet(5);
                                        }
                                    } catch (Exception e) {
                                        errors.incrementAndGet();
                                        e.printStackTrace();
                                    }
                                });
                ts.add(th);
                th.start();
            }
            start.countDown();
            for (Thread th : ts) {
                th.join();
            }
            check(errors.get() == 0, "threads sharing a verifier: " + errors.get() + " errors");
            check(calls.get() == threads * rounds * 5, "all calls made: " + calls.get());
        }

        // closing while other threads use the object: each call answers or sees it closed
        for (int round = 0; round < 5; round++) {
            PrivateKey key = PrivateKey.generate();
            byte[] sig = key.sign(MSG);
            Verifier v;
            try (PublicKey pub = key.publicKey()) {
                v = pub.verifier(null);
            }
            key.close();
            AtomicInteger answered = new AtomicInteger();
            AtomicInteger refused = new AtomicInteger();
            AtomicInteger wrong = new AtomicInteger();
            CountDownLatch running = new CountDownLatch(4);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread th =
                        new Thread(
                                () -> {
                                    running.countDown();
                                    for (int i = 0; i < 200; i++) {
                                        try {
                                            if (v.verify(MSG, sig)) {
                                                answered.incrementAndGet();
                                            } else {
                                                wrong.incrementAndGet();
                                            }
                                        } catch (YztException e) {
                                            if (e.code() == ResultCode.NULL_POINTER) {
                                                refused.incrementAndGet();
                                            } else {
                                                wrong.incrementAndGet();
                                            }
                                        }
                                    }
                                });
                ts.add(th);
                th.start();
            }
            running.await();
            Thread.sleep(2);
            v.close();
            for (Thread th : ts) {
                th.join();
            }
            check(wrong.get() == 0, "close during use: wrong answers " + wrong.get());
            check(answered.get() + refused.get() == 800, "close during use: every call answered");
        }
    }


    // ---- QR authorisation ------------------------------------------------------------------

    private static final String QR_CODE = "C1100005553";
    private static final String QR_NAME = "FFI 交易平台";
    private static final String QR_HOST = "ffi.example.cn";
    private static final String MEMBER = "13800000000";

    /** The platform's and the phone's side of the QR tests. */
    static final class QrWorld implements AutoCloseable {
        final Certificate root;
        final Certificate sub;
        final Crl crl;
        final Certificate good;
        final Certificate goodenc;
        final Certificate revoked;
        final Certificate platform;
        final PrivateKey goodKey;
        final PrivateKey goodencKey;
        final PrivateKey revokedKey;
        final PrivateKey platformKey;
        final Seal seal;
        final long now;
        QrStore store;
        QrVerifier verifier;
        QrRegistry registry;

        QrWorld() throws Exception {
            root = cert(fixtures, "root/ca.cert.pem");
            sub = cert(fixtures, "sub/ca.cert.pem");
            crl = Crl.parse(read(fixtures, "crl.pem"));
            good = cert(fixtures, "good.pem");
            goodenc = cert(fixtures, "goodenc.pem");
            revoked = cert(fixtures, "revoked.pem");
            platform = cert(fixtures, "platform.pem");
            goodKey = PrivateKey.fromBytes(read(fixtures, "good.key.pem"));
            goodencKey = PrivateKey.fromBytes(read(fixtures, "goodenc.key.pem"));
            revokedKey = PrivateKey.fromBytes(read(fixtures, "revoked.key.pem"));
            platformKey = PrivateKey.fromBytes(read(fixtures, "platform.key.pem"));
            seal = Seal.parse(read(fixtures, "good.esl"));
            now = good.notBefore() + 3600;
        }

        void open(boolean withCrl) throws Exception {
            store = new QrStore();
            verifier =
                    QrVerifier.create(
                            QR_CODE,
                            QR_NAME,
                            QR_HOST,
                            platformKey,
                            Collections.singletonList(root),
                            Collections.singletonList(sub),
                            withCrl ? Collections.singletonList(crl) : null,
                            0,
                            store);
            registry = new QrRegistry();
            registry.add(QR_CODE, QR_NAME, platform, Collections.singletonList(QR_HOST));
        }

        /**
         * Issue a challenge for {@code action} with {@code data}, scan it, answer it as {@code
         * cert}/{@code key}, verify the answer at {@code verifyAt}.
         */
        QrVerification round(
                QrAction action,
                byte[] data,
                Certificate cert,
                PrivateKey key,
                Seal withSeal,
                long verifyAt)
                throws Exception {
            byte[] issueData =
                    action == QrAction.SEAL || action == QrAction.FILE_SIGN ? Sm3.digest(data) : data;
            boolean encrypting = action == QrAction.ENCRYPT || action == QrAction.DECRYPT;
            try (QrChallenge ch = verifier.issue(action, issueData, now);
                    QrScan scan = QrScan.scan(ch.text(), registry, now + 5)) {
                byte[] response =
                        scan.respond(
                                MEMBER,
                                null,
                                cert,
                                key,
                                encrypting ? goodenc : null,
                                action == QrAction.DECRYPT ? goodencKey : null,
                                encrypting && action != QrAction.DECRYPT ? null : data,
                                withSeal,
                                withSeal != null ? "page 1" : null,
                                action == QrAction.FILE_SIGN,
                                now + 6);
                return verifier.verify(response, verifyAt);
            }
        }

        @Override
        public void close() {
            for (NativeHandle h :
                    Arrays.asList(
                            root, sub, crl, good, goodenc, revoked, platform, goodKey, goodencKey,
                            revokedKey, platformKey, seal, store, verifier, registry)) {
                if (h != null) {
                    h.close();
                }
            }
        }
    }

    static void testQr() throws Exception {
        try (QrWorld w = new QrWorld()) {
            List<Certificate> anchors = Collections.singletonList(w.root);
            List<Certificate> inter = Collections.singletonList(w.sub);
            try (QrStore store = new QrStore()) {
                code(ResultCode.INVALID_ARGUMENT, "no anchors", () -> QrVerifier.create(QR_CODE, QR_NAME, QR_HOST, w.platformKey, null, null, null, 0, store));
                code(ResultCode.INVALID_PARAMETER, "short code", () -> QrVerifier.create("C11", QR_NAME, QR_HOST, w.platformKey, anchors, null, null, 0, store));
                code(ResultCode.INVALID_PARAMETER, "lifetime 4000", () -> QrVerifier.create(QR_CODE, QR_NAME, QR_HOST, w.platformKey, anchors, null, null, 4000, store));
                code(ResultCode.INVALID_ARGUMENT, "lifetime -1", () -> QrVerifier.create(QR_CODE, QR_NAME, QR_HOST, w.platformKey, anchors, null, null, -1, store));
                code(ResultCode.NULL_POINTER, "null name", () -> QrVerifier.create(QR_CODE, null, QR_HOST, w.platformKey, anchors, null, null, 0, store));
                code(ResultCode.INVALID_UTF8, "lone surrogate", () -> QrVerifier.create(QR_CODE, "\ud800", QR_HOST, w.platformKey, anchors, null, null, 0, store));
                code(ResultCode.NULL_POINTER, "null key", () -> QrVerifier.create(QR_CODE, QR_NAME, QR_HOST, null, anchors, null, null, 0, store));
                code(ResultCode.NULL_POINTER, "null store", () -> QrVerifier.create(QR_CODE, QR_NAME, QR_HOST, w.platformKey, anchors, null, null, 0, null));
                code(ResultCode.NULL_POINTER, "null anchor", () -> QrVerifier.create(QR_CODE, QR_NAME, QR_HOST, w.platformKey, Arrays.asList(w.root, null), null, null, 0, store));
                // a name the phone could not show as written, a host that is not host[:port]
                for (String bad : new String[] {"", QR_NAME + "\u202e", "FFI\r\n"}) {
                    YztException e = code(ResultCode.INVALID_PARAMETER, "verifier name " + escape(bad), () -> QrVerifier.create(QR_CODE, bad, QR_HOST, w.platformKey, anchors, null, null, 0, store));
                    check(e != null && e.getMessage().contains("platform name"), "verifier name refusal names the field");
                }
                for (String bad : new String[] {"", "https://" + QR_HOST, QR_HOST + ":0", "user@" + QR_HOST}) {
                    YztException e = code(ResultCode.INVALID_PARAMETER, "verifier host " + escape(bad), () -> QrVerifier.create(QR_CODE, QR_NAME, bad, w.platformKey, anchors, null, null, 0, store));
                    check(e != null && e.getMessage().contains("callback host"), "verifier host refusal names the field");
                }
                // the int path: invalid UTF-8 and wrong handle types through the natives
                long kh = w.platformKey.acquire();
                long ch = w.platform.acquire();
                long sh = store.acquire();
                try {
                    long[] a = {ch};
                    code(ResultCode.INVALID_UTF8, "name not UTF-8", () -> Native.qrVerifierNew(QR_CODE.getBytes(), new byte[] {(byte) 0xff, (byte) 0xfe}, QR_HOST.getBytes(), kh, a, null, null, 0, sh));
                    code(ResultCode.WRONG_HANDLE, "certificate as store", () -> Native.qrVerifierNew(QR_CODE.getBytes(), QR_NAME.getBytes(StandardCharsets.UTF_8), QR_HOST.getBytes(), kh, a, null, null, 0, ch));
                    code(ResultCode.WRONG_HANDLE, "certificate as key", () -> Native.qrVerifierNew(QR_CODE.getBytes(), QR_NAME.getBytes(StandardCharsets.UTF_8), QR_HOST.getBytes(), ch, a, null, null, 0, sh));
                    codev(ResultCode.UNKNOWN_VALUE, "institution 2", () -> Native.qrStoreSetQuota(sh, "h".getBytes(), QR_CODE.getBytes(), 2, 1));
                    codev(ResultCode.WRONG_HANDLE, "key as store", () -> Native.qrStoreSetQuota(kh, "h".getBytes(), QR_CODE.getBytes(), 0, 1));
                    check(Native.qrStoreFree(kh) == ResultCode.WRONG_HANDLE, "free key as store");
                    check(Native.qrVerifierFree(sh) == ResultCode.WRONG_HANDLE, "free store as verifier");
                    check(Native.qrRegistryFree(ch) == ResultCode.WRONG_HANDLE, "free certificate as registry");
                    check(Native.qrScanFree(ch) == ResultCode.WRONG_HANDLE, "free certificate as scan");
                    check(Native.qrChallengeFree(sh) == ResultCode.WRONG_HANDLE, "free store as challenge");
                    check(Native.qrVerificationFree(ch) == ResultCode.WRONG_HANDLE, "free certificate as verification");
                } finally {
                    store.release();
                    w.platform.release();
                    w.platformKey.release();
                }
            }
            w.open(true);

            // the holder's packages
            String holder = ok("holder", () -> QrStore.holderOf(w.good));
            check("110101199001011237".equals(holder), "holder " + holder);
            code(ResultCode.NULL_POINTER, "holder of null", () -> QrStore.holderOf(null));
            check(ok("no package", () -> w.store.quota(holder, QR_CODE, QrInstitution.CA)).isEmpty(), "no package yet");
            okv("open CA package", () -> w.store.setQuota(holder, QR_CODE, QrInstitution.CA, 10));
            okv("open seal package", () -> w.store.setQuota(holder, QR_CODE, QrInstitution.SEAL, 1));
            check(w.store.quota(holder, QR_CODE, QrInstitution.CA).getAsLong() == 10, "10 uses");
            codev(ResultCode.INVALID_PARAMETER, "empty holder", () -> w.store.setQuota("", QR_CODE, QrInstitution.CA, 1));
            codev(ResultCode.INVALID_PARAMETER, "bad platform", () -> w.store.setQuota(holder, "bad code", QrInstitution.CA, 1));
            codev(ResultCode.NULL_POINTER, "null holder", () -> w.store.setQuota(null, QR_CODE, QrInstitution.CA, 1));
            codev(ResultCode.NULL_POINTER, "null institution", () -> w.store.setQuota(holder, QR_CODE, null, 1));
            codev(ResultCode.INVALID_ARGUMENT, "negative uses", () -> w.store.setQuota(holder, QR_CODE, QrInstitution.CA, -1));

            // the app's registry
            try (QrRegistry reg = new QrRegistry()) {
                codev(ResultCode.INVALID_ARGUMENT, "no hosts", () -> reg.add(QR_CODE, QR_NAME, w.platform, Collections.emptyList()));
                codev(ResultCode.NULL_POINTER, "null hosts", () -> reg.add(QR_CODE, QR_NAME, w.platform, null));
                codev(ResultCode.NULL_POINTER, "a null host", () -> reg.add(QR_CODE, QR_NAME, w.platform, Arrays.asList(QR_HOST, null)));
                codev(ResultCode.INVALID_PARAMETER, "short code", () -> reg.add("short", QR_NAME, w.platform, Collections.singletonList(QR_HOST)));
                // names the phone could not show as written (issue #17 item 9)
                String[] badNames = {
                    "", QR_NAME + "\u202e", "\u202e" + QR_NAME, QR_NAME + "\n(official)", " " + QR_NAME,
                    QR_NAME + " ", "FFI\u200bplatform", "\ufeff" + QR_NAME, "FFI\u0085platform",
                    "FFI\u2066platform", "FFI\u061cplatform", "x".repeat(65),
                };
                for (String bad : badNames) {
                    YztException e = codev(ResultCode.INVALID_PARAMETER, "registry name " + escape(bad), () -> reg.add(QR_CODE, bad, w.platform, Collections.singletonList(QR_HOST)));
                    check(e != null && e.getMessage().contains("platform name"), "registry name refusal names the field");
                }
                // hosts that are not a plain host[:port]
                String[] badHosts = {
                    "", "http://" + QR_HOST, QR_HOST + "/login", "evil.cn@" + QR_HOST, QR_HOST + ":0",
                    QR_HOST + ":65536", "ffi example.cn", "::1", "[::1", "ffi_1.example.cn", "1.2.3.256",
                };
                for (String bad : badHosts) {
                    YztException e = codev(ResultCode.INVALID_PARAMETER, "registry host " + escape(bad), () -> reg.add(QR_CODE, QR_NAME, w.platform, Arrays.asList(QR_HOST, bad)));
                    check(e != null && e.getMessage().contains("callback host"), "registry host refusal names the field");
                }
                try (QrRegistry good = new QrRegistry()) {
                    okv("registry good name and hosts", () -> good.add(QR_CODE, "新疆公共资源交易平台", w.platform, Arrays.asList(QR_HOST, "127.0.0.1:8080", "[::1]:8443", "localhost")));
                }
                codev(ResultCode.INVALID_ARGUMENT, "1025 hosts", () -> reg.add(QR_CODE, QR_NAME, w.platform, Collections.nCopies(1025, QR_HOST)));
                codev(ResultCode.NULL_POINTER, "null certificate", () -> reg.add(QR_CODE, QR_NAME, null, Collections.singletonList(QR_HOST)));
                long rh = reg.acquire();
                long ph = w.platform.acquire();
                try {
                    codev(ResultCode.INVALID_UTF8, "host not UTF-8", () -> Native.qrRegistryAdd(rh, QR_CODE.getBytes(), QR_NAME.getBytes(StandardCharsets.UTF_8), ph, new byte[][] {{(byte) 0xc3, 0x28}}));
                    codev(ResultCode.WRONG_HANDLE, "certificate as registry", () -> Native.qrRegistryAdd(ph, QR_CODE.getBytes(), QR_NAME.getBytes(StandardCharsets.UTF_8), ph, new byte[][] {QR_HOST.getBytes()}));
                } finally {
                    w.platform.release();
                    reg.release();
                }
            }

            // a login challenge: its fields, its text, its QR image
            try (QrChallenge ch = ok("issue login", () -> w.verifier.issue(QrAction.LOGIN, null, w.now));
                    PublicKey platformPub = w.platformKey.publicKey();
                    PublicKey goodPub = w.goodKey.publicKey()) {
                check(ch.action() == QrAction.LOGIN, "action");
                check(ch.issuedAt() == w.now && ch.expiresAt() == w.now + 120, "times");
                check(QR_CODE.equals(ch.platformCode()) && QR_HOST.equals(ch.callbackHost()), "code and host");
                check("login".equals(ch.actionName()), "action name");
                String tid = ch.transaction();
                check(tid.length() == 32, "transaction id " + tid);
                check(!ch.digestHex().isPresent(), "a login has no digest");
                check(ch.svg().contains("<svg"), "SVG");
                long chh = ch.acquire();
                try {
                    code(ResultCode.UNKNOWN_VALUE, "challenge int 3", () -> Native.qrChallengeInt(chh, 3));
                    code(ResultCode.UNKNOWN_VALUE, "challenge text 99", () -> Native.qrChallengeText(chh, 99));
                    code(ResultCode.INVALID_UTF8, "decode not UTF-8", () -> Native.qrChallengeDecode(new byte[] {(byte) 0xc3, 0x28}));
                } finally {
                    ch.release();
                }
                String text = ch.text();
                try (QrChallenge decoded = ok("decode", () -> QrChallenge.decode(text))) {
                    check(tid.equals(decoded.transaction()), "decoded transaction");
                    check(ok("verify", () -> decoded.verify(platformPub)) == Boolean.TRUE, "platform signature");
                    check(ok("verify other", () -> decoded.verify(goodPub)) == Boolean.FALSE, "not the holder's");
                    code(ResultCode.NULL_POINTER, "verify null key", () -> decoded.verify(null));
                }
                code(ResultCode.MALFORMED, "decode junk", () -> QrChallenge.decode("yzt:not a challenge"));
                code(ResultCode.NULL_POINTER, "decode null", () -> QrChallenge.decode(null));
                char[] t = text.toCharArray();
                int i = t.length - 3;
                t[i] = t[i] == 'A' ? 'B' : 'A';
                try (QrChallenge altered = QrChallenge.decode(new String(t))) {
                    check(!altered.verify(platformPub), "an altered code does not verify");
                } catch (YztException e) {
                    check(e.code() == ResultCode.MALFORMED, "an altered code: " + e);
                }

                // the phone: unknown platform, wrong host, wrong certificate, expired, then good
                try (QrRegistry empty = new QrRegistry()) {
                    code(ResultCode.NOT_FOUND, "unknown platform", () -> QrScan.scan(text, empty, w.now));
                    empty.add(QR_CODE, QR_NAME, w.platform, Collections.singletonList("elsewhere.example.cn"));
                    code(ResultCode.FORBIDDEN, "another host", () -> QrScan.scan(text, empty, w.now));
                    empty.add(QR_CODE, QR_NAME, w.good, Collections.singletonList(QR_HOST));
                    code(ResultCode.FORBIDDEN, "another certificate", () -> QrScan.scan(text, empty, w.now));
                }
                code(ResultCode.INVALID_STATE, "expired", () -> QrScan.scan(text, w.registry, w.now + 121));
                code(ResultCode.NULL_POINTER, "scan null registry", () -> QrScan.scan(text, null, w.now));
                try (QrScan scan = ok("scan", () -> QrScan.scan(text, w.registry, w.now + 5))) {
                    check(QR_NAME.equals(scan.platformName()), "platform name");
                    check("授权登录".equals(scan.actionLabel()), "action label " + scan.actionLabel());
                    check(scan.displayText().contains(QR_NAME) && scan.displayText().contains(QR_CODE), "display text");
                    try (QrChallenge scanned = scan.challenge()) {
                        check(tid.equals(scanned.transaction()), "scanned transaction");
                    }
                    long sch = scan.acquire();
                    try {
                        code(ResultCode.UNKNOWN_VALUE, "scan text 3", () -> Native.qrScanText(sch, 3));
                    } finally {
                        scan.release();
                    }
                    // answering: refusals at the app, then the answer
                    code(ResultCode.KEY_MISMATCH, "wrong key", () -> scan.respond(MEMBER, w.good, w.platformKey, null, w.now + 6));
                    code(ResultCode.INVALID_ARGUMENT, "login with data", () -> scan.respond(MEMBER, w.good, w.goodKey, MSG, w.now + 6));
                    code(ResultCode.NULL_POINTER, "null member", () -> scan.respond(null, w.good, w.goodKey, null, w.now + 6));
                    code(ResultCode.NULL_POINTER, "null signing certificate", () -> scan.respond(MEMBER, null, w.goodKey, null, w.now + 6));
                    code(ResultCode.NULL_POINTER, "null signing key", () -> scan.respond(MEMBER, w.good, null, null, w.now + 6));
                    byte[] resp = ok("respond", () -> scan.respond(MEMBER, w.good, w.goodKey, null, w.now + 6));

                    // the platform verifies: accepted once, charged once, a replay refused
                    code(ResultCode.NULL_POINTER, "verify null", () -> w.verifier.verify(null, w.now + 7));
                    try (QrVerification v = ok("verify", () -> w.verifier.verify(resp, w.now + 7))) {
                        check(v.accepted() && v.reason() == 0, "accepted: " + v.reasonName() + " " + v.detail());
                        check(v.remaining().getAsLong() == 9, "charged once");
                        try (Certificate who = v.certificate().orElseThrow()) {
                            check(who.serialHex().equals(w.good.serialHex()), "the signer");
                        }
                        check(!v.outcome().isPresent() && !v.outcomeAction().isPresent(), "a login hands over nothing");
                        check(v.answerJson().contains("\"verifySignatureResult\":true"), "answer JSON");
                        check("ok".equals(v.reasonName()) && v.detail().isEmpty(), "reason ok");
                        check(v.transaction().orElse("").equals(tid), "verified transaction");
                        long vh = v.acquire();
                        try {
                            code(ResultCode.UNKNOWN_VALUE, "verification text -1", () -> Native.qrVerificationText(vh, -1));
                            code(ResultCode.WRONG_HANDLE, "verification as scan", () -> Native.qrScanText(vh, 0));
                        } finally {
                            v.release();
                        }
                    }
                    try (QrVerification v = w.verifier.verify(resp, w.now + 8)) {
                        check(v.accepted() && v.reason() == 0, "a retry is told its verdict again: " + v.reason());
                        check(v.remaining().getAsLong() == 9, "and is not charged again");
                    }
                    byte[] second = scan.respond(MEMBER, w.good, w.goodKey, null, w.now + 6);
                    check(!java.util.Arrays.equals(second, resp), "another response");
                    try (QrVerification v = w.verifier.verify(second, w.now + 8)) {
                        check(!v.accepted() && v.reason() == 1004, "a replay: " + v.reason());
                        check("already_used".equals(v.reasonName()), "already used");
                        check(!v.remaining().isPresent() && !v.certificate().isPresent(), "nothing charged or verified");
                        check(v.answerJson().contains("\"reasonCode\":1004"), "replay JSON");
                    }
                    check(w.store.quota(holder, QR_CODE, QrInstitution.CA).getAsLong() == 9, "9 left");
                    String records = ok("records", w.store::recordsJson);
                    check(records.contains(holder) && records.contains(tid), "scan report");
                }
            }

            // garbage is answered, not refused
            try (QrVerification v = ok("garbage", () -> w.verifier.verify(MSG, w.now))) {
                check(v.reason() == 1001 && !v.transaction().isPresent() && !v.detail().isEmpty(), "malformed");
            }
            try (QrVerification v = ok("empty response", () -> w.verifier.verify(new byte[0], w.now))) {
                check(v.reason() == 1001, "empty response is malformed");
            }
            // stale; revoked
            try (QrVerification v = w.round(QrAction.LOGIN, null, w.good, w.goodKey, null, w.now + 500)) {
                check(v.reason() == 1008, "stale: " + v.reason());
            }
            try (QrVerification v = w.round(QrAction.LOGIN, null, w.revoked, w.revokedKey, null, w.now + 7)) {
                check(v.reason() == 1013, "revoked: " + v.reason());
            }

            // every other action, with what it hands over
            byte[] doc = "tender document, page 1".getBytes(StandardCharsets.UTF_8);
            try (QrVerification v = w.round(QrAction.SEAL, doc, w.good, w.goodKey, w.seal, w.now + 7)) {
                check(v.accepted(), "seal: " + v.reasonName() + " " + v.detail());
                check(v.outcomeAction().orElse(null) == QrAction.SEAL, "seal outcome action");
                try (SealSignature stamped = ok("stamped", () -> SealSignature.parse(v.outcome().orElseThrow()))) {
                    Report r = stamped.verify(doc, null, null, null);
                    check(r.valid(), "the stamped document verifies: " + r);
                }
            }
            try (QrVerification v = w.round(QrAction.SEAL, doc, w.good, w.goodKey, w.seal, w.now + 7)) {
                check(v.reason() == 1018, "the seal package had one use: " + v.reason());
            }
            try (QrVerification v = w.round(QrAction.ENCRYPT, null, w.good, w.goodKey, null, w.now + 7)) {
                check(v.accepted() && v.outcomeAction().orElse(null) == QrAction.ENCRYPT, "encrypt");
                try (Certificate enc = Certificate.parse(v.outcome().orElseThrow())) {
                    check(enc.serialHex().equals(w.goodenc.serialHex()), "the encryption certificate");
                }
            }
            byte[] docKey = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
            byte[] envelope;
            try (PublicKey encPub = w.goodencKey.publicKey()) {
                envelope = encPub.encrypt(docKey, CiphertextFormat.ASN1);
            }
            try (QrVerification v = w.round(QrAction.DECRYPT, envelope, w.good, w.goodKey, null, w.now + 7)) {
                check(v.accepted() && v.outcomeAction().orElse(null) == QrAction.DECRYPT, "decrypt");
                check(Arrays.equals(v.outcome().orElseThrow(), docKey), "the document key");
            }
            try (QrVerification v = w.round(QrAction.FILE_SIGN, doc, w.good, w.goodKey, null, w.now + 7)) {
                byte[] cms = v.outcome().orElseThrow();
                check(v.accepted() && cms.length > 200 && cms[0] == 0x30, "file signature");
            }
            try (QrVerification v = w.round(QrAction.MSG_SIGN, MSG, w.good, w.goodKey, null, w.now + 7);
                    PublicKey goodPub = w.goodKey.publicKey()) {
                check(v.accepted() && goodPub.verify(MSG, v.outcome().orElseThrow()), "message signature");
            }

            // issuing: what each action takes
            byte[] zero = new byte[32];
            long vh = w.verifier.acquire();
            long sh = w.store.acquire();
            try {
                code(ResultCode.UNKNOWN_VALUE, "action 0", () -> Native.qrVerifierIssue(vh, 0, null, w.now));
                code(ResultCode.UNKNOWN_VALUE, "action 7", () -> Native.qrVerifierIssue(vh, 7, null, w.now));
                code(ResultCode.UNKNOWN_VALUE, "action 258", () -> Native.qrVerifierIssue(vh, 258, null, w.now));
                code(ResultCode.WRONG_HANDLE, "store as verifier", () -> Native.qrVerifierIssue(sh, 1, null, w.now));
            } finally {
                w.store.release();
                w.verifier.release();
            }
            code(ResultCode.INVALID_ARGUMENT, "login with a digest", () -> w.verifier.issue(QrAction.LOGIN, zero, w.now));
            code(ResultCode.INVALID_ARGUMENT, "seal without one", () -> w.verifier.issue(QrAction.SEAL, null, w.now));
            code(ResultCode.INVALID_LENGTH, "31-byte digest", () -> w.verifier.issue(QrAction.FILE_SIGN, new byte[31], w.now));
            code(ResultCode.INVALID_LENGTH, "empty digest", () -> w.verifier.issue(QrAction.FILE_SIGN, new byte[0], w.now));
            code(ResultCode.NULL_POINTER, "null action", () -> w.verifier.issue(null, null, w.now));
            try (QrChallenge c2 = w.verifier.issue(QrAction.SEAL, zero, w.now)) {
                check(c2.digestHex().orElse("").equals("0".repeat(64)), "the digest");
            }
            // the app refuses material that is not what the code asked for
            try (QrChallenge c2 = w.verifier.issue(QrAction.SEAL, Sm3.digest(doc), w.now);
                    QrScan scan = QrScan.scan(c2.text(), w.registry, w.now)) {
                code(ResultCode.INVALID_PARAMETER, "other document", () -> scan.respond(MEMBER, null, w.good, w.goodKey, null, null, MSG, w.seal, "p1", false, w.now));
                code(ResultCode.NULL_POINTER, "no seal", () -> scan.respond(MEMBER, null, w.good, w.goodKey, null, null, doc, null, "p1", false, w.now));
                code(ResultCode.INVALID_ARGUMENT, "no document", () -> scan.respond(MEMBER, null, w.good, w.goodKey, null, null, null, w.seal, "p1", false, w.now));
            }
            // the CA package ran out
            w.store.setQuota(holder, QR_CODE, QrInstitution.CA, 0);
            try (QrVerification v = w.round(QrAction.LOGIN, null, w.good, w.goodKey, null, w.now + 7)) {
                check(v.reason() == 1018, "exhausted: " + v.reason());
            }
            // the verifier keeps the store alive after the store is closed
            w.store.close();
            try (QrChallenge c3 = ok("issue after the store closed", () -> w.verifier.issue(QrAction.LOGIN, null, w.now))) {
                check(c3 != null, "still issuing");
            }
            code(ResultCode.NULL_POINTER, "closed store", () -> w.store.recordsJson());
            // closed QR objects refuse
            QrChallenge c4 = w.verifier.issue(QrAction.LOGIN, null, w.now);
            String t4 = c4.text();
            QrScan s4 = QrScan.scan(t4, w.registry, w.now);
            QrVerification v4 = w.verifier.verify(s4.respond(MEMBER, w.good, w.goodKey, null, w.now), w.now);
            c4.close();
            s4.close();
            v4.close();
            w.registry.close();
            w.verifier.close();
            code(ResultCode.NULL_POINTER, "closed challenge", c4::text);
            code(ResultCode.NULL_POINTER, "closed scan", s4::displayText);
            code(ResultCode.NULL_POINTER, "closed verification", v4::accepted);
            code(ResultCode.NULL_POINTER, "closed registry", () -> QrScan.scan(t4, w.registry, w.now));
            code(ResultCode.NULL_POINTER, "closed verifier", () -> w.verifier.issue(QrAction.LOGIN, null, w.now));
        }
    }

    /** Threads sharing one verifier: exactly the package's uses are charged. */
    static void testQrThreads() throws Exception {
        final int threads = 4;
        final int rounds = 6;
        final int quota = threads * rounds - 7;
        try (QrWorld w = new QrWorld()) {
            w.open(false);
            String holder = QrStore.holderOf(w.good);
            w.store.setQuota(holder, QR_CODE, QrInstitution.CA, quota + threads);
            AtomicInteger accepted = new AtomicInteger();
            AtomicInteger exhausted = new AtomicInteger();
            AtomicInteger replays = new AtomicInteger();
            AtomicInteger errors = new AtomicInteger();
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th =
                        new Thread(
                                () -> {
                                    try {
                                        for (int i = 0; i < rounds; i++) {
                                            try (QrVerification v = w.round(QrAction.LOGIN, null, w.good, w.goodKey, null, w.now + 7)) {
                                                int r = v.reason();
                                                (r == 0 ? accepted : r == 1018 ? exhausted : errors).incrementAndGet();
                                            }
                                        }
                                        // a replay of an answered code, from this thread
                                        try (QrChallenge ch = w.verifier.issue(QrAction.LOGIN, null, w.now);
                                                QrScan scan = QrScan.scan(ch.text(), w.registry, w.now)) {
                                            byte[] resp = scan.respond(MEMBER, w.good, w.goodKey, null, w.now);
                                            try (QrVerification v1 = w.verifier.verify(resp, w.now + 1);
                                                    QrVerification v2 = w.verifier.verify(resp, w.now + 2)) {
                                                int r = v1.reason();
                                                (r == 0 ? accepted : r == 1018 ? exhausted : errors).incrementAndGet();
                                                // a retry: the same verdict again
                                                if (v2.reason() == r) {
                                                    replays.incrementAndGet();
                                                }
                                            }
                                        }
                                    } catch (Exception e) {
                                        errors.incrementAndGet();
                                        e.printStackTrace();
                                    }
                                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
            check(errors.get() == 0, "QR threads: errors " + errors.get());
            check(replays.get() == threads, "QR threads: replays " + replays.get());
            check(accepted.get() == quota + threads, "QR threads: accepted " + accepted.get());
            check(exhausted.get() == 7, "QR threads: exhausted " + exhausted.get());
            check(w.store.quota(holder, QR_CODE, QrInstitution.CA).getAsLong() == 0, "QR threads: all used");
        }
    }

    // ---- the CLI ---------------------------------------------------------------------------

    private static int cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(yzt.toString());
        cmd.addAll(Arrays.asList(args));
        Process p =
                new ProcessBuilder(cmd)
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
        return p.waitFor();
    }

    static void testCli() throws Exception {
        Path dir = Files.createTempDirectory(fixtures, "java-cli");
        Path doc = dir.resolve("doc.txt");
        Files.write(doc, "tender document\n".getBytes(StandardCharsets.UTF_8));
        String keyPem = fixtures.resolve("good.key.pem").toString();
        String pubPem = fixtures.resolve("good.pub.pem").toString();
        try (PrivateKey key = PrivateKey.fromBytes(Files.readAllBytes(Paths.get(keyPem)));
                PublicKey pub = PublicKey.fromBytes(Files.readAllBytes(Paths.get(pubPem)))) {
            byte[] data = Files.readAllBytes(doc);
            // Java signs, the CLI verifies: DER with the default ID, raw with a custom ID
            Path jsig = dir.resolve("java.sig");
            Files.write(jsig, key.sign(data));
            check(cli("verify", "--pub", pubPem, "--sig", jsig.toString(), "--in", doc.toString()) == 0, "CLI verifies a Java signature");
            Path jraw = dir.resolve("java.raw");
            Files.write(jraw, key.sign("alice".getBytes(), data, SignatureFormat.RAW));
            check(cli("verify", "--pub", pubPem, "--id", "alice", "--raw", "--sig", jraw.toString(), "--in", doc.toString()) == 0, "CLI verifies a raw Java signature with an ID");
            check(cli("verify", "--pub", pubPem, "--raw", "--sig", jraw.toString(), "--in", doc.toString()) == 1, "CLI refuses it under the default ID");
            // the CLI signs, Java verifies
            Path csig = dir.resolve("cli.sig");
            check(cli("sign", "--key", keyPem, "--in", doc.toString(), "--out", csig.toString()) == 0, "CLI signs");
            byte[] cs = Files.readAllBytes(csig);
            check(ok("verify CLI signature", () -> pub.verify(data, cs)) == Boolean.TRUE, "Java verifies a CLI signature");
            try (Certificate good = cert(fixtures, "good.pem"); PublicKey certKey = good.publicKey()) {
                check(certKey.verify(data, cs), "with the key from the CLI's certificate");
            }
            Path craw = dir.resolve("cli.raw");
            check(cli("sign", "--key", keyPem, "--id", "bob", "--raw", "--in", doc.toString(), "--out", craw.toString()) == 0, "CLI signs raw");
            byte[] cr = Files.readAllBytes(craw);
            check(pub.verify("bob".getBytes(), data, cr, SignatureFormat.RAW), "Java verifies a raw CLI signature with an ID");
            check(!pub.verify(null, data, cr, SignatureFormat.RAW), "not under the default ID");
            // a tampered document: both refuse
            Files.write(doc, "tampered\n".getBytes(StandardCharsets.UTF_8));
            check(cli("verify", "--pub", pubPem, "--sig", jsig.toString(), "--in", doc.toString()) == 1, "CLI refuses a tampered document");
            check(!pub.verify(Files.readAllBytes(doc), cs), "Java refuses a tampered document");
            // encryption both ways
            Path jct = dir.resolve("java.ct");
            Files.write(jct, pub.encrypt(data, CiphertextFormat.ASN1));
            Path out = dir.resolve("out.txt");
            check(cli("decrypt", "--key", keyPem, "--in", jct.toString(), "--out", out.toString()) == 0, "CLI decrypts Java");
            check(Arrays.equals(Files.readAllBytes(out), data), "CLI's plaintext");
            Path cct = dir.resolve("cli.ct");
            Files.write(doc, data);
            check(cli("encrypt", "--pub", pubPem, "--format", "c1c3c2", "--in", doc.toString(), "--out", cct.toString()) == 0, "CLI encrypts");
            check(Arrays.equals(key.decrypt(Files.readAllBytes(cct), CiphertextFormat.DETECT), data), "Java decrypts the CLI");
            // a key written by Java is read by the CLI
            Path jkey = dir.resolve("java.key.pem");
            try (PrivateKey fresh = PrivateKey.generate(); PublicKey fp = fresh.publicKey()) {
                Files.write(jkey, fresh.export(KeyFormat.SEC1_PEM));
                Path ksig = dir.resolve("k.sig");
                check(cli("sign", "--key", jkey.toString(), "--in", doc.toString(), "--out", ksig.toString()) == 0, "CLI signs with a Java key");
                check(fp.verify(data, Files.readAllBytes(ksig)), "and Java verifies it");
            }
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: TestYzt VECTORS_DIR FIXTURES_DIR HEADER YZT_CLI");
            System.exit(2);
        }
        vectors = Paths.get(args[0]);
        fixtures = Paths.get(args[1]);
        header = Paths.get(args[2]);
        yzt = Paths.get(args[3]);
        VoidCall[] sections = {
            TestYzt::testConventions,
            TestYzt::testHeader,
            TestYzt::testKeys,
            TestYzt::testSign,
            TestYzt::testEncrypt,
            TestYzt::testHash,
            TestYzt::testSm4,
            TestYzt::testContainer,
            TestYzt::testCert,
            TestYzt::testSeal,
            TestYzt::testClose,
            TestYzt::testThreads,
            TestYzt::testContainerThreads,
            TestYzt::testQr,
            TestYzt::testQrThreads,
            TestYzt::testCli,
        };
        for (VoidCall s : sections) {
            try {
                s.run();
            } catch (Exception e) {
                failed++;
                System.err.println("FAIL: a section threw " + e);
                e.printStackTrace();
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
