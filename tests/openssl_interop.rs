//! Interoperability with the `openssl` command-line tool (OpenSSL 3.0):
//! keys, encrypted keys, signatures and ciphertexts go both ways.
//!
//! OpenSSL 3.0 pitfalls these tests rely on:
//! - its default SM2 ID is EMPTY, so every call names the ID: `-sigopt
//!   distid:…` for `dgst` (signing *and* verifying: 3.0's `dgst` has no
//!   `-vfyopt`), `-pkeyopt distid:…` for `pkeyutl -rawin -digest sm3`, and
//!   `hexdistid:` for IDs that are not text;
//! - it has no hmacWithSM3 PRF, so encrypted keys it must read use
//!   HMAC-SHA-256;
//! - `openssl pkey -outform DER` writes SEC1, not PKCS#8; PKCS#8 DER comes
//!   from `openssl pkcs8 -topk8 -nocrypt -outform DER`.

mod common;

use common::{FixedRng, Work, digest_mod_n, nonce_of, ossl, ossl_output, test_rng, text};
use yizhengtong::Error;
use yizhengtong::crypto::encrypt::Ciphertext;
use yizhengtong::crypto::pkcs8enc::{self, Pbes2Params};
use yizhengtong::crypto::sign::message_digest;
use yizhengtong::crypto::{
    CiphertextFormat, DEFAULT_USER_ID, Pbes2Cipher, Pbes2Prf, PrivateKey, PublicKey, Signature,
};

/// `distid:1234567812345678`, the GM/T 0009 default ID we must name.
const DISTID_DEFAULT: &str = "distid:1234567812345678";
/// The custom ID of GB/T 32918 examples.
const ALICE: &[u8] = b"ALICE123@YAHOO.COM";

// ---- helpers ----------------------------------------------------------

fn hex(bytes: &[u8]) -> String {
    yizhengtong::hex::encode(bytes)
}

/// The private scalar OpenSSL prints for a key (`priv:` in `-text`),
/// left-padded to 32 bytes.
fn openssl_private_scalar(text_out: &[u8]) -> [u8; 32] {
    let t = text(text_out);
    let after = t
        .split_once("priv:")
        .unwrap_or_else(|| panic!("no priv: in openssl output:\n{t}"))
        .1;
    let block = after.split_once("pub:").expect("pub: after priv:").0;
    let digits: String = block.chars().filter(|c| c.is_ascii_hexdigit()).collect();
    let bytes = yizhengtong::hex::decode(&digits).expect("hex scalar");
    // OpenSSL prints a BIGNUM: a leading 00 only when the top bit is set.
    let bytes = match bytes.iter().position(|&b| b != 0) {
        Some(i) => &bytes[i..],
        None => &bytes[..],
    };
    assert!(bytes.len() <= 32, "scalar longer than 32 bytes: {t}");
    let mut out = [0u8; 32];
    out[32 - bytes.len()..].copy_from_slice(bytes);
    out
}

/// Assert that `key_file` (any format, extra args such as `-inform DER`
/// or `-passin`) opens in OpenSSL as an SM2 key equal to `key`: same
/// private scalar, same public key, same PKCS#8 re-encoding.
fn assert_openssl_reads_private(w: &Work, key: &PrivateKey, key_file: &str, extra: &[&str]) {
    let mut args = vec!["pkey", "-in", key_file, "-noout", "-text"];
    args.extend_from_slice(extra);
    let t = ossl(&args);
    assert!(
        text(&t).contains("ASN1 OID: SM2"),
        "OpenSSL did not see an SM2 key in {key_file}:\n{}",
        text(&t)
    );
    assert_eq!(
        hex(&openssl_private_scalar(&t)),
        hex(&key.to_bytes()[..]),
        "OpenSSL read a different private scalar from {key_file}"
    );

    let mut args = vec!["pkey", "-in", key_file, "-pubout", "-outform", "DER"];
    args.extend_from_slice(extra);
    assert_eq!(
        hex(&ossl(&args)),
        hex(&key.public_key().to_spki_der()),
        "OpenSSL derived a different public key from {key_file}"
    );

    let out = w.path("reencoded.p8.der");
    let mut args = vec![
        "pkcs8", "-topk8", "-nocrypt", "-in", key_file, "-outform", "DER", "-out", &out,
    ];
    args.extend_from_slice(extra);
    ossl(&args);
    assert_eq!(
        hex(&w.read("reencoded.p8.der")),
        hex(&key.to_pkcs8_der()),
        "OpenSSL's PKCS#8 of {key_file} differs from ours"
    );
}

/// A fresh SM2 key made by OpenSSL, as PKCS#8 PEM at `name`.
fn openssl_genkey(w: &Work, name: &str) -> String {
    let p = w.path(name);
    ossl([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:SM2",
        "-out",
        &p,
    ]);
    p
}

/// The key OpenSSL stored in `pem_path`, read independently of our
/// parsers (from OpenSSL's `-text` dump).
fn openssl_key_scalar(pem_path: &str) -> PrivateKey {
    let t = ossl(["pkey", "-in", pem_path, "-noout", "-text"]);
    PrivateKey::from_bytes(&openssl_private_scalar(&t)).expect("OpenSSL key in range")
}

/// Deterministic message bytes of length `n`.
fn message(n: usize, salt: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(salt) ^ (i >> 8) as u8)
        .collect()
}

const MESSAGE_SIZES: [usize; 7] = [0, 1, 55, 64, 65, 1000, 100 * 1024];

