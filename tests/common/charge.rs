//! Charging a package the way the verifier does, through the store's one
//! atomic [`QrStore::settle`], for the tests of the package books: a
//! transaction is issued (if it was not) and settled with a response hash
//! of its own, so that each transaction uses its code and is charged at
//! most once.

use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use yizhengtong::crypto::PrivateKey;
use yizhengtong::qr::{
    Action, Challenge, ChallengeParams, Lookup, OperationLogEntry, PendingTransaction, QrStore,
    QuotaKey, Reason, ScanRecord, Settled, Settlement,
};

/// A charge that went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Charged now; uses left.
    Charged { remaining: u64 },
    /// This transaction was charged before; nothing new (uses left now).
    AlreadyCharged { remaining: u64 },
}

/// A charge refused (the code is used all the same: its verdict stands).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeRefused {
    NotOpened,
    Exhausted,
}

fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(&mut rand::rng()))
}

/// A pending login transaction `tid` of `platform`, an hour long.
pub fn pending(tid: &[u8; 16], platform: &str) -> PendingTransaction {
    let params = ChallengeParams {
        platform_code: platform.to_string(),
        action: Action::Login,
        callback_host: "127.0.0.1:1".into(),
        digest: None,
        ephemeral_key: None,
        now: SystemTime::now(),
        lifetime: Duration::from_secs(3600),
    };
    let mut challenge: Challenge =
        Challenge::issue(&params, key(), &mut rand::rng()).expect("challenge");
    challenge.transaction_id = *tid;
    PendingTransaction {
        challenge,
        message: None,
        ephemeral_secret: None,
        viewer: None,
    }
}

/// What the verifier commits for an accepted response of `tid` on `quota`.
pub fn settlement(tid: &[u8; 16], quota: &QuotaKey, response_hash: [u8; 32]) -> Settlement {
    let record = ScanRecord {
        time: SystemTime::now(),
        action: Action::Login,
        platform_code: quota.platform.clone(),
        platform_name: "测试平台".into(),
        certificate_name: "测试".into(),
        holder: quota.holder.clone(),
        certificate_serial: "01".into(),
        transaction: yizhengtong::hex::encode(tid),
        member: "member".into(),
        enterprise: None,
    };
    let log = OperationLogEntry {
        time: record.time,
        user: "member".into(),
        kind: "qr_authorisation".into(),
        detail: record.log_line(),
    };
    Settlement {
        transaction: *tid,
        response_hash,
        quota: quota.clone(),
        record,
        log,
        detail: "{}".into(),
        document_key: None,
    }
}

/// Charge one use of `quota` for transaction `tid`.
pub fn charge<S: QrStore + ?Sized>(
    store: &S,
    quota: &QuotaKey,
    tid: &[u8; 16],
) -> yizhengtong::Result<Result<Charge, ChargeRefused>> {
    if let Lookup::Unknown = store.lookup(tid)? {
        // another thread may issue it first: then it is there all the same
        let _ = store.put_pending(pending(tid, &quota.platform), usize::MAX);
    }
    let refused = |r: Reason| match r {
        Reason::QuotaNotOpened => ChargeRefused::NotOpened,
        Reason::QuotaExhausted => ChargeRefused::Exhausted,
        other => panic!("a settle gave {other:?}"),
    };
    Ok(match store.settle(settlement(tid, quota, [7; 32]))? {
        Settled::Now(v) if v.reason == Reason::Ok => Ok(Charge::Charged {
            remaining: v.remaining.expect("remaining"),
        }),
        Settled::Now(v) => Err(refused(v.reason)),
        Settled::Before(v) if v.reason == Reason::Ok => Ok(Charge::AlreadyCharged {
            remaining: store.quota(quota)?.unwrap_or(0),
        }),
        Settled::Before(v) => Err(refused(v.reason)),
        Settled::Unknown => panic!("transaction {tid:?} vanished"),
    })
}
