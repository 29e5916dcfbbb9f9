//! `yzt bench`: how fast this build runs an operation, printed as one JSON
//! object per run, the way `openssl speed` is used to compare builds.

use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use yizhengtong::Error;
use yizhengtong::crypto::{DEFAULT_USER_ID, PrivateKey, sm3, sm4};

#[derive(Clone, Copy, ValueEnum)]
pub enum Op {
    /// SM2 signatures (message of 32 bytes, default ID).
    Sign,
    /// SM2 verifications over 64 different keys.
    Verify,
    /// SM3 over 1 MiB buffers.
    Sm3,
    /// SM4 over 1 MiB buffers (mode from --mode).
    Sm4,
    /// QR login authorisations through the verifier (memory store),
    /// interleaved with raw SM2 verifications of a statement-sized message.
    Qr,
    /// QR login authorisations over HTTP on loopback against the same in
    /// process, with latency percentiles (build with `--features serve`).
    #[cfg(feature = "serve")]
    Http,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Sm4Mode {
    Ctr,
    Gcm,
    Cbc,
}

#[derive(Args)]
pub struct BenchArgs {
    /// What to measure.
    op: Op,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 3.0)]
    seconds: f64,
    /// SM4 mode for `sm4`.
    #[arg(long, value_enum, default_value = "ctr")]
    mode: Sm4Mode,
    /// `verify`: one key prepared once (the per-key cache), instead of 64 fresh keys.
    #[arg(long)]
    same_key: bool,
    /// `verify`: batch verification (256 signatures over the 64 keys at a
    /// time) on this many threads.
    #[arg(long)]
    threads: Option<usize>,
    /// `verify`: the constant-time `sm2`-crate arithmetic instead of the engine.
    #[arg(long, conflicts_with_all = ["same_key", "threads"])]
    reference: bool,
    /// `qr`: the verifier's store: `memory`, or a `postgres://` URL (build
    /// with `--features postgres`; the schema `yzt_bench` is created).
    #[arg(long, default_value = "memory")]
    backend: String,
    /// `http`: authorisations to submit.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// `http`: client threads.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// `http`: the server's worker threads.
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

/// The store `yzt bench qr` verifies on.
fn bench_store(spec: &str) -> Result<yizhengtong::store::AnyStore, Error> {
    #[cfg(feature = "postgres")]
    if spec.starts_with("postgres") {
        use yizhengtong::store::postgres::{PgOptions, PgStore};
        let options = PgOptions {
            schema: Some("yzt_bench".into()),
            ..PgOptions::default()
        };
        PgStore::migrate(spec, &options)?;
        return Ok(yizhengtong::store::AnyStore::Postgres(PgStore::connect(
            spec, options,
        )?));
    }
    yizhengtong::store::AnyStore::open(spec)
}

/// Run `f` repeatedly for about `secs`, returning (iterations, elapsed).
fn measure(secs: f64, mut f: impl FnMut(u64)) -> (u64, Duration) {
    let budget = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        for _ in 0..8 {
            f(n);
            n += 1;
        }
    }
    (n, start.elapsed())
}

const MIB: usize = 1 << 20;

