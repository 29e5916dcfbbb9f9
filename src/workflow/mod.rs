//! The services that run the workflows of [`crate::domain`] over a
//! [`Store`]: each public method validates its input, checks who may do
//! it, runs the state machines and writes the result in **one atomic
//! commit** (re-run on a concurrent conflict, so that the loser sees the
//! winner's state and is refused by name).
//!
//! Time comes from an injected [`Clock`], randomness from an injected RNG,
//! face matching from a pluggable [`FaceVerifier`] and SMS delivery from
//! an [`SmsGateway`], each with a deterministic reference for tests.
//!
//! Actors are user ids (`U…`) for app users and staff names for the CA's
//! back office. Session tokens are mapped to users by
//! [`Services::session_user`]; a deleted account can do nothing but
//! appeal.

mod account;
mod certs;
mod content;
mod enterprise;
mod orders;
pub mod reference;
mod seals;

pub use account::{FaceSample, FaceVerifier, MemorySms, ReferenceFaceVerifier, SmsGateway};
pub use certs::{CertAction, Download, StoreStatus};
pub use enterprise::{ClaimInput, JoinInput};
pub use orders::{OrderFilter, PlatformQuota, PlatformSummary};

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;

use crate::cert::CertificateAuthority;
use crate::crypto::PrivateKey;
use crate::domain::content::{LogEntry, LogKind, Message, MessageKind, Module, ServiceDesk};
use crate::error::{Error, Result};
use crate::store::{Changeset, Entity, Lock, Row, Store, StoreExt, Versioned};

/// Where time comes from.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> SystemTime;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock tests set and advance.
#[derive(Debug)]
pub struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    /// Starting at `t`.
    pub fn new(t: SystemTime) -> Self {
        Self(Mutex::new(t))
    }

    /// Move forward.
    pub fn advance(&self, d: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += d;
        }
    }

    /// Set.
    pub fn set(&self, t: SystemTime) {
        if let Ok(mut g) = self.0.lock() {
            *g = t;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        self.0.lock().map(|g| *g).unwrap_or(SystemTime::UNIX_EPOCH)
    }
}

pub use crate::domain::audit::BACK_OFFICE;

/// How many times a commit is re-run after a conflict.
const MAX_ATTEMPTS: usize = 64;

/// What the services need besides the store.
pub struct Config {
    /// The CA that issues the users' certificates.
    pub ca: CertificateAuthority,
    /// The seal maker's key (it signs the GB/T 38540 seals).
    pub seal_maker_key: PrivateKey,
    /// The seal maker's certificate.
    pub seal_maker_cert: crate::cert::Certificate,
    /// Hotline, privacy agreement version, app versions.
    pub desk: ServiceDesk,
    /// Back-office staff names allowed to review.
    pub staff: Vec<String>,
}

/// The workflow services over a store.
pub struct Services<S: Store> {
    store: Arc<S>,
    clock: Arc<dyn Clock>,
    face: Arc<dyn FaceVerifier>,
    sms: Arc<dyn SmsGateway>,
    rng: Mutex<StdRng>,
    config: Config,
}

impl<S: Store> Services<S> {
    /// Services over `store`.
    pub fn new(
        store: Arc<S>,
        config: Config,
        clock: Arc<dyn Clock>,
        face: Arc<dyn FaceVerifier>,
        sms: Arc<dyn SmsGateway>,
        rng: StdRng,
    ) -> Self {
        Self {
            store,
            clock,
            face,
            sms,
            rng: Mutex::new(rng),
            config,
        }
    }