/// Both OpenSSL verifiers (`dgst` and `pkeyutl -rawin`) on a DER
/// signature, with `dgst_opt` / `pkey_opt` like `distid:…`; (dgst ok,
/// pkeyutl ok, dgst stdout, pkeyutl stdout).
fn openssl_verify(
    w: &Work,
    pub_pem: &str,
    msg_file: &str,
    sig_der: &[u8],
    id_opt: &str,
) -> (bool, bool, String, String) {
    let sig = w.write("verify.sig", sig_der);
    let d = ossl_output([
        "dgst",
        "-sm3",
        "-verify",
        pub_pem,
        "-sigopt",
        id_opt,
        "-signature",
        &sig,
        msg_file,
    ]);
    let p = ossl_output([
        "pkeyutl", "-verify", "-pubin", "-inkey", pub_pem, "-rawin", "-digest", "sm3", "-pkeyopt",
        id_opt, "-in", msg_file, "-sigfile", &sig,
    ]);
    (
        d.status.success(),
        p.status.success(),
        format!("{}{}", text(&d.stdout), text(&d.stderr)),
        format!("{}{}", text(&p.stdout), text(&p.stderr)),
    )
}

fn assert_openssl_verifies(w: &Work, pub_pem: &str, msg_file: &str, sig: &[u8], id_opt: &str) {
    let (d_ok, p_ok, d_out, p_out) = openssl_verify(w, pub_pem, msg_file, sig, id_opt);
    assert!(
        d_ok && d_out.contains("Verified OK"),
        "openssl dgst -verify ({id_opt}, {msg_file}) refused our signature: {d_out}"
    );
    assert!(
        p_ok && p_out.contains("Signature Verified Successfully"),
        "openssl pkeyutl -verify ({id_opt}, {msg_file}) refused our signature: {p_out}"
    );
}

/// OpenSSL signs `msg_file` both ways (`dgst -sign` and `pkeyutl -sign
/// -rawin`); the two DER signatures.
fn openssl_sign(w: &Work, key_pem: &str, msg_file: &str, id_opt: &str) -> [Vec<u8>; 2] {
    let a = w.path("dgst.sig");
    ossl([
        "dgst", "-sm3", "-sign", key_pem, "-sigopt", id_opt, "-out", &a, msg_file,
    ]);
    let b = w.path("pkeyutl.sig");
    ossl([
        "pkeyutl", "-sign", "-inkey", key_pem, "-rawin", "-digest", "sm3", "-pkeyopt", id_opt,
        "-in", msg_file, "-out", &b,
    ]);
    [w.read("dgst.sig"), w.read("pkeyutl.sig")]
}

// ---- 1. keys ----------------------------------------------------------

#[test]
fn our_pkcs8_pem_and_der_open_in_openssl() {
    let w = Work::new("our-pkcs8");
    for seed in [1u64, 2, 3] {
        let key = PrivateKey::generate(&mut test_rng(seed));
        let pem = w.write("k.pem", key.to_pkcs8_pem().as_bytes());
        assert_openssl_reads_private(&w, &key, &pem, &[]);
        let der = w.write("k.der", &key.to_pkcs8_der()[..]);
        assert_openssl_reads_private(&w, &key, &der, &["-inform", "DER"]);
    }
}

#[test]
fn our_key_with_leading_zero_scalar_opens_in_openssl() {
    // d < 2^248: the 32-byte fields must keep their leading zero.
    let key = (0u64..)
        .map(|seed| PrivateKey::generate(&mut test_rng(1000 + seed)))
        .find(|k| k.to_bytes()[0] == 0)
        .expect("some seed gives a short scalar");
    let w = Work::new("our-short-d");
    let pem = w.write("k.pem", key.to_pkcs8_pem().as_bytes());
    assert_openssl_reads_private(&w, &key, &pem, &[]);
    let sec1 = w.write("k.sec1.pem", key.to_sec1_pem().as_bytes());
    assert_openssl_reads_private(&w, &key, &sec1, &[]);
}

#[test]
fn our_sec1_pem_and_der_open_in_openssl() {
    let w = Work::new("our-sec1");
    let key = PrivateKey::generate(&mut test_rng(10));
    let pem = w.write("k.pem", key.to_sec1_pem().as_bytes());
    assert!(
        key.to_sec1_pem()
            .starts_with("-----BEGIN EC PRIVATE KEY-----")
    );
    assert_openssl_reads_private(&w, &key, &pem, &[]);
    let der = w.write("k.der", &key.to_sec1_der()[..]);
    assert_openssl_reads_private(&w, &key, &der, &["-inform", "DER"]);

    // `openssl ec` reads it too and writes the same SEC1 DER back.
    let out = w.path("ec.der");
    ossl(["ec", "-in", &pem, "-outform", "DER", "-out", &out]);
    assert_eq!(hex(&w.read("ec.der")), hex(&key.to_sec1_der()));
}

#[test]
fn our_spki_pem_and_der_open_in_openssl() {
    let w = Work::new("our-spki");
    for seed in [20u64, 21] {
        let public = PrivateKey::generate(&mut test_rng(seed)).public_key();
        let pem = w.write("pub.pem", public.to_spki_pem());
        let der = w.write("pub.der", public.to_spki_der());
        for (file, form) in [(&pem, "PEM"), (&der, "DER")] {
            let t = text(&ossl([
                "pkey", "-pubin", "-in", file, "-inform", form, "-noout", "-text",
            ]));
            assert!(t.contains("ASN1 OID: SM2"), "{form}: {t}");
            let expected_pub: String = hex(&public.to_sec1_bytes(false));
            let printed: String = t
                .split_once("pub:")
                .expect("pub:")
                .1
                .split_once("ASN1")
                .expect("ASN1 after pub:")
                .0
                .chars()
                .filter(|c| c.is_ascii_hexdigit())
                .collect();
            assert_eq!(printed, expected_pub, "{form}");
            let back = ossl([
                "pkey", "-pubin", "-in", file, "-inform", form, "-outform", "DER",
            ]);
            assert_eq!(hex(&back), hex(&public.to_spki_der()), "{form}");
            let back_pem = ossl(["pkey", "-pubin", "-in", file, "-inform", form]);
            assert_eq!(text(&back_pem), public.to_spki_pem(), "{form}");
        }
    }
}

