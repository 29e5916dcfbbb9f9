//! The PostgreSQL backend (cargo feature `postgres`), for platforms that
//! run several verifier instances on one database.
//!
//! * Rows, index entries, sequences and locks of [`Store`] live in
//!   `yzt_rows`, `yzt_index` and `yzt_sequences`; a [`Store::commit`] is
//!   one transaction under READ COMMITTED: a version comparison per
//!   [`Write::Check`] (the row read `FOR SHARE`), a conditional
//!   `UPDATE … WHERE version = $v` or `INSERT … ON CONFLICT DO NOTHING`
//!   per [`Write::Put`], a conditional `UPDATE … WHERE uses >= $n` per
//!   quota take. Any condition that fails rolls everything back and
//!   reports [`Error::Conflict`]; serialization failures and deadlocks
//!   are conflicts too, so the workflow re-runs.
//! * The QR verifier's operations are single statements: looking a code
//!   up is one `SELECT`; everything a verified answer changes is one call
//!   of the server-side function `yzt_qr_settle` (migration 3), which
//!   locks the code's row, then the package's, uses the code, charges one
//!   use (`WHERE uses > 0`), writes the scan record and the log line,
//!   settles the page and stores the verdict with the response's hash, or,
//!   for a code used before, returns that verdict and changes nothing.
//! * Expired codes lose their secrets and are purged a grace period after
//!   expiry, on access (every 256th issue, at most 10 000 rows at a time)
//!   and by [`QrStore::purge_expired`]; the codes waiting for an answer
//!   are counted per platform at issue, against a bound.
//! * The decrypt action's ephemeral private keys are sealed with SM4-GCM
//!   under a key the platform configures ([`PgOptions::sealing_key`]); a
//!   store without one refuses to keep them.
//! * The schema is created and migrated by the versioned SQL files in
//!   `migrations/`, applied by [`PgStore::migrate`] (or `yzt db migrate`);
//!   [`PgStore::connect`] refuses a database whose schema is older.
//! * The URL's password never appears in errors or logs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use postgres::Transaction;
use postgres::error::SqlState;
use r2d2::{CustomizeConnection, Pool};
use zeroize::Zeroizing;

use super::pg_tls::{ConnectError, Manager};
use super::{Changeset, Row, Store, Write};
use crate::error::{Error, Result};
use crate::qr::{
    Challenge, KeyTaken, Lookup, OperationLogEntry, PageStage, PageStatus, PendingTransaction,
    QrStore, QuotaKey, Reason, ScanRecord, Settled, Settlement, StoredVerdict,
};

/// A stored verdict code as a [`Reason`] (`None` for a code this build
/// does not know).
fn reason_of(code: i16) -> Option<Reason> {
    u16::try_from(code).ok().and_then(Reason::from_code)
}

/// The verdict kept in a used transaction's row. A row used before schema
/// 3 kept none: any response for it is a replay.
fn verdict_of(code: Option<i16>, remaining: Option<i64>, hash: Option<Vec<u8>>) -> StoredVerdict {
    StoredVerdict {
        response_hash: hash.and_then(|h| h.try_into().ok()).unwrap_or([0; 32]),
        reason: code.and_then(reason_of).unwrap_or(Reason::AlreadyUsed),
        remaining: remaining.map(|n| n.max(0) as u64),
    }
}

/// The schema version this build needs.
pub const SCHEMA_VERSION: i32 = 3;

/// What a sealed secret is, for its nonce: the decrypt action's ephemeral
/// key (the empty purpose, as sealed since schema 1) and an accepted
/// decrypt code's document key.
const SEAL_EPHEMERAL: &[u8] = b"";
const SEAL_DOCUMENT_KEY: &[u8] = b"yzt document key";

/// The GCM nonce for sealing a `purpose` secret of transaction `tid`.
fn seal_nonce(purpose: &[u8], tid: &[u8; 16]) -> [u8; 12] {
    let mut input = purpose.to_vec();
    input.extend_from_slice(tid);
    let mut nonce = [0u8; 12];
    nonce.copy_from_slice(&crate::crypto::sm3(&input)[..12]);
    nonce
}

