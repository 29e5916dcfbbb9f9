//! A load test of the service on loopback: QR login authorisations
//! submitted over HTTP by many client threads, against the same work done
//! in process, with latency percentiles, and the books checked after: every
//! answer accepted, the package charged exactly once per authorisation, and
//! every replay refused without a charge. Used by `yzt bench http` and the
//! load test in `tests/serve.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use base64ct::{Base64, Encoding};
use serde::Serialize;
use serde_json::json;

use super::client;
use super::server::{Loaded, Service, spawn};
use crate::error::{Error, Result};
use crate::qr::throwaway::{CODE, HOLDER, ThrowawayPki};
use crate::qr::{QrStore, QuotaKey, Request, Verifier};
use crate::store::AnyStore;

/// What a load run measured and found.
#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// The backend.
    pub backend: String,
    /// Authorisations submitted.
    pub requests: usize,
    /// Client threads.
    pub concurrency: usize,
    /// QR codes issued per second over HTTP (`POST /v1/qr`).
    pub issue_per_s: f64,
    /// Responses verified per second over HTTP.
    pub verify_per_s: f64,
    /// Latency percentiles of one response submission, milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// The same verifications in process (no HTTP), per second, same threads.
    pub in_process_per_s: f64,
    /// `verify_per_s / in_process_per_s`.
    pub ratio: f64,
    /// Uses charged (must equal `requests`).
    pub charged: u64,
    /// Replays (another response for a used code) submitted after the run
    /// and refused (must equal the number sent).
    pub replays_refused: usize,
    /// The same responses sent again (a client's retry) that got their
    /// verdict again, uncharged (must equal the number sent).
    pub retries_same_verdict: usize,
    /// Requests that failed or were refused (must be 0).
    pub errors: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Run `threads` workers over `0..n`, each calling `f(i)`; the time taken.
fn parallel(n: usize, threads: usize, f: impl Fn(usize) + Sync) -> Duration {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    f(i);
                }
            });
        }
    });
    start.elapsed()
}