#[test]
fn openssl_pkcs8_pem_and_der_open_in_ours() {
    let w = Work::new("their-pkcs8");
    for i in 0..3 {
        let pem_path = openssl_genkey(&w, &format!("k{i}.pem"));
        let expected = openssl_key_scalar(&pem_path);
        let pem = std::fs::read(&pem_path).unwrap();
        assert!(text(&pem).starts_with("-----BEGIN PRIVATE KEY-----"));

        let der = ossl([
            "pkcs8", "-topk8", "-nocrypt", "-in", &pem_path, "-outform", "DER",
        ]);
        for (what, key) in [
            ("from_pkcs8_pem", PrivateKey::from_pkcs8_pem(&pem)),
            ("from_any(PEM)", PrivateKey::from_any(&pem)),
            ("from_pkcs8_der", PrivateKey::from_pkcs8_der(&der)),
            ("from_any(DER)", PrivateKey::from_any(&der)),
        ] {
            let key = key.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(key == expected, "{what} read a different key");
        }
        // OpenSSL and we write the same PKCS#8.
        assert_eq!(hex(&expected.to_pkcs8_der()), hex(&der));
        assert_eq!(expected.to_pkcs8_pem().as_bytes(), &pem[..]);

        // Its public key, PEM and DER.
        let pub_pem = ossl(["pkey", "-in", &pem_path, "-pubout"]);
        let pub_der = ossl(["pkey", "-in", &pem_path, "-pubout", "-outform", "DER"]);
        for (what, public) in [
            ("from_spki_pem", PublicKey::from_spki_pem(&pub_pem)),
            ("from_any(PEM)", PublicKey::from_any(&pub_pem)),
            ("from_spki_der", PublicKey::from_spki_der(&pub_der)),
            ("from_any(DER)", PublicKey::from_any(&pub_der)),
        ] {
            let public = public.unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(public, expected.public_key(), "{what}");
        }
        assert_eq!(hex(&expected.public_key().to_spki_der()), hex(&pub_der));
        assert_eq!(expected.public_key().to_spki_pem(), text(&pub_pem));
    }
}

#[test]
fn openssl_sec1_sm2_private_key_opens_in_ours() {
    let w = Work::new("their-sec1");
    let pem_path = openssl_genkey(&w, "k.pem");
    let expected = openssl_key_scalar(&pem_path);

    let sec1_pem = ossl(["ec", "-in", &pem_path]);
    assert!(
        text(&sec1_pem).starts_with("-----BEGIN SM2 PRIVATE KEY-----"),
        "openssl ec wrote {}",
        text(&sec1_pem)
    );
    let sec1_der = ossl(["ec", "-in", &pem_path, "-outform", "DER"]);
    for (what, key) in [
        ("from_sec1_pem", PrivateKey::from_sec1_pem(&sec1_pem)),
        ("from_any(PEM)", PrivateKey::from_any(&sec1_pem)),
        ("from_sec1_der", PrivateKey::from_sec1_der(&sec1_der)),
        ("from_any(DER)", PrivateKey::from_any(&sec1_der)),
        (
            "from_any_with_password(PEM)",
            PrivateKey::from_any_with_password(&sec1_pem, b"unused"),
        ),
        (
            "from_any_with_password(DER)",
            PrivateKey::from_any_with_password(&sec1_der, b"unused"),
        ),
    ] {
        let key = key.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert!(key == expected, "{what} read a different key");
    }
    assert_eq!(hex(&expected.to_sec1_der()), hex(&sec1_der));
}

#[test]
fn openssl_compressed_points_open_in_ours() {
    let w = Work::new("their-compressed");
    let pem_path = openssl_genkey(&w, "k.pem");
    let expected = openssl_key_scalar(&pem_path);
    let pub_pem = w.write("pub.pem", ossl(["pkey", "-in", &pem_path, "-pubout"]));

    // SPKI with a compressed point (`openssl ec -conv_form compressed`).
    let spki = ossl([
        "ec",
        "-pubin",
        "-in",
        &pub_pem,
        "-pubout",
        "-conv_form",
        "compressed",
        "-outform",
        "DER",
    ]);
    assert_eq!(spki.len(), 59, "compressed SPKI: {}", hex(&spki));
    assert_eq!(
        PublicKey::from_spki_der(&spki).unwrap(),
        expected.public_key()
    );
    assert_eq!(PublicKey::from_any(&spki).unwrap(), expected.public_key());
    // Its raw point equals our compressed encoding.
    assert_eq!(
        hex(&spki[spki.len() - 33..]),
        hex(&expected.public_key().to_sec1_bytes(true))
    );

    // SEC1 and PKCS#8 whose embedded public key is compressed.
    let sec1 = ossl([
        "ec",
        "-in",
        &pem_path,
        "-conv_form",
        "compressed",
        "-outform",
        "DER",
    ]);
    let sec1_path = w.write("c.sec1.der", &sec1);
    let p8 = ossl([
        "pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-in", &sec1_path, "-outform", "DER",
    ]);
    assert!(PrivateKey::from_sec1_der(&sec1).unwrap() == expected);
    assert!(PrivateKey::from_pkcs8_der(&p8).unwrap() == expected);
    assert!(PrivateKey::from_any(&p8).unwrap() == expected);
}

