//! Known answers from `../shared/vectors/crypto.md`, read from that file.

mod common;

use common::{FixedRng, get, section};
use yizhengtong::crypto::encrypt::{Ciphertext, CiphertextFormat};
use yizhengtong::crypto::sign::hazmat::sign_digest_with_nonce;
use yizhengtong::crypto::sign::{message_digest, za};
use yizhengtong::crypto::{PrivateKey, PublicKey, Signature, sm3, sm4};

fn arr32(v: &[u8]) -> [u8; 32] {
    v.try_into().expect("32 bytes")
}

fn annex_a_key() -> (PrivateKey, std::collections::HashMap<String, common::Value>) {
    let s = section(1);
    let key = PrivateKey::from_bytes(&arr32(&get(&s, "d"))).unwrap();
    (key, s)
}

#[test]
fn sm2_annex_a_public_key_za_and_e() {
    let (key, s) = annex_a_key();
    let public = key.public_key();
    let xy = public.to_xy();
    assert_eq!(&xy[..32], &get(&s, "xA")[..]);
    assert_eq!(&xy[32..], &get(&s, "yA")[..]);
    let id = get(&s, "ID");
    assert_eq!(id, b"1234567812345678");
    assert_eq!(za(&public, &id).unwrap().to_vec(), get(&s, "ZA"));
    assert_eq!(
        message_digest(&public, &id, &get(&s, "M"))
            .unwrap()
            .to_vec(),
        get(&s, "e")
    );
}

#[test]
fn sm2_annex_a_signature_recomputed_with_given_k() {
    // Signing derives k (hedged RFC 6979), so the vector's k goes in
    // through the hazmat entry point.
    let (key, s) = annex_a_key();
    let e = message_digest(&key.public_key(), &get(&s, "ID"), &get(&s, "M")).unwrap();
    let sig = sign_digest_with_nonce(&key, &e, &arr32(&get(&s, "k"))).unwrap();
    assert_eq!(sig.r().to_vec(), get(&s, "r"));
    assert_eq!(sig.s().to_vec(), get(&s, "s"));
    // An RNG that returns the vector's k does not make signing use it.
    let mut rng = FixedRng::new(get(&s, "k"));
    let hedged = key.sign(&get(&s, "ID"), &get(&s, "M"), &mut rng).unwrap();
    assert_ne!(hedged, sig);
    key.public_key()
        .verify(&get(&s, "ID"), &get(&s, "M"), &hedged)
        .unwrap();
}

#[test]
fn sm2_hazmat_nonce_out_of_range_or_unusable_is_refused() {
    let (key, s) = annex_a_key();
    let e = arr32(&get(&s, "e"));
    for bad in [[0u8; 32], yizhengtong::crypto::curve::N, [0xff; 32]] {
        assert!(matches!(
            sign_digest_with_nonce(&key, &e, &bad),
            Err(yizhengtong::Error::InvalidParameter { name: "k", .. })
        ));
    }
}

#[test]
fn sm2_annex_a_signature_verifies_and_one_byte_change_fails() {
    let (key, s) = annex_a_key();
    let public = key.public_key();
    let sig = Signature::from_components(arr32(&get(&s, "r")), arr32(&get(&s, "s"))).unwrap();
    let id = get(&s, "ID");
    let m = get(&s, "M");
    public.verify(&id, &m, &sig).unwrap();
    public.verify_digest(&arr32(&get(&s, "e")), &sig).unwrap();
    let mut m2 = m.clone();
    m2[0] ^= 1;
    assert!(
        public
            .verify(&id, &m2, &sig)
            .unwrap_err()
            .is_signature_mismatch()
    );
    assert!(
        public
            .verify(b"1234567812345679", &m, &sig)
            .unwrap_err()
            .is_signature_mismatch()
    );
}

#[test]
fn sm2_encryption_with_fixed_k() {
    let s1 = section(1);
    let s = section(2);
    let key = PrivateKey::from_bytes(&arr32(&get(&s1, "d"))).unwrap();
    let m = get(&s, "M");
    let mut rng = FixedRng::new(get(&s, "k"));
    let ct = key.public_key().encrypt(&m, &mut rng).unwrap();
    assert_eq!(&ct.c1[1..33], &get(&s, "x1")[..]);
    assert_eq!(&ct.c1[33..], &get(&s, "y1")[..]);
    assert_eq!(ct.c2, get(&s, "C2"));
    assert_eq!(ct.c3.to_vec(), get(&s, "C3"));

    // The GM/T 0009 ASN.1 form given in crypto.md (its hex block).
    let asn1 = ct.to_bytes(CiphertextFormat::Asn1);
    let mut expected = vec![0x30, 0x7c, 0x02, 0x20];
    expected.extend(get(&s, "x1"));
    expected.extend([0x02, 0x21, 0x00]);
    expected.extend(get(&s, "y1"));
    expected.extend([0x04, 0x20]);
    expected.extend(get(&s, "C3"));
    expected.extend([0x04, 0x13]);
    expected.extend(get(&s, "C2"));
    assert_eq!(asn1, expected);

    // C1 || C3 || C2 with the 04 prefix.
    let raw = ct.to_bytes(CiphertextFormat::C1C3C2);
    assert_eq!(raw[0], 0x04);
    assert_eq!(&raw[65..97], &get(&s, "C3")[..]);

    for f in CiphertextFormat::ALL {
        let bytes = ct.to_bytes(f);
        assert_eq!(Ciphertext::from_bytes(&bytes, f).unwrap(), ct, "{f}");
        let (plain, detected) = key.decrypt_detect(&bytes).unwrap();
        assert_eq!(&plain[..], &m[..], "{f}");
        assert_eq!(detected, f);
    }
}