/// The migrations, in order: (version, SQL).
pub const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../../migrations/0001_init.sql")),
    (2, include_str!("../../migrations/0002_qr_pages.sql")),
    (3, include_str!("../../migrations/0003_qr_settle.sql")),
];

/// How many issues between two purges on access.
const PURGE_EVERY: u64 = 256;
/// Most rows one purge deletes.
const PURGE_BATCH: i64 = 10_000;

/// Connection options.
#[derive(Clone, Default)]
pub struct PgOptions {
    /// A schema to use instead of `public` (created by [`PgStore::migrate`]);
    /// letters, digits and `_` only.
    pub schema: Option<String>,
    /// Most connections in the pool (default 8).
    pub pool_size: Option<u32>,
    /// How long to wait for a connection (default 5 s).
    pub connect_timeout: Option<Duration>,
    /// The 16-byte key that seals the decrypt action's ephemeral private
    /// keys at rest (the same on every instance of one platform).
    pub sealing_key: Option<Zeroizing<[u8; 16]>>,
}

impl std::fmt::Debug for PgOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgOptions")
            .field("schema", &self.schema)
            .field("pool_size", &self.pool_size)
            .field("connect_timeout", &self.connect_timeout)
            .field(
                "sealing_key",
                &self.sealing_key.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// The PostgreSQL store; cheap to share between threads.
pub struct PgStore {
    pool: Pool<Manager>,
    where_: String,
    sealing_key: Option<Zeroizing<[u8; 16]>>,
    issued: AtomicU64,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("database", &self.where_)
            .finish_non_exhaustive()
    }
}

