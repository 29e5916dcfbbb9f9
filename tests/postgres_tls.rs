//! TLS to PostgreSQL as libpq's `sslmode` says, against a cluster that
//! speaks TLS with a certificate for `localhost` only: `verify-full` with
//! the right CA connects (and the store runs over it); with another CA,
//! or connecting to `127.0.0.1` (not a name in the certificate), it is
//! refused with an error saying why; `verify-ca` checks the chain but not
//! the name; `require` encrypts without checking, unless a root CA is
//! given (then as `verify-ca`); `disable` is plain; the default (`prefer`)
//! encrypts when the server offers it.
//!
//! Runs when `YZT_TEST_BACKEND` is a `postgres://` URL and `YZT_PG_TLS_CA`
//! names the cluster's CA (`YZT_PG_TLS=1 source .ci/pg start` makes both);
//! otherwise each test says so and passes vacuously.
#![cfg(feature = "postgres")]

mod common;

use std::time::Duration;

use yizhengtong::Error;
use yizhengtong::store::pg_tls;
use yizhengtong::store::postgres::{PgOptions, PgStore};

/// The cluster: (user, port, database, CA file).
struct Cluster {
    user: String,
    port: u16,
    db: String,
    ca: String,
}

fn cluster() -> Option<Cluster> {
    let url = match std::env::var("YZT_TEST_BACKEND") {
        Ok(u) if u.starts_with("postgres") => u,
        _ => {
            eprintln!("YZT_TEST_BACKEND is not a postgres:// URL: skipped");
            return None;
        }
    };
    let Ok(ca) = std::env::var("YZT_PG_TLS_CA") else {
        eprintln!("YZT_PG_TLS_CA is not set (YZT_PG_TLS=1 source .ci/pg start): skipped");
        return None;
    };
    let config: postgres::Config = url.parse().unwrap();
    Some(Cluster {
        user: config.get_user().unwrap_or("postgres").to_string(),
        port: config.get_ports().first().copied().unwrap_or(5432),
        db: config.get_dbname().unwrap_or("postgres").to_string(),
        ca,
    })
}

/// `%`-encode what a query value cannot hold as is.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'.' | b'-' | b'_' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Cluster {
    /// A URL to `host` (connecting to 127.0.0.1 whatever the name) with
    /// these query parameters.
    fn url(&self, host: &str, query: &str) -> String {
        format!(
            "postgres://{}@{host}:{}/{}?hostaddr=127.0.0.1&connect_timeout=5{query}",
            self.user, self.port, self.db
        )
    }
}

