//! The certificate lifecycle as a state machine with history, and a CA
//! that keeps a record of everything it issued.
//!
//! ```text
//!            freeze              revoke(reason)
//!   Active ─────────▶ Frozen ──────────────────▶ Revoked(reason)
//!     ▲  ◀───────────   │                         │  only: reason → keyCompromise
//!     │    unfreeze     │                         ▼
//!     └──────── revoke(reason) ───────────────▶ Revoked
//! ```
//!
//! Expiry is derived from notAfter, not stored: an expired certificate
//! cannot be frozen or unfrozen (it can still be revoked). Users see
//! three statuses ([`UserStatus`]): normal, frozen, invalid (正常 / 冻结 /
//! 失效). Extension (延期) issues a new certificate with a new serial for
//! the same key, its validity continuing from the old one's end; rekey
//! issues one for a new key and revokes the old as superseded; re-issue
//! after a change of the holder's data does the same with the new data.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use super::certificate::Certificate;
use super::crl::{CrlEntry, RevocationReason};
use super::issue::{CertificateAuthority, EndEntityRequest};
use super::profile::Holder;
use crate::crypto::PublicKey;
use crate::error::{Error, Result};

/// The stored state of a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum CertState {
    /// In force.
    Active,
    /// On hold (certificateHold); can be unfrozen.
    Frozen {
        /// Since when.
        since: SystemTime,
    },
    /// Revoked for good.
    Revoked {
        /// Reason code (RFC 5280).
        #[serde(with = "reason_serde")]
        reason: RevocationReason,
        /// When.
        at: SystemTime,
    },
}

mod reason_serde {
    use super::RevocationReason;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(r: &RevocationReason, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(r.name())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<RevocationReason, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What users see (正常 / 冻结 / 失效).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// 正常: active and within its validity.
    Normal,
    /// 冻结: frozen.
    Frozen,
    /// 失效: revoked, expired or not yet valid.
    Invalid,
}

impl UserStatus {
    /// The app's label.
    pub fn label_zh(self) -> &'static str {
        match self {
            UserStatus::Normal => "正常",
            UserStatus::Frozen => "冻结",
            UserStatus::Invalid => "失效",
        }
    }
}

/// One event in a certificate's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum HistoryEvent {
    /// Issued.
    Issued,
    /// Frozen.
    Frozen,
    /// Unfrozen.
    Unfrozen,
    /// Revoked with a reason.
    Revoked {
        /// The reason's RFC 5280 name.
        reason: String,
    },
    /// An existing revocation's reason raised to keyCompromise.
    ReasonUpgraded,
    /// Extended: the certificate that continues it.
    ExtendedBy {
        /// Serial (hex) of the new certificate.
        serial: String,
    },
    /// Replaced by a certificate for a new key.
    RekeyedBy {
        /// Serial (hex) of the new certificate.
        serial: String,
    },
    /// Replaced after a change of the holder's data.
    ReissuedBy {
        /// Serial (hex) of the new certificate.
        serial: String,
    },
    /// Issued as the continuation of an earlier certificate.
    Continues {
        /// Serial (hex) of the earlier certificate.
        serial: String,
    },
}

/// A dated history entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When.
    pub at: SystemTime,
    /// What.
    #[serde(flatten)]
    pub event: HistoryEvent,
}

/// What the CA remembers of one issued certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRecord {
    /// Serial, upper-case hex.
    pub serial: String,
    /// Subject, RFC 4514.
    pub subject: String,
    /// The certificate, PEM.
    pub pem: String,
    /// Validity start.
    pub not_before: SystemTime,
    /// Validity end.
    pub not_after: SystemTime,
    /// Current state.
    pub state: CertState,
    /// Everything that happened to it.
    pub history: Vec<HistoryEntry>,
}

impl CertRecord {
    /// A new active record for `cert`.
    pub fn new(cert: &Certificate, at: SystemTime) -> Self {
        Self {
            serial: cert.serial_hex(),
            subject: cert.subject(),
            pem: cert.to_pem(),
            not_before: cert.not_before(),
            not_after: cert.not_after(),
            state: CertState::Active,
            history: vec![HistoryEntry {
                at,
                event: HistoryEvent::Issued,
            }],
        }
    }

    /// The certificate.
    pub fn certificate(&self) -> Result<Certificate> {
        Certificate::from_pem(self.pem.as_bytes())
    }

    /// True when `at` is past notAfter.
    pub fn is_expired(&self, at: SystemTime) -> bool {
        at > self.not_after
    }