/// The URL with its password replaced by `***`, for errors and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // key=value form: drop any password=… pair.
        return url
            .split_whitespace()
            .map(|kv| {
                if kv.starts_with("password=") {
                    "password=***"
                } else {
                    kv
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_string(),
    };
    let tail = tail
        .split('&')
        .map(|kv| {
            if kv.starts_with("password=") || kv.starts_with("?password=") {
                "password=***"
            } else {
                kv
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{scheme}://{authority}{tail}")
}

fn valid_schema(s: &str) -> Result<()> {
    if !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
    {
        Ok(())
    } else {
        Err(Error::param(
            "schema",
            "letters, digits and _ only, not starting with a digit",
        ))
    }
}

#[derive(Debug)]
struct SearchPath(Option<String>);

impl CustomizeConnection<postgres::Client, ConnectError> for SearchPath {
    fn on_acquire(&self, conn: &mut postgres::Client) -> std::result::Result<(), ConnectError> {
        if let Some(s) = &self.0 {
            conn.batch_execute(&format!("SET search_path TO {s}"))?;
        }
        Ok(())
    }
}

/// The driver's error with the server's code and message when there is one
/// (its own text is only "db error").
fn describe(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => e.to_string(),
    }
}

/// Is this database error a lost race (re-run) rather than a failure?
fn is_conflict(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
            || *c == SqlState::T_R_DEADLOCK_DETECTED
            || *c == SqlState::UNIQUE_VIOLATION
    )
}

impl PgStore {
    fn db_error(&self, what: &str, e: postgres::Error) -> Error {
        if is_conflict(&e) {
            return Error::Conflict {
                what: "database",
                key: what.to_string(),
            };
        }
        // The driver's messages do not carry the password; the location is
        // given redacted.
        Error::Store(format!("{what} on {}: {}", self.where_, describe(&e)))
    }

    fn pool_for(url: &str, options: &PgOptions) -> Result<(Pool<Manager>, String)> {
        let where_ = redact_url(url);
        if let Some(s) = &options.schema {
            valid_schema(s)?;
        }
        // sslmode (disable … verify-full) and sslrootcert as libpq reads them
        let (config, tls) = super::pg_tls::config(url)
            .map_err(|e| Error::param("database URL", format!("{where_}: {e}")))?;
        let manager = Manager::new(config, tls);
        let pool = Pool::builder()
            .max_size(options.pool_size.unwrap_or(8))
            .min_idle(Some(0))
            .connection_timeout(options.connect_timeout.unwrap_or(Duration::from_secs(5)))
            .connection_customizer(Box::new(SearchPath(options.schema.clone())))
            .build(manager)
            .map_err(|e| Error::Store(format!("database unreachable at {where_}: {e}")))?;
        Ok((pool, where_))
    }

    /// Apply the migrations the database lacks (creating the schema when
    /// one is named); returns the schema version now. Safe to run from
    /// several instances at once (an advisory lock serialises them).
    pub fn migrate(url: &str, options: &PgOptions) -> Result<i32> {
        let (pool, where_) = Self::pool_for(
            url,
            &PgOptions {
                schema: None,
                ..options.clone()
            },
        )?;
        let err = |what: &str, e: postgres::Error| {
            Error::Store(format!("{what} on {where_}: {}", describe(&e)))
        };
        let mut c = pool
            .get()
            .map_err(|e| Error::Store(format!("database unreachable at {where_}: {e}")))?;
        let mut tx = c.transaction().map_err(|e| err("begin", e))?;
        tx.execute("SELECT pg_advisory_xact_lock(7715501)", &[])
            .map_err(|e| err("lock", e))?;
        if let Some(s) = &options.schema {
            tx.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {s}; SET LOCAL search_path TO {s}"
            ))
            .map_err(|e| err("create schema", e))?;
        }
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS yzt_schema (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
        )
        .map_err(|e| err("schema table", e))?;
        let current: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM yzt_schema", &[])
            .map_err(|e| err("read schema version", e))?
            .get(0);
        if current > SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "the database schema is version {current}, newer than this build ({SCHEMA_VERSION})"
            )));
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.batch_execute(sql).map_err(|e| err("migration", e))?;
            tx.execute("INSERT INTO yzt_schema (version) VALUES ($1)", &[version])
                .map_err(|e| err("record migration", e))?;
        }
        tx.commit().map_err(|e| err("commit migrations", e))?;
        Ok(SCHEMA_VERSION)
    }

    /// Connect; refuses an unreachable database (after the connect
    /// timeout) and a schema older than [`SCHEMA_VERSION`].
    pub fn connect(url: &str, options: PgOptions) -> Result<Self> {
        let (pool, where_) = Self::pool_for(url, &options)?;
        let store = Self {
            pool,
            where_,
            sealing_key: options.sealing_key,
            issued: AtomicU64::new(0),
        };
        let version = store.schema_version()?;
        if version < SCHEMA_VERSION {
            return Err(Error::Store(format!(
                "the database schema at {} is version {version}; this build needs {SCHEMA_VERSION}: run `yzt db migrate --url URL`",
                store.where_
            )));
        }
        Ok(store)
    }

    /// The schema version of the database (0 when none).
    pub fn schema_version(&self) -> Result<i32> {
        let mut c = self.client()?;
        let exists: bool = c
            .query_one("SELECT to_regclass('yzt_schema') IS NOT NULL", &[])
            .map_err(|e| self.db_error("read schema version", e))?
            .get(0);
        if !exists {
            return Ok(0);
        }
        Ok(
            c.query_one("SELECT coalesce(max(version), 0) FROM yzt_schema", &[])
                .map_err(|e| self.db_error("read schema version", e))?
                .get(0),
        )
    }

    fn client(&self) -> Result<r2d2::PooledConnection<Manager>> {
        self.pool
            .get()
            .map_err(|e| Error::Store(format!("database unreachable at {}: {e}", self.where_)))
    }

    fn seal(&self, secret: &[u8; 32], tid: &[u8; 16]) -> Result<Vec<u8>> {
        self.seal_as(SEAL_EPHEMERAL, secret, tid)
    }

    /// Seal `secret` for transaction `tid`. Each purpose has its own
    /// nonce (SM3 of the purpose and the id), so that the two secrets one
    /// transaction may hold never share a nonce under the sealing key.
    fn seal_as(&self, purpose: &[u8], secret: &[u8], tid: &[u8; 16]) -> Result<Vec<u8>> {
        let key = self.sealing_key.as_ref().ok_or_else(|| {
            Error::param(
                "sealing key",
                "this store keeps no decrypt transactions without a sealing key",
            )
        })?;
        crate::crypto::sm4::gcm_encrypt(&key[..], &seal_nonce(purpose, tid), tid, secret)
    }

    fn unseal_as(
        &self,
        purpose: &[u8],
        sealed: &[u8],
        tid: &[u8; 16],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let key = self
            .sealing_key
            .as_ref()
            .ok_or_else(|| Error::param("sealing key", "needed to open a decrypt transaction"))?;
        crate::crypto::sm4::gcm_decrypt(&key[..], &seal_nonce(purpose, tid), tid, sealed)
    }

    fn unseal(&self, sealed: &[u8], tid: &[u8; 16]) -> Result<Zeroizing<[u8; 32]>> {
        let plain = self.unseal_as(SEAL_EPHEMERAL, sealed, tid)?;
        let mut out = Zeroizing::new([0u8; 32]);
        if plain.len() != 32 {
            return Err(Error::length("ephemeral key", "32 bytes", plain.len()));
        }
        out.copy_from_slice(&plain);
        Ok(out)
    }

    fn apply(&self, tx: &mut Transaction<'_>, w: &Write) -> Result<()> {
        let conflict = |what: &'static str, key: &str| Error::Conflict {
            what,
            key: key.to_string(),
        };
        match w {
            Write::Check {
                table,
                key,
                expected,
            } => {
                let row = tx
                    .query_opt(
                        "SELECT version FROM yzt_rows WHERE tbl = $1 AND key = $2 FOR SHARE",
                        &[table, key],
                    )
                    .map_err(|e| self.db_error("check", e))?;
                let now: Option<i64> = row.map(|r| r.get(0));
                if now.map(|v| v as u64) != *expected {
                    return Err(conflict(table, key));
                }
            }
            Write::Put {
                table,
                key,
                expected,
                body,
                index,
            } => {
                let n = match expected {
                    None => tx
                        .execute(
                            "INSERT INTO yzt_rows (tbl, key, version, body) VALUES ($1, $2, 1, $3) ON CONFLICT DO NOTHING",
                            &[table, key, body],
                        )
                        .map_err(|e| self.db_error("insert", e))?,
                    Some(v) => {
                        let v = *v as i64;
                        tx.execute(
                            "UPDATE yzt_rows SET version = version + 1, body = $4 WHERE tbl = $1 AND key = $2 AND version = $3",
                            &[table, key, &v, body],
                        )
                        .map_err(|e| self.db_error("update", e))?
                    }
                };
                if n != 1 {
                    return Err(conflict(table, key));
                }
                tx.execute(
                    "DELETE FROM yzt_index WHERE tbl = $1 AND key = $2",
                    &[table, key],
                )
                .map_err(|e| self.db_error("index", e))?;
                for (idx, value) in index {
                    tx.execute(
                        "INSERT INTO yzt_index (tbl, idx, value, key) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                        &[table, idx, value, key],
                    )
                    .map_err(|e| self.db_error("index", e))?;
                }
            }
            Write::Delete {
                table,
                key,
                expected,
            } => {
                let v = *expected as i64;
                let n = tx
                    .execute(
                        "DELETE FROM yzt_rows WHERE tbl = $1 AND key = $2 AND version = $3",
                        &[table, key, &v],
                    )
                    .map_err(|e| self.db_error("delete", e))?;
                if n != 1 {
                    return Err(conflict(table, key));
                }
                tx.execute(
                    "DELETE FROM yzt_index WHERE tbl = $1 AND key = $2",
                    &[table, key],
                )
                .map_err(|e| self.db_error("index", e))?;
            }
            Write::QuotaAdd { key, uses } => {
                let n = i64::try_from(*uses).map_err(|_| Error::param("uses", "too many"))?;
                tx.execute(
                    "INSERT INTO yzt_quotas (holder, platform, institution, uses) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (holder, platform, institution) DO UPDATE SET uses = yzt_quotas.uses + EXCLUDED.uses",
                    &[&key.holder, &key.platform, &key.institution, &n],
                )
                .map_err(|e| self.db_error("quota add", e))?;
            }
            Write::QuotaTake { key, uses } => {
                let n = i64::try_from(*uses).map_err(|_| Error::param("uses", "too many"))?;
                let taken = tx
                    .execute(
                        "UPDATE yzt_quotas SET uses = uses - $4 WHERE holder = $1 AND platform = $2 AND institution = $3 AND uses >= $4",
                        &[&key.holder, &key.platform, &key.institution, &n],
                    )
                    .map_err(|e| self.db_error("quota take", e))?;
                if taken != 1 {
                    let left: Option<i64> = tx
                        .query_opt(
                            "SELECT uses FROM yzt_quotas WHERE holder = $1 AND platform = $2 AND institution = $3",
                            &[&key.holder, &key.platform, &key.institution],
                        )
                        .map_err(|e| self.db_error("quota", e))?
                        .map(|r| r.get(0));
                    return Err(Error::InvalidState {
                        entity: "quota",
                        state: format!(
                            "at {} uses for {} on {} ({})",
                            left.unwrap_or(0),
                            key.holder,
                            key.platform,
                            key.institution
                        ),
                        action: if *uses == 1 {
                            "take one use from"
                        } else {
                            "take more uses than are left from"
                        },
                    });
                }
            }
        }
        Ok(())
    }
}

