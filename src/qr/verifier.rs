//! The platform's side: issue challenges and verify responses.
//!
//! Verification runs in this order, each failure its own [`Reason`]:
//! decode and parse (never compare against a template); the platform code
//! is ours; the transaction is known and unanswered (a read: nothing
//! changes); action and digest equal what was issued; nonce equal; not
//! expired by the server clock; the display hash matches what the phone
//! must have shown for this platform; the certificate chains to a
//! recognised CA, is valid now, not frozen or revoked, and its key usage
//! allows signing; the signature over the statement; the payload of the
//! action. Only a response that passes all of these changes anything, and
//! everything it changes is one [`QrStore::settle`]: the code used, one
//! use of the holder's package charged (never below zero), the scan
//! record, the log line, the page's verdict and the verdict itself, kept
//! with the response's hash so that a retry of the same response gets it
//! again.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime};

use rand_core::CryptoRng;
use serde::Serialize;
use zeroize::Zeroizing;

use super::challenge::{Action, Challenge, ChallengeParams, DEFAULT_LIFETIME};
use super::response::{Response, Statement, display_text};
use super::store::{
    Lookup, MAX_PENDING, OperationLogEntry, PendingTransaction, QrStore, QuotaKey, ScanRecord,
    Settled, Settlement, StoredVerdict,
};
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
    /// The answer could not be committed before the request's deadline;
    /// nothing changed, and the same response may be sent again.
    TimedOut,
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
            Reason::TimedOut => 1020,
        }
    }

    /// The reason with the stable numeric `code`.
    pub fn from_code(code: u16) -> Option<Self> {
        ALL_REASONS.iter().copied().find(|r| r.code() == code)
    }

    /// The snake_case name.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// Every reason, in code order.
pub const ALL_REASONS: [Reason; 21] = [
    Reason::Ok,
    Reason::Malformed,
    Reason::WrongPlatform,
    Reason::UnknownTransaction,
    Reason::AlreadyUsed,
    Reason::WrongAction,
    Reason::WrongDigest,
    Reason::WrongNonce,
    Reason::Expired,
    Reason::Misdirected,
    Reason::UntrustedCertificate,
    Reason::CertificateExpired,
    Reason::CertificateFrozen,
    Reason::CertificateRevoked,
    Reason::WrongKeyUsage,
    Reason::BadSignature,
    Reason::BadPayload,
    Reason::QuotaNotOpened,
    Reason::QuotaExhausted,
    Reason::StoreUnavailable,
    Reason::TimedOut,
];

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
    /// Unexpired codes that may wait for an answer at once (issuing more
    /// is refused with [`Error::LimitReached`]).
    pub max_pending: usize,
    /// Largest message a `msg_sign` challenge may carry (at most
    /// [`MAX_MESSAGE`]).
    pub max_message: usize,
}

