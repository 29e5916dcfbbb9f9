//! The in-memory reference backend: every table behind one lock, so each
//! commit is atomic and serialised; the QR tables (pending transactions,
//! quotas, charges, scan records) in a [`MemoryQrStore`] that shares the
//! quota table with commits. Lock order is always rows, then QR tables.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

use super::{Changeset, Row, Store, Write};
use crate::error::{Error, Result};
use crate::qr::{MemoryQrStore, QrStore, QuotaKey};

#[derive(Default)]
struct Table {
    rows: BTreeMap<String, Row>,
    /// (index, value) → keys.
    index: HashMap<(&'static str, String), std::collections::BTreeSet<String>>,
    /// key → its index entries, to replace them on update.
    entries: HashMap<String, Vec<(&'static str, String)>>,
}

impl Table {
    fn unindex(&mut self, key: &str) {
        for entry in self.entries.remove(key).unwrap_or_default() {
            if let Some(keys) = self.index.get_mut(&entry) {
                keys.remove(key);
                if keys.is_empty() {
                    self.index.remove(&entry);
                }
            }
        }
    }
}

#[derive(Default)]
struct Rows {
    tables: HashMap<&'static str, Table>,
    sequences: HashMap<&'static str, u64>,
}

/// The in-memory reference backend of [`Store`] and [`QrStore`]; cheap to
/// share behind an `Arc` between threads.
#[derive(Default)]
pub struct MemoryStore {
    rows: Mutex<Rows>,
    qr: MemoryQrStore,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<MutexGuard<'_, Rows>> {
        self.rows
            .lock()
            .map_err(|_| Error::Store("memory store poisoned by a panic in another thread".into()))
    }
}

fn conflict(what: &'static str, key: &str) -> Error {
    Error::Conflict {
        what,
        key: key.to_string(),
    }
}

fn quota_short(key: &QuotaKey, left: u64, uses: u64) -> Error {
    Error::InvalidState {
        entity: "quota",
        state: format!(
            "at {left} uses for {} on {} ({})",
            key.holder, key.platform, key.institution
        ),
        action: if uses == 1 {
            "take one use from"
        } else {
            "take more uses than are left from"
        },
    }
}

/// Versions as they will be after the writes checked so far.
type Versions = HashMap<(&'static str, String), Option<u64>>;

fn version_of(g: &Rows, versions: &mut Versions, table: &'static str, key: &str) -> Option<u64> {
    *versions.entry((table, key.to_string())).or_insert_with(|| {
        g.tables
            .get(table)
            .and_then(|t| t.rows.get(key))
            .map(|r| r.version)
    })
}

impl Store for MemoryStore {
    fn get(&self, table: &'static str, key: &str) -> Result<Option<Row>> {
        Ok(self
            .lock()?
            .tables
            .get(table)
            .and_then(|t| t.rows.get(key).cloned()))
    }

    fn find(
        &self,
        table: &'static str,
        index: &'static str,
        value: &str,
    ) -> Result<Vec<(String, Row)>> {
        let g = self.lock()?;
        let Some(t) = g.tables.get(table) else {
            return Ok(Vec::new());
        };
        Ok(t.index
            .get(&(index, value.to_string()))
            .map(|keys| {
                keys.iter()
                    .filter_map(|k| t.rows.get(k).map(|r| (k.clone(), r.clone())))
                    .collect()
            })
            .unwrap_or_default())
    }

    fn scan(&self, table: &'static str) -> Result<Vec<(String, Row)>> {
        let g = self.lock()?;
        Ok(g.tables
            .get(table)
            .map(|t| t.rows.iter().map(|(k, r)| (k.clone(), r.clone())).collect())
            .unwrap_or_default())
    }

    fn commit(&self, changes: Changeset) -> Result<()> {
        let mut g = self.lock()?;
        self.qr.with_quotas(|quotas| {
            // Check every condition first, against the state as it will be
            // when the earlier writes of this changeset have applied.
            let mut versions: Versions = HashMap::new();
            let mut quota_after: HashMap<QuotaKey, Option<u64>> = HashMap::new();
            for w in &changes.writes {
                match w {
                    Write::Put {
                        table,
                        key,
                        expected,
                        ..
                    } => {
                        let now = version_of(&g, &mut versions, table, key);
                        if now != *expected {
                            return Err(conflict(table, key));
                        }
                        versions.insert((table, key.clone()), Some(now.unwrap_or(0) + 1));
                    }
                    Write::Delete {
                        table,
                        key,
                        expected,
                    } => {
                        if version_of(&g, &mut versions, table, key) != Some(*expected) {
                            return Err(conflict(table, key));
                        }
                        versions.insert((table, key.clone()), None);
                    }
                    Write::Check {
                        table,
                        key,
                        expected,
                    } => {
                        if version_of(&g, &mut versions, table, key) != *expected {
                            return Err(conflict(table, key));
                        }
                    }
                    Write::QuotaAdd { key, uses } => {
                        let left = quota_after
                            .entry(key.clone())
                            .or_insert_with(|| quotas.get(key).copied());
                        *left = Some(left.unwrap_or(0).saturating_add(*uses));
                    }
                    Write::QuotaTake { key, uses } => {
                        let left = quota_after
                            .entry(key.clone())
                            .or_insert_with(|| quotas.get(key).copied());
                        let have = left.unwrap_or(0);
                        if have < *uses {
                            return Err(quota_short(key, have, *uses));
                        }
                        *left = Some(have - uses);
                    }
                }
            }
            // All conditions hold: apply.
            for w in changes.writes {
                match w {
                    Write::Put {
                        table,
                        key,
                        body,
                        index,
                        ..
                    } => {
                        let t = g.tables.entry(table).or_default();
                        let version = t.rows.get(&key).map_or(0, |r| r.version) + 1;
                        t.unindex(&key);
                        for entry in &index {
                            t.index
                                .entry(entry.clone())
                                .or_default()
                                .insert(key.clone());
                        }
                        t.entries.insert(key.clone(), index);
                        t.rows.insert(key, Row { version, body });
                    }
                    Write::Delete { table, key, .. } => {
                        let t = g.tables.entry(table).or_default();
                        t.unindex(&key);
                        t.rows.remove(&key);
                    }
                    Write::Check { .. } | Write::QuotaAdd { .. } | Write::QuotaTake { .. } => {}
                }
            }
            for (key, left) in quota_after {
                if let Some(left) = left {
                    quotas.insert(key, left);
                }
            }
            Ok(())
        })
    }

    fn next_id(&self, sequence: &'static str) -> Result<u64> {
        let mut g = self.lock()?;
        let n = g.sequences.entry(sequence).or_insert(0);
        *n += 1;
        Ok(*n)
    }
}

impl QrStore for MemoryStore {
    crate::qr::store::delegate_qr_store!(s => s.qr);
}
