//! The bodies of the fuzz targets, shared with `tests/fuzz_corpus.rs`,
//! which replays the corpus through them on every `cargo test`.
//!
//! Each body feeds untrusted bytes to a decoder and checks what must hold
//! whenever decoding succeeds; a panic anywhere is a finding.
#![allow(dead_code)]

use std::sync::OnceLock;

use yizhengtong::cert::{
    Certificate, CertificateDetail, Crl, IntendedUse, VerifyOptions, verify_chain,
};
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

/// The CA certificates of the seed corpora (OpenSSL's root, this SDK's
/// root and issuing CA): issuers to check fuzzed certificates and CRLs
/// against, so that the signature paths run on realistic names and keys.
fn corpus_cas() -> &'static [Certificate] {
    static CAS: OnceLock<Vec<Certificate>> = OnceLock::new();
    CAS.get_or_init(|| {
        [
            &include_bytes!("corpus/certificate_parsing/openssl_root.pem")[..],
            &include_bytes!("corpus/certificate_parsing/yzt_root.pem")[..],
            &include_bytes!("corpus/certificate_parsing/yzt_issuing.der")[..],
        ]
        .iter()
        .map(|d| Certificate::from_any(d).expect("corpus CA certificate parses"))
        .collect()
    })
}

/// Every getter of a parsed certificate, with what must hold.
fn exercise_certificate(c: &Certificate) {
    // What was parsed reads back the same from its DER and its PEM.
    assert!(Certificate::from_der(c.der()).expect("own DER reads back") == *c);
    assert!(Certificate::from_pem(c.to_pem().as_bytes()).expect("own PEM reads back") == *c);
    // The TBS is a part of the DER, and the key round-trips.
    let (der, tbs) = (c.der(), c.tbs_bytes());
    assert!(!tbs.is_empty() && der.windows(tbs.len()).any(|w| w == tbs));
    let key = *c.public_key();
    assert_eq!(
        PublicKey::from_spki_der(&key.to_spki_der()).expect("own SPKI reads back"),
        key
    );
    let _ = (c.subject(), c.issuer(), c.subject_der(), c.issuer_der());
    let _ = (c.common_name(), c.organization(), c.issuer_display_name());
    let _ = (
        c.subject_serial_number(),
        c.subject_organization_identifier(),
    );
    assert_eq!(c.serial_hex(), yizhengtong::hex::encode_upper(c.serial()));
    let _ = (c.signature_algorithm(), c.signature_bytes(), c.x509());
    if let Ok(Some(ku)) = c.key_usage() {
        let _ = ku.names();
    }
    let bc = c.basic_constraints();
    assert_eq!(c.is_ca(), matches!(bc, Ok(Some((true, _)))));
    let _ = c.extended_key_usage();
    let _ = c.subject_key_id();
    let _ = c.authority_key_id();
    let _ = c.crl_distribution_uris();
    let _ = c.profile();
    for (oid, critical, value) in c.extensions() {
        let _ = (oid.to_string(), critical, value.len());
    }
    let _ = c.is_self_issued();
    let (nb, na) = (c.not_before(), c.not_after());
    if nb <= na {
        assert!(c.is_valid_at(nb) && c.is_valid_at(na));
    }
    let _ = c.verify_signed_by(&key);
    if let Ok(detail) = CertificateDetail::of(c) {
        assert_eq!(detail.serial, c.serial_hex());
    }
    // Chain verification: as its own anchor, and against the corpus CAs.
    let mut opts = VerifyOptions::at(nb);
    let _ = verify_chain(c, &[], std::slice::from_ref(c), &opts);
    opts.usage = IntendedUse::Signature;
    let _ = verify_chain(c, &[], corpus_cas(), &opts);
}

/// X.509 certificates, PEM (one or a bundle) and DER.
pub fn certificate_parsing(data: &[u8]) {
    let first = Certificate::from_any(data);
    if let Ok(c) = &first {
        exercise_certificate(c);
        if !yizhengtong::pem::is_pem(data) {
            // DER is kept exactly as received.
            assert_eq!(c.der(), data);
        }
    }
    if let Ok(all) = Certificate::parse_all(data) {
        // The bundle's first certificate is the one from_any reads.
        if let Some(head) = all.first() {
            assert!(first.as_ref().ok() == Some(head));
        }
        for c in &all {
            exercise_certificate(c);
        }
    }
    let _ = Certificate::from_der(data);
    let _ = Certificate::from_pem(data);
}

