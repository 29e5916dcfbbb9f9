//! The verification engine: single signatures on fresh keys, the same key
//! through a prepared key, and batches on all cores; beside the
//! constant-time `sm2`-crate arithmetic (`PublicKey::verify`). Figures,
//! with `openssl speed sm2` from the same run, are in BENCHMARKS.md.
//!
//! Before the criterion groups, `cargo bench --bench verify` prints the
//! same comparisons measured *interleaved*: many short rounds, each timing
//! the `sm2` crate, the engine, a batch on one thread and on all cores,
//! and a loop with no shared data on one thread and on all cores (what
//! the machine's cores give any code), back to back, and the median of
//! the per-round ratios. On a shared VM whose speed drifts by 2× from one
//! second to the next this is steadier than comparing criterion figures
//! taken a minute apart. `VERIFY_ROUNDS` sets the rounds (30),
//! `VERIFY_VERBOSE=1` prints every round's times;
//! `cargo bench --bench verify -- none` prints only these medians (the
//! filter matches no criterion group).

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use rand::SeedableRng;
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey};
use yizhengtong::verify::{
    BatchItem, VerifyingKey, verify, verify_batch, verify_batch_on, warm_up,
};

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
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let verbose = std::env::var_os("VERIFY_VERBOSE").is_some();
    // seconds per verification of a batch on `threads` threads
    let batch = |threads: usize| {
        let t = Instant::now();
        assert!(
            verify_batch_on(black_box(&items), threads)
                .iter()
                .all(|r| r.is_ok())
        );
        t.elapsed().as_secs_f64() / items.len() as f64
    };
    let (mut f, mut k, mut b, mut m) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..rounds {
        let r = time(1, &reference);
        let e1 = time(3, &fresh);
        let p = time(3, &prepared);
        let e2 = time(1, &fresh);
        let one = batch(1);
        let all = batch(cores);
        let one2 = batch(1);
        let (m1, m_all) = (spin(1), spin(cores));
        let m2 = spin(1);
        f.push(r / ((e1 + e2) / 2.0));
        k.push(r / p);
        b.push((one + one2) / 2.0 / all);
        m.push((m1 + m2) / 2.0 / m_all);
        if verbose {
            eprintln!(
                "round: sm2 crate {:.1} µs, engine {:.1} / {:.1} µs, prepared {:.1} µs, \
                 batch on 1 thread {:.1} / {:.1} µs, on {cores} {:.1} µs per verification; \
                 loop {:.2} / {:.2} ms, on {cores} {:.2} ms per thread",
                r * 1e6,
                e1 * 1e6,
                e2 * 1e6,
                p * 1e6,
                one * 1e6,
                one2 * 1e6,
                all * 1e6,
                m1 * 1e3,
                m2 * 1e3,
                m_all * 1e3
            );
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!(
        "verify/interleaved ({rounds} rounds, medians): engine fresh keys {:.2}x the sm2 crate, \
         prepared key {:.2}x, batch on {cores} threads {:.2}x the batch on 1 \
         (a loop with no shared data: {:.2}x)",
        median(&mut f),
        median(&mut k),
        median(&mut b),
        median(&mut m)
    );
}

/// Seconds per unit of a fixed amount of integer work per thread, run on
/// `threads` threads at once, sharing nothing: what this machine's cores
/// give any code, the ceiling for a batch's speed-up.
fn spin(threads: usize) -> f64 {
    let work = || {
        let mut x = black_box(1u64);
        for _ in 0..10_000_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        }
        black_box(x);
    };
    let t = Instant::now();
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
    t.elapsed().as_secs_f64() / threads as f64
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