pub fn run(a: BenchArgs) -> Result<(), Error> {
    if !(a.seconds > 0.0 && a.seconds <= 3600.0) {
        return Err(Error::param(
            "--seconds",
            "must be more than 0 and at most 3600",
        ));
    }
    let mut rng = rand::rng();
    match a.op {
        Op::Sign => {
            let key = PrivateKey::generate(&mut rng);
            let msg = [7u8; 32];
            let (n, t) = measure(a.seconds, |_| {
                std::hint::black_box(key.sign(DEFAULT_USER_ID, &msg, &mut rng).ok());
            });
            print_ops("sign", n, t);
        }
        Op::Verify => verify(&a, &mut rng)?,
        Op::Qr => qr(a.seconds, &a.backend, &mut rng)?,
        #[cfg(feature = "serve")]
        Op::Http => {
            let report = yizhengtong::serve::load::run(
                bench_store(&a.backend)?,
                bench_store(&a.backend)?,
                a.requests,
                a.concurrency,
                a.workers,
            )?;
            println!(
                "{}",
                serde_json::to_string(&serde_json::json!({"op": "http", "report": report}))
                    .unwrap_or_default()
            );
            if report.errors != 0
                || report.charged != report.requests as u64
                || report.replays_refused != report.requests.min(500)
                || report.retries_same_verdict != report.requests.min(500)
            {
                return Err(Error::param(
                    "bench",
                    "the books do not balance: see errors, charged and replays_refused",
                ));
            }
        }
        Op::Sm3 => {
            let buf = vec![0x5au8; MIB];
            let (n, t) = measure(a.seconds, |_| {
                std::hint::black_box(sm3(&buf));
            });
            print_mib("sm3", n, t);
        }
        Op::Sm4 => {
            let key = [1u8; 16];
            let iv = [2u8; 16];
            let nonce = [3u8; 12];
            let mut buf = vec![0x5au8; MIB];
            let (name, (n, t)) = match a.mode {
                Sm4Mode::Ctr => (
                    "sm4-ctr",
                    measure(a.seconds, |_| {
                        sm4::ctr_apply(&key, &iv, &mut buf).ok();
                    }),
                ),
                Sm4Mode::Gcm => (
                    "sm4-gcm",
                    measure(a.seconds, |_| {
                        std::hint::black_box(sm4::gcm_encrypt(&key, &nonce, b"", &buf).ok());
                    }),
                ),
                Sm4Mode::Cbc => (
                    "sm4-cbc",
                    measure(a.seconds, |_| {
                        std::hint::black_box(
                            sm4::cbc_encrypt(&key, &iv, &buf, sm4::Padding::Pkcs7).ok(),
                        );
                    }),
                ),
            };
            print_mib(name, n, t);
        }
    }
    Ok(())
}

fn print_ops(op: &str, n: u64, t: Duration) {
    let secs = t.as_secs_f64();
    println!(
        r#"{{"op":"{op}","ops_per_s":{:.1},"iterations":{n},"seconds":{secs:.3}}}"#,
        n as f64 / secs
    );
}

fn print_mib(op: &str, n: u64, t: Duration) {
    let secs = t.as_secs_f64();
    println!(
        r#"{{"op":"{op}","mib_per_s":{:.1},"iterations":{n},"seconds":{secs:.3}}}"#,
        n as f64 / secs
    );
}

/// Rounds of 50 raw verifications (the engine, fresh key) then 50 verified
/// authorisations (which reuse a prepared key per holder), so
/// that both rates see the same machine; responses are made between
/// rounds, outside the timed parts.
fn qr(seconds: f64, backend: &str, rng: &mut impl rand::CryptoRng) -> Result<(), Error> {
    use std::time::{Duration, SystemTime};
    use yizhengtong::qr::throwaway::{CODE, HOLDER, ThrowawayPki};
    use yizhengtong::qr::*;
    let now = SystemTime::now();
    let pki = ThrowawayPki::new("h.example", rng)?;
    let verifier = Verifier::new(pki.config("h.example"), bench_store(backend)?)?;
    verifier.store().set_quota(
        &QuotaKey {
            holder: HOLDER.into(),
            platform: CODE.into(),
            institution: "ca",
        },
        1_000_000_000_000,
    )?;
    let make = |n: usize, rng: &mut dyn rand::CryptoRng| -> Result<Vec<Vec<u8>>, Error> {
        (0..n)
            .map(|_| {
                let ch = verifier.issue(Request::Login, now, rng)?;
                pki.answer_at(&ch.to_text(), now, rng)
            })
            .collect()
    };
    let sample = Response::from_der(&make(1, rng)?[0])?;
    let sig = yizhengtong::crypto::Signature::from_der(&sample.signature)?;
    let public = pki.holder_key();
    let (mut raw_n, mut raw_t, mut auth_n, mut auth_t) =
        (0u64, Duration::ZERO, 0u64, Duration::ZERO);
    let budget = Duration::from_secs_f64(seconds);
    while raw_t + auth_t < budget {
        let batch = make(50, rng)?;
        let t = Instant::now();
        for _ in 0..50 {
            // The engine on a fresh key: what one raw verification costs.
            std::hint::black_box(
                yizhengtong::verify::verify(&public, DEFAULT_USER_ID, &sample.statement_raw, &sig)
                    .is_ok(),
            );
        }
        raw_t += t.elapsed();
        raw_n += 50;
        let t = Instant::now();
        for r in &batch {
            if !verifier.verify(r, now).accepted() {
                return Err(Error::param("bench", "an authorisation was refused"));
            }
        }
        auth_t += t.elapsed();
        auth_n += 50;
    }
    let raw = raw_n as f64 / raw_t.as_secs_f64();
    let auth = auth_n as f64 / auth_t.as_secs_f64();
    println!(
        r#"{{"op":"qr","backend":{},"authorisations_per_s":{auth:.1},"raw_verifies_per_s":{raw:.1},"ratio":{:.3},"iterations":{auth_n}}}"#,
        serde_json::to_string(&verifier.store().describe()).unwrap_or_default(),
        auth / raw
    );
    Ok(())
}

