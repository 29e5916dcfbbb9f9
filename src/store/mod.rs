//! Storage for the workflows: the trait a backend implements, typed
//! helpers over it, and the in-memory reference backend.
//!
//! # Shape
//! Domain objects are *entities* (see [`Entity`]): owned, serialisable
//! values with a table name, a primary key and a few secondary index keys
//! (owner, enterprise, phone…). A backend keeps each as a row
//! `(table, key, version, body)` plus its index entries, which maps onto
//! one table with a JSON column and an index table in SQL.
//!
//! # Atomicity
//! Every state change of a workflow is **one [`Store::commit`]**: the
//! workflow reads the rows it needs (with their versions), runs the pure
//! state machine of [`crate::domain`], and commits the new rows on the
//! condition that every row it *read* is still at the version it read
//! ([`Write::Check`] for rows only read, the `expected` version of
//! [`Write::Put`] for rows written). A concurrent writer that got there
//! first makes the commit fail with [`Error::Conflict`] and change
//! nothing; the workflow then runs again on fresh rows, where the state
//! machine sees the new state (approving an audit twice, paying an order
//! twice: the second is refused by name). Checks that something does *not*
//! exist yet (a second claim of one credit code) take a [`Lock`] row for
//! the scope, since no version can stand for a row that is not there. The
//! result is serialisable. In SQL a commit is one transaction of version
//! comparisons and conditional updates (`UPDATE … WHERE version = $v`),
//! correct under READ COMMITTED.
//!
//! Quota movements inside a commit ([`Write::QuotaAdd`],
//! [`Write::QuotaTake`]) are conditional too: a take that would go below
//! zero fails the whole commit. Everything a QR authorisation changes (the
//! code used, the charge, the scan record, the log line, the page's
//! verdict) is one atomic method of its own, [`QrStore::settle`], the
//! hottest path: a code is used once, so it is charged at most once.

mod entities;
mod memory;
#[cfg(feature = "postgres")]
pub mod pg_tls;
#[cfg(feature = "postgres")]
pub mod postgres;

pub use memory::MemoryStore;

use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::qr::{QrStore, QuotaKey};

/// A stored row: its version (1 for the first write) and its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Bumped by every write; the condition of optimistic commits.
    pub version: u64,
    /// The entity, as JSON.
    pub body: serde_json::Value,
}

/// One write of a [`Changeset`].
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Insert (`expected` = `None`: the key must be new) or update
    /// (`expected` = the version read) a row, replacing its index keys.
    Put {
        /// Table.
        table: &'static str,
        /// Primary key.
        key: String,
        /// The version read, or `None` for an insert.
        expected: Option<u64>,
        /// The new body.
        body: serde_json::Value,
        /// Secondary index keys `(index, value)`.
        index: Vec<(&'static str, String)>,
    },
    /// Delete a row read at `expected`.
    Delete {
        /// Table.
        table: &'static str,
        /// Primary key.
        key: String,
        /// The version read.
        expected: u64,
    },
    /// A read that must still hold: the row is at `expected` (or absent
    /// for `None`). Nothing is written. This is how a workflow's reads
    /// become conditions of its commit (in SQL: the version compared
    /// inside the transaction, or the row read `FOR SHARE`).
    Check {
        /// Table.
        table: &'static str,
        /// Primary key.
        key: String,
        /// The version read, or `None` when the row was absent.
        expected: Option<u64>,
    },
    /// Add uses to a quota (opening it at zero when new).
    QuotaAdd {
        /// Whose package.
        key: QuotaKey,
        /// Uses added.
        uses: u64,
    },
    /// Take uses from a quota; fails the commit when fewer are left.
    QuotaTake {
        /// Whose package.
        key: QuotaKey,
        /// Uses taken.
        uses: u64,
    },
}

/// The writes of one atomic commit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Changeset {
    /// In order.
    pub writes: Vec<Write>,
}

/// A lock row: workflows that must not run at once for one scope (the
/// first claim of a credit code, the default address of a user…) each
/// write the scope's lock in their commit, so that one of them conflicts
/// and re-runs on fresh data — the guard against phantoms that no single
/// row read can catch.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lock {
    /// The scope, e.g. `claim:<credit code>`.
    pub scope: String,
    /// How many commits took it.
    pub taken: u64,
}

