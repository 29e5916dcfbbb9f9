//! Verified QR authorisations per second against raw SM2 verifications
//! per second, in the same run. Each authorisation is a fresh login
//! response (consumed once); responses are made outside the timed part.

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;
use rand::rngs::StdRng;
use yizhengtong::cert::*;
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey};
use yizhengtong::qr::*;

struct World {
    verifier: Verifier<MemoryQrStore>,
    registry: PlatformRegistry,
    key: PrivateKey,
    cert: Certificate,
    now: SystemTime,
}

fn world() -> World {
    let mut rng = StdRng::seed_from_u64(8);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600);
    let root = CertificateAuthority::create_root(
        PrivateKey::generate(&mut rng),
        parse_dn("C=CN,O=Bench,CN=Bench Root").expect("dn"),
        now,
        3650,
        CaConfig::default(),
        &mut rng,
    )
    .expect("root");
    let mut issue = |key: &PrivateKey, holder: Holder| {
        root.issue(
            &EndEntityRequest {
                holder,
                usage: CertUsage::Sign,
                medium: Medium::Mobile,
                public_key: key.public_key(),
                not_before: now,
                days: 365,
            },
            &mut rng,
        )
        .expect("cert")
    };
    let key = PrivateKey::generate(&mut StdRng::seed_from_u64(9));
    let platform_key = PrivateKey::generate(&mut StdRng::seed_from_u64(10));
    let cert = issue(
        &key,
        Holder::person("张三", "11010519491231002X").expect("holder"),
    );
    let platform_cert = issue(
        &platform_key,
        Holder::enterprise("Bench platform", "9165010039960151X0").expect("holder"),
    );
    let mut registry = PlatformRegistry::new();
    registry
        .add(PlatformEntry {
            code: "C1100005553".into(),
            name: "Bench".into(),
            certificate: platform_cert,
            callback_hosts: vec!["h.example".into()],
        })
        .expect("registry");
    let config = VerifierConfig::new(
        "C1100005553",
        "Bench",
        "h.example",
        platform_key,
        vec![root.certificate().clone()],
    );
    let verifier = Verifier::new(config, MemoryQrStore::new()).expect("verifier");
    let quota = QuotaKey {
        holder: "11010519491231002X".into(),
        platform: "C1100005553".into(),
        institution: "ca",
    };
    verifier.store().set_quota(&quota, u64::MAX).expect("quota");
    World {
        verifier,
        registry,
        key,
        cert,
        now,
    }
}

fn responses(w: &World, n: u64, rng: &mut StdRng) -> Vec<Vec<u8>> {
    let id = Identity {
        member: "ouyong",
        enterprise: None,
        signing_cert: &w.cert,
        signing_key: &w.key,
        encryption_cert: None,
        encryption_key: None,
    };
    (0..n)
        .map(|_| {
            let ch = w.verifier.issue(Request::Login, w.now, rng).expect("issue");
            let (c, view) = scan(&ch.to_text(), &w.registry, w.now).expect("scan");
            respond(&c, &view, &id, ActionInput::Login, w.now, rng)
                .expect("respond")
                .to_der()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let w = world();
    let mut rng = StdRng::seed_from_u64(11);
    // A statement-sized message for the raw verification.
    let sample = responses(&w, 1, &mut rng).remove(0);
    let statement = Response::from_der(&sample).expect("parse").statement_raw;
    let sig = w
        .key
        .sign(DEFAULT_USER_ID, &statement, &mut rng)
        .expect("sign");
    let public = w.key.public_key();

    let mut g = c.benchmark_group("qr");
    g.sample_size(20);
    g.bench_function("raw SM2 verify, engine (statement-sized message)", |b| {
        b.iter(|| {
            yizhengtong::verify::verify(&public, DEFAULT_USER_ID, black_box(&statement), &sig)
        })
    });
    g.bench_function("verified authorisation (login, memory store)", |b| {
        b.iter_custom(|iters| {
            let batch = responses(&w, iters, &mut rng);
            let start = Instant::now();
            for r in &batch {
                assert!(w.verifier.verify(black_box(r), w.now).accepted());
            }
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
