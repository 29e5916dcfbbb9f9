//! SM3, HMAC-SM3, PBKDF2-HMAC-SM3 and the SM4 modes checked against the
//! openssl binary on random inputs (SM4-GCM and -CCM have RFC 8998 known
//! answers in tests/known_answers.rs; `openssl enc` does not do AEAD).

mod common;

use common::{openssl, run_ok, temp_dir, test_rng};
use rand::Rng;
use yizhengtong::crypto::{hmac_sm3, pbkdf2_hmac_sm3, sm3, sm4};
use yizhengtong::hex;

fn random(rng: &mut impl Rng, n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    rng.fill_bytes(&mut v);
    v
}

/// The hex digest at the end of `openssl dgst` output.
fn last_hex(out: &[u8]) -> String {
    String::from_utf8_lossy(out)
        .trim()
        .rsplit(' ')
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

#[test]
fn sm3_and_hmac_sm3_match_openssl() {
    let d = temp_dir("sym-sm3");
    let mut rng = test_rng(11);
    for len in [0usize, 1, 55, 56, 63, 64, 65, 1000, 100_000] {
        let data = random(&mut rng, len);
        let f = d.join(format!("m{len}"));
        std::fs::write(&f, &data).unwrap();
        let theirs = run_ok(openssl().args(["dgst", "-sm3"]).arg(&f));
        assert_eq!(
            last_hex(&theirs),
            hex::encode(&sm3(&data)),
            "SM3 of {len} bytes"
        );
        // HMAC with a key longer than the block, and a short one.
        for key in [b"k".to_vec(), vec![0x61u8; 100]] {
            let key_hex = hex::encode(&key);
            let theirs = run_ok(
                openssl()
                    .args(["dgst", "-sm3", "-mac", "HMAC", "-macopt"])
                    .arg(format!("hexkey:{key_hex}"))
                    .arg(&f),
            );
            assert_eq!(
                last_hex(&theirs),
                hex::encode(&hmac_sm3(&key, &data)),
                "HMAC-SM3 of {len} bytes"
            );
        }
    }
}

#[test]
fn pbkdf2_hmac_sm3_matches_openssl() {
    for (pass, salt, iter, len) in [
        ("password", "salt", 1u32, 32usize),
        ("123456", "per-container salt", 1000, 16),
        ("", "s", 2, 48),
    ] {
        let out = run_ok(openssl().args([
            "kdf",
            "-keylen",
            &len.to_string(),
            "-kdfopt",
            "digest:SM3",
            "-kdfopt",
            &format!("pass:{pass}"),
            "-kdfopt",
            &format!("salt:{salt}"),
            "-kdfopt",
            &format!("iter:{iter}"),
            "PBKDF2",
        ]));
        let theirs = String::from_utf8_lossy(&out)
            .trim()
            .replace(':', "")
            .to_lowercase();
        let mut ours = vec![0u8; len];
        pbkdf2_hmac_sm3(pass.as_bytes(), salt.as_bytes(), iter, &mut ours).unwrap();
        assert_eq!(theirs, hex::encode(&ours), "{pass:?} {salt:?} {iter}");
    }
}

#[test]
fn sm4_ecb_cbc_ctr_match_openssl_both_ways() {
    let d = temp_dir("sym-sm4");
    let mut rng = test_rng(12);
    for len in [1usize, 15, 16, 17, 100, 4096] {
        let key = random(&mut rng, 16);
        let iv = random(&mut rng, 16);
        let data = random(&mut rng, len);
        let pt = d.join("pt");
        std::fs::write(&pt, &data).unwrap();
        for mode in ["sm4-ecb", "sm4-cbc", "sm4-ctr"] {
            let mut cmd = openssl();
            cmd.args(["enc", &format!("-{mode}"), "-K", &hex::encode(&key)])
                .arg("-in")
                .arg(&pt);
            if mode != "sm4-ecb" {
                cmd.args(["-iv", &hex::encode(&iv)]);
            }
            let theirs = run_ok(&mut cmd);
            let ours = match mode {
                "sm4-ecb" => sm4::ecb_encrypt(&key, &data, sm4::Padding::Pkcs7).unwrap(),
                "sm4-cbc" => sm4::cbc_encrypt(&key, &iv, &data, sm4::Padding::Pkcs7).unwrap(),
                _ => sm4::ctr(&key, &iv, &data).unwrap(),
            };
            assert_eq!(theirs, ours, "{mode} {len}");
            // and ours decrypts theirs
            let back = match mode {
                "sm4-ecb" => sm4::ecb_decrypt(&key, &theirs, sm4::Padding::Pkcs7)
                    .unwrap()
                    .to_vec(),
                "sm4-cbc" => sm4::cbc_decrypt(&key, &iv, &theirs, sm4::Padding::Pkcs7)
                    .unwrap()
                    .to_vec(),
                _ => sm4::ctr(&key, &iv, &theirs).unwrap(),
            };
            assert_eq!(back, data);
        }
    }
    // CTR's counter carries across the 64-bit boundary like OpenSSL's.
    let key = [7u8; 16];
    let iv = hex::decode("0000000000000000ffffffffffffffff").unwrap();
    let data = vec![0u8; 64];
    std::fs::write(d.join("z"), &data).unwrap();
    let theirs = run_ok(
        openssl()
            .args([
                "enc",
                "-sm4-ctr",
                "-K",
                &hex::encode(&key),
                "-iv",
                &hex::encode(&iv),
                "-in",
            ])
            .arg(d.join("z")),
    );
    assert_eq!(theirs, sm4::ctr(&key, &iv, &data).unwrap());
}