#[test]
fn sm3_known_answers() {
    // Section 3 gives its values on `= HEX` lines without names: find them
    // in the text rather than by name.
    let text = String::from_utf8(common::read_vector("crypto.md")).unwrap();
    let abcd = yizhengtong::hex::decode(
        "DEBE9FF92275B8A138604889C18E5A4D6FDB70E5387E5765293DCBA39C0C5732",
    )
    .unwrap();
    assert!(text.contains("DEBE9FF92275B8A138604889C18E5A4D6FDB70E5387E5765293DCBA39C0C5732"));
    assert_eq!(sm3(&b"abcd".repeat(16)).to_vec(), abcd);
    let abc = yizhengtong::hex::decode(
        "66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0",
    )
    .unwrap();
    assert!(text.contains("66C7F0F462EEEDD9D1F2D46BDC10E4E24167C4875CF2F7A2297DA02B8F4BA8E0"));
    assert_eq!(sm3(b"abc").to_vec(), abc);
    // incremental equals one-shot
    let mut h = yizhengtong::crypto::Sm3::new();
    for chunk in b"abcd".repeat(16).chunks(7) {
        h.update(chunk);
    }
    assert_eq!(h.finalize().to_vec(), abcd);
}

#[test]
fn sm4_one_block_and_million_iterations() {
    let s = section(4);
    let key = get(&s, "key");
    let pt: [u8; 16] = get(&s, "plaintext").try_into().unwrap();
    let ct = sm4::encrypt_block(&key, &pt).unwrap();
    assert_eq!(ct.to_vec(), get(&s, "ciphertext"));
    let mut block = pt;
    for _ in 0..1_000_000 {
        block = sm4::encrypt_block(&key, &block).unwrap();
    }
    assert_eq!(block.to_vec(), get(&s, "result"));
    // ECB without padding gives the same block.
    assert_eq!(
        sm4::ecb_encrypt(&key, &pt, sm4::Padding::None).unwrap(),
        ct.to_vec()
    );
}

#[test]
fn sm4_gcm_rfc8998() {
    let s = section(5);
    let (key, iv, aad, pt) = (
        get(&s, "Key"),
        get(&s, "IV"),
        get(&s, "AAD"),
        get(&s, "Plaintext"),
    );
    assert_eq!(pt.len(), 64);
    let out = sm4::gcm_encrypt(&key, &iv, &aad, &pt).unwrap();
    assert_eq!(&out[..64], &get(&s, "Ciphertext")[..]);
    assert_eq!(&out[64..], &get(&s, "Tag")[..]);
    assert_eq!(
        &sm4::gcm_decrypt(&key, &iv, &aad, &out).unwrap()[..],
        &pt[..]
    );
    let mut bad = out.clone();
    bad[70] ^= 1;
    assert_eq!(
        sm4::gcm_decrypt(&key, &iv, &aad, &bad).unwrap_err(),
        yizhengtong::Error::AuthenticationFailed
    );
}

#[test]
fn sm4_ccm_rfc8998() {
    let s = section(6);
    let s5 = section(5);
    let (key, nonce, aad) = (get(&s, "Key"), get(&s, "Nonce"), get(&s, "AAD"));
    let pt = get(&s5, "Plaintext");
    let out = sm4::ccm_encrypt(&key, &nonce, &aad, &pt).unwrap();
    assert_eq!(&out[..64], &get(&s, "Ciphertext")[..]);
    assert_eq!(&out[64..], &get(&s, "Tag")[..]);
    assert_eq!(
        &sm4::ccm_decrypt(&key, &nonce, &aad, &out).unwrap()[..],
        &pt[..]
    );
    assert!(sm4::ccm_decrypt(&key, &nonce, b"other aad", &out).is_err());
}

#[test]
fn public_key_from_vector_point() {
    let s = section(1);
    let mut point = vec![0x04];
    point.extend(get(&s, "xA"));
    point.extend(get(&s, "yA"));
    let p = PublicKey::from_sec1_bytes(&point).unwrap();
    let compressed = p.to_sec1_bytes(true);
    assert_eq!(PublicKey::from_sec1_bytes(&compressed).unwrap(), p);
}