    /// The store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Now, to the second (what the rows keep).
    pub fn now(&self) -> SystemTime {
        let t = self.clock.now();
        match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => SystemTime::UNIX_EPOCH + Duration::from_secs(d.as_secs()),
            Err(_) => t,
        }
    }

    fn with_rng<T>(&self, f: impl FnOnce(&mut StdRng) -> T) -> Result<T> {
        let mut g = self
            .rng
            .lock()
            .map_err(|_| Error::Store("random generator poisoned".into()))?;
        Ok(f(&mut g))
    }

    fn random_hex(&self, bytes: usize) -> Result<String> {
        self.with_rng(|r| {
            let mut b = vec![0u8; bytes];
            rand_core::Rng::fill_bytes(r, &mut b);
            crate::hex::encode(&b)
        })
    }

    fn random_digits(&self, n: usize) -> Result<String> {
        self.with_rng(|r| {
            (0..n)
                .map(|_| char::from(b'0' + (rand_core::Rng::next_u32(r) % 10) as u8))
                .collect()
        })
    }

    /// Run `f` (reads, state machine, changeset) and commit, with every
    /// row `f` read as a condition of the commit: the result is as if `f`
    /// ran alone. On a conflict `f` runs again on fresh rows. When `f`
    /// refuses, the refusal stands only if what it read is still current
    /// (a refusal drawn from a torn read — one row before a concurrent
    /// commit, another after — is re-run too).
    fn atomically<T>(&self, mut f: impl FnMut(&mut Tx<'_, S>) -> Result<T>) -> Result<T> {
        let mut last = None;
        for _ in 0..MAX_ATTEMPTS {
            let mut tx = Tx {
                store: Recorder::new(&*self.store),
                changes: Changeset::new(),
                now: self.now(),
            };
            let out = f(&mut tx);
            let reads = match tx.store.take_reads() {
                Ok(r) => r,
                Err(e @ Error::Conflict { .. }) => {
                    last = Some(e);
                    std::thread::yield_now();
                    continue;
                }
                Err(e) => return Err(e),
            };
            let out = match out {
                Ok(out) => out,
                Err(e @ Error::Conflict { .. }) => {
                    last = Some(e);
                    std::thread::yield_now();
                    continue;
                }
                Err(e) => {
                    if reads_current(&*self.store, &reads)? {
                        return Err(e);
                    }
                    last = Some(e);
                    std::thread::yield_now();
                    continue;
                }
            };
            // Rows also written carry their condition in the write itself.
            let written: std::collections::BTreeSet<(&'static str, String)> = tx
                .changes
                .writes
                .iter()
                .filter_map(|w| match w {
                    crate::store::Write::Put { table, key, .. }
                    | crate::store::Write::Delete { table, key, .. } => Some((*table, key.clone())),
                    _ => None,
                })
                .collect();
            let mut changes = Changeset::new();
            for ((table, key), expected) in reads {
                if !written.contains(&(table, key.clone())) {
                    changes.check(table, &key, expected);
                }
            }
            changes.writes.append(&mut tx.changes.writes);
            match self.store.commit(changes) {
                Ok(()) => return Ok(out),
                Err(e @ Error::Conflict { .. }) => {
                    last = Some(e);
                    std::thread::yield_now();
                }
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Store("commit kept conflicting".into())))
    }

    fn id(&self, sequence: &'static str, prefix: &str) -> Result<String> {
        Ok(format!("{prefix}{:06}", self.store.next_id(sequence)?))
    }

    /// The user of a live session.
    pub fn session_user(&self, token: &str) -> Result<String> {
        let s: Versioned<crate::domain::account::Session> = self.store.load("session", token)?;
        if s.ended.is_some() {
            return Err(Error::InvalidState {
                entity: "session",
                state: "ended".into(),
                action: "use",
            });
        }
        let a = self.account(&s.user)?;
        a.require_active("use a session")?;
        Ok(s.user.clone())
    }

    fn account(&self, user: &str) -> Result<Versioned<crate::domain::account::Account>> {
        self.store.load("account", user)
    }

    /// The account of an active user (anything but an appeal needs one).
    fn active(
        &self,
        user: &str,
        action: &'static str,
    ) -> Result<Versioned<crate::domain::account::Account>> {
        let a = self.account(user)?;
        a.require_active(action)?;
        Ok(a)
    }

    /// The account of an active, real-name verified user.
    fn verified(
        &self,
        user: &str,
        action: &'static str,
    ) -> Result<Versioned<crate::domain::account::Account>> {
        let a = self.account(user)?;
        a.require_verified(action)?;
        Ok(a)
    }

    fn require_staff(&self, staff: &str, action: &'static str) -> Result<()> {
        if self.config.staff.iter().any(|s| s == staff) {
            Ok(())
        } else {
            Err(Error::Forbidden {
                actor: staff.into(),
                action,
                reason: "not a back-office reviewer".into(),
            })
        }
    }
}

/// The rows a unit of work read: (table, key) → the version seen
/// (`None`: absent). A row seen at two versions is a torn read.
type Reads = std::collections::BTreeMap<(&'static str, String), Option<u64>>;

/// Are the rows read still at the versions seen?
fn reads_current<S: Store>(store: &S, reads: &Reads) -> Result<bool> {
    for ((table, key), seen) in reads {
        if store.get(table, key)?.map(|r| r.version) != *seen {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A store that remembers what was read through it.
pub(crate) struct Recorder<'s, S: Store> {
    inner: &'s S,
    reads: Mutex<Reads>,
    torn: std::sync::atomic::AtomicBool,
}

impl<'s, S: Store> Recorder<'s, S> {
    fn new(inner: &'s S) -> Self {
        Self {
            inner,
            reads: Mutex::new(Reads::new()),
            torn: std::sync::atomic::AtomicBool::new(false),
        }
    }

    fn note(&self, table: &'static str, key: &str, version: Option<u64>) {
        if let Ok(mut g) = self.reads.lock() {
            match g.get(&(table, key.to_string())) {
                Some(seen) if *seen != version => {
                    self.torn.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                Some(_) => {}
                None => {
                    g.insert((table, key.to_string()), version);
                }
            }
        }
    }

    /// The reads; a torn read is reported as a conflict.
    fn take_reads(&self) -> Result<Reads> {
        if self.torn.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Error::Conflict {
                what: "read",
                key: "a row seen at two versions".into(),
            });
        }
        let mut g = self
            .reads
            .lock()
            .map_err(|_| Error::Store("read set poisoned".into()))?;
        Ok(std::mem::take(&mut *g))
    }
}

impl<S: Store> Store for Recorder<'_, S> {
    fn get(&self, table: &'static str, key: &str) -> Result<Option<Row>> {
        let row = self.inner.get(table, key)?;
        self.note(table, key, row.as_ref().map(|r| r.version));
        Ok(row)
    }
    fn find(
        &self,
        table: &'static str,
        index: &'static str,
        value: &str,
    ) -> Result<Vec<(String, Row)>> {
        let rows = self.inner.find(table, index, value)?;
        for (k, r) in &rows {
            self.note(table, k, Some(r.version));
        }
        Ok(rows)
    }
    fn scan(&self, table: &'static str) -> Result<Vec<(String, Row)>> {
        let rows = self.inner.scan(table)?;
        for (k, r) in &rows {
            self.note(table, k, Some(r.version));
        }
        Ok(rows)
    }
    fn commit(&self, changes: Changeset) -> Result<()> {
        self.inner.commit(changes)
    }
    fn next_id(&self, sequence: &'static str) -> Result<u64> {
        self.inner.next_id(sequence)
    }
}

impl<S: Store> crate::qr::QrStore for Recorder<'_, S> {
    crate::qr::store::delegate_qr_store!(s => s.inner);
}

/// One unit of work: the reads go to the store (and are remembered as
/// conditions), the writes to a changeset committed at the end.
pub(crate) struct Tx<'s, S: Store> {
    store: Recorder<'s, S>,
    changes: Changeset,
    now: SystemTime,
}

