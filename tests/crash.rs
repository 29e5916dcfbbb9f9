//! Exactly once through crashes: two `yzt serve` processes over one
//! PostgreSQL database, 8 clients authorising logins through either of
//! them, and each process killed with SIGKILL twice and started again
//! while the load runs. A client whose answer is lost (the connection
//! dropped, 503) sends the same response again, to the other instance.
//! At the end, for every code: the acceptances the clients saw, the
//! verdicts stored, the charges, the scan records and the pages
//! authorised are the same codes; nothing is used without a verdict and
//! nothing is charged twice. The table is printed.
//!
//! Runs where `YZT_TEST_BACKEND` names a PostgreSQL database (CI's
//! database stage); elsewhere it says it skipped.
#![cfg(all(feature = "serve", feature = "postgres"))]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64ct::{Base64, Encoding};
use serde_json::{Value, json};
use yizhengtong::qr::throwaway::{CODE, HOLDER, ThrowawayPki};
use yizhengtong::serve::client;

const CLIENTS: usize = 8;
/// Codes each client authorises at least (it goes on until the kills are over).
const CODES_PER_CLIENT: usize = 20;
const OPENING: u64 = 100_000;
const T: Duration = Duration::from_secs(5);

fn yzt() -> Command {
    Command::new(env!("CARGO_BIN_EXE_yzt"))
}