fn verify(a: &BenchArgs, rng: &mut impl rand::CryptoRng) -> Result<(), Error> {
    use yizhengtong::verify::{BatchItem, VerifyingKey, verify_batch_on, warm_up};
    let items: Vec<_> = (0..64)
        .map(|i| {
            let key = PrivateKey::generate(rng);
            let msg = vec![i as u8; 32];
            let sig = key.sign(DEFAULT_USER_ID, &msg, rng)?;
            Ok((key.public_key(), msg, sig))
        })
        .collect::<Result<_, Error>>()?;
    warm_up();
    let mut failures = 0u64;
    let name = if a.reference {
        "verify-reference".to_string()
    } else if let Some(threads) = a.threads {
        format!("verify-batch-{threads}-threads")
    } else if a.same_key {
        "verify-same-key".to_string()
    } else {
        "verify".to_string()
    };
    let (n, t) = if let Some(threads) = a.threads {
        if threads == 0 || threads > 256 {
            return Err(Error::param("--threads", "1 to 256"));
        }
        // Batches of 256 items (the 64 keys four times) whatever the
        // thread count, so that `--threads 1` and `--threads 2` do the
        // same work.
        let batch: Vec<BatchItem<'_>> = (0..256)
            .map(|i| {
                let (p, m, s) = &items[i % 64];
                BatchItem {
                    public: p,
                    user_id: DEFAULT_USER_ID,
                    message: m,
                    signature: s,
                }
            })
            .collect();
        let budget = Duration::from_secs_f64(a.seconds);
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            failures += verify_batch_on(&batch, threads)
                .iter()
                .filter(|r| r.is_err())
                .count() as u64;
            n += batch.len() as u64;
        }
        (n, start.elapsed())
    } else if a.same_key {
        let (p, m, s) = &items[0];
        let key = VerifyingKey::new(p, DEFAULT_USER_ID)?;
        measure(a.seconds, |_| {
            if key.verify(m, s).is_err() {
                failures += 1;
            }
        })
    } else {
        measure(a.seconds, |i| {
            let (p, m, s) = &items[(i % 64) as usize];
            let r = if a.reference {
                p.verify(DEFAULT_USER_ID, m, s)
            } else {
                yizhengtong::verify::verify(p, DEFAULT_USER_ID, m, s)
            };
            if r.is_err() {
                failures += 1;
            }
        })
    };
    if failures > 0 {
        return Err(Error::param(
            "bench",
            format!("{failures} verifications failed"),
        ));
    }
    print_ops(&name, n, t);
    Ok(())
}