/// Where a write's lock falls in the global order.
fn lock_order(w: &Write) -> (u8, &str, &str, &str) {
    match w {
        Write::Check { table, key, .. }
        | Write::Put { table, key, .. }
        | Write::Delete { table, key, .. } => (0, table, key, ""),
        Write::QuotaAdd { key, .. } | Write::QuotaTake { key, .. } => {
            (1, &key.holder, &key.platform, key.institution)
        }
    }
}

fn rows(rs: Vec<postgres::Row>) -> Vec<(String, Row)> {
    rs.into_iter()
        .map(|r| {
            let version: i64 = r.get(1);
            (
                r.get(0),
                Row {
                    version: version as u64,
                    body: r.get(2),
                },
            )
        })
        .collect()
}

fn unix(t: SystemTime) -> i64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Store for PgStore {
    fn get(&self, table: &'static str, key: &str) -> Result<Option<Row>> {
        let mut c = self.client()?;
        let r = c
            .query_opt(
                "SELECT version, body FROM yzt_rows WHERE tbl = $1 AND key = $2",
                &[&table, &key],
            )
            .map_err(|e| self.db_error("get", e))?;
        Ok(r.map(|r| {
            let v: i64 = r.get(0);
            Row {
                version: v as u64,
                body: r.get(1),
            }
        }))
    }

    fn find(
        &self,
        table: &'static str,
        index: &'static str,
        value: &str,
    ) -> Result<Vec<(String, Row)>> {
        let mut c = self.client()?;
        let rs = c
            .query(
                "SELECT r.key, r.version, r.body FROM yzt_index i JOIN yzt_rows r ON r.tbl = i.tbl AND r.key = i.key \
                 WHERE i.tbl = $1 AND i.idx = $2 AND i.value = $3 ORDER BY r.key COLLATE \"C\"",
                &[&table, &index, &value],
            )
            .map_err(|e| self.db_error("find", e))?;
        Ok(rows(rs))
    }

    fn scan(&self, table: &'static str) -> Result<Vec<(String, Row)>> {
        let mut c = self.client()?;
        let rs = c
            .query(
                "SELECT key, version, body FROM yzt_rows WHERE tbl = $1 ORDER BY key COLLATE \"C\"",
                &[&table],
            )
            .map_err(|e| self.db_error("scan", e))?;
        Ok(rows(rs))
    }

    fn commit(&self, changes: Changeset) -> Result<()> {
        // Every commit takes its row locks in one global order (rows by
        // table and key, then quotas by key), so that two commits wait
        // for each other in one direction only and never deadlock. The
        // sort is stable: writes to one quota keep their order.
        let mut writes: Vec<&Write> = changes.writes.iter().collect();
        writes.sort_by(|a, b| lock_order(a).cmp(&lock_order(b)));
        let mut c = self.client()?;
        let mut tx = c.transaction().map_err(|e| self.db_error("begin", e))?;
        for w in writes {
            // Dropping the transaction on an error rolls it back.
            self.apply(&mut tx, w)?;
        }
        tx.commit().map_err(|e| self.db_error("commit", e))
    }

    fn next_id(&self, sequence: &'static str) -> Result<u64> {
        let mut c = self.client()?;
        let v: i64 = c
            .query_one(
                "INSERT INTO yzt_sequences (name, value) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET value = yzt_sequences.value + 1 RETURNING value",
                &[&sequence],
            )
            .map_err(|e| self.db_error("sequence", e))?
            .get(0);
        Ok(v as u64)
    }
}

