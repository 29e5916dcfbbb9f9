//! Replays every fuzz corpus file through its target's body, so that
//! findings (once minimised into the corpus) stay fixed, and the bodies'
//! invariants are checked on realistic inputs at every `cargo test`.
//! Each input is also replayed truncated at every length, and with each
//! byte flipped, which covers the common malformations.

#[path = "../fuzz/bodies.rs"]
mod bodies;

use std::path::Path;

fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dir entry").path();
        let data = std::fs::read(&path).expect("read corpus file");
        body(&data);
        for len in 0..data.len() {
            body(&data[..len]);
        }
        // Byte flips: every byte for short inputs, a spread for long ones.
        let step = (data.len() / 64).max(1);
        for i in (0..data.len()).step_by(step) {
            let mut m = data.clone();
            m[i] ^= 0x55;
            body(&m);
        }
        count += 1;
    }
    assert!(count >= 5, "corpus for {target} has only {count} files");
}

#[test]
fn key_parsing_corpus() {
    replay("key_parsing", bodies::key_parsing);
}

#[test]
fn signature_decoding_corpus() {
    replay("signature_decoding", bodies::signature_decoding);
}

#[test]
fn ciphertext_decoding_corpus() {
    replay("ciphertext_decoding", bodies::ciphertext_decoding);
}

#[test]
fn certificate_parsing_corpus() {
    replay("certificate_parsing", bodies::certificate_parsing);
}

#[test]
fn crl_parsing_corpus() {
    replay("crl_parsing", bodies::crl_parsing);
}

/// The certificate and CRL seeds are what they claim to be: every seed
/// parses, every certificate is signed by a certificate of the corpus
/// (itself for roots), every CRL by one of the corpus CAs, and both SPKI
/// forms (id-ecPublicKey + SM2 curve, bare 1.2.156.10197.1.301) occur.
#[test]
fn certificate_and_crl_seeds_parse_and_verify() {
    use yizhengtong::cert::{Certificate, Crl};
    let read_dir = |target: &str| -> Vec<(String, Vec<u8>)> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/corpus")
            .join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .expect("corpus dir")
            .map(|e| {
                let p = e.expect("dir entry").path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read(&p).expect("read corpus file"))
            })
            .collect();
        files.sort();
        files
    };
    let mut certs = Vec::new();
    for (name, data) in read_dir("certificate_parsing") {
        let all = Certificate::parse_all(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!all.is_empty(), "{name}");
        certs.extend(all.into_iter().map(|c| (name.clone(), c)));
    }
    for (name, c) in &certs {
        assert!(
            certs
                .iter()
                .any(|(_, issuer)| c.verify_signed_by(issuer.public_key()).is_ok()),
            "{name}: {} is not signed by any corpus certificate",
            c.subject()
        );
    }
    let alg_oids: Vec<String> = certs
        .iter()
        .map(|(_, c)| {
            let spki = c.x509().tbs_certificate().subject_public_key_info();
            spki.algorithm.oid.to_string()
        })
        .collect();
    assert!(alg_oids.iter().any(|o| o == "1.2.840.10045.2.1"));
    assert!(alg_oids.iter().any(|o| o == "1.2.156.10197.1.301"));

    let crls = read_dir("crl_parsing");
    let mut with_entries = 0;
    for (name, data) in &crls {
        let crl = Crl::from_any(data).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            certs
                .iter()
                .any(|(_, ca)| crl.verify(ca, crl.this_update()).is_ok()),
            "{name}: no corpus CA verifies it"
        );
        if !crl.entries().is_empty() {
            with_entries += 1;
        }
    }
    assert!(with_entries >= 3, "CRL seeds with entries: {with_entries}");
}

#[test]
fn seal_parsing_corpus() {
    replay("seal_parsing", bodies::seal_parsing);
}

#[test]
fn qr_parsing_corpus() {
    replay("qr_parsing", bodies::qr_parsing);
}

#[test]
fn verify_engine_corpus() {
    replay("verify_engine", bodies::verify_engine);
}