/// The largest message a `msg_sign` challenge can ever carry.
pub const MAX_MESSAGE: usize = 64 * 1024;
/// The largest message a `msg_sign` challenge carries by default: what a
/// phone can show its holder to read before signing.
pub const DEFAULT_MAX_MESSAGE: usize = 4 * 1024;

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
            max_pending: MAX_PENDING,
            max_message: DEFAULT_MAX_MESSAGE,
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
    /// What the platform gets (on the attempt that used the code; a
    /// repeat carries none: it was handed over then).
    pub outcome: Option<Outcome>,
    /// This is the verdict the same response got before, given again:
    /// nothing changed now.
    pub repeat: bool,
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
            repeat: false,
        }
    }

    /// The answer for a stored verdict on the package `quota`: the same
    /// words each time it is given.
    fn from_verdict(v: &StoredVerdict, quota: &QuotaKey, tid: &[u8; 16]) -> Self {
        let detail = match v.reason {
            Reason::QuotaNotOpened => format!(
                "no {} package on {} for {}: open one (buy a package) first",
                quota.institution, quota.platform, quota.holder
            ),
            Reason::QuotaExhausted => format!("the {} package is used up", quota.institution),
            _ => String::new(),
        };
        Self {
            remaining: v.remaining,
            ..Self::refuse(v.reason, detail, Some(tid))
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
    /// with their generation (raised at each replacement).
    crls: RwLock<(u64, Arc<Vec<Crl>>)>,
    store: S,
    /// Certificates whose chain verified, by SM3 of the DER, with the
    /// time until which that holds (the earliest notAfter in the chain)
    /// and the generation of the CRLs it was verified under: an entry of
    /// an older generation is not used.
    chain_cache: Mutex<HashMap<[u8; 32], (SystemTime, u64)>>,
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

/// What the page of an authorised code shows the platform (JSON, no
/// secret; a document key is held apart, to be taken once): who
/// authorised, with which certificate, and what the action handed over.
fn page_detail(cert: &Certificate, st: &Statement, outcome: &Outcome) -> serde_json::Value {
    use base64ct::{Base64, Encoding};
    let enc = |b: &[u8]| serde_json::Value::String(Base64::encode_string(b));
    let enterprise = st.enterprise.as_deref();
    let identity = serde_json::json!({
        "name": cert.common_name(),
        "member": st.member,
        "enterprise": enterprise,
        "enterprise_name": enterprise.and(cert.organization().or_else(|| cert.common_name())),
        "holder": holder_of(cert),
        "certificate_serial": cert.serial_hex(),
        "certificate_subject": cert.subject(),
    });
    let outcome = match outcome {
        Outcome::Seal(sig) => serde_json::json!({"seal_signature": enc(&sig.raw)}),
        Outcome::EncryptionCertificate(c) => {
            serde_json::json!({"encryption_certificate": enc(c.der())})
        }
        Outcome::FileSignature(s) => serde_json::json!({"file_signature": enc(s)}),
        Outcome::MessageSignature(s) => serde_json::json!({"message_signature": enc(s)}),
        Outcome::DocumentKey(_) => {
            serde_json::json!({"document_key": "held for POST /v1/decrypt-envelope (once)"})
        }
        Outcome::Login => serde_json::Value::Null,
    };
    serde_json::json!({"identity": identity, "outcome": outcome})
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
            crls: RwLock::new((0, Arc::new(crls))),
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
        self.crl_set().1
    }

    /// The CRLs in force and their generation.
    fn crl_set(&self) -> (u64, Arc<Vec<Crl>>) {
        let g = self.crls.read().unwrap_or_else(|p| p.into_inner());
        (g.0, Arc::clone(&g.1))
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
        let mut current = self.crls.write().unwrap_or_else(|p| p.into_inner());
        *current = (current.0 + 1, Arc::new(crls));
        drop(current);
        // Every chain verified under the old CRLs is verified again, in
        // full, under the new ones (a verification still running under the
        // old ones caches its chain with the old generation, which is not
        // used): a CRL that revokes an intermediate CA reaches the holders
        // whose chains were cached through it.
        self.chain_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
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
        self.issue_for(request, None, now, rng)
    }

    /// [`Verifier::issue`] for a page whose browser holds a secret: the
    /// store keeps `viewer`, its SM3, beside the code, so that only that
    /// browser is shown the code's status.
    pub fn issue_for<R: CryptoRng + ?Sized>(
        &self,
        request: Request<'_>,
        viewer: Option<[u8; 32]>,
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
                let max = self.config.max_message.min(MAX_MESSAGE);
                if message.len() > max {
                    return Err(Error::length(
                        "message",
                        format!("at most {max} bytes"),
                        message.len(),
                    ));
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
        self.store.put_pending(
            PendingTransaction {
                challenge: challenge.clone(),
                message,
                ephemeral_secret: ephemeral.map(|k| k.to_bytes()),
                viewer,
            },
            self.config.max_pending,
        )?;
        Ok(challenge)
    }

    fn check_chain(
        &self,
        cert: &Certificate,
        now: SystemTime,
    ) -> std::result::Result<(), (Reason, String)> {
        let key = sm3(cert.der());
        let (generation, crls) = self.crl_set();
        let cached = self
            .chain_cache
            .lock()
            .ok()
            .and_then(|c| c.get(&key).copied())
            .is_some_and(|(until, g)| g == generation && now <= until && now >= cert.not_before());
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
            for crl in crls.iter() {
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
            c.insert(key, (until, generation));
        }
        Ok(())
    }

    /// Verify a response (DER) at the server time `now`, with no deadline.
    pub fn verify(&self, response: &[u8], now: SystemTime) -> Verification {
        self.verify_until(response, now, None)
    }

    /// Verify a response (DER) at the server time `now`, and commit what
    /// it changes only if `deadline` has not passed by then (otherwise
    /// the answer is [`Reason::TimedOut`] and nothing changed).
    ///
    /// Nothing changes unless the response verifies in full for its
    /// challenge: a forged, misdirected, tampered, stale or replayed
    /// response leaves the code usable by its holder, the package and the
    /// page as they were. A verified response is committed with one
    /// [`QrStore::settle`]. The same response sent again gets the verdict
    /// it got the first time ([`Verification::repeat`]) and is not
    /// charged again; another response for a used code is
    /// [`Reason::AlreadyUsed`].
    pub fn verify_until(
        &self,
        response: &[u8],
        now: SystemTime,
        deadline: Option<std::time::Instant>,
    ) -> Verification {
        let resp = match Response::from_der(response) {
            Ok(r) => r,
            Err(e) => return Verification::refuse(Reason::Malformed, e.to_string(), None),
        };
        let st = &resp.statement;
        let tid = &st.transaction_id;
        let refuse = |reason: Reason, detail: &str| Verification::refuse(reason, detail, Some(tid));
        if st.platform_code != self.config.platform_code {
            return refuse(
                Reason::WrongPlatform,
                &format!("response for {}", st.platform_code),
            );
        }
        let response_hash = sm3(response);
        let pending = match self.store.lookup(tid) {
            Ok(Lookup::Pending(p)) => p,
            Ok(Lookup::Settled(v)) => return self.repeated(&resp, &v, response_hash),
            Ok(Lookup::Expired) => return refuse(Reason::Expired, "the QR code expired"),
            Ok(Lookup::Unknown) => {
                return refuse(Reason::UnknownTransaction, "no such QR code was issued");
            }
            Err(e) => return refuse(Reason::StoreUnavailable, &e.to_string()),
        };
        let (cert, outcome) = match self.check(&pending, &resp, now) {
            Ok(v) => v,
            Err((reason, detail)) => return refuse(reason, &detail),
        };
        let ch = &pending.challenge;
        let quota = self.quota_key(&cert, ch.action);
        let record = ScanRecord {
            time: now,
            action: ch.action,
            platform_code: self.config.platform_code.clone(),
            platform_name: self.config.platform_name.clone(),
            certificate_name: cert.common_name().unwrap_or_default(),
            holder: quota.holder.clone(),
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
        let document_key = match &outcome {
            Outcome::DocumentKey(k) => Some(k.clone()),
            _ => None,
        };
        let settlement = Settlement {
            transaction: *tid,
            response_hash,
            quota: quota.clone(),
            detail: page_detail(&cert, st, &outcome).to_string(),
            record,
            log,
            document_key,
        };
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            return refuse(
                Reason::TimedOut,
                "the answer was not committed in time; nothing changed: send the same response again",
            );
        }
        match self.store.settle(settlement) {
            Ok(Settled::Now(v)) => {
                let mut out = Verification::from_verdict(&v, &quota, tid);
                if v.reason == Reason::Ok {
                    out.certificate = Some(cert);
                    out.outcome = Some(outcome);
                }
                out
            }
            Ok(Settled::Before(v)) => self.repeated(&resp, &v, response_hash),
            Ok(Settled::Unknown) => {
                refuse(Reason::UnknownTransaction, "no such QR code was issued")
            }
            Err(e) => refuse(
                Reason::StoreUnavailable,
                &format!("{e}; the same response may be sent again"),
            ),
        }
    }

    /// The answer for a code used before: its verdict again when `resp` is
    /// the very response that used it, else a replay.
    fn repeated(&self, resp: &Response, v: &StoredVerdict, hash: [u8; 32]) -> Verification {
        let tid = &resp.statement.transaction_id;
        if !bool::from(subtle::ConstantTimeEq::ct_eq(
            &v.response_hash[..],
            &hash[..],
        )) {
            return Verification::refuse(
                Reason::AlreadyUsed,
                "this QR code was already used",
                Some(tid),
            );
        }
        // The same bytes were verified when they used the code: the
        // certificate they carry is the one that verified.
        let cert = Certificate::from_der(&resp.certificate).ok();
        let quota = cert.as_ref().map(|c| {
            let action = resp.statement.action;
            self.quota_key(c, action)
        });
        let mut out = match &quota {
            Some(q) => Verification::from_verdict(v, q, tid),
            None => Verification::refuse(v.reason, "", Some(tid)),
        };
        out.repeat = true;
        if v.reason == Reason::Ok {
            out.certificate = cert;
        }
        out
    }

    /// Every check of a response against its pending transaction, in the
    /// order of the module documentation; the signer's certificate and
    /// what the action hands over, or why not. Changes nothing.
    fn check(
        &self,
        pending: &PendingTransaction,
        resp: &Response,
        now: SystemTime,
    ) -> std::result::Result<(Certificate, Outcome), (Reason, String)> {
        let st = &resp.statement;
        let ch = &pending.challenge;
        let fail = |reason: Reason, detail: &str| Err((reason, detail.to_string()));
        if st.action != ch.action {
            return fail(
                Reason::WrongAction,
                &format!("issued {}, answered {}", ch.action.name(), st.action.name()),
            );
        }
        if st.digest != ch.digest {
            return fail(Reason::WrongDigest, "the digest is not the one issued");
        }
        if st.nonce != ch.nonce {
            return fail(Reason::WrongNonce, "the nonce is not the one issued");
        }
        if ch.is_expired(now) {
            return fail(Reason::Expired, "the QR code expired");
        }
        if st.display_hash != sm3(display_text(ch, &self.config.platform_name).as_bytes()) {
            return fail(
                Reason::Misdirected,
                "the phone did not display this platform's request",
            );
        }
        let cert = Certificate::from_der(&resp.certificate)
            .map_err(|e| (Reason::Malformed, format!("certificate: {e}")))?;
        if cert.serial() != st.cert_serial.as_slice() {
            return fail(
                Reason::BadSignature,
                "the statement names another certificate",
            );
        }
        self.check_chain(&cert, now)?;
        match cert.key_usage() {
            Ok(Some(ku)) if !(ku.digital_signature || ku.non_repudiation) => {
                return fail(
                    Reason::WrongKeyUsage,
                    &format!("keyUsage {} may not sign", ku.names().join(",")),
                );
            }
            Err(e) => return fail(Reason::Malformed, &e.to_string()),
            _ => {}
        }
        let sig = Signature::from_der(&resp.signature)
            .map_err(|e| (Reason::BadSignature, e.to_string()))?;
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
            return fail(
                Reason::BadSignature,
                "the statement's signature does not verify",
            );
        }
        if st.payload_hash != sm3(resp.payload.as_deref().unwrap_or_default()) {
            return fail(Reason::BadSignature, "the payload is not the one signed");
        }
        let outcome = self
            .check_payload(pending, resp, &cert, now)
            .map_err(|detail| (Reason::BadPayload, detail))?;
        Ok((cert, outcome))
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
