//! Certificate chain verification: end entity ← issuing CA ← root, with
//! and without a CRL. Figures in BENCHMARKS.md.

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use yizhengtong::cert::*;
use yizhengtong::crypto::PrivateKey;

fn chain(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
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
    let ik = PrivateKey::generate(&mut rng);
    let icert = root
        .issue_ca(
            &ik.public_key(),
            parse_dn("C=CN,O=Bench,CN=Bench CA").expect("dn"),
            t0,
            1000,
            Some(0),
            &mut rng,
        )
        .expect("intermediate");
    let mut ca = ManagedCa::new(
        CertificateAuthority::from_parts(ik, icert.clone(), CaConfig::default()).expect("ca"),
    );
    let key = PrivateKey::generate(&mut rng);
    let leaf = ca
        .issue(
            &EndEntityRequest {
                holder: Holder::person("张三", "11010519491231002X").expect("holder"),
                usage: CertUsage::Sign,
                medium: Medium::Mobile,
                public_key: key.public_key(),
                not_before: t0,
                days: 365,
            },
            t0,
            &mut rng,
        )
        .expect("leaf");
    let at = t0 + Duration::from_secs(86_400);
    let crl = Crl::from_der(
        &ca.crl(t0, Duration::from_secs(30 * 86_400), &mut rng)
            .expect("crl"),
    )
    .expect("parse");
    let anchors = [root.certificate().clone()];
    let inter = [icert];
    let crls = [crl];

    let mut g = c.benchmark_group("cert");
    g.bench_function("parse leaf (DER)", |b| {
        b.iter(|| Certificate::from_der(black_box(leaf.der())))
    });
    g.bench_function("verify chain of 3 (2 signatures)", |b| {
        let opts = VerifyOptions::at(at);
        b.iter(|| verify_chain(black_box(&leaf), &inter, &anchors, &opts))
    });
    g.bench_function("verify chain of 3 with CRL", |b| {
        let mut opts = VerifyOptions::at(at);
        opts.crls = &crls;
        b.iter(|| verify_chain(black_box(&leaf), &inter, &anchors, &opts))
    });
    g.finish();
}

criterion_group!(benches, chain);
criterion_main!(benches);