/// The database URL with its database name replaced by `db`.
fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let at = base.rfind('/').expect("a database URL has a path");
    let mut out = format!("{}/{db}", &base[..at]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// One `yzt serve` process, started again after each kill.
struct Instance {
    port: u16,
    dir: PathBuf,
    url: String,
    child: Option<Child>,
}

impl Instance {
    fn start(&mut self) {
        let child = yzt()
            .current_dir(&self.dir)
            .args(["serve", "--config", "serve.json", "--workers", "2"])
            .args(["--listen", &format!("127.0.0.1:{}", self.port)])
            .args(["--backend", &self.url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("yzt serve");
        self.child = Some(child);
        let health = format!("http://127.0.0.1:{}/healthz", self.port);
        let started = Instant::now();
        while client::get(&health, Duration::from_millis(500)).map(|r| r.status) != Ok(200) {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the instance did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
            c.wait().expect("reaped");
        }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// What a client saw of one code: its answer, after however many tries.
#[derive(Debug, Clone)]
struct Seen {
    accepted: bool,
    reason: i64,
    tries: usize,
}

#[test]
fn two_instances_killed_under_load_keep_the_books() {
    let Some(admin_url) = std::env::var("YZT_TEST_BACKEND")
        .ok()
        .filter(|b| b.starts_with("postgres"))
    else {
        eprintln!("skipped: needs YZT_TEST_BACKEND=postgres://… (CI's database stage)");
        return;
    };
    // A database of its own.
    let db = format!("yzt_crash_{}", std::process::id());
    let mut admin = postgres::Client::connect(&admin_url, postgres::NoTls).expect("database");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {db}"))
        .expect("drop database");
    admin
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .expect("create database");
    let url = with_database(&admin_url, &db);
    let out = yzt()
        .args(["db", "migrate", "--url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The platform, the CA and the holder; the configuration on disk.
    let ports = [free_port(), free_port()];
    let host = format!("127.0.0.1:{}", ports[0]);
    let pki = ThrowawayPki::new(&host, &mut rand::rng()).unwrap();
    let dir = std::env::temp_dir().join(format!("yzt-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let verifier = pki.config(&host);
    let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    write("platform.key.pem", &verifier.platform_key.to_pkcs8_pem());
    write("platform.pem", &pki.platform_cert().to_pem());
    write("ca.pem", &verifier.anchors[0].to_pem());
    let (key, entry) = yizhengtong::serve::guard::new_api_key("crash", &mut rand::rng());
    let entry: Value = serde_json::from_str(&entry).unwrap();
    let config = json!({
        "platform_code": CODE,
        "platform_name": verifier.platform_name,
        "callback_host": host,
        "platform_key": "platform.key.pem",
        "platform_cert": "platform.pem",
        "anchors": ["ca.pem"],
        "api_keys": [entry],
        "issue_per_minute": 0,
        "request_timeout_secs": 5,
    });
    write("serve.json", &config.to_string());
    let mut instances: Vec<Mutex<Instance>> = ports
        .iter()
        .map(|&port| {
            Mutex::new(Instance {
                port,
                dir: dir.clone(),
                url: url.clone(),
                child: None,
            })
        })
        .collect();
    for i in &mut instances {
        i.get_mut().unwrap().start();
    }
    let bases: Vec<String> = instances.iter().map(|i| i.lock().unwrap().base()).collect();
    let opened = client::post_json_as(
        &format!("{}/v1/packages", bases[0]),
        &key,
        &json!({"holder": HOLDER, "institution": "ca", "uses": OPENING}),
        T,
    )
    .unwrap();
    assert_eq!(
        opened.status,
        200,
        "{}",
        String::from_utf8_lossy(&opened.body)
    );

    // The load: each client issues a code through one instance, answers
    // it, and submits the answer until it hears a verdict, switching
    // instance after every failure.
    let seen: Mutex<BTreeMap<String, Seen>> = Mutex::new(BTreeMap::new());
    let done = AtomicBool::new(false);
    let kills = std::thread::scope(|scope| {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|c| {
                let (bases, key, pki, seen, done) = (&bases, &key, &pki, &seen, &done);
                scope.spawn(move || {
                    let mut rng = rand::rng();
                    let mut turn = c;
                    let mut n = 0;
                    while n < CODES_PER_CLIENT || !done.load(Ordering::Relaxed) {
                        n += 1;
                        // issue (a lost issue only leaves a code unanswered)
                        let code = loop {
                            turn += 1;
                            let r = client::post_json_as(
                                &format!("{}/v1/qr", bases[turn % 2]),
                                key,
                                &json!({"action": "login"}),
                                T,
                            );
                            match r {
                                Ok(r) if r.status == 201 => break r.json().unwrap(),
                                _ => std::thread::sleep(Duration::from_millis(50)),
                            }
                        };
                        let tid = code["transaction"].as_str().unwrap().to_string();
                        let der = pki
                            .answer(code["text"].as_str().unwrap(), &mut rng)
                            .unwrap();
                        let body = json!({"response": Base64::encode_string(&der)});
                        let mut tries = 0;
                        let verdict = loop {
                            tries += 1;
                            assert!(tries < 400, "no verdict for {tid}");
                            turn += 1;
                            let url = format!("{}/v1/qr/{tid}/response", bases[turn % 2]);
                            match client::post_json(&url, &body, T) {
                                Ok(r) if r.status == 200 => {
                                    let v = r.json().unwrap();
                                    break Seen {
                                        accepted: v["data"]["verifySignatureResult"] == true,
                                        reason: v["data"]["reasonCode"].as_i64().unwrap(),
                                        tries,
                                    };
                                }
                                // lost (killed mid-request) or not committed
                                // (503): the same response again
                                _ => std::thread::sleep(Duration::from_millis(50)),
                            }
                        };
                        seen.lock().unwrap().insert(tid, verdict);
                    }
                })
            })
            .collect();
        // The killer: each instance killed twice while the load runs, then
        // the load may end.
        let killer = scope.spawn(|| {
            let mut kills = 0;
            for round in 0..4 {
                std::thread::sleep(Duration::from_millis(400));
                let mut i = instances[round % 2].lock().unwrap();
                i.kill();
                kills += 1;
                std::thread::sleep(Duration::from_millis(200));
                i.start();
            }
            std::thread::sleep(Duration::from_millis(300));
            done.store(true, Ordering::Relaxed);
            kills
        });
        let kills = killer.join().unwrap();
        for c in clients {
            c.join().unwrap();
        }
        kills
    });
    for i in &mut instances {
        i.get_mut().unwrap().kill();
    }

    // The books, from the database itself.
    let mut db_client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let rows = db_client
        .query(
            "SELECT encode(tid, 'hex'), used, verdict, stage FROM yzt_qr_transactions",
            &[],
        )
        .unwrap();
    let mut used_without_verdict = 0;
    let mut verdict_ok = BTreeSet::new();
    let mut authorised = BTreeSet::new();
    let mut issued = 0;
    for r in &rows {
        issued += 1;
        let tid: String = r.get(0);
        let used: bool = r.get(1);
        let verdict: Option<i16> = r.get(2);
        let stage: i16 = r.get(3);
        if used && verdict.is_none() {
            used_without_verdict += 1;
        }
        if verdict == Some(0) {
            verdict_ok.insert(tid.clone());
        }
        if stage == 2 {
            authorised.insert(tid);
        }
    }
    let records: Vec<String> = db_client
        .query("SELECT body->>'transaction' FROM yzt_scan_records", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let record_set: BTreeSet<String> = records.iter().cloned().collect();
    let left: i64 = db_client
        .query_one(
            "SELECT uses FROM yzt_quotas WHERE holder = $1 AND platform = $2 AND institution = 'ca'",
            &[&HOLDER, &CODE],
        )
        .unwrap()
        .get(0);
    let charged = OPENING - left as u64;
    let seen = seen.into_inner().unwrap();
    let accepted_seen: BTreeSet<String> = seen
        .iter()
        .filter(|(_, s)| s.accepted)
        .map(|(t, _)| t.clone())
        .collect();
    let retried = seen.values().filter(|s| s.tries > 1).count();
    let refused: Vec<(&String, i64)> = seen
        .iter()
        .filter(|(_, s)| !s.accepted)
        .map(|(t, s)| (t, s.reason))
        .collect();

    println!("kills (SIGKILL): {kills}");
    println!(
        "| codes issued | answered | answers retried | accepted (clients) | verdicts stored | charges | scan records | pages authorised | used without verdict |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {issued} | {} | {retried} | {} | {} | {charged} | {} | {} | {used_without_verdict} |",
        seen.len(),
        accepted_seen.len(),
        verdict_ok.len(),
        records.len(),
        authorised.len(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    drop(db_client);
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {db}"));

    assert_eq!(kills, 4, "each instance killed twice");
    assert!(refused.is_empty(), "refused: {refused:?}");
    assert!(seen.len() >= CLIENTS * CODES_PER_CLIENT);
    assert_eq!(used_without_verdict, 0, "nothing used without a verdict");
    assert_eq!(
        accepted_seen, verdict_ok,
        "acceptances seen = verdicts stored"
    );
    assert_eq!(verdict_ok, authorised, "= pages authorised");
    assert_eq!(records.len(), record_set.len(), "no scan record twice");
    assert_eq!(record_set, verdict_ok, "= scan records");
    assert_eq!(charged, verdict_ok.len() as u64, "= charges, none twice");
}

#[test]
fn database_urls_keep_their_options() {
    assert_eq!(
        with_database("postgres://yzt@127.0.0.1:5/postgres", "x"),
        "postgres://yzt@127.0.0.1:5/x"
    );
    assert_eq!(
        with_database("postgres://h/postgres?sslmode=require", "x"),
        "postgres://h/x?sslmode=require"
    );
}
