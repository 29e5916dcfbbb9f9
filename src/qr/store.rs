//! What the QR verifier keeps: the [`QrStore`] contract and the in-memory
//! reference store.
//!
//! The contract is built around one rule: **a response changes nothing
//! until it has been verified**. The verifier reads a transaction with
//! [`QrStore::lookup`] (a read, nothing changes), verifies the response
//! against it, and only then commits everything the authorisation changes
//! with one [`QrStore::settle`]: the code is used, the package charged
//! once, the scan record and the operation-log line written, the page's
//! verdict and what the action hands over kept, and the verdict stored
//! with the SM3 of the response so that the same response sent again gets
//! the same verdict. A backend makes `settle` one transaction (the memory
//! store one lock scope, PostgreSQL one server-side function call), so a
//! crash at any point leaves all of it or none.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use serde::Serialize;
use zeroize::Zeroizing;

use super::challenge::{Action, Challenge};
use super::verifier::Reason;
use crate::error::{Error, Result};

/// Whose package an authorisation is charged to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct QuotaKey {
    /// The certificate holder: ID number or credit code.
    pub holder: String,
    /// The platform's system code.
    pub platform: String,
    /// `ca` (login, encryption, decryption, signatures) or `seal` (stamping).
    pub institution: &'static str,
}

/// A transaction waiting for its response.
#[derive(Clone)]
pub struct PendingTransaction {
    /// The challenge as issued.
    pub challenge: Challenge,
    /// For msg_sign: the message that was asked to be signed.
    pub message: Option<Vec<u8>>,
    /// For decrypt: the ephemeral private key (32 bytes).
    pub ephemeral_secret: Option<Zeroizing<[u8; 32]>>,
    /// SM3 of the secret that the browser which asked for the code holds
    /// (the login page's status view is bound to it); `None` for codes a
    /// platform issued with its credential.
    pub viewer: Option<[u8; 32]>,
}

impl std::fmt::Debug for PendingTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingTransaction")
            .field("transaction", &self.challenge.transaction_hex())
            .field("action", &self.challenge.action)
            .finish_non_exhaustive()
    }
}

/// What the store knows of a transaction before a response is verified.
#[derive(Debug)]
pub enum Lookup {
    /// Issued and not answered (it may have expired since: the verifier
    /// checks the time).
    Pending(Box<PendingTransaction>),
    /// Issued, not answered, and expired: its secrets are already dropped.
    Expired,
    /// Answered: the verdict stored with it.
    Settled(StoredVerdict),
    /// Never issued, or forgotten a grace period after expiry.
    Unknown,
}

/// The verdict a used transaction keeps, so that the same response sent
/// again (a client's retry after a lost answer, or through another
/// instance) gets the same verdict and changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVerdict {
    /// SM3 of the response (DER) that used the transaction.
    pub response_hash: [u8; 32],
    /// [`Reason::Ok`], or the package refusal ([`Reason::QuotaNotOpened`],
    /// [`Reason::QuotaExhausted`]) that used the code without a charge.
    pub reason: Reason,
    /// Uses left after the charge (accepted only).
    pub remaining: Option<u64>,
}

/// Everything a verified response changes, committed at once by
/// [`QrStore::settle`].
pub struct Settlement {
    /// The transaction.
    pub transaction: [u8; 16],
    /// SM3 of the response.
    pub response_hash: [u8; 32],
    /// The package to charge one use of.
    pub quota: QuotaKey,
    /// The scan record (written only when the charge goes through).
    pub record: ScanRecord,
    /// The operation-log line (likewise).
    pub log: OperationLogEntry,
    /// What the page shows when authorised (JSON text, no secret).
    pub detail: String,
    /// For an accepted decrypt: the document key, to hand over once.
    pub document_key: Option<Zeroizing<Vec<u8>>>,
}

impl std::fmt::Debug for Settlement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settlement")
            .field("transaction", &crate::hex::encode(&self.transaction))
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

/// What [`QrStore::settle`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// This call used the code: the verdict it committed.
    Now(StoredVerdict),
    /// The code was used before (by this very response or another): the
    /// verdict stored then; nothing changed now.
    Before(StoredVerdict),
    /// No such code (forgotten since it was looked up).
    Unknown,
}

