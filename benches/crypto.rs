//! Criterion benchmarks of the crypto core. Figures, with `openssl speed`
//! measured in the same run, are in BENCHMARKS.md.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rand::SeedableRng;
use std::hint::black_box;
use yizhengtong::crypto::container::{ContainerParams, KeyContainer};
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey, sm3, sm4};

const MIB: usize = 1 << 20;

fn sm2(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let key = PrivateKey::generate(&mut rng);
    let public = key.public_key();
    let msg = [0x42u8; 32];
    let sig = key.sign(DEFAULT_USER_ID, &msg, &mut rng).expect("sign");
    let e =
        yizhengtong::crypto::sign::message_digest(&public, DEFAULT_USER_ID, &msg).expect("digest");

    let mut g = c.benchmark_group("sm2");
    g.bench_function("sign (ZA+SM3 inside)", |b| {
        b.iter(|| key.sign(DEFAULT_USER_ID, black_box(&msg), &mut rng))
    });
    g.bench_function("verify (ZA+SM3 inside)", |b| {
        b.iter(|| public.verify(DEFAULT_USER_ID, black_box(&msg), &sig))
    });
    g.bench_function("verify digest", |b| {
        b.iter(|| public.verify_digest(black_box(&e), &sig))
    });
    let ct = public
        .encrypt_to(&msg, Default::default(), &mut rng)
        .expect("encrypt");
    g.bench_function("decrypt 32 B", |b| b.iter(|| key.decrypt(black_box(&ct))));
    g.finish();
}

fn symmetric(c: &mut Criterion) {
    let buf = vec![0x5au8; MIB];
    let key = [1u8; 16];
    let iv = [2u8; 16];
    let nonce = [3u8; 12];
    let mut g = c.benchmark_group("1MiB");
    g.throughput(Throughput::Bytes(MIB as u64));
    g.sample_size(20);
    g.bench_function("sm3", |b| b.iter(|| sm3(black_box(&buf))));
    g.bench_function("sm4-ctr", |b| {
        b.iter(|| sm4::ctr(&key, &iv, black_box(&buf)))
    });
    g.bench_function("sm4-gcm encrypt", |b| {
        b.iter(|| sm4::gcm_encrypt(&key, &nonce, b"", black_box(&buf)))
    });
    g.finish();
}

fn pin(c: &mut Criterion) {
    let mut rng = rand::rngs::StdRng::seed_from_u64(2);
    let key = PrivateKey::generate(&mut rng);
    let container = KeyContainer::create(
        &key,
        "123456",
        "123456",
        ContainerParams::default(),
        &mut rng,
    )
    .expect("create");
    let mut g = c.benchmark_group("pin");
    g.sample_size(10);
    g.bench_function("unlock (default 100,000 iterations)", |b| {
        b.iter(|| {
            let mut c = container.clone();
            c.unlock(black_box("123456"))
        })
    });
    g.finish();
}

criterion_group!(benches, sm2, symmetric, pin);
criterion_main!(benches);
