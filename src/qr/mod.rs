//! QR authorisation (manual §17): a trading platform shows a signed
//! challenge as a QR code; the app scans it, authenticates it against its
//! platform registry, shows the platform's name and the action, and after
//! the PIN answers with a signed statement and the action's payload; the
//! platform verifies, consumes the transaction once and charges the
//! holder's package once.

pub mod app;
pub mod challenge;
pub mod names;
mod png;
pub mod response;
pub mod store;
pub mod throwaway;
pub mod verifier;
pub mod wallet;

pub use app::{ActionInput, Identity, PlatformEntry, PlatformRegistry, ScanView, respond, scan};
pub use challenge::{Action, Challenge, ChallengeParams, DEFAULT_LIFETIME, validate_platform_code};
pub use names::{validate_callback_host, validate_platform_name};
pub use response::{Response, Statement, display_text};
pub use store::{
    KeyTaken, Lookup, MAX_PENDING, MemoryQrStore, OperationLogEntry, PURGE_GRACE, PageStage,
    PageStatus, PendingTransaction, QrStore, QuotaKey, ScanRecord, Settled, Settlement,
    StoredVerdict, visible_records,
};
pub use verifier::{
    DEFAULT_MAX_MESSAGE, MAX_MESSAGE, Outcome, Reason, Request, Verification, Verifier,
    VerifierConfig, holder_of,
};
pub use wallet::{AppDirectory, AppProfile, IdentityKind, UnlockedIdentity};