/// An OpenSSL key re-encoded with explicit curve parameters: (SEC1 DER,
/// PKCS#8 DER, SPKI DER).
fn openssl_explicit_curve_key(w: &Work, pem_path: &str) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let sec1 = ossl([
        "ec",
        "-in",
        pem_path,
        "-param_enc",
        "explicit",
        "-outform",
        "DER",
    ]);
    let sec1_path = w.write("explicit.sec1.der", &sec1);
    let p8 = ossl([
        "pkcs8", "-topk8", "-nocrypt", "-inform", "DER", "-in", &sec1_path, "-outform", "DER",
    ]);
    let spki = ossl([
        "ec",
        "-in",
        pem_path,
        "-pubout",
        "-param_enc",
        "explicit",
        "-outform",
        "DER",
    ]);
    (sec1, p8, spki)
}

#[test]
fn openssl_explicit_curve_pkcs8_and_spki_are_refused() {
    // Explicit curve parameters are refused with a clear error, not misread.
    let w = Work::new("their-explicit");
    let pem_path = openssl_genkey(&w, "k.pem");
    let (_, p8, spki) = openssl_explicit_curve_key(&w, &pem_path);
    for (what, r) in [
        (
            "from_pkcs8_der",
            PrivateKey::from_pkcs8_der(&p8).map(|_| ()),
        ),
        ("from_any", PrivateKey::from_any(&p8).map(|_| ())),
        ("from_spki_der", PublicKey::from_spki_der(&spki).map(|_| ())),
        (
            "PublicKey::from_any",
            PublicKey::from_any(&spki).map(|_| ()),
        ),
    ] {
        assert!(
            matches!(r, Err(Error::UnsupportedAlgorithm { .. })),
            "{what}: {r:?}"
        );
    }
}

/// A SEC1 `ECPrivateKey` with explicit curve parameters (what `openssl ec
/// -param_enc explicit` writes) is refused as an unsupported algorithm,
/// like the same key in PKCS#8 or SPKI form, not as malformed DER.
#[test]
fn openssl_explicit_curve_sec1_is_unsupported_not_malformed() {
    let w = Work::new("their-explicit-sec1");
    let pem_path = openssl_genkey(&w, "k.pem");
    let (sec1, _, _) = openssl_explicit_curve_key(&w, &pem_path);
    let r = PrivateKey::from_sec1_der(&sec1);
    assert!(
        matches!(r, Err(Error::UnsupportedAlgorithm { .. })),
        "from_sec1_der on explicit-curve SEC1: {r:?}"
    );
}

#[test]
fn openssl_unsupported_pbe_schemes_are_refused_clearly() {
    let w = Work::new("their-pbe-unsupported");
    let pem_path = openssl_genkey(&w, "k.pem");
    for extra in [
        &["-v1", "PBE-SHA1-3DES"][..],
        &["-scrypt"],
        &["-v2prf", "hmacWithSHA1"],
        &["-v2prf", "hmacWithSHA512"],
        &["-v2", "des-ede3-cbc"],
    ] {
        let mut args = vec![
            "pkcs8", "-topk8", "-in", &pem_path, "-outform", "DER", "-passout", "pass:pw",
        ];
        args.extend_from_slice(extra);
        let der = ossl(&args);
        let r = pkcs8enc::decrypt(&der, b"pw");
        assert!(
            matches!(r, Err(Error::UnsupportedAlgorithm { .. })),
            "{extra:?}: {r:?}"
        );
        let r = PrivateKey::from_any_with_password(&der, b"pw");
        assert!(
            matches!(r, Err(Error::UnsupportedAlgorithm { .. })),
            "from_any_with_password {extra:?}: {r:?}"
        );
    }
}

const OPENSSL_PBE: [(&str, &[&str]); 3] = [
    ("default (AES-256-CBC, HMAC-SHA256)", &[]),
    ("-v2 sm4-cbc", &["-v2", "sm4-cbc"]),
    ("-v2 aes-128-cbc", &["-v2", "aes-128-cbc"]),
];