/// Certificate revocation lists, PEM and DER.
pub fn crl_parsing(data: &[u8]) {
    let _ = Crl::from_der(data);
    let Ok(crl) = Crl::from_any(data) else {
        return;
    };
    // What was parsed reads back the same from its DER and its PEM.
    let again = Crl::from_der(crl.der()).expect("own DER reads back");
    assert_eq!(again.der(), crl.der());
    let again = Crl::from_any(crl.to_pem().as_bytes()).expect("own PEM reads back");
    assert_eq!(again.der(), crl.der());
    if !yizhengtong::pem::is_pem(data) {
        assert_eq!(crl.der(), data);
    }
    let tbs = crl.tbs_bytes();
    assert!(!tbs.is_empty() && crl.der().windows(tbs.len()).any(|w| w == tbs));
    let _ = (crl.issuer(), crl.issuer_der(), crl.number());
    let (this, next) = (crl.this_update(), crl.next_update());
    for entry in crl.entries() {
        let _ = (entry.reason.code(), entry.reason.name(), entry.revoked_at);
        assert!(crl.find(&entry.serial).is_some());
    }
    for ca in corpus_cas() {
        let _ = crl.verify(ca, this);
        if let Some(next) = next {
            let _ = crl.verify(ca, next);
        }
    }
}

/// Electronic seals and seal signatures (v1, v4, v5).
pub fn seal_parsing(data: &[u8]) {
    use yizhengtong::seal::{
        Seal, SealSignature, SealVerifyOptions, verify_seal, verify_signature,
    };
    if let Ok(seal) = Seal::from_der(data) {
        // The exact bytes are kept, and the signed part lies inside them.
        assert_eq!(seal.raw, data);
        assert!(
            data.windows(seal.info.raw.len())
                .any(|w| w == seal.info.raw.as_slice())
        );
        assert_eq!(Seal::from_der(&seal.raw).expect("reads back"), seal);
        let at = seal.info.property.valid_start;
        let report = verify_seal(&seal, at, &SealVerifyOptions::default());
        assert_eq!(report.valid, report.failed().is_empty());
    }
    if let Ok(sig) = SealSignature::from_der(data) {
        assert_eq!(sig.raw, data);
        assert!(
            data.windows(sig.tbs_raw.len())
                .any(|w| w == sig.tbs_raw.as_slice())
        );
        let report = verify_signature(&sig, Some(data), &SealVerifyOptions::default());
        assert_eq!(report.valid, report.failed().is_empty());
        let _ = yizhengtong::seal::ImageType::detect(&sig.seal.info.picture.data);
    }
}

/// QR challenges (text and binary) and app responses.
pub fn qr_parsing(data: &[u8]) {
    use yizhengtong::qr::{Challenge, Response};
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(c) = Challenge::from_text(text) {
            // Only the canonical text is accepted.
            assert_eq!(c.to_text(), text.trim());
            let _ = c.verify(&c.ephemeral_key.unwrap_or_else(|| fixed_key().public_key()));
        }
        let _ = Response::from_base64(text);
    }
    if let Ok(c) = Challenge::from_bytes(data) {
        assert_eq!(c.to_bytes(), data);
    }
    if let Ok(r) = Response::from_der(data) {
        assert_eq!(r.to_der(), data);
    }
}

/// The fast verification engine against the reference arithmetic: the
/// input is split into a public key seed, a message and a signature.
pub fn verify_engine(data: &[u8]) {
    use yizhengtong::crypto::DEFAULT_USER_ID;
    if data.len() < 1 + 64 {
        return;
    }
    let (seed, rest) = data.split_at(1);
    let (sig, msg) = rest.split_at(64);
    // A key from the seed byte (public keys are what matter; any valid one).
    let mut d = [0x5au8; 32];
    d[31] = seed[0].max(1);
    let Ok(key) = PrivateKey::from_bytes(&d) else {
        return;
    };
    let public = key.public_key();
    if let Ok(sig) = Signature::from_raw(sig) {
        let reference = public.verify(DEFAULT_USER_ID, msg, &sig).is_ok();
        let engine = yizhengtong::verify::verify(&public, DEFAULT_USER_ID, msg, &sig).is_ok();
        assert_eq!(reference, engine, "engine and reference disagree");
        let prepared = yizhengtong::verify::VerifyingKey::new(&public, DEFAULT_USER_ID)
            .and_then(|k| k.verify(msg, &sig))
            .is_ok();
        assert_eq!(reference, prepared, "prepared key and reference disagree");
    }
    // A real signature over the message must pass both.
    let mut rng = FixedRng(data.to_vec(), 0);
    if let Ok(good) = key.sign(DEFAULT_USER_ID, msg, &mut rng) {
        assert!(yizhengtong::verify::verify(&public, DEFAULT_USER_ID, msg, &good).is_ok());
    }
}

/// A deterministic RNG over the fuzz input (repeats it).
struct FixedRng(Vec<u8>, usize);

impl rand_core::TryRng for FixedRng {
    type Error = std::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for (i, d) in dst.iter_mut().enumerate() {
            *d = self.0[(self.1 + i) % self.0.len()].wrapping_add(i as u8);
        }
        self.1 += dst.len();
        Ok(())
    }
}
impl rand_core::TryCryptoRng for FixedRng {}
