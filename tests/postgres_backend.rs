//! What only the PostgreSQL backend must show: clear errors for an
//! unreachable database and an old schema, two verifier processes on one
//! database, a database restart in the middle of a run, and bounded
//! purging. Runs when `YZT_TEST_BACKEND` is a `postgres://` URL (CI
//! starts a throw-away cluster with `.ci/pg`); otherwise each test says
//! so and passes vacuously.
#![cfg(feature = "postgres")]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::charge::{Charge, charge, settlement};
use rand::SeedableRng;
use rand::rngs::StdRng;
use yizhengtong::Error;
use yizhengtong::cert::{CertUsage, Certificate, Medium};
use yizhengtong::crypto::PrivateKey;
use yizhengtong::domain::application::Holder;
use yizhengtong::domain::order::PaymentMethod;
use yizhengtong::qr::{
    ActionInput, Identity, KeyTaken, Lookup, PageStage, QrStore, QuotaKey, Reason, Request,
    Settled, Verifier, VerifierConfig, respond, scan,
};
use yizhengtong::store::AnyStore;
use yizhengtong::store::postgres::{PgOptions, PgStore, SCHEMA_VERSION};
use yizhengtong::workflow::Clock;
use yizhengtong::workflow::reference::{
    self, CALLBACK_HOST, PLATFORM, PLATFORM_NAME, Reference, STAFF, packages,
};
use zeroize::Zeroizing;

/// The restart test stops the server under everyone's feet: it runs alone
/// (write lock); the others share (read lock).
static SERVER: std::sync::RwLock<()> = std::sync::RwLock::new(());

fn shared() -> std::sync::RwLockReadGuard<'static, ()> {
    SERVER.read().unwrap_or_else(|e| e.into_inner())
}

fn url() -> Option<String> {
    match std::env::var("YZT_TEST_BACKEND") {
        Ok(u) if u.starts_with("postgres") => Some(u),
        _ => {
            eprintln!("YZT_TEST_BACKEND is not a postgres:// URL: skipped");
            None
        }
    }
}

fn options(schema: &str) -> PgOptions {
    PgOptions {
        schema: Some(schema.into()),
        sealing_key: Some(zeroize::Zeroizing::new([9u8; 16])),
        ..PgOptions::default()
    }
}

fn fresh_schema(tag: &str) -> String {
    let mut b = [0u8; 6];
    rand_core::Rng::fill_bytes(&mut rand::rng(), &mut b);
    format!("{tag}_{}", yizhengtong::hex::encode(&b).to_lowercase())
}

fn store(url: &str, schema: &str) -> Arc<AnyStore> {
    PgStore::migrate(url, &options(schema)).unwrap();
    Arc::new(AnyStore::Postgres(
        PgStore::connect(url, options(schema)).unwrap(),
    ))
}

#[test]
fn an_unreachable_database_is_a_clear_error_without_the_password() {
    let opts = PgOptions {
        connect_timeout: Some(Duration::from_secs(1)),
        ..PgOptions::default()
    };
    let e = PgStore::connect("postgres://yzt:s3cret-pw@127.0.0.1:9/postgres", opts).unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, Error::Store(_)), "{e:?}");
    assert!(text.contains("unreachable"), "{text}");
    assert!(text.contains("yzt:***@127.0.0.1:9"), "{text}");
    assert!(!text.contains("s3cret"), "the password leaked: {text}");
    assert_eq!(
        yizhengtong::store::postgres::redact_url(
            "postgresql://u:p@h:5432/db?sslmode=disable&password=x"
        ),
        "postgresql://u:***@h:5432/db?sslmode=disable&password=***"
    );
}

#[test]
fn an_old_schema_is_refused_until_migrated() {
    let _server = shared();
    let Some(url) = url() else { return };
    let schema = fresh_schema("old");
    // Only the schema itself, no tables: version 0.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let e = PgStore::connect(&url, options(&schema)).unwrap_err();
    assert!(e.to_string().contains("yzt db migrate"), "{e}");
    assert_eq!(
        PgStore::migrate(&url, &options(&schema)).unwrap(),
        SCHEMA_VERSION
    );
    assert_eq!(
        PgStore::migrate(&url, &options(&schema)).unwrap(),
        SCHEMA_VERSION,
        "idempotent"
    );
    let s = PgStore::connect(&url, options(&schema)).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
}