impl QrStore for PgStore {
    fn put_pending(&self, tx: PendingTransaction, max_pending: usize) -> Result<()> {
        // The verifier's clock, not this machine's: the time it issued at.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(tx.challenge.issued_at);
        if self.issued.fetch_add(1, Ordering::Relaxed) % PURGE_EVERY == PURGE_EVERY - 1 {
            self.purge_expired(now)?;
        }
        let tid = tx.challenge.transaction_id;
        let sealed = tx
            .ephemeral_secret
            .as_ref()
            .map(|s| self.seal(s, &tid))
            .transpose()?;
        let expires = tx.challenge.expires_at as i64;
        let limit = i64::try_from(max_pending).unwrap_or(i64::MAX);
        let mut c = self.client()?;
        // One statement: the count and the insert. Concurrent issuers on
        // several instances may each see the count below the bound, so it
        // can be passed by at most the number of issues in flight.
        let n = c
            .execute(
                "INSERT INTO yzt_qr_transactions \
                     (tid, expires_at, challenge, message, ephemeral, platform, viewer) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 \
                 WHERE (SELECT count(*) FROM yzt_qr_transactions \
                        WHERE platform = $6 AND NOT used AND expires_at > $8) < $9 \
                 ON CONFLICT DO NOTHING",
                &[
                    &&tid[..],
                    &expires,
                    &tx.challenge.to_text(),
                    &tx.message,
                    &sealed,
                    &tx.challenge.platform_code,
                    &tx.viewer.as_ref().map(|v| &v[..]),
                    &unix(now),
                    &limit,
                ],
            )
            .map_err(|e| self.db_error("issue", e))?;
        if n == 1 {
            return Ok(());
        }
        let exists = c
            .query_opt(
                "SELECT 1 FROM yzt_qr_transactions WHERE tid = $1",
                &[&&tid[..]],
            )
            .map_err(|e| self.db_error("issue", e))?
            .is_some();
        Err(if exists {
            Error::param("transaction id", "already issued")
        } else {
            Error::LimitReached {
                what: "QR codes waiting for an answer",
                limit: max_pending as u64,
            }
        })
    }

