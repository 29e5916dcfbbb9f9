//! The platform's side: issue challenges and verify responses.
//!
//! Verification runs in this order, each failure its own [`Reason`]:
//! decode and parse (never compare against a template); the platform code
//! is ours; the transaction is known and pending — and is consumed right
//! there, atomically, so the first attempt uses it up whatever the outcome;
//! action and digest equal what was issued; nonce equal; not expired by the
//! server clock; the display hash matches what the phone must have shown
//! for this platform; the certificate chains to a recognised CA, is valid
//! now, not frozen or revoked, and its key usage allows signing; the
//! signature over the statement; the payload of the action; then one use
//! of the holder's package quota is charged, atomically and at most once
//! per transaction, never below zero.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rand_core::CryptoRng;
use serde::Serialize;
use zeroize::Zeroizing;

use super::challenge::{Action, Challenge, ChallengeParams, DEFAULT_LIFETIME};
use super::response::{Response, display_text};
use crate::cert::chain::{StatusSource, VerifyOptions, verify_chain};
use crate::cert::{Certificate, Crl, IntendedUse, cms};
use crate::crypto::{DEFAULT_USER_ID, PrivateKey, Signature, sm3};
use crate::error::{CertCheck, Error, Result};
use crate::seal::{SealSignature, SealVerifyOptions, StepStatus, verify_signature};
use crate::verify::KeyCache;

/// Why a response was accepted or refused. Codes are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Accepted.
    Ok,
    /// The response could not be decoded.
    Malformed,
    /// The response names another platform.
    WrongPlatform,
    /// No such transaction was issued (or it was purged long after expiry).
    UnknownTransaction,
    /// The transaction was already used: a replay.
    AlreadyUsed,
    /// The action differs from the one issued.
    WrongAction,
    /// The digest differs from the one issued.
    WrongDigest,
    /// The nonce differs from the one issued.
    WrongNonce,
    /// The challenge expired before the response arrived.
    Expired,
    /// What the phone displayed was not this platform's challenge.
    Misdirected,
    /// The certificate does not chain to a recognised CA.
    UntrustedCertificate,
    /// The certificate is expired or not yet valid.
    CertificateExpired,
    /// The certificate is frozen.
    CertificateFrozen,
    /// The certificate is revoked.
    CertificateRevoked,
    /// The certificate's key may not sign (e.g. an encryption certificate).
    WrongKeyUsage,
    /// The statement's signature does not verify (tampered or forged).
    BadSignature,
    /// The action's payload is missing or does not verify.
    BadPayload,
    /// The holder has no package on this platform for this institution.
    QuotaNotOpened,
    /// The holder's package is used up.
    QuotaExhausted,
    /// The store failed; nothing was charged.
    StoreUnavailable,
}

impl Reason {
    /// The stable numeric code.
    pub fn code(self) -> u16 {
        match self {
            Reason::Ok => 0,
            Reason::Malformed => 1001,
            Reason::WrongPlatform => 1002,
            Reason::UnknownTransaction => 1003,
            Reason::AlreadyUsed => 1004,
            Reason::WrongAction => 1005,
            Reason::WrongDigest => 1006,
            Reason::WrongNonce => 1007,
            Reason::Expired => 1008,
            Reason::Misdirected => 1009,
            Reason::UntrustedCertificate => 1010,
            Reason::CertificateExpired => 1011,
            Reason::CertificateFrozen => 1012,
            Reason::CertificateRevoked => 1013,
            Reason::WrongKeyUsage => 1014,
            Reason::BadSignature => 1015,
            Reason::BadPayload => 1016,
            Reason::QuotaNotOpened => 1017,
            Reason::QuotaExhausted => 1018,
            Reason::StoreUnavailable => 1019,
        }
    }

    /// The snake_case name.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

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

/// A charge that went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Charged now; uses left.
    Charged {
        /// Uses left.
        remaining: u64,
    },
    /// This transaction was charged before; nothing new.
    AlreadyCharged {
        /// Uses left.
        remaining: u64,
    },
}

/// A charge refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeRefused {
    /// No package opened.
    NotOpened,
    /// No uses left.
    Exhausted,
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
}

impl std::fmt::Debug for PendingTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingTransaction")
            .field("transaction", &self.challenge.transaction_hex())
            .field("action", &self.challenge.action)
            .finish_non_exhaustive()
    }
}

/// What consuming a transaction found.
#[derive(Debug)]
pub enum Consumed {
    /// It was pending; now it is used.
    Pending(Box<PendingTransaction>),
    /// It was used before.
    AlreadyUsed,
    /// It was never issued (or purged).
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
    /// The first answer was accepted.
    Authorised,
    /// The first answer was refused.
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

    /// Whether an answer has been given (the first verdict is final).
    pub fn is_settled(self) -> bool {
        matches!(self, PageStage::Authorised | PageStage::Refused)
    }
}