/// A person with a downloaded signing certificate: (user, cert, key).
fn holder(w: &Reference<AnyStore>) -> (String, Certificate, PrivateKey) {
    let s = &w.services;
    let user = w
        .verified_user(
            "18600008621",
            &reference::id_card("欧勇", "19850312", 1).unwrap(),
        )
        .unwrap();
    let (app, o) = s
        .apply_certificate(
            &user,
            Holder::Person,
            Medium::Mobile,
            CertUsage::Sign,
            PLATFORM,
            &[(packages::PERSON_CA.into(), 1)],
            None,
        )
        .unwrap();
    s.pay_order(&user, &o.number, PaymentMethod::Alipay, o.due(), "ali")
        .unwrap();
    s.approve_audit(STAFF, app.audit.as_ref().unwrap()).unwrap();
    let key = PrivateKey::generate(&mut StdRng::seed_from_u64(5));
    let cert = s
        .download_certificate(&user, &app.id, &key.public_key())
        .unwrap()
        .certificate;
    (user, cert, key)
}

const RESPONSES: usize = 10_000;

/// Run by the parent test in a child process: verify every response of
/// one half (`YZT_CHILD_HALF` = 0 or 1) with a verifier of its own on the
/// shared database; print `RESULT accepted replays other`.
#[test]
#[ignore = "run as a child process by two_verifier_processes_on_one_database"]
fn verifier_child() {
    let url = std::env::var("YZT_CHILD_URL").unwrap();
    let schema = std::env::var("YZT_CHILD_SCHEMA").unwrap();
    let half: usize = std::env::var("YZT_CHILD_HALF").unwrap().parse().unwrap();
    let dir = std::path::PathBuf::from(std::env::var("YZT_CHILD_DIR").unwrap());
    let ca = Certificate::from_pem(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
    let now = SystemTime::UNIX_EPOCH
        + Duration::from_secs(std::env::var("YZT_CHILD_NOW").unwrap().parse().unwrap());
    let store = Arc::new(AnyStore::Postgres(
        PgStore::connect(&url, options(&schema)).unwrap(),
    ));
    let config = VerifierConfig::new(
        PLATFORM,
        PLATFORM_NAME,
        CALLBACK_HOST,
        PrivateKey::generate(&mut rand::rng()),
        vec![ca],
    );
    let verifier = Verifier::new(config, store).unwrap();
    let lines = std::fs::read_to_string(dir.join("responses.hex")).unwrap();
    let (mut ok, mut replay, mut other) = (0, 0, 0);
    for (i, line) in lines.lines().enumerate() {
        // Line 0 goes to both processes: the same response submitted twice.
        if i != 0 && i % 2 != half {
            continue;
        }
        let der = yizhengtong::hex::decode(line).unwrap();
        let v = verifier.verify(&der, now);
        match (v.reason, v.repeat) {
            (Reason::Ok, false) => ok += 1,
            // the same response again: its verdict repeated, uncharged
            (Reason::Ok, true) => replay += 1,
            (r, _) => {
                other += 1;
                eprintln!("refused: {r:?}");
            }
        }
    }
    println!("RESULT {ok} {replay} {other}");
}

#[test]
fn two_verifier_processes_on_one_database() {
    let _server = shared();
    let Some(url) = url() else { return };
    let schema = fresh_schema("two");
    let w = Reference::with_store(11, store(&url, &schema)).unwrap();
    let (user, cert, key) = holder(&w);
    let holder_id = cert.subject_serial_number().unwrap();
    let quota = QuotaKey {
        holder: holder_id,
        platform: PLATFORM.into(),
        institution: "ca",
    };
    w.services.store().set_quota(&quota, 20_000).unwrap();
    // The platform issues; the phone answers; the responses go to a file.
    let platform = w.platform(12).unwrap();
    let now = w.clock.now();
    let identity = Identity {
        member: &user,
        enterprise: None,
        signing_cert: &cert,
        signing_key: &key,
        encryption_cert: None,
        encryption_key: None,
    };
    let mut rng = StdRng::seed_from_u64(13);
    let mut lines = Vec::with_capacity(RESPONSES);
    for _ in 0..RESPONSES {
        let challenge = platform
            .verifier
            .issue(Request::Login, now, &mut rng)
            .unwrap();
        let (scanned, view) = scan(&challenge.to_text(), &platform.registry, now).unwrap();
        let response = respond(
            &scanned,
            &view,
            &identity,
            ActionInput::Login,
            now,
            &mut rng,
        )
        .unwrap();
        lines.push(yizhengtong::hex::encode(&response.to_der()));
    }
    let dir = std::env::temp_dir().join(&schema);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("responses.hex"), lines.join("\n")).unwrap();
    std::fs::write(dir.join("ca.pem"), w.ca_cert.to_pem()).unwrap();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    // Both processes at once, each with its own verifier and pool.
    let children: Vec<_> = (0..2)
        .map(|half| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    "verifier_child",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("YZT_CHILD_URL", &url)
                .env("YZT_CHILD_SCHEMA", &schema)
                .env("YZT_CHILD_HALF", half.to_string())
                .env("YZT_CHILD_DIR", &dir)
                .env("YZT_CHILD_NOW", &secs)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut totals = [0usize; 3];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "a verifier process failed");
        let text = String::from_utf8_lossy(&out.stdout);
        // (--nocapture prints it on the harness's own "test … " line.)
        let at = text
            .find("RESULT ")
            .unwrap_or_else(|| panic!("no RESULT line in: {text}"));
        let line = text[at + 7..].lines().next().unwrap_or_default();
        for (t, n) in totals.iter_mut().zip(line.split_whitespace()) {
            *t += n.parse::<usize>().unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    let [ok, replays, other] = totals;
    assert_eq!(other, 0, "no other refusal");
    assert_eq!(
        ok, RESPONSES,
        "every distinct authorisation accepted exactly once"
    );
    assert_eq!(
        replays, 1,
        "the response sent to both processes is committed by one only (the other is told the same verdict)"
    );
    assert_eq!(
        w.services.store().quota(&quota).unwrap(),
        Some(20_000 - RESPONSES as u64),
        "the quota drops by exactly the authorisations"
    );
}

fn restart_database() -> bool {
    if std::env::var("PGDATA_YZT").is_err() {
        eprintln!("no throw-away cluster to restart (.ci/pg start): skipped");
        return false;
    }
    let root = env!("CARGO_MANIFEST_DIR");
    let ok = Command::new("bash")
        .arg(format!("{root}/.ci/pg"))
        .arg("restart")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "restarting the cluster failed");
    true
}

