//! Seal verification: parse a signed value and run every step of the
//! report (two SM2 verifications, a chain of two, digest). Figures in
//! BENCHMARKS.md.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use yizhengtong::cert::*;
use yizhengtong::crypto::{PrivateKey, sm3};
use yizhengtong::seal::*;

fn bench(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Bench,CN=Bench Root").expect("dn"),
        t0,
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .expect("root");
    let mut issue = |key: &PrivateKey| {
        root.issue(
            &EndEntityRequest {
                holder: Holder::enterprise("Bench Co", "9165010039960151X0").expect("holder"),
                usage: CertUsage::Sign,
                medium: Medium::Mobile,
                public_key: key.public_key(),
                not_before: t0,
                days: 365,
            },
            &mut rng,
        )
        .expect("cert")
    };
    let maker_key = PrivateKey::generate(&mut rand::rngs::StdRng::seed_from_u64(6));
    let signer_key = PrivateKey::generate(&mut rand::rngs::StdRng::seed_from_u64(7));
    let maker = issue(&maker_key);
    let signer = issue(&signer_key);
    let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
    image.resize(16 * 1024, 0x5a);
    let seal = make_seal(
        &SealRequest {
            version: SealVersion::V4,
            kind: SealKind::CompanySeal,
            name: "Bench Co company seal".into(),
            es_id: "1".into(),
            vendor_id: "YZT".into(),
            image,
            width_mm: 40,
            height_mm: 40,
            holder_certs: vec![signer.clone()],
            created: t0,
            valid_start: t0,
            valid_end: t0 + Duration::from_secs(300 * 86_400),
            ext_datas: vec![],
            time_stamp: None,
        },
        &maker_key,
        &maker,
        &mut rng,
    )
    .expect("seal");
    let doc = vec![7u8; 64 * 1024];
    let sig = stamp(
        &StampRequest {
            seal: &seal,
            signer_cert: &signer,
            data_hash: sm3(&doc),
            property: "doc",
            time: t0 + Duration::from_secs(86_400),
            ext_datas: vec![],
            time_stamp: None,
        },
        key_signer(&signer_key, &mut rng),
    )
    .expect("stamp");
    let anchors = [root.certificate().clone()];
    let mut g = c.benchmark_group("seal");
    g.bench_function("parse SignedValue (17 KiB)", |b| {
        b.iter(|| SealSignature::from_der(black_box(&sig.raw)))
    });
    g.bench_function("verify signature, no anchors (2 SM2 verifies)", |b| {
        b.iter(|| verify_signature(black_box(&sig), Some(&doc), &SealVerifyOptions::default()))
    });
    g.bench_function("verify signature with chains (4 SM2 verifies)", |b| {
        let opts = SealVerifyOptions {
            anchors: &anchors,
            ..Default::default()
        };
        b.iter(|| verify_signature(black_box(&sig), Some(&doc), &opts))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