    fn lookup(&self, transaction: &[u8; 16]) -> Result<Lookup> {
        let row = self
            .client()?
            .query_opt(
                "SELECT used, challenge, message, ephemeral, viewer, verdict, remaining, response_hash \
                 FROM yzt_qr_transactions WHERE tid = $1",
                &[&&transaction[..]],
            )
            .map_err(|e| self.db_error("look up", e))?;
        let Some(r) = row else {
            return Ok(Lookup::Unknown);
        };
        if r.get::<_, bool>(0) {
            return Ok(Lookup::Settled(verdict_of(r.get(5), r.get(6), r.get(7))));
        }
        let sealed: Option<Vec<u8>> = r.get(3);
        let ephemeral_secret = sealed.map(|s| self.unseal(&s, transaction)).transpose()?;
        Ok(Lookup::Pending(Box::new(PendingTransaction {
            challenge: Challenge::from_text(r.get(1))?,
            message: r.get(2),
            ephemeral_secret,
            viewer: r
                .get::<_, Option<Vec<u8>>>(4)
                .and_then(|v| v.try_into().ok()),
        })))
    }

    fn settle(&self, s: Settlement) -> Result<Settled> {
        let tid = s.transaction;
        let sealed = s
            .document_key
            .as_ref()
            .map(|k| self.seal_as(SEAL_DOCUMENT_KEY, k, &tid))
            .transpose()?;
        let record = serde_json::to_value(&s.record)
            .map_err(|e| Error::Store(format!("encode scan record: {e}")))?;
        let log = serde_json::to_value(&s.log)
            .map_err(|e| Error::Store(format!("encode log entry: {e}")))?;
        let row = self
            .client()?
            .query_opt(
                "SELECT o_now, o_verdict, o_remaining, o_hash \
                 FROM yzt_qr_settle($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                &[
                    &&tid[..],
                    &&s.response_hash[..],
                    &s.quota.holder,
                    &s.quota.platform,
                    &s.quota.institution,
                    &record,
                    &s.log.user,
                    &log,
                    &s.detail,
                    &sealed,
                ],
            )
            .map_err(|e| self.db_error("settle", e))?;
        let Some(r) = row else {
            return Ok(Settled::Unknown);
        };
        let verdict = verdict_of(r.get(1), r.get(2), r.get(3));
        Ok(if r.get::<_, bool>(0) {
            Settled::Now(verdict)
        } else {
            Settled::Before(verdict)
        })
    }

    fn set_quota(&self, key: &QuotaKey, uses: u64) -> Result<()> {
        let n = i64::try_from(uses).map_err(|_| Error::param("uses", "too many"))?;
        let mut c = self.client()?;
        c.execute(
            "INSERT INTO yzt_quotas (holder, platform, institution, uses) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (holder, platform, institution) DO UPDATE SET uses = EXCLUDED.uses",
            &[&key.holder, &key.platform, &key.institution, &n],
        )
        .map_err(|e| self.db_error("set quota", e))?;
        Ok(())
    }

    fn quota(&self, key: &QuotaKey) -> Result<Option<u64>> {
        let mut c = self.client()?;
        Ok(c.query_opt(
            "SELECT uses FROM yzt_quotas WHERE holder = $1 AND platform = $2 AND institution = $3",
            &[&key.holder, &key.platform, &key.institution],
        )
        .map_err(|e| self.db_error("quota", e))?
        .map(|r| r.get::<_, i64>(0) as u64))
    }

    fn records(&self) -> Result<Vec<ScanRecord>> {
        let mut c = self.client()?;
        c.query("SELECT body FROM yzt_scan_records ORDER BY id", &[])
            .map_err(|e| self.db_error("records", e))?
            .into_iter()
            .map(|r| {
                serde_json::from_value(r.get(0))
                    .map_err(|e| Error::Store(format!("decode scan record: {e}")))
            })
            .collect()
    }

    fn logs(&self, user: &str) -> Result<Vec<OperationLogEntry>> {
        let mut c = self.client()?;
        c.query(
            "SELECT body FROM yzt_operation_log WHERE account = $1 ORDER BY id",
            &[&user],
        )
        .map_err(|e| self.db_error("logs", e))?
        .into_iter()
        .map(|r| {
            serde_json::from_value(r.get(0))
                .map_err(|e| Error::Store(format!("decode log entry: {e}")))
        })
        .collect()
    }

    fn purge_expired(&self, now: SystemTime) -> Result<usize> {
        let cutoff = unix(now) - crate::qr::PURGE_GRACE.as_secs() as i64;
        let mut c = self.client()?;
        // Codes that expired unanswered keep no secret.
        c.execute(
            "UPDATE yzt_qr_transactions SET ephemeral = NULL, message = NULL WHERE tid IN \
             (SELECT tid FROM yzt_qr_transactions WHERE NOT used AND expires_at <= $1 \
              AND (ephemeral IS NOT NULL OR message IS NOT NULL) LIMIT $2)",
            &[&unix(now), &PURGE_BATCH],
        )
        .map_err(|e| self.db_error("purge", e))?;
        let a = c
            .execute(
                "DELETE FROM yzt_qr_transactions WHERE tid IN \
                 (SELECT tid FROM yzt_qr_transactions WHERE expires_at <= $1 LIMIT $2)",
                &[&cutoff, &PURGE_BATCH],
            )
            .map_err(|e| self.db_error("purge", e))?;
        Ok(a as usize)
    }

    fn page(&self, transaction: &[u8; 16]) -> Result<Option<PageStatus>> {
        let mut c = self.client()?;
        c.query_opt(
            "SELECT challenge, stage, detail, document_key IS NOT NULL, remaining, verdict, viewer \
             FROM yzt_qr_transactions WHERE tid = $1",
            &[&&transaction[..]],
        )
        .map_err(|e| self.db_error("page", e))?
        .map(|r| {
            let challenge = Challenge::from_text(r.get(0))?;
            let stage = PageStage::from_code(r.get(1))?;
            Ok(PageStatus {
                action: challenge.action,
                issued_at: challenge.issued_at,
                expires_at: challenge.expires_at,
                stage,
                detail: r.get::<_, Option<String>>(2).unwrap_or_default(),
                key_waiting: r.get(3),
                remaining: r.get::<_, Option<i64>>(4).map(|n| n.max(0) as u64),
                refusal: (stage == PageStage::Refused)
                    .then(|| r.get::<_, Option<i16>>(5).and_then(reason_of))
                    .flatten(),
                viewer: r
                    .get::<_, Option<Vec<u8>>>(6)
                    .and_then(|v| v.try_into().ok()),
            })
        })
        .transpose()
    }

    fn page_scanned(&self, transaction: &[u8; 16], now: u64) -> Result<Option<PageStatus>> {
        self.client()?
            .execute(
                "UPDATE yzt_qr_transactions SET stage = $2 \
                 WHERE tid = $1 AND stage = $3 AND expires_at > $4",
                &[
                    &&transaction[..],
                    &PageStage::Scanned.code(),
                    &PageStage::Pending.code(),
                    &(now as i64),
                ],
            )
            .map_err(|e| self.db_error("page scanned", e))?;
        self.page(transaction)
    }

    fn page_take_key(&self, transaction: &[u8; 16]) -> Result<KeyTaken> {
        // One statement: the row is locked, the key cleared and the old
        // key returned, so two callers cannot both get it.
        let row = self
            .client()?
            .query_opt(
                "UPDATE yzt_qr_transactions t SET document_key = NULL \
                 FROM (SELECT tid, stage, document_key FROM yzt_qr_transactions \
                       WHERE tid = $1 FOR UPDATE) old \
                 WHERE t.tid = old.tid RETURNING old.stage, old.document_key",
                &[&&transaction[..]],
            )
            .map_err(|e| self.db_error("take document key", e))?;
        let Some(r) = row else {
            return Ok(KeyTaken::Unknown);
        };
        let stage = PageStage::from_code(r.get(0))?;
        if stage != PageStage::Authorised {
            return Ok(KeyTaken::NotAuthorised(stage));
        }
        match r.get::<_, Option<Vec<u8>>>(1) {
            Some(sealed) => Ok(KeyTaken::Key(self.unseal_as(
                SEAL_DOCUMENT_KEY,
                &sealed,
                transaction,
            )?)),
            None => Ok(KeyTaken::Gone),
        }
    }
}