/// One line of the scan report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ScanRecord {
    /// When.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub time: SystemTime,
    /// The action (scan type).
    pub action: Action,
    /// The platform's code.
    pub platform_code: String,
    /// The platform's name.
    pub platform_name: String,
    /// The certificate's name (its CN).
    pub certificate_name: String,
    /// The holder's ID number or credit code.
    pub holder: String,
    /// The certificate's serial, hex.
    pub certificate_serial: String,
    /// The transaction id, hex.
    pub transaction: String,
    /// The app user who authorised.
    pub member: String,
    /// The enterprise the user acted for, if any.
    pub enterprise: Option<String>,
}

impl ScanRecord {
    /// The operation-log line for this authorisation.
    pub fn log_line(&self) -> String {
        format!(
            "扫码{} {}（{}） 证书 {} {}",
            self.action.label_zh(),
            self.platform_name,
            self.platform_code,
            self.certificate_name,
            self.certificate_serial
        )
    }
}

/// The scan report as `viewer` may see it (§15.9): their own entries, and
/// every member's entries of the enterprises they administer.
pub fn visible_records<'r>(
    records: &'r [ScanRecord],
    viewer: &str,
    administers: impl Fn(&str) -> bool,
) -> Vec<&'r ScanRecord> {
    records
        .iter()
        .filter(|r| r.member == viewer || r.enterprise.as_deref().is_some_and(&administers))
        .collect()
}

/// One line of a user's operation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct OperationLogEntry {
    /// When.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub time: SystemTime,
    /// Whose log.
    pub user: String,
    /// The kind of operation.
    pub kind: String,
    /// What happened.
    pub detail: String,
}

/// Where an issued QR code stands for the page that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageStage {
    /// Issued, not answered.
    Pending,
    /// An app said it scanned the code (not yet answered).
    Scanned,
    /// A verified answer was accepted and charged.
    Authorised,
    /// A verified answer used the code but its package refused the charge.
    Refused,
}

impl PageStage {
    /// The stage's stable number in storage.
    pub fn code(self) -> i16 {
        match self {
            PageStage::Pending => 0,
            PageStage::Scanned => 1,
            PageStage::Authorised => 2,
            PageStage::Refused => 3,
        }
    }

    /// The stage with number `code`.
    pub fn from_code(code: i16) -> Result<Self> {
        Ok(match code {
            0 => PageStage::Pending,
            1 => PageStage::Scanned,
            2 => PageStage::Authorised,
            3 => PageStage::Refused,
            _ => return Err(Error::param("page stage", format!("unknown stage {code}"))),
        })
    }

    /// Whether a verdict has been given (the first is final).
    pub fn is_settled(self) -> bool {
        matches!(self, PageStage::Authorised | PageStage::Refused)
    }
}

/// What the page showing a QR code sees of it: kept by the store beside
/// the transaction (created by [`QrStore::put_pending`], given its
/// verdict by [`QrStore::settle`]), so that every verifier instance over
/// one store, e.g. services behind a load balancer, answers alike
/// whichever instance issued the code or took the answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageStatus {
    /// The action.
    pub action: Action,
    /// When the code was issued (Unix seconds).
    pub issued_at: u64,
    /// When it expires (Unix seconds).
    pub expires_at: u64,
    /// Where it stands.
    pub stage: PageStage,
    /// What the platform shows about an accepted answer (JSON text, never
    /// a secret); empty otherwise.
    pub detail: String,
    /// Uses left after the charge (authorised only).
    pub remaining: Option<u64>,
    /// Why the package refused the charge (refused only).
    pub refusal: Option<Reason>,
    /// Whether a document key waits to be taken once.
    pub key_waiting: bool,
    /// SM3 of the secret of the browser that asked for the code, if one did.
    pub viewer: Option<[u8; 32]>,
}

