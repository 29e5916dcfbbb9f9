//! The verification engine: single signatures on fresh keys, the same key
//! through a prepared key, and batches on all cores; beside the
//! constant-time `sm2`-crate arithmetic (`PublicKey::verify`). Figures,
//! with `openssl speed sm2` from the same run, are in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey};
use yizhengtong::verify::{BatchItem, VerifyingKey, verify, verify_batch, warm_up};

fn bench(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(12);
    let keys: Vec<PrivateKey> = (0..64).map(|_| PrivateKey::generate(&mut rng)).collect();
    let publics: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let msg = [0x42u8; 32];
    let sigs: Vec<_> = keys
        .iter()
        .map(|k| k.sign(DEFAULT_USER_ID, &msg, &mut rng).expect("sign"))
        .collect();
    warm_up();
    let mut g = c.benchmark_group("verify");
    let mut i = 0usize;
    g.bench_function("sm2 crate arithmetic, fresh keys", |b| {
        b.iter(|| {
            i = (i + 1) % 64;
            publics[i].verify(DEFAULT_USER_ID, black_box(&msg), &sigs[i])
        })
    });
    g.bench_function("engine, fresh keys", |b| {
        b.iter(|| {
            i = (i + 1) % 64;
            verify(&publics[i], DEFAULT_USER_ID, black_box(&msg), &sigs[i])
        })
    });
    let vk = VerifyingKey::new(&publics[0], DEFAULT_USER_ID).expect("key");
    g.bench_function("engine, same key (prepared)", |b| {
        b.iter(|| vk.verify(black_box(&msg), &sigs[0]))
    });
    let items: Vec<BatchItem<'_>> = (0..256)
        .map(|j| BatchItem {
            public: &publics[j % 64],
            user_id: DEFAULT_USER_ID,
            message: &msg,
            signature: &sigs[j % 64],
        })
        .collect();
    g.throughput(Throughput::Elements(items.len() as u64));
    g.bench_function("engine, batch of 256 on all cores", |b| {
        b.iter(|| verify_batch(black_box(&items)))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