/// Submit `requests` login authorisations to a service over `http_store`
/// from `concurrency` threads (the server on `workers` threads), then the
/// same in process over `inproc_store`; check the books.
pub fn run(
    http_store: AnyStore,
    inproc_store: AnyStore,
    requests: usize,
    concurrency: usize,
    workers: usize,
) -> Result<LoadReport> {
    if requests == 0 || requests > 1_000_000 {
        return Err(Error::param("requests", "1 to 1,000,000"));
    }
    if concurrency == 0 || concurrency > 256 {
        return Err(Error::param("concurrency", "1 to 256"));
    }
    let mut rng = rand::rng();
    let probe = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| Error::param("listen", e.to_string()))?;
    let host = probe.to_string();
    let pki = ThrowawayPki::new(&host, &mut rng)?;
    let quota = QuotaKey {
        holder: HOLDER.into(),
        platform: CODE.into(),
        institution: "ca",
    };
    let opening = (requests as u64) * 2 + 10;
    let backend = if matches!(http_store, AnyStore::Memory(_)) {
        "memory"
    } else {
        "postgres"
    }
    .to_string();
    let (api_key, entry) = crate::serve::guard::new_api_key("load", &mut rng);
    let entry: crate::serve::guard::ApiKeyConfig =
        serde_json::from_str(&entry).map_err(|e| Error::param("api key", e.to_string()))?;
    let mut verifier = pki.config(&host);
    verifier.max_pending = requests + 10;
    let loaded = Loaded {
        verifier,
        platform_cert: pki.platform_cert().clone(),
        quotas: Vec::new(),
        request_timeout: Duration::from_secs(30),
        crl_files: Vec::new(),
        crl_refresh: None,
        api_keys: crate::serve::guard::ApiKeys::from_config(&[entry])?,
        cors: Default::default(),
        issue_per_minute: 0,
        login_codes_per_minute: 0,
        trusted_proxies: Vec::new(),
        listener: Default::default(),
    };
    let service = Arc::new(Service::new(loaded, http_store)?);
    service.verifier().store().set_quota(&quota, opening)?;
    let server = spawn(Arc::clone(&service), &host, workers)?;
    let base = server.url();
    let t = Duration::from_secs(30);

    // Issue over HTTP.
    let codes: Vec<std::sync::Mutex<Option<(String, String)>>> =
        (0..requests).map(|_| std::sync::Mutex::new(None)).collect();
    let errors = AtomicUsize::new(0);
    let issue_time = parallel(requests, concurrency, |i| {
        match client::post_json_as(
            &format!("{base}/v1/qr"),
            &api_key,
            &json!({"action": "login"}),
            t,
        )
        .and_then(|r| r.json())
        {
            Ok(v) => {
                let tid = v["transaction"].as_str().unwrap_or_default().to_string();
                let text = v["text"].as_str().unwrap_or_default().to_string();
                if let Ok(mut slot) = codes[i].lock() {
                    *slot = Some((tid, text));
                }
            }
            Err(_) => {
                errors.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    // The phone's work, not measured.
    let mut answers = Vec::with_capacity(requests);
    for slot in &codes {
        let (tid, text) = slot
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .ok_or_else(|| Error::param("load", "a QR code was not issued"))?;
        answers.push((tid, Base64::encode_string(&pki.answer(&text, &mut rng)?)));
    }
    // Verify over HTTP.
    let latencies: Vec<std::sync::Mutex<f64>> =
        (0..requests).map(|_| std::sync::Mutex::new(0.0)).collect();
    let verify_time = parallel(requests, concurrency, |i| {
        let (tid, b64) = &answers[i];
        let started = Instant::now();
        let ok = client::post_json(
            &format!("{base}/v1/qr/{tid}/response"),
            &json!({"response": b64}),
            t,
        )
        .and_then(|r| r.json())
        .map(|v| v["data"]["verifySignatureResult"] == true)
        .unwrap_or(false);
        if let Ok(mut l) = latencies[i].lock() {
            *l = started.elapsed().as_secs_f64() * 1000.0;
        }
        if !ok {
            errors.fetch_add(1, Ordering::Relaxed);
        }
    });
    let left = service.verifier().store().quota(&quota)?.unwrap_or(0);
    let charged = opening - left;
    // Replays (a sample of up to 500): another response for a used code
    // is refused (1004); the same response again (a client's retry) gets
    // its verdict again; neither is charged.
    let replays = requests.min(500);
    let mut others = Vec::with_capacity(replays);
    for slot in codes.iter().take(replays) {
        let text = slot
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .map(|(_, text)| text)
            .unwrap_or_default();
        others.push(Base64::encode_string(&pki.answer(&text, &mut rng)?));
    }
    let refused = AtomicUsize::new(0);
    let retried = AtomicUsize::new(0);
    parallel(replays, concurrency, |i| {
        let (tid, same) = &answers[i];
        let code = |b64: &str| {
            client::post_json(
                &format!("{base}/v1/qr/{tid}/response"),
                &json!({"response": b64}),
                t,
            )
            .and_then(|r| r.json())
            .map(|v| v["data"]["reasonCode"].as_i64().unwrap_or(-1))
            .unwrap_or(-1)
        };
        if code(&others[i]) == 1004 {
            refused.fetch_add(1, Ordering::Relaxed);
        }
        if code(same) == 0 {
            retried.fetch_add(1, Ordering::Relaxed);
        }
    });
    let after_replays = service.verifier().store().quota(&quota)?.unwrap_or(0);
    server.stop()?;
    let errors = errors.into_inner() + usize::try_from(left - after_replays).unwrap_or(1);

    // The same authorisations in process.
    let inproc = Verifier::new(pki.config(&host), inproc_store)?;
    inproc.store().set_quota(&quota, opening)?;
    let now = SystemTime::now();
    let local: Vec<Vec<u8>> = (0..requests)
        .map(|_| {
            let c = inproc.issue(Request::Login, now, &mut rng)?;
            pki.answer(&c.to_text(), &mut rng)
        })
        .collect::<Result<_>>()?;
    let local_errors = AtomicUsize::new(0);
    let inproc_time = parallel(requests, concurrency, |i| {
        if !inproc.verify(&local[i], SystemTime::now()).accepted() {
            local_errors.fetch_add(1, Ordering::Relaxed);
        }
    });

    let mut lat: Vec<f64> = latencies
        .iter()
        .map(|l| l.lock().map(|v| *v).unwrap_or(f64::MAX))
        .collect();
    lat.sort_by(f64::total_cmp);
    let verify_per_s = requests as f64 / verify_time.as_secs_f64();
    let in_process_per_s = requests as f64 / inproc_time.as_secs_f64();
    let round = |x: f64| (x * 100.0).round() / 100.0;
    Ok(LoadReport {
        backend,
        requests,
        concurrency,
        issue_per_s: round(requests as f64 / issue_time.as_secs_f64()),
        verify_per_s: round(verify_per_s),
        p50_ms: round(percentile(&lat, 0.50)),
        p90_ms: round(percentile(&lat, 0.90)),
        p99_ms: round(percentile(&lat, 0.99)),
        max_ms: round(lat.last().copied().unwrap_or(0.0)),
        in_process_per_s: round(in_process_per_s),
        ratio: (verify_per_s / in_process_per_s * 1000.0).round() / 1000.0,
        charged,
        replays_refused: refused.into_inner(),
        retries_same_verdict: retried.into_inner(),
        errors: errors + local_errors.into_inner(),
    })
}