    /// A name for the current state, for errors and display.
    pub fn state_name(&self, at: SystemTime) -> String {
        match self.state {
            CertState::Active if self.is_expired(at) => "expired".into(),
            CertState::Active => "active".into(),
            CertState::Frozen { .. } => "frozen".into(),
            CertState::Revoked { reason, .. } => format!("revoked ({reason})"),
        }
    }

    /// What users see at `at`.
    pub fn user_status(&self, at: SystemTime) -> UserStatus {
        match self.state {
            CertState::Revoked { .. } => UserStatus::Invalid,
            _ if at < self.not_before || self.is_expired(at) => UserStatus::Invalid,
            CertState::Frozen { .. } => UserStatus::Frozen,
            CertState::Active => UserStatus::Normal,
        }
    }

    fn refuse(&self, action: &'static str, at: SystemTime) -> Error {
        Error::InvalidState {
            entity: "certificate",
            state: self.state_name(at),
            action,
        }
    }

    /// Active → Frozen.
    pub fn freeze(&mut self, at: SystemTime) -> Result<()> {
        match self.state {
            CertState::Active if !self.is_expired(at) => {
                self.state = CertState::Frozen { since: at };
                self.history.push(HistoryEntry {
                    at,
                    event: HistoryEvent::Frozen,
                });
                Ok(())
            }
            _ => Err(self.refuse("freeze", at)),
        }
    }

    /// Frozen → Active.
    pub fn unfreeze(&mut self, at: SystemTime) -> Result<()> {
        match self.state {
            CertState::Frozen { .. } if !self.is_expired(at) => {
                self.state = CertState::Active;
                self.history.push(HistoryEntry {
                    at,
                    event: HistoryEvent::Unfrozen,
                });
                Ok(())
            }
            _ => Err(self.refuse("unfreeze", at)),
        }
    }

    /// Active/Frozen → Revoked(reason); Revoked → Revoked(keyCompromise)
    /// as the only change after revocation. certificateHold is not a
    /// revocation reason here: use [`Self::freeze`].
    pub fn revoke(&mut self, reason: RevocationReason, at: SystemTime) -> Result<()> {
        if reason == RevocationReason::CertificateHold {
            return Err(Error::param(
                "reason",
                "certificateHold is a freeze, not a revocation",
            ));
        }
        match self.state {
            CertState::Active | CertState::Frozen { .. } => {
                self.state = CertState::Revoked { reason, at };
                self.history.push(HistoryEntry {
                    at,
                    event: HistoryEvent::Revoked {
                        reason: reason.name().into(),
                    },
                });
                Ok(())
            }
            CertState::Revoked {
                reason: old,
                at: when,
            } if reason == RevocationReason::KeyCompromise
                && old != RevocationReason::KeyCompromise =>
            {
                // The revocation date stays; the reason becomes stronger.
                self.state = CertState::Revoked { reason, at: when };
                self.history.push(HistoryEntry {
                    at,
                    event: HistoryEvent::ReasonUpgraded,
                });
                Ok(())
            }
            CertState::Revoked { .. } => Err(self.refuse("revoke", at)),
        }
    }

    /// The CRL entry for this record, if it belongs on a CRL.
    pub fn crl_entry(&self) -> Result<Option<CrlEntry>> {
        let serial = crate::hex::decode(&self.serial)?;
        Ok(match self.state {
            CertState::Active => None,
            CertState::Frozen { since } => Some(CrlEntry {
                serial,
                revoked_at: since,
                reason: RevocationReason::CertificateHold,
            }),
            CertState::Revoked { reason, at } => Some(CrlEntry {
                serial,
                revoked_at: at,
                reason,
            }),
        })
    }
}

/// The answer to a status query by serial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusAnswer {
    /// Serial, upper-case hex.
    pub serial: String,
    /// `good`, `hold`, `revoked` or `expired`.
    pub status: &'static str,
    /// The revocation reason, when revoked.
    pub reason: Option<&'static str>,
    /// When it was revoked or frozen.
    #[serde(serialize_with = "crate::time::serde_rfc3339::serialize_opt")]
    pub since: Option<SystemTime>,
    /// What users see.
    pub user_status: UserStatus,
}

/// A CA with a record of what it issued: issues, changes states, extends,
/// rekeys, re-issues, answers status queries and makes CRLs.
pub struct ManagedCa {
    ca: CertificateAuthority,
    records: BTreeMap<String, CertRecord>,
    crl_number: u64,
}

