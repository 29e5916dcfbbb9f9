//! The fast verification engine against the reference (the `sm2` crate's
//! constant-time arithmetic behind `PublicKey::verify`): they must agree
//! on valid and invalid signatures, at the edges and at random.

mod common;

use common::{FixedRng, get, section, test_rng};
use proptest::prelude::*;
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey, PublicKey, Signature, curve};
use yizhengtong::verify::{
    BatchItem, KeyCache, VerifyingKey, verify, verify_batch, verify_batch_on, verify_digest,
};

fn same(public: &PublicKey, id: &[u8], msg: &[u8], sig: &Signature) -> bool {
    let reference = public.verify(id, msg, sig);
    let engine = verify(public, id, msg, sig);
    assert_eq!(
        reference.is_ok(),
        engine.is_ok(),
        "disagree: reference {reference:?}, engine {engine:?}"
    );
    engine.is_ok()
}

#[test]
fn annex_a_vector() {
    let s = section(1);
    let d: [u8; 32] = get(&s, "d").try_into().unwrap();
    let key = PrivateKey::from_bytes(&d).unwrap();
    let r: [u8; 32] = get(&s, "r").try_into().unwrap();
    let sv: [u8; 32] = get(&s, "s").try_into().unwrap();
    let sig = Signature::from_components(r, sv).unwrap();
    let public = key.public_key();
    verify(&public, &get(&s, "ID"), &get(&s, "M"), &sig).unwrap();
    let e: [u8; 32] = get(&s, "e").try_into().unwrap();
    verify_digest(&public, &e, &sig).unwrap();
    assert!(
        verify(&public, &get(&s, "ID"), b"message digesT", &sig)
            .unwrap_err()
            .is_signature_mismatch()
    );
    // and the k of the vector reproduces a signature the engine accepts
    let again = key
        .sign(
            &get(&s, "ID"),
            &get(&s, "M"),
            &mut FixedRng::new(get(&s, "k")),
        )
        .unwrap();
    assert_eq!(again, sig);
}

#[test]
fn random_valid_and_corrupted_signatures_agree() {
    let mut rng = test_rng(1);
    for i in 0..300u32 {
        let key = PrivateKey::generate(&mut rng);
        let public = key.public_key();
        let msg = i.to_be_bytes().repeat((i % 17) as usize);
        let sig = key.sign(DEFAULT_USER_ID, &msg, &mut rng).unwrap();
        assert!(same(&public, DEFAULT_USER_ID, &msg, &sig));
        // corrupt r or s by one bit (when still in range)
        let mut raw = sig.to_raw();
        raw[(i as usize * 7) % 64] ^= 1 << (i % 8);
        if let Ok(bad) = Signature::from_raw(&raw) {
            assert!(!same(&public, DEFAULT_USER_ID, &msg, &bad));
        }
        // another message, another ID
        assert!(!same(&public, DEFAULT_USER_ID, b"other", &sig));
        assert!(!same(&public, b"ALICE123@YAHOO.COM", &msg, &sig));
    }
}

fn n_minus(k: u8) -> [u8; 32] {
    let mut v = curve::N;
    v[31] -= k;
    v
}

fn small(k: u8) -> [u8; 32] {
    let mut v = [0u8; 32];
    v[31] = k;
    v
}

#[test]
fn edge_scalars_agree() {
    let mut rng = test_rng(2);
    let key = PrivateKey::generate(&mut rng);
    let public = key.public_key();
    let msg = b"edge";
    let rs = [
        small(1),
        small(2),
        n_minus(1),
        n_minus(2),
        [0x7f; 32],
        curve::GX,
    ];
    for r in &rs {
        for s in &rs {
            if let Ok(sig) = Signature::from_components(*r, *s) {
                same(&public, DEFAULT_USER_ID, msg, &sig);
            }
        }
        // r + s = n: t = 0, must be refused by both
        let mut s = [0u8; 32];
        let mut borrow = 0i16;
        for i in (0..32).rev() {
            let d = i16::from(curve::N[i]) - i16::from(r[i]) - borrow;
            s[i] = d.rem_euclid(256) as u8;
            borrow = i16::from(d < 0);
        }
        if let Ok(sig) = Signature::from_components(*r, s) {
            assert!(!same(&public, DEFAULT_USER_ID, msg, &sig));
        }
    }
    // Keys with the smallest and largest private scalars.
    for d in [small(1), small(2), small(3), n_minus(2), n_minus(3)] {
        let key = PrivateKey::from_bytes(&d).unwrap();
        let sig = key.sign(DEFAULT_USER_ID, msg, &mut rng).unwrap();
        assert!(same(&key.public_key(), DEFAULT_USER_ID, msg, &sig));
    }
}

#[test]
fn keys_whose_table_hits_the_doubling_case() {
    // P = G: the wNAF multiples of P coincide with the base table's, so
    // [s]G + [t]P adds equal points (the doubling case) for suitable s, t.
    let mut rng = test_rng(3);
    let key = PrivateKey::from_bytes(&small(1)).unwrap(); // public key G
    for i in 0..200u32 {
        let msg = i.to_be_bytes();
        let sig = key.sign(DEFAULT_USER_ID, &msg, &mut rng).unwrap();
        assert!(same(&key.public_key(), DEFAULT_USER_ID, &msg, &sig));
    }
    // Forged (r, s) with P = G: [s]G + [t]G adds two multiples of G, which
    // for t = s (r = n − ... ) lands on the doubling inside a mixed addition;
    // both implementations must agree, whatever the outcome.
    for (r, s) in [
        (n_minus(1), small(2)),
        (small(1), small(1)),
        (n_minus(5), small(6)),
    ] {
        let sig = Signature::from_components(r, s).unwrap();
        same(&key.public_key(), DEFAULT_USER_ID, b"doubling", &sig);
    }
}

