//! The verification engine: single signatures on fresh keys, the same key
//! through a prepared key, and batches on all cores; beside the
//! constant-time `sm2`-crate arithmetic (`PublicKey::verify`). Figures,
//! with `openssl speed sm2` from the same run, are in BENCHMARKS.md.
//!
//! Before the criterion groups, `cargo bench --bench verify` prints the
//! same comparisons measured *interleaved*: many short rounds, each timing
//! the `sm2` crate, the engine and a batch back to back, and the median
//! of the per-round ratios. On a shared VM whose speed drifts by 2× from
//! one second to the next this is steadier than comparing criterion
//! figures taken a minute apart. `VERIFY_ROUNDS` sets the rounds (30).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
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

/// Median of the per-round ratios; see the module documentation.
fn interleaved() {
    let rounds: usize = std::env::var("VERIFY_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30)
        .max(1);
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let keys: Vec<PrivateKey> = (0..64).map(|_| PrivateKey::generate(&mut rng)).collect();
    let publics: Vec<_> = keys.iter().map(|k| k.public_key()).collect();
    let msg = [0x42u8; 32];
    let sigs: Vec<_> = keys
        .iter()
        .map(|k| k.sign(DEFAULT_USER_ID, &msg, &mut rng).expect("sign"))
        .collect();
    warm_up();
    let vk = VerifyingKey::new(&publics[0], DEFAULT_USER_ID).expect("key");
    let items: Vec<BatchItem<'_>> = (0..256)
        .map(|j| BatchItem {
            public: &publics[j % 64],
            user_id: DEFAULT_USER_ID,
            message: &msg,
            signature: &sigs[j % 64],
        })
        .collect();
    // seconds per verification of `f` over the 64 keys, `reps` times
    let time = |reps: usize, f: &dyn Fn(usize) -> bool| {
        let t = Instant::now();
        for _ in 0..reps {
            for i in 0..64 {
                assert!(f(i), "verification failed");
            }
        }
        t.elapsed().as_secs_f64() / (64 * reps) as f64
    };
    let reference = |i: usize| {
        publics[i]
            .verify(DEFAULT_USER_ID, black_box(&msg), &sigs[i])
            .is_ok()
    };
    let fresh = |i: usize| verify(&publics[i], DEFAULT_USER_ID, black_box(&msg), &sigs[i]).is_ok();
    let prepared = |_: usize| vk.verify(black_box(&msg), &sigs[0]).is_ok();
    let (mut f, mut k, mut b) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let r = time(1, &reference);
        let e1 = time(3, &fresh);
        let p = time(3, &prepared);
        let t = Instant::now();
        assert!(verify_batch(black_box(&items)).iter().all(|r| r.is_ok()));
        let batch = t.elapsed().as_secs_f64() / items.len() as f64;
        let e2 = time(1, &fresh);
        f.push(r / e1);
        k.push(r / p);
        b.push((e1 + e2) / 2.0 / batch);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "verify/interleaved ({rounds} rounds, medians): engine fresh keys {:.2}x the sm2 crate, \
         prepared key {:.2}x, batch on all cores {:.2}x single-threaded",
        median(&mut f),
        median(&mut k),
        median(&mut b)
    );
}

criterion_group!(benches, bench);

fn main() {
    // only under `cargo bench`, not when the bench is run as a test
    if std::env::args().any(|a| a == "--bench") {
        interleaved();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
