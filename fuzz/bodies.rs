//! The bodies of the fuzz targets, shared with `tests/fuzz_corpus.rs`,
//! which replays the corpus through them on every `cargo test`.
//!
//! Each body feeds untrusted bytes to a decoder and checks what must hold
//! whenever decoding succeeds; a panic anywhere is a finding.
#![allow(dead_code)]

use yizhengtong::crypto::encrypt::{Ciphertext, CiphertextFormat};
use yizhengtong::crypto::{PrivateKey, PublicKey, Signature, SignatureFormat};

/// A fixed key for the decryption path (the fuzzer cannot guess a key, but
/// the parsing and the C3 check still run on its input).
fn fixed_key() -> PrivateKey {
    let mut d = [0x11u8; 32];
    d[0] = 0x3a;
    PrivateKey::from_bytes(&d).expect("fixed scalar is in range")
}

/// Private and public keys in every format, PEM and DER.
pub fn key_parsing(data: &[u8]) {
    if let Ok(k) = PrivateKey::from_any(data) {
        // Whatever was read re-encodes and reads back as the same key.
        let again = PrivateKey::from_pkcs8_der(&k.to_pkcs8_der()).expect("own PKCS#8 reads back");
        assert!(again == k);
        let sec1 = PrivateKey::from_sec1_der(&k.to_sec1_der()).expect("own SEC1 reads back");
        assert!(sec1 == k);
    }
    let _ = PrivateKey::from_any_with_password(data, b"fuzz");
    if let Ok(p) = PublicKey::from_any(data) {
        assert_eq!(
            PublicKey::from_spki_der(&p.to_spki_der()).expect("own SPKI reads back"),
            p
        );
        assert_eq!(
            PublicKey::from_sec1_bytes(&p.to_sec1_bytes(true)).expect("compressed reads back"),
            p
        );
    }
    if let Ok(p) = PublicKey::from_sec1_bytes(data) {
        assert_eq!(
            PublicKey::from_sec1_bytes(&p.to_sec1_bytes(false)).expect("uncompressed reads back"),
            p
        );
    }
    let _ = yizhengtong::crypto::KeyContainer::from_bytes(data);
}

/// Signatures in DER and raw form.
pub fn signature_decoding(data: &[u8]) {
    if let Ok(sig) = Signature::from_der(data) {
        // Only canonical DER is accepted, so re-encoding gives the input.
        assert_eq!(sig.to_der(), data);
        assert_eq!(
            Signature::from_raw(&sig.to_raw()).expect("raw reads back"),
            sig
        );
    }
    if let Ok(sig) = Signature::from_bytes(data, SignatureFormat::Raw) {
        assert_eq!(&sig.to_raw()[..], data);
    }
    let _ = Signature::from_der_or_raw(data);
}

/// SM2 ciphertexts in every format, and decryption with detection.
pub fn ciphertext_decoding(data: &[u8]) {
    for f in CiphertextFormat::ALL {
        if let Ok(ct) = Ciphertext::from_bytes(data, f) {
            let re = Ciphertext::from_bytes(&ct.to_bytes(f), f).expect("own encoding reads back");
            assert_eq!(re, ct);
        }
    }
    // A random input never decrypts under a fixed key (C3 is a 256-bit check).
    assert!(fixed_key().decrypt(data).is_err());
}
