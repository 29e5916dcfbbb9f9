//! The overhead of a verify call through the C ABI against the Rust call,
//! for BENCHMARKS.md: the same key, message and DER signature, verified
//! with the Rust API and with the exported `extern "C"` functions (what a C
//! program calls; the C program `examples/c/bench_verify.c` and the Java
//! program `java/examples/BenchVerify.java` measure the same through the
//! shared library, and `examples/bench_overhead.sh` runs all three in
//! interleaved rounds). Last, an SM3 of the same 45 bytes, a call so cheap
//! that the boundary's own cost shows.
//!
//! `cargo run --release -p yizhengtong-ffi --example bench_verify [SECONDS]`

use std::time::{Duration, Instant};

use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey, Signature};
use yizhengtong::verify::VerifyingKey;
use yizhengtong_ffi::crypto::{
    YZT_SIG_DER, yzt_sm3, yzt_verifier_new, yzt_verifier_verify, yzt_verify,
};
use yizhengtong_ffi::keys::{YztPublicKey, yzt_public_key_free, yzt_public_key_import};
use yizhengtong_ffi::{YZT_OK, crypto::yzt_verifier_free};

fn time(label: &str, seconds: f64, mut f: impl FnMut()) {
    // Warm up, then count calls for the given time.
    for _ in 0..100 {
        f();
    }
    let start = Instant::now();
    let budget = Duration::from_secs_f64(seconds);
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        n += 100;
    }
    let per = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{label:<44} {:>9.2} µs/call  ({n} calls)", per / 1000.0);
}

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2.0);
    let mut rng = rand::rng();
    let key = PrivateKey::generate(&mut rng);
    let public = key.public_key();
    let msg = b"bid document: the overhead of the C boundary";
    let der = key
        .sign(DEFAULT_USER_ID, msg, &mut rng)
        .expect("sign")
        .to_der();
    let point = public.to_sec1_bytes(false);

    let prepared = VerifyingKey::new(&public, DEFAULT_USER_ID).expect("prepare");
    let mut pk: *mut YztPublicKey = std::ptr::null_mut();
    let mut verifier = std::ptr::null_mut();
    // SAFETY: valid buffers and out-pointers from this function.
    unsafe {
        assert_eq!(
            yzt_public_key_import(point.as_ptr(), point.len(), &mut pk),
            YZT_OK
        );
        assert_eq!(
            yzt_verifier_new(pk, std::ptr::null(), 0, &mut verifier),
            YZT_OK
        );
    }

    time("Rust: verify::verify (DER parse + verify)", seconds, || {
        let sig = Signature::from_der(&der).expect("der");
        yizhengtong::verify::verify(&public, DEFAULT_USER_ID, msg, &sig).expect("verify");
    });
    time("C ABI: yzt_verify", seconds, || {
        // SAFETY: live handle and buffers owned by main.
        let rc = unsafe {
            yzt_verify(
                pk,
                std::ptr::null(),
                0,
                msg.as_ptr(),
                msg.len(),
                der.as_ptr(),
                der.len(),
                YZT_SIG_DER,
            )
        };
        assert_eq!(rc, YZT_OK);
    });
    time("Rust: VerifyingKey::verify (prepared)", seconds, || {
        let sig = Signature::from_der(&der).expect("der");
        prepared.verify(msg, &sig).expect("verify");
    });
    time("C ABI: yzt_verifier_verify (prepared)", seconds, || {
        // SAFETY: live handle and buffers owned by main.
        let rc = unsafe {
            yzt_verifier_verify(
                verifier,
                msg.as_ptr(),
                msg.len(),
                der.as_ptr(),
                der.len(),
                YZT_SIG_DER,
            )
        };
        assert_eq!(rc, YZT_OK);
    });
    // A call whose work is tiny, so that the boundary's fixed cost shows.
    time("Rust: sm3 (45 bytes)", seconds, || {
        std::hint::black_box(yizhengtong::crypto::sm3(std::hint::black_box(msg)));
    });
    time("C ABI: yzt_sm3 (45 bytes)", seconds, || {
        let mut out = [0u8; 32];
        let mut n = 0usize;
        // SAFETY: buffers owned by this closure.
        let rc = unsafe { yzt_sm3(msg.as_ptr(), msg.len(), out.as_mut_ptr(), out.len(), &mut n) };
        assert_eq!(rc, YZT_OK);
        std::hint::black_box(out);
    });
    // SAFETY: handles made above, freed once.
    unsafe {
        yzt_verifier_free(verifier);
        yzt_public_key_free(pk);
    }
}
