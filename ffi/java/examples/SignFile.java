import cn.yizhengtong.PrivateKey;
import cn.yizhengtong.PublicKey;
import cn.yizhengtong.YztException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;

/**
 * Sign a file with an SM2 key and verify the signature: the example to copy. Reads the key as
 * PKCS#8 or SEC1 PEM/DER (what {@code yzt key gen} or {@code openssl genpkey -algorithm SM2}
 * writes); signatures are DER with the default user ID 1234567812345678, what {@code yzt verify}
 * and OpenSSL check.
 *
 * <pre>
 *   java -Djava.library.path=target/release -cp classes SignFile sign   KEY.pem FILE SIG
 *   java -Djava.library.path=target/release -cp classes SignFile verify PUB.pem FILE SIG
 * </pre>
 *
 * Exit status: 0 done (or valid), 1 invalid, 2 error.
 */
public final class SignFile {
    private SignFile() {}

    public static void main(String[] args) {
        if (args.length != 4 || !(args[0].equals("sign") || args[0].equals("verify"))) {
            System.err.println("usage: SignFile sign|verify KEY FILE SIG");
            System.exit(2);
        }
        try {
            byte[] keyFile = Files.readAllBytes(Paths.get(args[1]));
            byte[] data = Files.readAllBytes(Paths.get(args[2]));
            if (args[0].equals("sign")) {
                try (PrivateKey key = PrivateKey.fromBytes(keyFile)) {
                    Files.write(Paths.get(args[3]), key.sign(data));
                }
                System.exit(0);
            }
            byte[] sig = Files.readAllBytes(Paths.get(args[3]));
            try (PublicKey pub = PublicKey.fromBytes(keyFile)) {
                boolean valid = pub.verify(data, sig);
                System.out.println(valid ? "valid" : "invalid");
                System.exit(valid ? 0 : 1);
            }
        } catch (YztException e) {
            System.err.println(e.codeName() + " (" + e.code() + "): " + e.getMessage());
        } catch (IOException e) {
            System.err.println(e);
        }
        System.exit(2);
    }
}