/// What taking a settled decrypt code's document key gave.
#[derive(Debug)]
pub enum KeyTaken {
    /// The key; it is gone from the store.
    Key(Zeroizing<Vec<u8>>),
    /// No such code (or it was forgotten after expiry).
    Unknown,
    /// The code was not authorised (pending, scanned or refused).
    NotAuthorised(PageStage),
    /// Authorised, but no key waits: it was taken before (or the action
    /// hands over none).
    Gone,
}

/// The operations the verifier needs from storage. Each writing method
/// is atomic (one transaction in a database), so that several verifier
/// instances over one store, and a crash at any moment, keep the books.
pub trait QrStore: Send + Sync {
    /// Keep an issued transaction, unless `max_pending` unexpired codes of
    /// its platform are already waiting ([`Error::LimitReached`]). Codes
    /// that expired are dropped from the count (and their secrets from
    /// the store) here; those forgotten a grace period after expiry are
    /// purged too.
    fn put_pending(&self, tx: PendingTransaction, max_pending: usize) -> Result<()>;
    /// What the store knows of a transaction (a read: nothing changes).
    fn lookup(&self, transaction: &[u8; 16]) -> Result<Lookup>;
    /// Commit a verified answer, all at once: if the code is still unused,
    /// use it; charge one use of the package (never below zero); when the
    /// charge goes through write the scan record and the log line and
    /// settle the page as authorised with `detail` and the document key,
    /// else settle it as refused; store the verdict with the response's
    /// hash. If the code was used before, change nothing and return that
    /// verdict.
    fn settle(&self, settlement: Settlement) -> Result<Settled>;
    /// Open or top up a package: set the uses left.
    fn set_quota(&self, key: &QuotaKey, uses: u64) -> Result<()>;
    /// Uses left, or `None` when no package is open.
    fn quota(&self, key: &QuotaKey) -> Result<Option<u64>>;
    /// Every scan record, oldest first.
    fn records(&self) -> Result<Vec<ScanRecord>>;
    /// The operation log of `user`, oldest first.
    fn logs(&self, user: &str) -> Result<Vec<OperationLogEntry>>;
    /// Forget transactions that expired before `now` minus
    /// [`PURGE_GRACE`]; returns how many were dropped.
    fn purge_expired(&self, now: SystemTime) -> Result<usize>;
    /// The page status of `transaction`, `None` when unknown.
    fn page(&self, transaction: &[u8; 16]) -> Result<Option<PageStatus>>;
    /// Mark a pending, unexpired code as scanned (anything else is left
    /// as it is); the status after.
    fn page_scanned(&self, transaction: &[u8; 16], now: u64) -> Result<Option<PageStatus>>;
    /// Take the document key of an authorised code: only one caller ever
    /// gets it.
    fn page_take_key(&self, transaction: &[u8; 16]) -> Result<KeyTaken>;
}

/// The body of a `QrStore` impl that hands every call to another store:
/// `delegate_qr_store!(s => target)`, where `target` is an expression in
/// `s` (the `&self`) giving the store to call.
macro_rules! delegate_qr_store {
    ($s:ident => $target:expr) => {
        fn put_pending(
            &self,
            tx: $crate::qr::PendingTransaction,
            max_pending: usize,
        ) -> $crate::error::Result<()> {
            let $s = self;
            $target.put_pending(tx, max_pending)
        }
        fn lookup(&self, transaction: &[u8; 16]) -> $crate::error::Result<$crate::qr::Lookup> {
            let $s = self;
            $target.lookup(transaction)
        }
        fn settle(
            &self,
            settlement: $crate::qr::Settlement,
        ) -> $crate::error::Result<$crate::qr::Settled> {
            let $s = self;
            $target.settle(settlement)
        }
        fn set_quota(&self, key: &$crate::qr::QuotaKey, uses: u64) -> $crate::error::Result<()> {
            let $s = self;
            $target.set_quota(key, uses)
        }
        fn quota(&self, key: &$crate::qr::QuotaKey) -> $crate::error::Result<Option<u64>> {
            let $s = self;
            $target.quota(key)
        }
        fn records(&self) -> $crate::error::Result<Vec<$crate::qr::ScanRecord>> {
            let $s = self;
            $target.records()
        }
        fn logs(&self, user: &str) -> $crate::error::Result<Vec<$crate::qr::OperationLogEntry>> {
            let $s = self;
            $target.logs(user)
        }
        fn purge_expired(&self, now: std::time::SystemTime) -> $crate::error::Result<usize> {
            let $s = self;
            $target.purge_expired(now)
        }
        fn page(
            &self,
            transaction: &[u8; 16],
        ) -> $crate::error::Result<Option<$crate::qr::PageStatus>> {
            let $s = self;
            $target.page(transaction)
        }
        fn page_scanned(
            &self,
            transaction: &[u8; 16],
            now: u64,
        ) -> $crate::error::Result<Option<$crate::qr::PageStatus>> {
            let $s = self;
            $target.page_scanned(transaction, now)
        }
        fn page_take_key(
            &self,
            transaction: &[u8; 16],
        ) -> $crate::error::Result<$crate::qr::KeyTaken> {
            let $s = self;
            $target.page_take_key(transaction)
        }
    };
}
pub(crate) use delegate_qr_store;