impl Entity for Lock {
    const TABLE: &'static str = "locks";
    fn key(&self) -> String {
        self.scope.clone()
    }
}

/// A domain object a [`Store`] keeps.
pub trait Entity: Serialize + DeserializeOwned + Clone + Send + 'static {
    /// The table.
    const TABLE: &'static str;
    /// The primary key.
    fn key(&self) -> String;
    /// Secondary index keys `(index, value)`, for [`StoreExt::find_by`].
    fn index(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

/// An entity with the version it was read at (0: not stored yet).
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    /// The version read; 0 for a new entity.
    pub version: u64,
    /// The entity.
    pub value: T,
}

impl<T> Versioned<T> {
    /// A new entity, not stored yet.
    pub fn new(value: T) -> Self {
        Self { version: 0, value }
    }
}

impl<T> std::ops::Deref for Versioned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> std::ops::DerefMut for Versioned<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

fn body_of<T: Entity>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| Error::Store(format!("encode {}: {e}", T::TABLE)))
}

impl Changeset {
    /// An empty changeset.
    pub fn new() -> Self {
        Self::default()
    }

    /// Write `entity`: an insert when it was never stored (version 0),
    /// else an update conditional on the version it was read at.
    pub fn save<T: Entity>(&mut self, entity: &Versioned<T>) -> Result<&mut Self> {
        self.writes.push(Write::Put {
            table: T::TABLE,
            key: entity.value.key(),
            expected: (entity.version > 0).then_some(entity.version),
            body: body_of(&entity.value)?,
            index: entity.value.index(),
        });
        Ok(self)
    }

    /// Insert a new entity (its key must not exist).
    pub fn insert<T: Entity>(&mut self, value: &T) -> Result<&mut Self> {
        self.save(&Versioned::new(value.clone()))
    }

    /// Delete an entity read at its version.
    pub fn delete<T: Entity>(&mut self, entity: &Versioned<T>) -> &mut Self {
        self.writes.push(Write::Delete {
            table: T::TABLE,
            key: entity.value.key(),
            expected: entity.version,
        });
        self
    }

    /// Require a row to be as it was read (absent for `None`).
    pub fn check(&mut self, table: &'static str, key: &str, expected: Option<u64>) -> &mut Self {
        self.writes.push(Write::Check {
            table,
            key: key.to_string(),
            expected,
        });
        self
    }

    /// Add quota uses.
    pub fn quota_add(&mut self, key: QuotaKey, uses: u64) -> &mut Self {
        self.writes.push(Write::QuotaAdd { key, uses });
        self
    }

    /// Take quota uses (the commit fails if fewer are left).
    pub fn quota_take(&mut self, key: QuotaKey, uses: u64) -> &mut Self {
        self.writes.push(Write::QuotaTake { key, uses });
        self
    }
}