impl<S: Store> Tx<'_, S> {
    fn save<T: Entity>(&mut self, e: &Versioned<T>) -> Result<()> {
        self.changes.save(e).map(|_| ())
    }

    fn insert<T: Entity>(&mut self, e: &T) -> Result<()> {
        self.changes.insert(e).map(|_| ())
    }

    fn log(&mut self, user: &str, kind: LogKind, detail: impl Into<String>) -> Result<()> {
        let id = format!("L{:08}", self.store.next_id("log")?);
        self.insert(&LogEntry {
            id,
            user: user.into(),
            kind,
            at: self.now,
            detail: detail.into(),
        })
    }

    /// Serialise with every other unit of work that locks `scope` (see
    /// [`Lock`]): the guard for "no such row exists yet" checks.
    fn lock(&mut self, scope: String) -> Result<()> {
        let mut l = self
            .store
            .try_load::<Lock>(&scope)?
            .unwrap_or_else(|| Versioned::new(Lock { scope, taken: 0 }));
        l.taken += 1;
        self.save(&l)
    }

    fn message(
        &mut self,
        user: &str,
        link: Module,
        subject: &str,
        title: impl Into<String>,
        body: impl Into<String>,
    ) -> Result<()> {
        let id = format!("M{:08}", self.store.next_id("message")?);
        self.insert(&Message {
            id,
            user: user.into(),
            kind: MessageKind::Platform,
            title: title.into(),
            body: body.into(),
            link,
            subject: subject.into(),
            at: self.now,
            read: false,
        })
    }
}