/// Whether the connection is encrypted, and with which TLS version.
fn ssl_of(client: &mut postgres::Client) -> (bool, Option<String>) {
    let row = client
        .query_one(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// A CA that issued nothing the cluster holds.
fn other_ca(dir: &common::Work) -> String {
    let (key, pem) = (dir.path("other.key"), dir.path("other.pem"));
    common::ossl([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=another CA",
        "-keyout",
        &key,
        "-out",
        &pem,
    ]);
    pem
}

fn refused(url: &str) -> String {
    match pg_tls::connect(url) {
        Ok(_) => panic!("{url} connected"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn verify_full_with_the_right_ca_and_name_connects_and_the_store_runs_over_it() {
    let Some(c) = cluster() else { return };
    let ca = enc(&c.ca);
    let url = c.url(
        "localhost",
        &format!("&sslmode=verify-full&sslrootcert={ca}"),
    );
    let mut client = pg_tls::connect(&url).unwrap();
    let (ssl, version) = ssl_of(&mut client);
    assert!(ssl);
    assert_eq!(version.as_deref(), Some("TLSv1.3"));

    // the same as key=value pairs
    let kv = format!(
        "host=localhost hostaddr=127.0.0.1 port={} user={} dbname={} sslmode=verify-full sslrootcert='{}'",
        c.port, c.user, c.db, c.ca
    );
    assert!(ssl_of(&mut pg_tls::connect(&kv).unwrap()).0);

    // The store over it: a fresh schema migrated, then opened.
    let mut b = [0u8; 6];
    rand_core::Rng::fill_bytes(&mut rand::rng(), &mut b);
    let schema = format!("tls_{}", yizhengtong::hex::encode(&b).to_lowercase());
    let options = PgOptions {
        schema: Some(schema.clone()),
        connect_timeout: Some(Duration::from_secs(5)),
        ..PgOptions::default()
    };
    PgStore::migrate(&url, &options).unwrap();
    let store = PgStore::connect(&url, options).unwrap();
    assert!(store.schema_version().unwrap() >= 1);
    drop(store);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .unwrap();
}

#[test]
fn verify_full_refuses_another_ca_and_another_name_saying_why() {
    let Some(c) = cluster() else { return };
    let dir = common::Work::new("pg-tls");
    let other = enc(&other_ca(&dir));
    let ca = enc(&c.ca);

    // Another CA.
    let e = refused(&c.url(
        "localhost",
        &format!("&sslmode=verify-full&sslrootcert={other}"),
    ));
    assert!(e.contains("sslmode=verify-full"), "{e}");
    assert!(e.contains("invalid peer certificate"), "{e}");
    assert!(e.contains("UnknownIssuer"), "{e}");

    // The right CA, but connecting to 127.0.0.1: the certificate is for
    // localhost only.
    let by_ip = format!(
        "postgres://{}@127.0.0.1:{}/{}?sslmode=verify-full&sslrootcert={ca}",
        c.user, c.port, c.db
    );
    let e = refused(&by_ip);
    assert!(e.contains("not valid for name"), "{e}");
    assert!(e.contains("127.0.0.1"), "{e}");

    // Through the store: refused after its connect timeout, with the cause.
    let options = PgOptions {
        connect_timeout: Some(Duration::from_secs(2)),
        ..PgOptions::default()
    };
    match PgStore::connect(&by_ip, options) {
        Ok(_) => panic!("the store connected by IP with verify-full"),
        Err(Error::Store(e)) => {
            assert!(e.contains("not valid for name"), "{e}");
        }
        Err(e) => panic!("{e}"),
    }

    // verify-full or verify-ca without a root CA: refused before connecting.
    for mode in ["verify-full", "verify-ca"] {
        let e = refused(&c.url("localhost", &format!("&sslmode={mode}")));
        assert!(e.contains("needs sslrootcert"), "{e}");
    }
}

#[test]
fn verify_ca_require_disable_and_prefer_as_libpq_means_them() {
    let Some(c) = cluster() else { return };
    let dir = common::Work::new("pg-tls-modes");
    let other = enc(&other_ca(&dir));
    let ca = enc(&c.ca);
    let by_ip = |query: &str| {
        format!(
            "postgres://{}@127.0.0.1:{}/{}?connect_timeout=5{query}",
            c.user, c.port, c.db
        )
    };
    let ssl = |url: &str| ssl_of(&mut pg_tls::connect(url).unwrap()).0;

    // verify-ca: the chain, not the name.
    assert!(ssl(&by_ip(&format!("&sslmode=verify-ca&sslrootcert={ca}"))));
    let e = refused(&by_ip(&format!("&sslmode=verify-ca&sslrootcert={other}")));
    assert!(e.contains("UnknownIssuer"), "{e}");
    // require: encrypted, unchecked; with a root CA, as verify-ca.
    assert!(ssl(&by_ip("&sslmode=require")));
    assert!(ssl(&by_ip(&format!("&sslmode=require&sslrootcert={ca}"))));
    let e = refused(&by_ip(&format!("&sslmode=require&sslrootcert={other}")));
    assert!(e.contains("UnknownIssuer"), "{e}");
    // disable: plain, as before.
    assert!(!ssl(&by_ip("&sslmode=disable")));
    // prefer, and no sslmode: encrypted when the server offers it.
    assert!(ssl(&by_ip("&sslmode=prefer")));
    assert!(ssl(&by_ip("")));
}