/// What a [`ManagedCa`] persists besides its key and certificate.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CaState {
    /// Issued certificates by serial (hex).
    pub records: BTreeMap<String, CertRecord>,
    /// The number of the last CRL made.
    pub crl_number: u64,
}

impl ManagedCa {
    /// A CA with no records.
    pub fn new(ca: CertificateAuthority) -> Self {
        Self {
            ca,
            records: BTreeMap::new(),
            crl_number: 0,
        }
    }

    /// A CA with saved records.
    pub fn with_state(ca: CertificateAuthority, state: CaState) -> Self {
        Self {
            ca,
            records: state.records,
            crl_number: state.crl_number,
        }
    }

    /// The records, for saving.
    pub fn state(&self) -> CaState {
        CaState {
            records: self.records.clone(),
            crl_number: self.crl_number,
        }
    }

    /// The CA.
    pub fn authority(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// Every record.
    pub fn records(&self) -> impl Iterator<Item = &CertRecord> {
        self.records.values()
    }

    fn key(serial: &str) -> String {
        serial.trim().trim_start_matches("0x").to_ascii_uppercase()
    }

    /// The record of `serial` (hex).
    pub fn record(&self, serial: &str) -> Result<&CertRecord> {
        self.records
            .get(&Self::key(serial))
            .ok_or_else(|| Error::NotFound {
                what: "certificate serial",
                key: serial.to_string(),
            })
    }

    fn record_mut(&mut self, serial: &str) -> Result<&mut CertRecord> {
        self.records
            .get_mut(&Self::key(serial))
            .ok_or_else(|| Error::NotFound {
                what: "certificate serial",
                key: serial.to_string(),
            })
    }

    fn add(&mut self, cert: &Certificate, at: SystemTime) -> CertRecord {
        let rec = CertRecord::new(cert, at);
        self.records.insert(rec.serial.clone(), rec.clone());
        rec
    }

    /// Issue an end-entity certificate and record it.
    pub fn issue<R: CryptoRng + ?Sized>(
        &mut self,
        req: &EndEntityRequest,
        at: SystemTime,
        rng: &mut R,
    ) -> Result<Certificate> {
        let cert = self.ca.issue(req, rng)?;
        self.add(&cert, at);
        Ok(cert)
    }

    /// Freeze `serial`.
    pub fn freeze(&mut self, serial: &str, at: SystemTime) -> Result<()> {
        self.record_mut(serial)?.freeze(at)
    }

    /// Unfreeze `serial`.
    pub fn unfreeze(&mut self, serial: &str, at: SystemTime) -> Result<()> {
        self.record_mut(serial)?.unfreeze(at)
    }

    /// Revoke `serial`.
    pub fn revoke(&mut self, serial: &str, reason: RevocationReason, at: SystemTime) -> Result<()> {
        self.record_mut(serial)?.revoke(reason, at)
    }

    fn request_from(
        &self,
        cert: &Certificate,
        public_key: PublicKey,
        holder: Option<Holder>,
    ) -> Result<EndEntityRequest> {
        let profile = cert
            .profile_with_oid(self.ca.config().profile_oid)?
            .ok_or_else(|| {
                Error::param(
                    "certificate",
                    "has no profile extension: not issued by this SDK",
                )
            })?;
        let holder = match holder {
            Some(h) => h,
            None => match profile.holder {
                super::profile::HolderKind::Personal => Holder::person(
                    &cert.common_name().unwrap_or_default(),
                    &cert.subject_serial_number().unwrap_or_default(),
                )?,
                super::profile::HolderKind::Enterprise => Holder::enterprise(
                    &cert
                        .organization()
                        .or_else(|| cert.common_name())
                        .unwrap_or_default(),
                    &cert.subject_organization_identifier().unwrap_or_default(),
                )?,
            },
        };
        Ok(EndEntityRequest {
            holder,
            usage: profile.usage,
            medium: profile.medium,
            public_key,
            not_before: SystemTime::UNIX_EPOCH,
            days: 1,
        })
    }

    fn usable_for_successor(
        &self,
        serial: &str,
        at: SystemTime,
        action: &'static str,
    ) -> Result<Certificate> {
        let rec = self.record(serial)?;
        match rec.state {
            CertState::Revoked { .. } => Err(rec.refuse(action, at)),
            _ => rec.certificate(),
        }
    }

    /// Extension (延期): a new certificate, new serial, same key and
    /// holder, valid for `days` from the old one's notAfter (or from `at`
    /// if it has already expired). The old certificate stays as it is.
    pub fn extend<R: CryptoRng + ?Sized>(
        &mut self,
        serial: &str,
        days: u32,
        at: SystemTime,
        rng: &mut R,
    ) -> Result<Certificate> {
        let old = self.usable_for_successor(serial, at, "extend")?;
        let mut req = self.request_from(&old, *old.public_key(), None)?;
        req.not_before = std::cmp::max(old.not_after() + Duration::from_secs(1), at);
        req.days = days;
        let cert = self.ca.issue(&req, rng)?;
        self.link(serial, &cert, at, |s| HistoryEvent::ExtendedBy {
            serial: s,
        })?;
        Ok(cert)
    }

    /// Rekey: a certificate for `new_key`, valid for `days` from `at`; the
    /// old one is revoked as superseded.
    pub fn rekey<R: CryptoRng + ?Sized>(
        &mut self,
        serial: &str,
        new_key: PublicKey,
        days: u32,
        at: SystemTime,
        rng: &mut R,
    ) -> Result<Certificate> {
        let old = self.usable_for_successor(serial, at, "rekey")?;
        if new_key == *old.public_key() {
            return Err(Error::param(
                "new key",
                "rekey needs a different key; use extend for the same key",
            ));
        }
        let mut req = self.request_from(&old, new_key, None)?;
        req.not_before = at;
        req.days = days;
        let cert = self.ca.issue(&req, rng)?;
        self.link(serial, &cert, at, |s| HistoryEvent::RekeyedBy { serial: s })?;
        self.revoke(serial, RevocationReason::Superseded, at)?;
        Ok(cert)
    }

    /// Re-issue after the holder's data changed (e.g. an enterprise's new
    /// name): same key, new subject, valid for `days` from `at`; the old
    /// one is revoked as affiliationChanged.
    pub fn reissue<R: CryptoRng + ?Sized>(
        &mut self,
        serial: &str,
        holder: Holder,
        days: u32,
        at: SystemTime,
        rng: &mut R,
    ) -> Result<Certificate> {
        let old = self.usable_for_successor(serial, at, "re-issue")?;
        let mut req = self.request_from(&old, *old.public_key(), Some(holder))?;
        req.not_before = at;
        req.days = days;
        let cert = self.ca.issue(&req, rng)?;
        self.link(serial, &cert, at, |s| HistoryEvent::ReissuedBy {
            serial: s,
        })?;
        self.revoke(serial, RevocationReason::AffiliationChanged, at)?;
        Ok(cert)
    }

    fn link(
        &mut self,
        old_serial: &str,
        new: &Certificate,
        at: SystemTime,
        event: impl FnOnce(String) -> HistoryEvent,
    ) -> Result<()> {
        let mut rec = self.add(new, at);
        let old_key = Self::key(old_serial);
        rec.history.push(HistoryEntry {
            at,
            event: HistoryEvent::Continues {
                serial: old_key.clone(),
            },
        });
        self.records.insert(rec.serial.clone(), rec.clone());
        self.record_mut(old_serial)?.history.push(HistoryEntry {
            at,
            event: event(rec.serial),
        });
        Ok(())
    }

    /// The status of `serial` at `at`, as a platform would query it.
    pub fn status(&self, serial: &str, at: SystemTime) -> Result<StatusAnswer> {
        let rec = self.record(serial)?;
        let (status, reason, since) = match rec.state {
            CertState::Revoked { reason, at } => ("revoked", Some(reason.name()), Some(at)),
            CertState::Frozen { since } => (
                "hold",
                Some(RevocationReason::CertificateHold.name()),
                Some(since),
            ),
            CertState::Active if rec.is_expired(at) => ("expired", None, None),
            CertState::Active => ("good", None, None),
        };
        Ok(StatusAnswer {
            serial: rec.serial.clone(),
            status,
            reason,
            since,
            user_status: rec.user_status(at),
        })
    }

    /// Make the next CRL: every revoked and frozen certificate, valid from
    /// `at` for `valid_for`.
    pub fn crl<R: CryptoRng + ?Sized>(
        &mut self,
        at: SystemTime,
        valid_for: Duration,
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        let mut entries = Vec::new();
        for rec in self.records.values() {
            if let Some(e) = rec.crl_entry()? {
                entries.push(e);
            }
        }
        let number = self.crl_number + 1;
        let der = self
            .ca
            .sign_crl(number, at, at + valid_for, &entries, rng)?;
        self.crl_number = number;
        Ok(der)
    }
}