#[test]
fn openssl_signatures_verify_in_the_engine() {
    let d = common::temp_dir("engine-openssl");
    common::run_ok(common::openssl().current_dir(&d).args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:SM2",
        "-out",
        "k.pem",
    ]));
    std::fs::write(d.join("m"), b"signed by openssl").unwrap();
    common::run_ok(common::openssl().current_dir(&d).args([
        "dgst",
        "-sm3",
        "-sign",
        "k.pem",
        "-sigopt",
        "distid:1234567812345678",
        "-out",
        "s",
        "m",
    ]));
    let key = PrivateKey::from_any(&std::fs::read(d.join("k.pem")).unwrap()).unwrap();
    let sig = Signature::from_der(&std::fs::read(d.join("s")).unwrap()).unwrap();
    verify(
        &key.public_key(),
        DEFAULT_USER_ID,
        b"signed by openssl",
        &sig,
    )
    .unwrap();
}

#[test]
fn cached_keys_and_batches() {
    let mut rng = test_rng(4);
    let keys: Vec<PrivateKey> = (0..20).map(|_| PrivateKey::generate(&mut rng)).collect();
    let publics: Vec<PublicKey> = keys.iter().map(|k| k.public_key()).collect();
    let msgs: Vec<Vec<u8>> = (0..100u32).map(|i| i.to_be_bytes().to_vec()).collect();
    let sigs: Vec<Signature> = (0..100)
        .map(|i| {
            keys[i % 20]
                .sign(DEFAULT_USER_ID, &msgs[i], &mut rng)
                .unwrap()
        })
        .collect();
    let cache = KeyCache::new(8);
    for i in 0..100 {
        cache
            .verify(&publics[i % 20], DEFAULT_USER_ID, &msgs[i], &sigs[i])
            .unwrap();
        assert!(
            cache
                .verify(&publics[(i + 1) % 20], DEFAULT_USER_ID, &msgs[i], &sigs[i])
                .is_err()
        );
        assert!(cache.len() <= 8);
    }
    let vk = VerifyingKey::new(&publics[0], DEFAULT_USER_ID).unwrap();
    vk.verify(&msgs[0], &sigs[0]).unwrap();
    // batch: every other item corrupted by a different message
    let other = b"tampered".to_vec();
    let items: Vec<BatchItem<'_>> = (0..100)
        .map(|i| BatchItem {
            public: &publics[i % 20],
            user_id: DEFAULT_USER_ID,
            message: if i % 2 == 0 { &msgs[i] } else { &other },
            signature: &sigs[i],
        })
        .collect();
    let results = verify_batch(&items);
    assert_eq!(results.len(), 100);
    for (i, r) in results.iter().enumerate() {
        assert_eq!(r.is_ok(), i % 2 == 0, "item {i}");
        if let Err(e) = r {
            assert!(e.is_signature_mismatch(), "item {i}: {e}");
        }
    }
    assert!(verify_batch(&[]).is_empty());
    // any thread count gives the same answers in the same order, also for
    // batches smaller than the threads' chunks (0 counts as 1)
    for threads in [0, 1, 2, 3, 7, 64] {
        for len in [0, 1, 3, 5, 100] {
            let got: Vec<bool> = verify_batch_on(&items[..len], threads)
                .iter()
                .map(Result::is_ok)
                .collect();
            let want: Vec<bool> = (0..len).map(|i| i % 2 == 0).collect();
            assert_eq!(got, want, "{threads} threads, {len} items");
        }
    }
    // an unusable item (an ID too long for ENTL) fails alone
    let long_id = vec![0x31u8; 8192];
    let mut odd = items[..10].to_vec();
    odd[4].user_id = &long_id;
    let results = verify_batch_on(&odd, 2);
    assert!(
        results[4]
            .as_ref()
            .is_err_and(|e| !e.is_signature_mismatch())
    );
    for (i, r) in results.iter().enumerate().filter(|(i, _)| *i != 4) {
        assert_eq!(r.is_ok(), i % 2 == 0, "item {i}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn engine_agrees_with_reference(seed in any::<u64>(), msg in proptest::collection::vec(any::<u8>(), 0..200), r in any::<[u8; 32]>(), s in any::<[u8; 32]>()) {
        let key = PrivateKey::generate(&mut test_rng(seed));
        let public = key.public_key();
        let sig = key.sign(DEFAULT_USER_ID, &msg, &mut test_rng(seed ^ 1)).unwrap();
        prop_assert!(same(&public, DEFAULT_USER_ID, &msg, &sig));
        if let Ok(random) = Signature::from_components(r, s) {
            same(&public, DEFAULT_USER_ID, &msg, &random);
        }
    }
}

/// The long run the issue asks for: `cargo test --release --test
/// verify_engine -- --ignored` (a million random cases, about 15 minutes).
#[test]
#[ignore]
fn a_million_random_cases() {
    let mut rng = test_rng(5);
    let key = PrivateKey::generate(&mut rng);
    let public = key.public_key();
    for i in 0..1_000_000u32 {
        let msg = i.to_le_bytes();
        if i % 2 == 0 {
            let sig = key.sign(DEFAULT_USER_ID, &msg, &mut rng).unwrap();
            assert!(same(&public, DEFAULT_USER_ID, &msg, &sig));
        } else {
            let mut raw = [0u8; 64];
            rand::Rng::fill_bytes(&mut rng, &mut raw);
            if let Ok(sig) = Signature::from_raw(&raw) {
                assert!(!same(&public, DEFAULT_USER_ID, &msg, &sig));
            }
        }
    }
}