/// A shared store is a store (a verifier and the workflow services can
/// hold the same backend).
impl<T: QrStore + ?Sized> QrStore for Arc<T> {
    delegate_qr_store!(s => (**s));
}

/// How long used and expired transactions are remembered after expiry
/// (to tell a replay or a late answer from an unknown code).
pub const PURGE_GRACE: Duration = Duration::from_secs(3600);
/// Unexpired codes a platform may have waiting at once, by default.
pub const MAX_PENDING: usize = 10_000;

/// A document key waiting to be taken.
type DocumentKey = Zeroizing<Vec<u8>>;

/// Where a transaction of the memory store stands.
enum State {
    Pending(Box<PendingTransaction>),
    Expired,
    Settled(StoredVerdict),
}

struct Entry {
    page: PageStatus,
    key: Option<DocumentKey>,
    state: State,
    platform: String,
}

#[derive(Default)]
struct MemoryInner {
    entries: HashMap<[u8; 16], Entry>,
    /// The pending entries by expiry, to drop them from the count when
    /// they expire.
    live: BTreeSet<(u64, [u8; 16])>,
    /// Every entry by expiry, to forget it after the grace period.
    all: BTreeSet<(u64, [u8; 16])>,
    /// Unexpired pending codes per platform.
    waiting: HashMap<String, usize>,
    quotas: HashMap<QuotaKey, u64>,
    records: Vec<ScanRecord>,
    logs: Vec<OperationLogEntry>,
}

impl MemoryInner {
    /// Take `id` out of the pending count (it was answered or expired).
    fn unlive(&mut self, expires_at: u64, id: &[u8; 16], platform: &str) {
        if self.live.remove(&(expires_at, *id))
            && let Some(n) = self.waiting.get_mut(platform)
        {
            *n = n.saturating_sub(1);
        }
    }

    /// Drop the secrets of codes expired by `now` and forget those
    /// expired a grace period ago; how many were forgotten.
    fn expire(&mut self, now: u64) -> usize {
        while let Some(&(exp, id)) = self.live.first() {
            if exp > now {
                break;
            }
            if let Some(e) = self.entries.get_mut(&id) {
                e.state = State::Expired;
                let platform = std::mem::take(&mut e.platform);
                self.unlive(exp, &id, &platform);
            } else {
                self.live.remove(&(exp, id));
            }
        }
        let cutoff = now.saturating_sub(PURGE_GRACE.as_secs());
        let mut forgotten = 0;
        while let Some(&(exp, id)) = self.all.first() {
            if exp > cutoff {
                break;
            }
            self.all.remove(&(exp, id));
            if self.entries.remove(&id).is_some() {
                forgotten += 1;
            }
        }
        forgotten
    }
}

/// The in-memory reference store: one mutex, so every operation is atomic.
/// Bounded: codes are dropped a grace period after they expire, and each
/// platform may have at most `max_pending` unexpired codes waiting.
#[derive(Default)]
pub struct MemoryQrStore {
    inner: Mutex<MemoryInner>,
}