/// What the page showing a QR code sees of it: kept by the store beside
/// the transaction (created by [`QrStore::put_pending`]), so that every
/// verifier instance over one store, e.g. services behind a load
/// balancer, answers alike whichever instance issued the code or took
/// the answer.
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
    /// What the platform shows about the verdict (JSON text, never a
    /// secret); empty until settled.
    pub detail: String,
    /// Whether a document key waits to be taken once.
    pub key_waiting: bool,
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

/// The atomic operations the verifier needs from storage; each is one
/// method so a database backend can make it one transaction.
pub trait QrStore: Send + Sync {
    /// Keep an issued transaction.
    fn put_pending(&self, tx: PendingTransaction) -> Result<()>;
    /// Atomically take a pending transaction (only one caller ever gets it).
    fn consume(&self, transaction: &[u8; 16], now: SystemTime) -> Result<Consumed>;
    /// Atomically charge one use for `transaction`: at most once per
    /// transaction, never below zero.
    fn charge(
        &self,
        key: &QuotaKey,
        transaction: &[u8; 16],
    ) -> Result<std::result::Result<Charge, ChargeRefused>>;
    /// Open or top up a package: set the uses left.
    fn set_quota(&self, key: &QuotaKey, uses: u64) -> Result<()>;
    /// Uses left, or `None` when no package is open.
    fn quota(&self, key: &QuotaKey) -> Result<Option<u64>>;
    /// Append a scan record.
    fn record(&self, entry: ScanRecord) -> Result<()>;
    /// Every scan record, oldest first.
    fn records(&self) -> Result<Vec<ScanRecord>>;
    /// Append an operation-log entry.
    fn log(&self, entry: OperationLogEntry) -> Result<()>;
    /// The operation log of `user`, oldest first.
    fn logs(&self, user: &str) -> Result<Vec<OperationLogEntry>>;
    /// Forget transactions that expired before `now` minus a grace period;
    /// returns how many were dropped.
    fn purge_expired(&self, now: SystemTime) -> Result<usize>;
    /// The page status of `transaction`, `None` when unknown.
    fn page(&self, transaction: &[u8; 16]) -> Result<Option<PageStatus>>;
    /// Mark a pending, unexpired code as scanned (anything else is left
    /// as it is); the status after.
    fn page_scanned(&self, transaction: &[u8; 16], now: u64) -> Result<Option<PageStatus>>;
    /// Record the verdict on a code when it is the first (pending or
    /// scanned), with what to show and, for an accepted decrypt, the
    /// document key to hand over once; `false` when the code already had
    /// its verdict or is unknown.
    fn page_settle(
        &self,
        transaction: &[u8; 16],
        authorised: bool,
        detail: &str,
        document_key: Option<&[u8]>,
    ) -> Result<bool>;
    /// Take the document key of an authorised code: only one caller ever
    /// gets it.
    fn page_take_key(&self, transaction: &[u8; 16]) -> Result<KeyTaken>;
}