#[test]
fn openssl_encrypted_pkcs8_opens_in_ours() {
    let w = Work::new("their-enc");
    let pem_path = openssl_genkey(&w, "k.pem");
    let expected = openssl_key_scalar(&pem_path);
    let password = "correct horse ✓";
    for (what, extra) in OPENSSL_PBE {
        for form in ["PEM", "DER"] {
            let mut args = vec![
                "pkcs8", "-topk8", "-in", &pem_path, "-iter", "1000", "-outform", form,
            ];
            args.extend_from_slice(extra);
            let pass = format!("pass:{password}");
            args.extend_from_slice(&["-passout", &pass]);
            let enc = ossl(&args);
            let label = format!("{what}, {form}");
            if form == "PEM" {
                assert!(text(&enc).starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
                let k = pkcs8enc::decrypt_pem(&enc, password.as_bytes())
                    .unwrap_or_else(|e| panic!("decrypt_pem {label}: {e}"));
                assert!(k == expected, "decrypt_pem {label}");
                assert_eq!(
                    pkcs8enc::decrypt_pem(&enc, b"wrong password").unwrap_err(),
                    Error::WrongPassword,
                    "{label}"
                );
            } else {
                let k = pkcs8enc::decrypt(&enc, password.as_bytes())
                    .unwrap_or_else(|e| panic!("decrypt {label}: {e}"));
                assert!(k == expected, "decrypt {label}");
                assert_eq!(
                    pkcs8enc::decrypt(&enc, b"wrong password").unwrap_err(),
                    Error::WrongPassword,
                    "{label}"
                );
            }
            let k = PrivateKey::from_any_with_password(&enc, password.as_bytes())
                .unwrap_or_else(|e| panic!("from_any_with_password {label}: {e}"));
            assert!(k == expected, "from_any_with_password {label}");
            assert_eq!(
                PrivateKey::from_any_with_password(&enc, b"").unwrap_err(),
                Error::WrongPassword,
                "{label}"
            );
            // Near misses of the password are wrong too.
            let mut near = password.as_bytes().to_vec();
            near.pop();
            assert_eq!(
                PrivateKey::from_any_with_password(&enc, &near).unwrap_err(),
                Error::WrongPassword,
                "{label}"
            );
        }
    }
}

#[test]
fn our_encrypted_pkcs8_opens_in_openssl() {
    let w = Work::new("our-enc");
    let key = PrivateKey::generate(&mut test_rng(30));
    let password = "s3cret-пароль";
    let cases = [
        (
            "openssl_compatible (HMAC-SHA256, SM4-CBC)",
            Pbes2Params {
                iterations: 1000,
                ..Pbes2Params::openssl_compatible()
            },
        ),
        (
            "HMAC-SHA256, AES-256-CBC",
            Pbes2Params {
                prf: Pbes2Prf::HmacSha256,
                cipher: Pbes2Cipher::Aes256Cbc,
                iterations: 2048,
            },
        ),
        (
            "HMAC-SHA256, AES-128-CBC",
            Pbes2Params {
                prf: Pbes2Prf::HmacSha256,
                cipher: Pbes2Cipher::Aes128Cbc,
                iterations: 1000,
            },
        ),
    ];
    let pass = format!("pass:{password}");
    for (i, (what, params)) in cases.into_iter().enumerate() {
        let mut rng = test_rng(300 + i as u64);
        let pem = pkcs8enc::encrypt_pem(&key, password.as_bytes(), params, &mut rng).unwrap();
        let der = pkcs8enc::encrypt(&key, password.as_bytes(), params, &mut rng).unwrap();
        let pem_path = w.write("enc.pem", &pem);
        let der_path = w.write("enc.der", &der);
        for (file, form) in [(&pem_path, "PEM"), (&der_path, "DER")] {
            let label = format!("{what}, {form}");
            // Our own reader first, so a failure below is OpenSSL's.
            let ours = std::fs::read(file).unwrap();
            assert!(
                PrivateKey::from_any_with_password(&ours, password.as_bytes()).unwrap() == key,
                "{label}"
            );
            assert_openssl_reads_private(&w, &key, file, &["-inform", form, "-passin", &pass]);
            // And OpenSSL refuses a wrong password (the key is really encrypted).
            let bad = ossl_output([
                "pkey",
                "-in",
                file,
                "-inform",
                form,
                "-passin",
                "pass:wrong",
                "-noout",
            ]);
            assert!(
                !bad.status.success(),
                "OpenSSL opened {label} with a wrong password"
            );
        }
    }
}

// ---- 2. signatures ----------------------------------------------------

#[test]
fn our_signatures_verify_in_openssl() {
    let w = Work::new("our-sig");
    let key = PrivateKey::generate(&mut test_rng(40));
    let pub_pem = w.write("pub.pem", key.public_key().to_spki_pem());
    let mut rng = test_rng(41);
    for (i, n) in MESSAGE_SIZES.into_iter().enumerate() {
        let msg = message(n, i as u8);
        let msg_file = w.write(&format!("m{n}"), &msg);
        let sig = key.sign(DEFAULT_USER_ID, &msg, &mut rng).unwrap();
        assert_openssl_verifies(&w, &pub_pem, &msg_file, &sig.to_der(), DISTID_DEFAULT);
    }
}

/// HMAC-SM3 by OpenSSL (`openssl mac -digest SM3 -macopt hexkey:…
/// HMAC`), as upper-case hex.
fn openssl_hmac_sm3(w: &Work, key: &[u8], data: &[u8]) -> String {
    let input = w.write("mac.in", data);
    let out = ossl([
        "mac",
        "-digest",
        "SM3",
        "-macopt",
        &format!("hexkey:{}", hex(key)),
        "-in",
        &input,
        "HMAC",
    ]);
    text(&out).trim().to_ascii_uppercase()
}

/// The first k candidate of RFC 6979 §3.2 (with the §3.6 extra input)
/// over HMAC-SM3, each HMAC computed by OpenSSL.
fn openssl_rfc6979_first_k(w: &Work, x: &[u8; 32], e_mod_n: &[u8; 32], extra: &[u8]) -> String {
    let unhex = |h: String| yizhengtong::hex::decode(&h).expect("openssl mac prints hex");
    let mut v = vec![1u8; 32];
    let mut k = vec![0u8; 32];
    for sep in [0u8, 1] {
        k = unhex(openssl_hmac_sm3(
            w,
            &k,
            &[&v[..], &[sep], x, e_mod_n, extra].concat(),
        ));
        v = unhex(openssl_hmac_sm3(w, &k, &v));
    }
    openssl_hmac_sm3(w, &k, &v)
}

#[test]
fn hedged_nonce_is_the_rfc6979_hmac_sm3_chain_openssl_computes() {
    // The k a signature used (recovered with d) must be the first
    // candidate of the HMAC_DRBG computed step by step by OpenSSL, with
    // the RNG's 32 bytes as extra input; and the signature verifies there.
    let w = Work::new("hedged-k");
    for (seed, n) in [(80u64, 0usize), (81, 65), (82, 1000)] {
        let key = PrivateKey::generate(&mut test_rng(seed));
        let pub_pem = w.write("pub.pem", key.public_key().to_spki_pem());
        let msg = message(n, seed as u8);
        let msg_file = w.write("m", &msg);
        let extra: Vec<u8> = (0..32u8).map(|i| i.wrapping_mul(37) ^ seed as u8).collect();
        let sig = key
            .sign(DEFAULT_USER_ID, &msg, &mut FixedRng::new(extra.clone()))
            .unwrap();
        let e = message_digest(&key.public_key(), DEFAULT_USER_ID, &msg).unwrap();
        let expected = openssl_rfc6979_first_k(&w, &key.to_bytes(), &digest_mod_n(&e), &extra);
        assert_eq!(
            yizhengtong::hex::encode_upper(&nonce_of(&key, &sig)),
            expected,
            "seed {seed}: k is not the RFC 6979 HMAC-SM3 candidate"
        );
        assert_openssl_verifies(&w, &pub_pem, &msg_file, &sig.to_der(), DISTID_DEFAULT);
    }
}

#[test]
fn our_signatures_with_short_components_verify_in_openssl() {
    // r or s below 2^248 encode as INTEGERs shorter than 32 bytes.
    let w = Work::new("our-sig-short");
    let key = PrivateKey::generate(&mut test_rng(45));
    let pub_pem = w.write("pub.pem", key.public_key().to_spki_pem());
    let msg = b"short r or s";
    let msg_file = w.write("m", msg);
    let mut rng = test_rng(46);
    let mut found_r = false;
    let mut found_s = false;
    for _ in 0..20_000 {
        let sig = key.sign(DEFAULT_USER_ID, msg, &mut rng).unwrap();
        let short_r = sig.r()[0] == 0;
        let short_s = sig.s()[0] == 0;
        if (short_r && !found_r) || (short_s && !found_s) {
            // A 32-byte INTEGER would need 34 or 35 bytes; a short one at most 33.
            assert!(sig.to_der().len() <= 71, "DER should shrink");
            assert_openssl_verifies(&w, &pub_pem, &msg_file, &sig.to_der(), DISTID_DEFAULT);
            found_r |= short_r;
            found_s |= short_s;
        }
        if found_r && found_s {
            return;
        }
    }
    panic!("no short r and s found (r: {found_r}, s: {found_s})");
}

#[test]
fn openssl_signatures_verify_in_ours() {
    let w = Work::new("their-sig");
    let key_pem = openssl_genkey(&w, "k.pem");
    let public = PublicKey::from_spki_pem(&ossl(["pkey", "-in", &key_pem, "-pubout"])).unwrap();
    for (i, n) in MESSAGE_SIZES.into_iter().enumerate() {
        let msg = message(n, 100 + i as u8);
        let msg_file = w.write("m", &msg);
        for (how, der) in ["dgst", "pkeyutl"].into_iter().zip(openssl_sign(
            &w,
            &key_pem,
            &msg_file,
            DISTID_DEFAULT,
        )) {
            let sig = Signature::from_der(&der)
                .unwrap_or_else(|e| panic!("{how}, {n} bytes: {e} ({})", hex(&der)));
            assert_eq!(hex(&sig.to_der()), hex(&der), "{how}: DER re-encoding");
            public
                .verify(DEFAULT_USER_ID, &msg, &sig)
                .unwrap_or_else(|e| panic!("{how}, {n} bytes: {e}"));
            // Via the raw form too.
            let raw = Signature::from_raw(&sig.to_raw()).unwrap();
            public.verify(DEFAULT_USER_ID, &msg, &raw).unwrap();
            // One flipped message bit fails.
            let mut bad = msg.clone();
            bad.push(0);
            assert!(
                public
                    .verify(DEFAULT_USER_ID, &bad, &sig)
                    .unwrap_err()
                    .is_signature_mismatch(),
                "{how}, {n} bytes"
            );
        }
    }
}

#[test]
fn digest_level_signatures_interoperate() {
    // `openssl pkeyutl -sign/-verify` without -rawin works on a given
    // digest: it must be our e = SM3(ZA || M), and our sign_digest output
    // must verify there.
    let w = Work::new("digest-sig");
    let key_pem = openssl_genkey(&w, "k.pem");
    let key = openssl_key_scalar(&key_pem);
    let public = key.public_key();
    let pub_pem = w.write("pub.pem", public.to_spki_pem());
    let mut rng = test_rng(55);
    for (id, n) in [(DEFAULT_USER_ID, 0usize), (ALICE, 77), (b"" as &[u8], 4096)] {
        let msg = message(n, 21);
        let e = message_digest(&public, id, &msg).unwrap();
        let e_file = w.write("e", e);

        // OpenSSL signs our e; ours verifies it against the message.
        let sig_file = w.path("their.sig");
        ossl([
            "pkeyutl", "-sign", "-inkey", &key_pem, "-in", &e_file, "-out", &sig_file,
        ]);
        let sig = Signature::from_der(&w.read("their.sig")).unwrap();
        public.verify(id, &msg, &sig).unwrap();
        public.verify_digest(&e, &sig).unwrap();

        // Ours signs e; OpenSSL verifies the digest, and the message
        // under the ID.
        let sig = key.sign_digest(&e, &mut rng);
        let sig_file = w.write("our.sig", sig.to_der());
        let out = ossl([
            "pkeyutl", "-verify", "-pubin", "-inkey", &pub_pem, "-in", &e_file, "-sigfile",
            &sig_file,
        ]);
        assert!(text(&out).contains("Signature Verified Successfully"));
        let msg_file = w.write("m", &msg);
        let opt = format!("hexdistid:{}", hex(id));
        if !id.is_empty() {
            assert_openssl_verifies(&w, &pub_pem, &msg_file, &sig.to_der(), &opt);
        }
    }
}

/// (our ID bytes, the OpenSSL option naming the same ID)
fn custom_ids() -> Vec<(Vec<u8>, String)> {
    let binary = vec![0x00, 0xff, 0x10, 0x80, 0x7f, 0x01];
    let long: Vec<u8> = (0..1000u32).map(|i| (i * 7 + 3) as u8).collect();
    vec![
        (ALICE.to_vec(), format!("distid:{}", text(ALICE))),
        (ALICE.to_vec(), format!("hexdistid:{}", hex(ALICE))),
        (b"a".to_vec(), "distid:a".to_owned()),
        (binary.clone(), format!("hexdistid:{}", hex(&binary))),
        (long.clone(), format!("hexdistid:{}", hex(&long))),
    ]
}

#[test]
fn custom_ids_our_signatures_verify_in_openssl() {
    let w = Work::new("our-sig-id");
    let key = PrivateKey::generate(&mut test_rng(50));
    let pub_pem = w.write("pub.pem", key.public_key().to_spki_pem());
    let mut rng = test_rng(51);
    for (id, opt) in custom_ids() {
        for n in [0usize, 33, 5000] {
            let msg = message(n, 7);
            let msg_file = w.write("m", &msg);
            let sig = key.sign(&id, &msg, &mut rng).unwrap();
            assert_openssl_verifies(&w, &pub_pem, &msg_file, &sig.to_der(), &opt);
        }
    }
}

#[test]
fn custom_ids_openssl_signatures_verify_in_ours() {
    let w = Work::new("their-sig-id");
    let key_pem = openssl_genkey(&w, "k.pem");
    let public = openssl_key_scalar(&key_pem).public_key();
    for (id, opt) in custom_ids() {
        for n in [0usize, 33, 5000] {
            let msg = message(n, 9);
            let msg_file = w.write("m", &msg);
            for (how, der) in ["dgst", "pkeyutl"]
                .into_iter()
                .zip(openssl_sign(&w, &key_pem, &msg_file, &opt))
            {
                let sig = Signature::from_der(&der).unwrap();
                public
                    .verify(&id, &msg, &sig)
                    .unwrap_or_else(|e| panic!("{how}, {opt}, {n} bytes: {e}"));
                assert!(
                    public
                        .verify(DEFAULT_USER_ID, &msg, &sig)
                        .unwrap_err()
                        .is_signature_mismatch(),
                    "{how}, {opt}: verified under the default ID"
                );
            }
        }
    }
}

#[test]
fn wrong_id_fails_in_openssl() {
    let w = Work::new("our-sig-wrong-id");
    let key = PrivateKey::generate(&mut test_rng(60));
    let pub_pem = w.write("pub.pem", key.public_key().to_spki_pem());
    let mut rng = test_rng(61);
    for n in [0usize, 100, 100 * 1024] {
        let msg = message(n, 3);
        let msg_file = w.write("m", &msg);
        // Signed under ALICE, checked under the default ID, and vice versa.
        for (sign_id, verify_opt) in [
            (ALICE, DISTID_DEFAULT.to_owned()),
            (DEFAULT_USER_ID, format!("distid:{}", text(ALICE))),
            (DEFAULT_USER_ID, "distid:1234567812345679".to_owned()),
        ] {
            let sig = key.sign(sign_id, &msg, &mut rng).unwrap();
            let (d_ok, p_ok, d_out, p_out) =
                openssl_verify(&w, &pub_pem, &msg_file, &sig.to_der(), &verify_opt);
            assert!(!d_ok, "dgst accepted a wrong ID ({verify_opt}): {d_out}");
            assert!(
                d_out.contains("Verification failure"),
                "dgst ({verify_opt}): {d_out}"
            );
            assert!(!p_ok, "pkeyutl accepted a wrong ID ({verify_opt}): {p_out}");
            assert!(
                p_out.contains("Signature Verification Failure"),
                "pkeyutl ({verify_opt}): {p_out}"
            );
        }
    }
}

#[test]
fn wrong_id_fails_in_ours() {
    let w = Work::new("their-sig-wrong-id");
    let key_pem = openssl_genkey(&w, "k.pem");
    let public = openssl_key_scalar(&key_pem).public_key();
    for n in [0usize, 100, 100 * 1024] {
        let msg = message(n, 5);
        let msg_file = w.write("m", &msg);
        for (sign_opt, wrong_ids) in [
            (DISTID_DEFAULT.to_owned(), vec![ALICE, b"" as &[u8]]),
            (format!("distid:{}", text(ALICE)), vec![DEFAULT_USER_ID]),
        ] {
            for der in openssl_sign(&w, &key_pem, &msg_file, &sign_opt) {
                let sig = Signature::from_der(&der).unwrap();
                for id in wrong_ids.iter().copied() {
                    let err = public.verify(id, &msg, &sig).unwrap_err();
                    assert!(
                        err.is_signature_mismatch(),
                        "signed with {sign_opt}, checked with {:?}: {err:?}",
                        text(id)
                    );
                }
            }
        }
    }
}

#[test]
fn openssl_default_id_is_empty_and_ours_can_match_it() {
    // Without distid OpenSSL 3.0 hashes an empty ID: ours with b"" agrees,
    // ours with the GM/T default does not.
    let w = Work::new("empty-id");
    let key_pem = openssl_genkey(&w, "k.pem");
    let key = openssl_key_scalar(&key_pem);
    let public = key.public_key();
    let pub_pem = w.write("pub.pem", public.to_spki_pem());
    let msg = message(300, 11);
    let msg_file = w.write("m", &msg);

    let their = ossl(["dgst", "-sm3", "-sign", &key_pem, &msg_file]);
    let their = Signature::from_der(&their).unwrap();
    public.verify(b"", &msg, &their).unwrap();
    assert!(
        public
            .verify(DEFAULT_USER_ID, &msg, &their)
            .unwrap_err()
            .is_signature_mismatch()
    );

    let ours = key.sign(b"", &msg, &mut test_rng(70)).unwrap();
    let sig = w.write("ours.sig", ours.to_der());
    let out = ossl([
        "dgst",
        "-sm3",
        "-verify",
        &pub_pem,
        "-signature",
        &sig,
        &msg_file,
    ]);
    assert!(text(&out).contains("Verified OK"));
}

// ---- 3. encryption ----------------------------------------------------

const PLAINTEXT_SIZES: [usize; 6] = [1, 19, 32, 33, 64, 1000];

#[test]
fn our_asn1_ciphertexts_decrypt_in_openssl() {
    let w = Work::new("our-enc-sm2");
    // Our key and an OpenSSL-made key.
    let ours = PrivateKey::generate(&mut test_rng(80));
    let ours_pem = w.write("ours.pem", ours.to_pkcs8_pem().as_bytes());
    let theirs_pem = openssl_genkey(&w, "theirs.pem");
    let theirs = openssl_key_scalar(&theirs_pem);
    let mut rng = test_rng(81);
    for (key, key_pem) in [(&ours, &ours_pem), (&theirs, &theirs_pem)] {
        for n in PLAINTEXT_SIZES {
            let pt = message(n, 13);
            let ct = key
                .public_key()
                .encrypt_to(&pt, CiphertextFormat::Asn1, &mut rng)
                .unwrap();
            let ct_file = w.write("ct", &ct);
            let out = ossl(["pkeyutl", "-decrypt", "-inkey", key_pem, "-in", &ct_file]);
            assert_eq!(hex(&out), hex(&pt), "{n} bytes");
        }
    }
}

#[test]
fn our_ciphertexts_with_short_coordinates_decrypt_in_openssl() {
    // C1 with x or y below 2^248 encodes as a short INTEGER.
    let w = Work::new("our-enc-short");
    let key = PrivateKey::generate(&mut test_rng(85));
    let key_pem = w.write("k.pem", key.to_pkcs8_pem().as_bytes());
    let public = key.public_key();
    let pt = b"short coordinate";
    let mut rng = test_rng(86);
    let (mut found_x, mut found_y) = (false, false);
    for _ in 0..20_000 {
        let ct = public.encrypt(pt, &mut rng).unwrap();
        let short_x = ct.c1[1] == 0;
        let short_y = ct.c1[33] == 0;
        if (short_x && !found_x) || (short_y && !found_y) {
            let der = ct.to_bytes(CiphertextFormat::Asn1);
            let ct_file = w.write("ct", &der);
            let out = ossl(["pkeyutl", "-decrypt", "-inkey", &key_pem, "-in", &ct_file]);
            assert_eq!(&out[..], pt);
            found_x |= short_x;
            found_y |= short_y;
        }
        if found_x && found_y {
            return;
        }
    }
    panic!("no short coordinates found (x: {found_x}, y: {found_y})");
}

#[test]
fn openssl_ciphertexts_decrypt_in_ours() {
    let w = Work::new("their-enc-sm2");
    let ours = PrivateKey::generate(&mut test_rng(90));
    let ours_pub = w.write("ours.pub.pem", ours.public_key().to_spki_pem());
    let theirs_pem = openssl_genkey(&w, "theirs.pem");
    let theirs = openssl_key_scalar(&theirs_pem);
    let theirs_pub = w.write(
        "theirs.pub.pem",
        ossl(["pkey", "-in", &theirs_pem, "-pubout"]),
    );
    for (key, pub_pem) in [(&ours, &ours_pub), (&theirs, &theirs_pub)] {
        for n in PLAINTEXT_SIZES {
            let pt = message(n, 17);
            let pt_file = w.write("pt", &pt);
            let ct = ossl([
                "pkeyutl", "-encrypt", "-pubin", "-inkey", pub_pem, "-in", &pt_file,
            ]);
            let m = key
                .decrypt(&ct)
                .unwrap_or_else(|e| panic!("decrypt, {n} bytes: {e} ({})", hex(&ct)));
            assert_eq!(hex(&m), hex(&pt), "{n} bytes");
            let (m, format) = key.decrypt_detect(&ct).unwrap();
            assert_eq!(format, CiphertextFormat::Asn1, "{n} bytes");
            assert_eq!(hex(&m), hex(&pt));
            let m = key.decrypt_as(&ct, CiphertextFormat::Asn1).unwrap();
            assert_eq!(hex(&m), hex(&pt));

            // We parse and re-encode OpenSSL's DER to the same bytes, and
            // its parts survive conversion to the raw forms.
            let parts = Ciphertext::from_bytes(&ct, CiphertextFormat::Asn1).unwrap();
            assert_eq!(parts.c2.len(), n);
            assert_eq!(hex(&parts.to_bytes(CiphertextFormat::Asn1)), hex(&ct));
            let raw = parts.to_bytes(CiphertextFormat::C1C3C2);
            assert_eq!(hex(&key.decrypt(&raw).unwrap()), hex(&pt));

            // Tampering is detected.
            let mut bad = ct.clone();
            let last = bad.len() - 1;
            bad[last] ^= 1;
            assert!(
                matches!(key.decrypt(&bad), Err(Error::DecryptionFailed(_))),
                "tampered C2 accepted ({n} bytes)"
            );
            // The other key cannot decrypt it.
            let other = if std::ptr::eq(key, &ours) {
                &theirs
            } else {
                &ours
            };
            assert!(other.decrypt(&ct).is_err());
        }
    }
}