impl MemoryQrStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, MemoryInner>> {
        self.inner
            .lock()
            .map_err(|_| Error::param("store", "poisoned by a panic in another thread"))
    }

    /// Run `f` on the quota table under the store's lock (for backends
    /// that move quotas inside their own atomic commits).
    pub(crate) fn with_quotas<T>(
        &self,
        f: impl FnOnce(&mut HashMap<QuotaKey, u64>) -> Result<T>,
    ) -> Result<T> {
        f(&mut self.lock()?.quotas)
    }
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The page a code starts with.
pub(crate) fn fresh_page(tx: &PendingTransaction) -> PageStatus {
    PageStatus {
        action: tx.challenge.action,
        issued_at: tx.challenge.issued_at,
        expires_at: tx.challenge.expires_at,
        stage: PageStage::Pending,
        detail: String::new(),
        remaining: None,
        refusal: None,
        key_waiting: false,
        viewer: tx.viewer,
    }
}

fn page_view(e: &Entry) -> PageStatus {
    PageStatus {
        key_waiting: e.key.is_some(),
        ..e.page.clone()
    }
}

impl QrStore for MemoryQrStore {
    fn put_pending(&self, tx: PendingTransaction, max_pending: usize) -> Result<()> {
        let mut g = self.lock()?;
        // the verifier's clock: the time it issued at
        g.expire(tx.challenge.issued_at);
        let id = tx.challenge.transaction_id;
        if g.entries.contains_key(&id) {
            return Err(Error::param("transaction id", "already issued"));
        }
        let platform = tx.challenge.platform_code.clone();
        let waiting = g.waiting.get(&platform).copied().unwrap_or(0);
        if waiting >= max_pending {
            return Err(Error::LimitReached {
                what: "QR codes waiting for an answer",
                limit: max_pending as u64,
            });
        }
        let exp = tx.challenge.expires_at;
        g.live.insert((exp, id));
        g.all.insert((exp, id));
        *g.waiting.entry(platform.clone()).or_insert(0) += 1;
        let page = fresh_page(&tx);
        g.entries.insert(
            id,
            Entry {
                page,
                key: None,
                state: State::Pending(Box::new(tx)),
                platform,
            },
        );
        Ok(())
    }

    fn lookup(&self, transaction: &[u8; 16]) -> Result<Lookup> {
        let g = self.lock()?;
        Ok(match g.entries.get(transaction).map(|e| &e.state) {
            Some(State::Pending(p)) => Lookup::Pending(p.clone()),
            Some(State::Expired) => Lookup::Expired,
            Some(State::Settled(v)) => Lookup::Settled(v.clone()),
            None => Lookup::Unknown,
        })
    }

    fn settle(&self, s: Settlement) -> Result<Settled> {
        let mut g = self.lock()?;
        let g = &mut *g;
        let Some(entry) = g.entries.get_mut(&s.transaction) else {
            return Ok(Settled::Unknown);
        };
        if let State::Settled(v) = &entry.state {
            return Ok(Settled::Before(v.clone()));
        }
        let charged = match g.quotas.get_mut(&s.quota) {
            None => Err(Reason::QuotaNotOpened),
            Some(0) => Err(Reason::QuotaExhausted),
            Some(left) => {
                *left -= 1;
                Ok(*left)
            }
        };
        let verdict = StoredVerdict {
            response_hash: s.response_hash,
            reason: charged.err().unwrap_or(Reason::Ok),
            remaining: charged.ok(),
        };
        match charged {
            Ok(remaining) => {
                entry.page.stage = PageStage::Authorised;
                entry.page.detail = s.detail;
                entry.page.remaining = Some(remaining);
                entry.key = s.document_key;
                g.records.push(s.record);
                g.logs.push(s.log);
            }
            Err(reason) => {
                entry.page.stage = PageStage::Refused;
                entry.page.refusal = Some(reason);
            }
        }
        entry.state = State::Settled(verdict.clone());
        let platform = std::mem::take(&mut entry.platform);
        let exp = entry.page.expires_at;
        g.unlive(exp, &s.transaction, &platform);
        Ok(Settled::Now(verdict))
    }

    fn set_quota(&self, key: &QuotaKey, uses: u64) -> Result<()> {
        self.lock()?.quotas.insert(key.clone(), uses);
        Ok(())
    }