/// The body of a `QrStore` impl that hands every call to another store:
/// `delegate_qr_store!(s => target)`, where `target` is an expression in
/// `s` (the `&self`) giving the store to call.
macro_rules! delegate_qr_store {
    ($s:ident => $target:expr) => {
        fn put_pending(&self, tx: $crate::qr::PendingTransaction) -> $crate::error::Result<()> {
            let $s = self;
            $target.put_pending(tx)
        }
        fn consume(
            &self,
            transaction: &[u8; 16],
            now: std::time::SystemTime,
        ) -> $crate::error::Result<$crate::qr::Consumed> {
            let $s = self;
            $target.consume(transaction, now)
        }
        fn charge(
            &self,
            key: &$crate::qr::QuotaKey,
            transaction: &[u8; 16],
        ) -> $crate::error::Result<
            std::result::Result<$crate::qr::Charge, $crate::qr::ChargeRefused>,
        > {
            let $s = self;
            $target.charge(key, transaction)
        }
        fn set_quota(&self, key: &$crate::qr::QuotaKey, uses: u64) -> $crate::error::Result<()> {
            let $s = self;
            $target.set_quota(key, uses)
        }
        fn quota(&self, key: &$crate::qr::QuotaKey) -> $crate::error::Result<Option<u64>> {
            let $s = self;
            $target.quota(key)
        }
        fn record(&self, entry: $crate::qr::ScanRecord) -> $crate::error::Result<()> {
            let $s = self;
            $target.record(entry)
        }
        fn records(&self) -> $crate::error::Result<Vec<$crate::qr::ScanRecord>> {
            let $s = self;
            $target.records()
        }
        fn log(&self, entry: $crate::qr::OperationLogEntry) -> $crate::error::Result<()> {
            let $s = self;
            $target.log(entry)
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
        fn page_settle(
            &self,
            transaction: &[u8; 16],
            authorised: bool,
            detail: &str,
            document_key: Option<&[u8]>,
        ) -> $crate::error::Result<bool> {
            let $s = self;
            $target.page_settle(transaction, authorised, detail, document_key)
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

/// A document key waiting to be taken.
type DocumentKey = Zeroizing<Vec<u8>>;

/// A stored page as callers see it: whether a key waits is whether one is
/// held (the stored status does not keep it twice).
fn page_view((status, key): &(PageStatus, Option<DocumentKey>)) -> PageStatus {
    PageStatus {
        key_waiting: key.is_some(),
        ..status.clone()
    }
}

#[derive(Default)]
struct MemoryInner {
    pending: HashMap<[u8; 16], PendingTransaction>,
    /// Page statuses, and a decrypt code's document key until taken.
    pages: HashMap<[u8; 16], (PageStatus, Option<DocumentKey>)>,
    /// Used transactions and when they expire (kept to tell replays).
    used: HashMap<[u8; 16], u64>,
    quotas: HashMap<QuotaKey, u64>,
    charged: HashMap<[u8; 16], QuotaKey>,
    records: Vec<ScanRecord>,
    logs: Vec<OperationLogEntry>,
}

/// The in-memory reference store: one mutex, so every operation is atomic.
/// Bounded: transactions are dropped a grace period after they expire.
#[derive(Default)]
pub struct MemoryQrStore {
    inner: Mutex<MemoryInner>,
}

/// How long used and expired transactions are remembered after expiry.
pub const PURGE_GRACE: Duration = Duration::from_secs(3600);
/// Pending transactions kept at most (oldest expired ones go first).
pub const MAX_PENDING: usize = 1_000_000;

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
}

impl MemoryQrStore {
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

impl QrStore for MemoryQrStore {
    fn put_pending(&self, tx: PendingTransaction) -> Result<()> {
        let mut g = self.lock()?;
        if g.pending.len() >= MAX_PENDING {
            return Err(Error::param("store", "too many pending transactions"));
        }
        let id = tx.challenge.transaction_id;
        if g.pending.contains_key(&id) || g.used.contains_key(&id) {
            return Err(Error::param("transaction id", "already issued"));
        }
        g.pages.insert(
            id,
            (
                PageStatus {
                    action: tx.challenge.action,
                    issued_at: tx.challenge.issued_at,
                    expires_at: tx.challenge.expires_at,
                    stage: PageStage::Pending,
                    detail: String::new(),
                    key_waiting: false,
                },
                None,
            ),
        );
        g.pending.insert(id, tx);
        Ok(())
    }

    fn consume(&self, transaction: &[u8; 16], _now: SystemTime) -> Result<Consumed> {
        let mut g = self.lock()?;
        match g.pending.remove(transaction) {
            Some(tx) => {
                g.used.insert(*transaction, tx.challenge.expires_at);
                Ok(Consumed::Pending(Box::new(tx)))
            }
            None if g.used.contains_key(transaction) => Ok(Consumed::AlreadyUsed),
            None => Ok(Consumed::Unknown),
        }
    }

    fn charge(
        &self,
        key: &QuotaKey,
        transaction: &[u8; 16],
    ) -> Result<std::result::Result<Charge, ChargeRefused>> {
        let mut g = self.lock()?;
        if g.charged.contains_key(transaction) {
            let remaining = g.quotas.get(key).copied().unwrap_or(0);
            return Ok(Ok(Charge::AlreadyCharged { remaining }));
        }
        let Some(left) = g.quotas.get_mut(key) else {
            return Ok(Err(ChargeRefused::NotOpened));
        };
        if *left == 0 {
            return Ok(Err(ChargeRefused::Exhausted));
        }
        *left -= 1;
        let remaining = *left;
        g.charged.insert(*transaction, key.clone());
        Ok(Ok(Charge::Charged { remaining }))
    }

    fn set_quota(&self, key: &QuotaKey, uses: u64) -> Result<()> {
        self.lock()?.quotas.insert(key.clone(), uses);
        Ok(())
    }

    fn quota(&self, key: &QuotaKey) -> Result<Option<u64>> {
        Ok(self.lock()?.quotas.get(key).copied())
    }

    fn record(&self, entry: ScanRecord) -> Result<()> {
        self.lock()?.records.push(entry);
        Ok(())
    }

    fn records(&self) -> Result<Vec<ScanRecord>> {
        Ok(self.lock()?.records.clone())
    }

    fn log(&self, entry: OperationLogEntry) -> Result<()> {
        self.lock()?.logs.push(entry);
        Ok(())
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
        let cutoff = unix(now).saturating_sub(PURGE_GRACE.as_secs());
        let mut g = self.lock()?;
        let before = g.pending.len() + g.used.len();
        g.pending.retain(|_, tx| tx.challenge.expires_at > cutoff);
        let expired: Vec<[u8; 16]> = g
            .used
            .iter()
            .filter(|(_, e)| **e <= cutoff)
            .map(|(k, _)| *k)
            .collect();
        for k in &expired {
            g.used.remove(k);
            g.charged.remove(k);
        }
        g.pages.retain(|_, (p, _)| p.expires_at > cutoff);
        Ok(before - g.pending.len() - g.used.len())
    }

    fn page(&self, transaction: &[u8; 16]) -> Result<Option<PageStatus>> {
        Ok(self.lock()?.pages.get(transaction).map(page_view))
    }

    fn page_scanned(&self, transaction: &[u8; 16], now: u64) -> Result<Option<PageStatus>> {
        let mut g = self.lock()?;
        Ok(g.pages.get_mut(transaction).map(|page| {
            let p = &mut page.0;
            if p.stage == PageStage::Pending && now < p.expires_at {
                p.stage = PageStage::Scanned;
            }
            page_view(page)
        }))
    }

    fn page_settle(
        &self,
        transaction: &[u8; 16],
        authorised: bool,
        detail: &str,
        document_key: Option<&[u8]>,
    ) -> Result<bool> {
        let mut g = self.lock()?;
        let Some((p, key)) = g.pages.get_mut(transaction) else {
            return Ok(false);
        };
        if p.stage.is_settled() {
            return Ok(false);
        }
        p.stage = if authorised {
            PageStage::Authorised
        } else {
            PageStage::Refused
        };
        p.detail = detail.to_string();
        *key = document_key
            .filter(|_| authorised)
            .map(|k| Zeroizing::new(k.to_vec()));
        Ok(true)
    }

    fn page_take_key(&self, transaction: &[u8; 16]) -> Result<KeyTaken> {
        let mut g = self.lock()?;
        let Some((p, key)) = g.pages.get_mut(transaction) else {
            return Ok(KeyTaken::Unknown);
        };
        if p.stage != PageStage::Authorised {
            return Ok(KeyTaken::NotAuthorised(p.stage));
        }
        Ok(key.take().map_or(KeyTaken::Gone, KeyTaken::Key))
    }
}

/// What the platform configures.
pub struct VerifierConfig {
    /// Our system code.
    pub platform_code: String,
    /// Our name, as the app's registry shows it.
    pub platform_name: String,
    /// Where apps submit responses.
    pub callback_host: String,
    /// The key that signs our challenges.
    pub platform_key: PrivateKey,
    /// The mutually recognised CAs.
    pub anchors: Vec<Certificate>,
    /// Intermediate CA certificates.
    pub intermediates: Vec<Certificate>,
    /// CRLs to consult at first ([`Verifier::replace_crls`] changes them
    /// while the verifier runs; [`Verifier::crls`] gives the current ones).
    pub crls: Vec<Crl>,
    /// A status service to consult.
    pub status: Option<Arc<dyn StatusSource + Send + Sync>>,
    /// Challenge lifetime.
    pub lifetime: Duration,
}

impl VerifierConfig {
    /// A configuration with the default lifetime and no revocation sources.
    pub fn new(
        platform_code: &str,
        platform_name: &str,
        callback_host: &str,
        platform_key: PrivateKey,
        anchors: Vec<Certificate>,
    ) -> Self {
        Self {
            platform_code: platform_code.into(),
            platform_name: platform_name.into(),
            callback_host: callback_host.into(),
            platform_key,
            anchors,
            intermediates: Vec::new(),
            crls: Vec::new(),
            status: None,
            lifetime: DEFAULT_LIFETIME,
        }
    }
}

/// What the platform wants authorised.
pub enum Request<'a> {
    /// Log in.
    Login,
    /// Stamp the document with this SM3.
    Seal {
        /// SM3 of the document.
        digest: [u8; 32],
    },
    /// Hand over the encryption certificate.
    Encrypt,
    /// Decrypt this envelope.
    Decrypt {
        /// The SM2 envelope (document key to the user's encryption certificate).
        envelope: &'a [u8],
    },
    /// Sign the file with this SM3.
    FileSign {
        /// SM3 of the file.
        digest: [u8; 32],
    },
    /// Sign this message.
    MsgSign {
        /// The message (at most 64 KiB).
        message: &'a [u8],
    },
}

/// What a successful authorisation hands to the platform.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Logged in.
    Login,
    /// The verified seal signature.
    Seal(Box<SealSignature>),
    /// The user's encryption certificate.
    EncryptionCertificate(Box<Certificate>),
    /// The document key.
    DocumentKey(Zeroizing<Vec<u8>>),
    /// The verified detached CMS signature.
    FileSignature(Vec<u8>),
    /// The verified message signature (DER).
    MessageSignature(Vec<u8>),
}

/// The result of one verification.
#[derive(Debug, Clone)]
pub struct Verification {
    /// Why.
    pub reason: Reason,
    /// Details for logs and the answer's message.
    pub detail: String,
    /// The transaction, hex, when it could be read.
    pub transaction: Option<String>,
    /// The signer's certificate, when it verified.
    pub certificate: Option<Certificate>,
    /// Uses left after the charge.
    pub remaining: Option<u64>,
    /// What the platform gets.
    pub outcome: Option<Outcome>,
}

impl Verification {
    fn refuse(reason: Reason, detail: impl Into<String>, tid: Option<&[u8; 16]>) -> Self {
        Self {
            reason,
            detail: detail.into(),
            transaction: tid.map(|t| crate::hex::encode(t)),
            certificate: None,
            remaining: None,
            outcome: None,
        }
    }

    /// True when accepted.
    pub fn accepted(&self) -> bool {
        self.reason == Reason::Ok
    }

    /// The platforms' JSON answer, with the reason code, fields in the
    /// order platforms print them:
    /// `{"code":200,"success":true,"data":{"verifySignatureResult":…,"reasonCode":…},"msg":"…","errorCode":"…"}`.
    pub fn answer_json(&self) -> String {
        let quote = |t: &str| serde_json::to_string(t).unwrap_or_else(|_| "\"\"".into());
        let (msg, error) = if self.accepted() {
            (String::new(), String::new())
        } else {
            (self.detail.clone(), self.reason.name())
        };
        format!(
            r#"{{"code":200,"success":true,"data":{{"verifySignatureResult":{},"reasonCode":{}}},"msg":{},"errorCode":{}}}"#,
            self.accepted(),
            self.reason.code(),
            quote(&msg),
            quote(&error)
        )
    }
}

/// The platform's verifier over a store.
pub struct Verifier<S: QrStore> {
    config: VerifierConfig,
    /// The CRLs in force, replaced whole (the configuration's are moved
    /// here at the start).
    crls: RwLock<Arc<Vec<Crl>>>,
    store: S,
    /// Certificates whose chain verified, by SM3 of the DER, with the
    /// time until which that holds (the earliest notAfter in the chain).
    chain_cache: Mutex<HashMap<[u8; 32], SystemTime>>,
    /// Prepared verifying keys of the holders seen recently.
    keys: KeyCache,
}

const CHAIN_CACHE_MAX: usize = 100_000;
/// Prepared holder keys kept by a verifier (about 700 bytes each).
const KEY_CACHE_MAX: usize = 100_000;

/// The holder a certificate's quota is kept under: its subject's serial
/// number (the ID number), else its organisation identifier (the credit
/// code), else `serial:` and its serial in hex.
pub fn holder_of(cert: &Certificate) -> String {
    cert.subject_serial_number()
        .or_else(|| cert.subject_organization_identifier())
        .unwrap_or_else(|| format!("serial:{}", cert.serial_hex()))
}

impl<S: QrStore> Verifier<S> {
    /// A verifier.
    pub fn new(mut config: VerifierConfig, store: S) -> Result<Self> {
        super::challenge::validate_platform_code(&config.platform_code)?;
        super::names::validate_platform_name(&config.platform_name)?;
        super::names::validate_callback_host(&config.callback_host)?;
        let crls = std::mem::take(&mut config.crls);
        Ok(Self {
            config,
            crls: RwLock::new(Arc::new(crls)),
            store,
            chain_cache: Mutex::new(HashMap::new()),
            keys: KeyCache::new(KEY_CACHE_MAX),
        })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The CRLs in force.
    pub fn crls(&self) -> Arc<Vec<Crl>> {
        Arc::clone(&self.crls.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Show that each of `crls` is signed by one of the configured CAs
    /// (anchors or intermediates) allowed to sign CRLs, with no critical
    /// extension we do not process; the error names the first that is not.
    pub fn check_crls(&self, crls: &[Crl], now: SystemTime) -> Result<()> {
        for (i, crl) in crls.iter().enumerate() {
            let issuer = self
                .config
                .anchors
                .iter()
                .chain(&self.config.intermediates)
                .find(|c| c.subject_der() == crl.issuer_der())
                .ok_or_else(|| {
                    Error::Crl(format!(
                        "CRL {} is issued by {}, none of the configured CAs",
                        i + 1,
                        crl.issuer()
                    ))
                })?;
            crl.verify(issuer, now.max(crl.this_update()))
                .map_err(|e| Error::Crl(format!("CRL {} ({}): {e}", i + 1, crl.issuer())))?;
        }
        Ok(())
    }

    /// Put `crls` in force in place of the current ones (a platform
    /// fetches fresh CRLs while it runs), once [`Verifier::check_crls`]
    /// passes; if it fails, nothing changes. Verifications that started
    /// before keep the CRLs they started with.
    pub fn replace_crls(&self, crls: Vec<Crl>, now: SystemTime) -> Result<()> {
        self.check_crls(&crls, now)?;
        *self.crls.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(crls);
        Ok(())
    }

    /// The configuration.
    pub fn config(&self) -> &VerifierConfig {
        &self.config
    }

    /// The quota key of a certificate holder on this platform.
    pub fn quota_key(&self, cert: &Certificate, action: Action) -> QuotaKey {
        QuotaKey {
            holder: holder_of(cert),
            platform: self.config.platform_code.clone(),
            institution: if action == Action::Seal { "seal" } else { "ca" },
        }
    }

    /// Issue a challenge for `request` at `now` and keep it pending.
    pub fn issue<R: CryptoRng + ?Sized>(
        &self,
        request: Request<'_>,
        now: SystemTime,
        rng: &mut R,
    ) -> Result<Challenge> {
        let (action, digest, message, ephemeral) = match request {
            Request::Login => (Action::Login, None, None, None),
            Request::Seal { digest } => (Action::Seal, Some(digest), None, None),
            Request::Encrypt => (Action::Encrypt, None, None, None),
            Request::Decrypt { envelope } => {
                let eph = PrivateKey::generate(rng);
                (Action::Decrypt, Some(sm3(envelope)), None, Some(eph))
            }
            Request::FileSign { digest } => (Action::FileSign, Some(digest), None, None),
            Request::MsgSign { message } => {
                if message.len() > 64 * 1024 {
                    return Err(Error::length("message", "at most 64 KiB", message.len()));
                }
                (
                    Action::MsgSign,
                    Some(sm3(message)),
                    Some(message.to_vec()),
                    None,
                )
            }
        };
        let params = ChallengeParams {
            platform_code: self.config.platform_code.clone(),
            action,
            callback_host: self.config.callback_host.clone(),
            digest,
            ephemeral_key: ephemeral.as_ref().map(|k| k.public_key()),
            now,
            lifetime: self.config.lifetime,
        };
        let challenge = Challenge::issue(&params, &self.config.platform_key, rng)?;
        self.store.put_pending(PendingTransaction {
            challenge: challenge.clone(),
            message,
            ephemeral_secret: ephemeral.map(|k| k.to_bytes()),
        })?;
        Ok(challenge)
    }

    fn check_chain(
        &self,
        cert: &Certificate,
        now: SystemTime,
    ) -> std::result::Result<(), (Reason, String)> {
        let key = sm3(cert.der());
        let cached = self
            .chain_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&key).copied())
            .is_some_and(|until| now <= until && now >= cert.not_before());
        let map = |e: Error| match e {
            Error::Certificate {
                check, ref detail, ..
            } => {
                let reason = match check {
                    CertCheck::Expired | CertCheck::NotYetValid => Reason::CertificateExpired,
                    CertCheck::Revoked => Reason::CertificateRevoked,
                    CertCheck::Frozen => Reason::CertificateFrozen,
                    _ => Reason::UntrustedCertificate,
                };
                (reason, format!("{check}: {detail}"))
            }
            other => (Reason::UntrustedCertificate, other.to_string()),
        };
        let status = self
            .config
            .status
            .as_deref()
            .map(|s| s as &dyn StatusSource);
        if cached {
            // Signatures and names are known good; validity was checked by
            // the cache window; revocation is asked every time.
            if let Some(src) = status {
                match src.status(cert, now) {
                    crate::cert::RevocationStatus::Hold => {
                        return Err((Reason::CertificateFrozen, "on hold".into()));
                    }
                    crate::cert::RevocationStatus::Revoked(r) => {
                        return Err((Reason::CertificateRevoked, format!("revoked ({r})")));
                    }
                    _ => {}
                }
            }
            for crl in self.crls().iter() {
                if crl.issuer_der() == cert.issuer_der() {
                    if crl.next_update().is_some_and(|next| now > next) {
                        return Err((
                            Reason::UntrustedCertificate,
                            "the issuer's CRL is stale".into(),
                        ));
                    }
                    if let Some(e) = crl.find_at(cert.serial(), now) {
                        return Err(
                            if e.reason == crate::cert::RevocationReason::CertificateHold {
                                (Reason::CertificateFrozen, "on hold in the CRL".into())
                            } else {
                                (
                                    Reason::CertificateRevoked,
                                    format!("revoked ({}) in the CRL", e.reason),
                                )
                            },
                        );
                    }
                }
            }
            return Ok(());
        }
        let crls = self.crls();
        let opts = VerifyOptions {
            at: now,
            usage: IntendedUse::Any,
            crls: &crls,
            status,
            require_revocation_check: false,
        };
        let chain = verify_chain(
            cert,
            &self.config.intermediates,
            &self.config.anchors,
            &opts,
        )
        .map_err(map)?;
        let until = chain
            .certificates
            .iter()
            .map(Certificate::not_after)
            .min()
            .unwrap_or(now);
        if let Ok(mut c) = self.chain_cache.lock() {
            if c.len() >= CHAIN_CACHE_MAX {
                c.clear();
            }
            c.insert(key, until);
        }
        Ok(())
    }

    /// Verify a response (DER) at the server time `now`.
    pub fn verify(&self, response: &[u8], now: SystemTime) -> Verification {
        let resp = match Response::from_der(response) {
            Ok(r) => r,
            Err(e) => return Verification::refuse(Reason::Malformed, e.to_string(), None),
        };
        let st = &resp.statement;
        let tid = &st.transaction_id;
        if st.platform_code != self.config.platform_code {
            return Verification::refuse(
                Reason::WrongPlatform,
                format!("response for {}", st.platform_code),
                Some(tid),
            );
        }
        let pending = match self.store.consume(tid, now) {
            Ok(Consumed::Pending(p)) => p,
            Ok(Consumed::AlreadyUsed) => {
                return Verification::refuse(
                    Reason::AlreadyUsed,
                    "this QR code was already used",
                    Some(tid),
                );
            }
            Ok(Consumed::Unknown) => {
                return Verification::refuse(
                    Reason::UnknownTransaction,
                    "no such QR code was issued",
                    Some(tid),
                );
            }
            Err(e) => {
                return Verification::refuse(Reason::StoreUnavailable, e.to_string(), Some(tid));
            }
        };
        let ch = &pending.challenge;
        if st.action != ch.action {
            return Verification::refuse(
                Reason::WrongAction,
                format!("issued {}, answered {}", ch.action.name(), st.action.name()),
                Some(tid),
            );
        }
        if st.digest != ch.digest {
            return Verification::refuse(
                Reason::WrongDigest,
                "the digest is not the one issued",
                Some(tid),
            );
        }
        if st.nonce != ch.nonce {
            return Verification::refuse(
                Reason::WrongNonce,
                "the nonce is not the one issued",
                Some(tid),
            );
        }
        if ch.is_expired(now) {
            return Verification::refuse(Reason::Expired, "the QR code expired", Some(tid));
        }
        if st.display_hash != sm3(display_text(ch, &self.config.platform_name).as_bytes()) {
            return Verification::refuse(
                Reason::Misdirected,
                "the phone did not display this platform's request",
                Some(tid),
            );
        }
        let cert = match Certificate::from_der(&resp.certificate) {
            Ok(c) => c,
            Err(e) => {
                return Verification::refuse(
                    Reason::Malformed,
                    format!("certificate: {e}"),
                    Some(tid),
                );
            }
        };
        if cert.serial() != st.cert_serial.as_slice() {
            return Verification::refuse(
                Reason::BadSignature,
                "the statement names another certificate",
                Some(tid),
            );
        }
        if let Err((reason, detail)) = self.check_chain(&cert, now) {
            return Verification::refuse(reason, detail, Some(tid));
        }
        match cert.key_usage() {
            Ok(Some(ku)) if !(ku.digital_signature || ku.non_repudiation) => {
                return Verification::refuse(
                    Reason::WrongKeyUsage,
                    format!("keyUsage {} may not sign", ku.names().join(",")),
                    Some(tid),
                );
            }
            Err(e) => return Verification::refuse(Reason::Malformed, e.to_string(), Some(tid)),
            _ => {}
        }
        let sig = match Signature::from_der(&resp.signature) {
            Ok(s) => s,
            Err(e) => return Verification::refuse(Reason::BadSignature, e.to_string(), Some(tid)),
        };
        if self
            .keys
            .verify(
                cert.public_key(),
                DEFAULT_USER_ID,
                &resp.statement_raw,
                &sig,
            )
            .is_err()
        {
            return Verification::refuse(
                Reason::BadSignature,
                "the statement's signature does not verify",
                Some(tid),
            );
        }
        if st.payload_hash != sm3(resp.payload.as_deref().unwrap_or_default()) {
            return Verification::refuse(
                Reason::BadSignature,
                "the payload is not the one signed",
                Some(tid),
            );
        }
        let outcome = match self.check_payload(&pending, &resp, &cert, now) {
            Ok(o) => o,
            Err(detail) => return Verification::refuse(Reason::BadPayload, detail, Some(tid)),
        };
        let key = self.quota_key(&cert, ch.action);
        let remaining = match self.store.charge(&key, tid) {
            Ok(Ok(Charge::Charged { remaining } | Charge::AlreadyCharged { remaining })) => {
                remaining
            }
            Ok(Err(ChargeRefused::NotOpened)) => {
                return Verification::refuse(
                    Reason::QuotaNotOpened,
                    format!(
                        "no {} package on {} for {}: open one (buy a package) first",
                        key.institution, key.platform, key.holder
                    ),
                    Some(tid),
                );
            }
            Ok(Err(ChargeRefused::Exhausted)) => {
                return Verification::refuse(
                    Reason::QuotaExhausted,
                    format!("the {} package is used up", key.institution),
                    Some(tid),
                );
            }
            Err(e) => {
                return Verification::refuse(Reason::StoreUnavailable, e.to_string(), Some(tid));
            }
        };
        let record = ScanRecord {
            time: now,
            action: ch.action,
            platform_code: self.config.platform_code.clone(),
            platform_name: self.config.platform_name.clone(),
            certificate_name: cert.common_name().unwrap_or_default(),
            holder: key.holder.clone(),
            certificate_serial: cert.serial_hex(),
            transaction: ch.transaction_hex(),
            member: st.member.clone(),
            enterprise: st.enterprise.clone(),
        };
        let log = OperationLogEntry {
            time: now,
            user: st.member.clone(),
            kind: "qr_authorisation".into(),
            detail: record.log_line(),
        };
        // The charge stands even if the report or log cannot be written.
        let detail = match self.store.record(record).and_then(|()| self.store.log(log)) {
            Ok(()) => String::new(),
            Err(e) => format!("scan record or log not written: {e}"),
        };
        Verification {
            reason: Reason::Ok,
            detail,
            transaction: Some(ch.transaction_hex()),
            certificate: Some(cert),
            remaining: Some(remaining),
            outcome: Some(outcome),
        }
    }

    fn check_payload(
        &self,
        pending: &PendingTransaction,
        resp: &Response,
        cert: &Certificate,
        now: SystemTime,
    ) -> std::result::Result<Outcome, String> {
        let ch = &pending.challenge;
        let payload = resp.payload.as_deref();
        let need = || payload.ok_or_else(|| format!("{} needs a payload", ch.action.name()));
        match ch.action {
            Action::Login => match payload {
                None => Ok(Outcome::Login),
                Some(_) => Err("login takes no payload".into()),
            },
            Action::Seal => {
                let sig =
                    SealSignature::from_der(need()?).map_err(|e| format!("seal signature: {e}"))?;
                if Some(sig.data_hash.as_slice()) != ch.digest.as_ref().map(|d| &d[..]) {
                    return Err("the seal signature covers another document".into());
                }
                if sig.signer_cert != cert.der() {
                    return Err("the seal signature was made by another certificate".into());
                }
                let crls = self.crls();
                let opts = SealVerifyOptions {
                    anchors: &self.config.anchors,
                    intermediates: &self.config.intermediates,
                    crls: &crls,
                    status: self
                        .config
                        .status
                        .as_deref()
                        .map(|s| s as &dyn StatusSource),
                };
                let report = verify_signature(&sig, None, &opts);
                let failed: Vec<&str> = report
                    .steps
                    .iter()
                    .filter(|s| matches!(s.status, StepStatus::Failed(_)))
                    .map(|s| s.step)
                    .collect();
                if failed.is_empty() {
                    Ok(Outcome::Seal(Box::new(sig)))
                } else {
                    Err(format!("seal signature failed: {}", failed.join(", ")))
                }
            }
            Action::Encrypt => {
                let enc = Certificate::from_der(need()?)
                    .map_err(|e| format!("encryption certificate: {e}"))?;
                let status = self
                    .config
                    .status
                    .as_deref()
                    .map(|s| s as &dyn StatusSource);
                let crls = self.crls();
                let opts = VerifyOptions {
                    at: now,
                    usage: IntendedUse::Encryption,
                    crls: &crls,
                    status,
                    require_revocation_check: false,
                };
                verify_chain(
                    &enc,
                    &self.config.intermediates,
                    &self.config.anchors,
                    &opts,
                )
                .map_err(|e| e.to_string())?;
                if holder_of(&enc) != holder_of(cert) {
                    return Err("the encryption certificate belongs to another holder".into());
                }
                Ok(Outcome::EncryptionCertificate(Box::new(enc)))
            }
            Action::Decrypt => {
                let secret = pending
                    .ephemeral_secret
                    .as_ref()
                    .ok_or("no ephemeral key was kept")?;
                let key = PrivateKey::from_bytes(secret).map_err(|e| e.to_string())?;
                let doc_key = key
                    .decrypt(need()?)
                    .map_err(|e| format!("document key: {e}"))?;
                Ok(Outcome::DocumentKey(doc_key))
            }
            Action::FileSign => {
                let digest = ch.digest.ok_or("no digest was issued")?;
                let cms_der = need()?;
                let verified =
                    cms::verify_detached(cms_der, &digest).map_err(|e| format!("CMS: {e}"))?;
                if verified.signer.der() != cert.der() {
                    return Err("the file was signed by another certificate".into());
                }
                Ok(Outcome::FileSignature(cms_der.to_vec()))
            }
            Action::MsgSign => {
                let message = pending.message.as_deref().ok_or("no message was kept")?;
                let sig = Signature::from_der(need()?).map_err(|e| e.to_string())?;
                self.keys
                    .verify(cert.public_key(), DEFAULT_USER_ID, message, &sig)
                    .map_err(|e| e.to_string())?;
                Ok(Outcome::MessageSignature(sig.to_der()))
            }
        }
    }
}