#[test]
fn a_restart_mid_run_loses_no_charge_and_doubles_none() {
    let _alone = SERVER.write().unwrap_or_else(|e| e.into_inner());
    let Some(url) = url() else { return };
    if std::env::var("PGDATA_YZT").is_err() {
        eprintln!("no throw-away cluster to restart (.ci/pg start): skipped");
        return;
    }
    let schema = fresh_schema("restart");
    let store = store(&url, &schema);
    let key = QuotaKey {
        holder: "650102198503120019".into(),
        platform: PLATFORM.into(),
        institution: "ca",
    };
    const N: u64 = 600;
    store.set_quota(&key, N).unwrap();
    let charger = {
        let store = store.clone();
        let key = key.clone();
        std::thread::spawn(move || {
            let (mut charged, mut already, mut errors) = (0u64, 0u64, 0u64);
            for i in 0..N {
                let mut tid = [0u8; 16];
                tid[..8].copy_from_slice(&i.to_be_bytes());
                // An in-flight charge may fail; it is retried with the same
                // transaction id, which can never charge twice.
                loop {
                    match charge(&store, &key, &tid) {
                        Ok(Ok(Charge::Charged { .. })) => {
                            charged += 1;
                            break;
                        }
                        Ok(Ok(Charge::AlreadyCharged { .. })) => {
                            already += 1;
                            break;
                        }
                        Ok(Err(r)) => panic!("refused: {r:?}"),
                        Err(e) => {
                            assert!(
                                matches!(e, Error::Store(_) | Error::Conflict { .. }),
                                "{e:?}"
                            );
                            errors += 1;
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
                if i == N / 3 {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            (charged, already, errors)
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    assert!(restart_database());
    let (charged, already, errors) = charger.join().unwrap();
    eprintln!("charged {charged}, found charged on retry {already}, errors {errors}");
    assert_eq!(charged + already, N, "every authorisation settled once");
    assert_eq!(
        store.quota(&key).unwrap(),
        Some(0),
        "no charge lost and none doubled"
    );
    // Each transaction is charged: asking again charges nothing.
    let mut tid = [0u8; 16];
    tid[..8].copy_from_slice(&5u64.to_be_bytes());
    assert!(matches!(
        charge(&store, &key, &tid).unwrap(),
        Ok(Charge::AlreadyCharged { remaining: 0 })
    ));
    // A workflow commit interrupted by a restart fails cleanly and can be retried.
    let w = Reference::with_store(21, store.clone()).unwrap();
    let (user, _, _) = holder(&w);
    let o = w
        .services
        .order_packages(
            &user,
            &Holder::Person,
            PLATFORM,
            &[(packages::PERSON_SEAL.into(), 1)],
            None,
        )
        .unwrap();
    assert!(restart_database());
    let mut attempts = 0;
    loop {
        attempts += 1;
        match w
            .services
            .pay_order(&user, &o.number, PaymentMethod::Alipay, o.due(), "ali")
        {
            Ok(_) => break,
            Err(Error::InvalidState { state, .. }) if state == "paid" => break,
            Err(e) => {
                assert!(attempts < 100, "{e:?}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    let seal = QuotaKey {
        holder: w.services.order(&user, &o.number).unwrap().holder,
        platform: PLATFORM.into(),
        institution: "seal",
    };
    assert_eq!(
        store.quota(&seal).unwrap(),
        Some(50),
        "the seal package credited once"
    );
}

#[test]
fn expired_transactions_are_purged_in_bounded_batches() {
    let _server = shared();
    let Some(url) = url() else { return };
    let schema = fresh_schema("purge");
    let w = Reference::with_store(31, store(&url, &schema)).unwrap();
    let platform = w.platform(32).unwrap();
    let mut rng = StdRng::seed_from_u64(33);
    let then = w.clock.now();
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.push(
            platform
                .verifier
                .issue(Request::Login, then, &mut rng)
                .unwrap()
                .transaction_id,
        );
    }
    let store = w.services.store();
    // Not yet past the grace period: nothing goes.
    assert_eq!(
        store
            .purge_expired(then + Duration::from_secs(600))
            .unwrap(),
        0
    );
    let later = then + yizhengtong::qr::PURGE_GRACE + Duration::from_secs(600);
    assert_eq!(store.purge_expired(later).unwrap(), 20);
    assert!(matches!(store.lookup(&ids[0]).unwrap(), Lookup::Unknown));
}

/// The page status of a QR code lives in the database beside its
/// transaction: two stores (two verifier instances) see the same stage,
/// the first verdict stands, a refused code keeps no key, and an
/// accepted decrypt code's document key is sealed at rest and goes out
/// once however many instances race for it.
#[test]
fn page_status_is_shared_and_a_document_key_goes_out_once() {
    let _server = shared();
    let Some(url) = url() else { return };
    let schema = fresh_schema("pages");
    let a = store(&url, &schema);
    let b = store(&url, &schema);
    let w = Reference::with_store(41, Arc::clone(&a)).unwrap();
    let platform = w.platform(42).unwrap();
    let mut rng = StdRng::seed_from_u64(43);
    let now = w.clock.now();
    let issue = |rng: &mut StdRng| platform.verifier.issue(Request::Login, now, rng).unwrap();
    let c = issue(&mut rng);
    let tid = c.transaction_id;
    let page = b.page(&tid).unwrap().unwrap();
    assert_eq!(page.stage, PageStage::Pending);
    assert_eq!(
        (page.issued_at, page.expires_at),
        (c.issued_at, c.expires_at)
    );
    assert_eq!(page.action, c.action);
    assert!(page.detail.is_empty() && !page.key_waiting);
    // a scan heard after expiry changes nothing; before it, it is seen by all
    let stage = |s: &Arc<AnyStore>| s.page(&tid).unwrap().unwrap().stage;
    a.page_scanned(&tid, c.expires_at).unwrap();
    assert_eq!(stage(&b), PageStage::Pending);
    a.page_scanned(&tid, c.issued_at).unwrap();
    assert_eq!(stage(&b), PageStage::Scanned);
    // the first verdict stands
    let key = [0x5au8; 16];
    let q = QuotaKey {
        holder: "650102198503120019".into(),
        platform: PLATFORM.into(),
        institution: "ca",
    };
    a.set_quota(&q, 1).unwrap();
    let mut first = settlement(&tid, &q, [1; 32]);
    first.detail = r#"{"who":"first"}"#.into();
    first.document_key = Some(Zeroizing::new(key.to_vec()));
    assert!(matches!(
        a.settle(first).unwrap(),
        Settled::Now(v) if v.reason == Reason::Ok && v.remaining == Some(0)
    ));
    let mut second = settlement(&tid, &q, [2; 32]);
    second.detail = r#"{"who":"second"}"#.into();
    assert!(matches!(
        b.settle(second).unwrap(),
        Settled::Before(v) if v.response_hash == [1; 32] && v.reason == Reason::Ok
    ));
    assert_eq!(a.quota(&q).unwrap(), Some(0), "charged once");
    let page = b.page(&tid).unwrap().unwrap();
    assert_eq!(page.stage, PageStage::Authorised);
    assert_eq!(page.detail, r#"{"who":"first"}"#);
    assert_eq!(page.remaining, Some(0));
    assert!(page.key_waiting);
    // sealed at rest
    let mut c2 = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let sealed: Vec<u8> = c2
        .query_one(
            &format!("SELECT document_key FROM {schema}.yzt_qr_transactions WHERE tid = $1"),
            &[&&tid[..]],
        )
        .unwrap()
        .get(0);
    assert!(
        !sealed.windows(key.len()).any(|w| w == key),
        "stored in clear"
    );
    // eight takers on two instances: one gets the key
    let got: Vec<KeyTaken> = std::thread::scope(|scope| {
        let takers: Vec<_> = (0..8)
            .map(|i| {
                let s = if i % 2 == 0 { &a } else { &b };
                scope.spawn(move || s.page_take_key(&tid).unwrap())
            })
            .collect();
        takers.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let keys: Vec<_> = got
        .iter()
        .filter_map(|t| match t {
            KeyTaken::Key(k) => Some(k.to_vec()),
            _ => None,
        })
        .collect();
    assert_eq!(keys, vec![key.to_vec()]);
    assert_eq!(
        got.iter().filter(|t| matches!(t, KeyTaken::Gone)).count(),
        7
    );
    assert!(!a.page(&tid).unwrap().unwrap().key_waiting);
    // a code refused by its package keeps no key; an unknown code is unknown
    let c = issue(&mut rng);
    let mut refused = settlement(&c.transaction_id, &q, [3; 32]);
    refused.document_key = Some(Zeroizing::new(key.to_vec()));
    assert!(matches!(
        b.settle(refused).unwrap(),
        Settled::Now(v) if v.reason == Reason::QuotaExhausted
    ));
    assert_eq!(
        a.page(&c.transaction_id).unwrap().unwrap().refusal,
        Some(Reason::QuotaExhausted)
    );
    assert!(matches!(
        a.page_take_key(&c.transaction_id).unwrap(),
        KeyTaken::NotAuthorised(PageStage::Refused)
    ));
    assert!(a.page(&[0u8; 16]).unwrap().is_none());
    assert!(matches!(
        a.page_take_key(&[0u8; 16]).unwrap(),
        KeyTaken::Unknown
    ));
    assert_eq!(
        a.settle(settlement(&[0u8; 16], &q, [4; 32])).unwrap(),
        Settled::Unknown
    );
}