    fn quota(&self, key: &QuotaKey) -> Result<Option<u64>> {
        Ok(self.lock()?.quotas.get(key).copied())
    }

    fn records(&self) -> Result<Vec<ScanRecord>> {
        Ok(self.lock()?.records.clone())
    }

    fn logs(&self, user: &str) -> Result<Vec<OperationLogEntry>> {
        Ok(self
            .lock()?
            .logs
            .iter()
            .filter(|e| e.user == user)
            .cloned()
            .collect())
    }

    fn purge_expired(&self, now: SystemTime) -> Result<usize> {
        Ok(self.lock()?.expire(unix(now)))
    }

    fn page(&self, transaction: &[u8; 16]) -> Result<Option<PageStatus>> {
        Ok(self.lock()?.entries.get(transaction).map(page_view))
    }

    fn page_scanned(&self, transaction: &[u8; 16], now: u64) -> Result<Option<PageStatus>> {
        let mut g = self.lock()?;
        Ok(g.entries.get_mut(transaction).map(|e| {
            if e.page.stage == PageStage::Pending && now < e.page.expires_at {
                e.page.stage = PageStage::Scanned;
            }
            page_view(e)
        }))
    }

    fn page_take_key(&self, transaction: &[u8; 16]) -> Result<KeyTaken> {
        let mut g = self.lock()?;
        let Some(e) = g.entries.get_mut(transaction) else {
            return Ok(KeyTaken::Unknown);
        };
        if e.page.stage != PageStage::Authorised {
            return Ok(KeyTaken::NotAuthorised(e.page.stage));
        }
        Ok(e.key.take().map_or(KeyTaken::Gone, KeyTaken::Key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PrivateKey;
    use crate::qr::ChallengeParams;

    fn pending(platform: &str, issued_at: u64, lifetime: u64) -> PendingTransaction {
        let params = ChallengeParams {
            platform_code: platform.into(),
            action: Action::Login,
            callback_host: "127.0.0.1:1".into(),
            digest: None,
            ephemeral_key: None,
            now: SystemTime::UNIX_EPOCH + Duration::from_secs(issued_at),
            lifetime: Duration::from_secs(lifetime),
        };
        let key = PrivateKey::generate(&mut rand::rng());
        PendingTransaction {
            challenge: Challenge::issue(&params, &key, &mut rand::rng()).expect("challenge"),
            message: Some(b"secret message".to_vec()),
            ephemeral_secret: None,
            viewer: None,
        }
    }

    #[test]
    fn waiting_codes_are_bounded_per_platform_and_expired_ones_dropped() {
        let store = MemoryQrStore::new();
        let t = 1_800_000_000;
        let a: Vec<_> = (0..3).map(|_| pending("C1100005553", t, 120)).collect();
        for p in &a {
            store.put_pending(p.clone(), 3).unwrap();
        }
        // the bound: a fourth waits for none of these to be answered
        let err = store
            .put_pending(pending("C1100005553", t + 1, 120), 3)
            .unwrap_err();
        assert!(matches!(err, Error::LimitReached { limit: 3, .. }), "{err}");
        // another platform has its own bound
        store
            .put_pending(pending("C6500000001", t, 120), 3)
            .unwrap();
        // once they expire they no longer count, and their secrets go
        store
            .put_pending(pending("C1100005553", t + 120, 120), 3)
            .unwrap();
        let id = a[0].challenge.transaction_id;
        assert!(matches!(store.lookup(&id).unwrap(), Lookup::Expired));
        assert_eq!(
            store.page(&id).unwrap().map(|p| p.stage),
            Some(PageStage::Pending),
            "its page stays, to show it expired"
        );
        // a grace period later they are forgotten
        let later = SystemTime::UNIX_EPOCH + Duration::from_secs(t + 120) + PURGE_GRACE;
        assert_eq!(store.purge_expired(later).unwrap(), 4);
        assert!(matches!(store.lookup(&id).unwrap(), Lookup::Unknown));
        assert!(store.page(&id).unwrap().is_none());
    }
}
