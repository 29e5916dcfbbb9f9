import cn.yizhengtong.PrivateKey;
import cn.yizhengtong.PublicKey;
import cn.yizhengtong.SignatureFormat;
import cn.yizhengtong.Sm3;
import cn.yizhengtong.Verifier;
import java.nio.charset.StandardCharsets;

/**
 * Times a verify call from Java through JNI, for BENCHMARKS.md: the same work as {@code cargo
 * run --release -p yizhengtong-ffi --example bench_verify} (the Rust call and the C ABI) and
 * {@code ffi/examples/c/bench_verify.c} (a C program), which {@code
 * ffi/examples/bench_overhead.sh} runs in interleaved rounds.
 *
 * <pre>
 *   java -Djava.library.path=target/release -cp classes BenchVerify [SECONDS]
 * </pre>
 */
public final class BenchVerify {
    private BenchVerify() {}

    interface Op {
        boolean run() throws Exception;
    }

    private static void time(String label, double seconds, Op op) throws Exception {
        // Warm up (the JIT compiles the wrappers), then count calls for the given time.
        long warm = System.nanoTime();
        while (System.nanoTime() - warm < 300_000_000L) {
            for (int i = 0; i < 100; i++) {
                if (!op.run()) {
                    throw new AssertionError("did not verify");
                }
            }
        }
        long budget = (long) (seconds * 1e9);
        long n = 0;
        long start = System.nanoTime();
        long elapsed;
        do {
            for (int i = 0; i < 100; i++) {
                if (!op.run()) {
                    throw new AssertionError("did not verify");
                }
            }
            n += 100;
            elapsed = System.nanoTime() - start;
        } while (elapsed < budget);
        System.out.printf("%-44s %9.2f µs/call  (%d calls)%n", label, elapsed / 1e3 / n, n);
    }

    public static void main(String[] args) throws Exception {
        double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 2.0;
        byte[] msg = "bid document: the overhead of the C boundary".getBytes(StandardCharsets.UTF_8);
        try (PrivateKey key = PrivateKey.generate();
                PublicKey pub = key.publicKey();
                Verifier v = pub.verifier(null)) {
            byte[] sig = key.sign(null, msg, SignatureFormat.DER);
            time("Java: PublicKey.verify", seconds, () -> pub.verify(null, msg, sig, SignatureFormat.DER));
            time("Java: Verifier.verify (prepared)", seconds, () -> v.verify(msg, sig, SignatureFormat.DER));
            time("Java: Sm3.digest (45 bytes)", seconds, () -> Sm3.digest(msg).length == 32);
        }
    }
}