/// What a workflow backend provides. Implementations must be safe to share
/// between threads and make each [`commit`](Store::commit) atomic: all of
/// its writes or none, and none when any condition fails.
pub trait Store: QrStore {
    /// One row.
    fn get(&self, table: &'static str, key: &str) -> Result<Option<Row>>;
    /// The rows whose index `index` has `value`, in key order.
    fn find(
        &self,
        table: &'static str,
        index: &'static str,
        value: &str,
    ) -> Result<Vec<(String, Row)>>;
    /// Every row of a table, in key order.
    fn scan(&self, table: &'static str) -> Result<Vec<(String, Row)>>;
    /// Apply a changeset atomically. A version that moved, a key that
    /// exists on insert or a quota too small fails it with
    /// [`Error::Conflict`] (or [`Error::InvalidState`] for the quota) and changes
    /// nothing.
    fn commit(&self, changes: Changeset) -> Result<()>;
    /// The next value of a named sequence (1, 2, …), never repeated.
    fn next_id(&self, sequence: &'static str) -> Result<u64>;
}

fn decode<T: Entity>(row: Row) -> Result<Versioned<T>> {
    let value = serde_json::from_value(row.body)
        .map_err(|e| Error::Store(format!("decode {}: {e}", T::TABLE)))?;
    Ok(Versioned {
        version: row.version,
        value,
    })
}

/// Typed access over any [`Store`].
pub trait StoreExt: Store {
    /// The entity with `key`, if stored.
    fn try_load<T: Entity>(&self, key: &str) -> Result<Option<Versioned<T>>> {
        self.get(T::TABLE, key)?.map(decode).transpose()
    }

    /// The entity with `key`, or [`Error::NotFound`] naming `what`.
    fn load<T: Entity>(&self, what: &'static str, key: &str) -> Result<Versioned<T>> {
        self.try_load(key)?.ok_or_else(|| Error::NotFound {
            what,
            key: key.to_string(),
        })
    }

    /// The entities whose index `index` has `value`.
    fn find_by<T: Entity>(&self, index: &'static str, value: &str) -> Result<Vec<Versioned<T>>> {
        self.find(T::TABLE, index, value)?
            .into_iter()
            .map(|(_, r)| decode(r))
            .collect()
    }

    /// Every entity of the table.
    fn all<T: Entity>(&self) -> Result<Vec<Versioned<T>>> {
        self.scan(T::TABLE)?
            .into_iter()
            .map(|(_, r)| decode(r))
            .collect()
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

/// A backend chosen at run time: in memory or PostgreSQL.
pub enum AnyStore {
    /// The in-memory reference backend.
    Memory(Box<MemoryStore>),
    /// PostgreSQL (feature `postgres`).
    #[cfg(feature = "postgres")]
    Postgres(postgres::PgStore),
}

impl AnyStore {
    /// `memory`, or a `postgres://…` URL (feature `postgres`; the schema
    /// must be current — see `yzt db migrate`).
    pub fn open(spec: &str) -> Result<Self> {
        Self::open_sealed(spec, None)
    }

    /// [`AnyStore::open`], giving a database the key it seals secrets with
    /// (without one it refuses to keep decrypt transactions).
    #[cfg_attr(not(feature = "postgres"), allow(unused_variables))]
    pub fn open_sealed(spec: &str, sealing_key: Option<Zeroizing<[u8; 16]>>) -> Result<Self> {
        let spec = spec.trim();
        if spec == "memory" {
            return Ok(AnyStore::Memory(Box::default()));
        }
        if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            {
                return Ok(AnyStore::Postgres(postgres::PgStore::connect(
                    spec,
                    postgres::PgOptions {
                        sealing_key,
                        ..postgres::PgOptions::default()
                    },
                )?));
            }
            #[cfg(not(feature = "postgres"))]
            return Err(Error::param(
                "backend",
                "this build has no PostgreSQL backend (cargo feature `postgres`)",
            ));
        }
        Err(Error::param(
            "backend",
            "expected `memory` or a postgres:// URL",
        ))
    }

    /// The backend's name for messages (a URL without its password).
    pub fn describe(&self) -> String {
        match self {
            AnyStore::Memory(_) => "memory".into(),
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(p) => format!("{p:?}"),
        }
    }
}

macro_rules! any {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            AnyStore::Memory($s) => $e,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres($s) => $e,
        }
    };
}

impl Store for AnyStore {
    fn get(&self, table: &'static str, key: &str) -> Result<Option<Row>> {
        any!(self, s => s.get(table, key))
    }
    fn find(
        &self,
        table: &'static str,
        index: &'static str,
        value: &str,
    ) -> Result<Vec<(String, Row)>> {
        any!(self, s => s.find(table, index, value))
    }
    fn scan(&self, table: &'static str) -> Result<Vec<(String, Row)>> {
        any!(self, s => s.scan(table))
    }
    fn commit(&self, changes: Changeset) -> Result<()> {
        any!(self, s => s.commit(changes))
    }
    fn next_id(&self, sequence: &'static str) -> Result<u64> {
        any!(self, s => s.next_id(sequence))
    }
}

impl QrStore for AnyStore {
    crate::qr::store::delegate_qr_store!(s => {
        let inner: &dyn QrStore = match s {
            AnyStore::Memory(m) => &**m,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(p) => p,
        };
        inner
    });
}
