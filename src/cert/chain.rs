//! Chain verification against a platform's trust anchors (its mutually
//! recognised CAs), at a given time.
//!
//! For each certificate from the end entity up, in this order: the
//! signature algorithm is SM2 with SM3; the validity period contains the
//! time; no unknown critical extension; the issuer is found by exact name
//! (and key identifier when both are present) among the intermediates and
//! anchors; the issuer's signature verifies over the raw TBS bytes; the
//! issuer is a CA (basicConstraints), may sign certificates (keyUsage) and
//! its pathLenConstraint is respected; the certificate is not revoked or
//! frozen according to the CRLs and status source given. Finally the
//! end entity's keyUsage must allow the intended use. The first failure is
//! returned as [`Error::Certificate`] naming the certificate and the check.

use std::time::SystemTime;

use super::certificate::{Certificate, UNDERSTOOD_EXTENSIONS};
use super::crl::{Crl, RevocationReason};
use crate::crypto::curve::OID_SM2_WITH_SM3;
use crate::error::{CertCheck, Error, Result};

/// Longest chain accepted (end entity, intermediates, anchor).
pub const MAX_CHAIN_LEN: usize = 8;

/// What the end-entity certificate is about to be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IntendedUse {
    /// Anything: keyUsage is not checked.
    #[default]
    Any,
    /// Signatures: digitalSignature or nonRepudiation.
    Signature,
    /// Encryption: keyEncipherment, dataEncipherment or keyAgreement.
    Encryption,
    /// Issuing certificates: keyCertSign.
    CertSign,
}

/// A revocation answer from a status service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not revoked.
    Good,
    /// Frozen (certificateHold).
    Hold,
    /// Revoked.
    Revoked(RevocationReason),
    /// The source does not know this certificate.
    Unknown,
}

/// Somewhere to ask for a certificate's status (a CA's status query).
pub trait StatusSource {
    /// The status of `cert` at `at`.
    fn status(&self, cert: &Certificate, at: SystemTime) -> RevocationStatus;
}

/// A status source behind a lock (e.g. a CA that keeps changing states
/// while verifiers read it).
impl<T: StatusSource> StatusSource for std::sync::RwLock<T> {
    fn status(&self, cert: &Certificate, at: SystemTime) -> RevocationStatus {
        match self.read() {
            Ok(inner) => inner.status(cert, at),
            Err(_) => RevocationStatus::Unknown,
        }
    }
}

impl StatusSource for super::lifecycle::ManagedCa {
    fn status(&self, cert: &Certificate, at: SystemTime) -> RevocationStatus {
        if cert.issuer_der() != self.authority().certificate().subject_der() {
            return RevocationStatus::Unknown;
        }
        match self.status(&cert.serial_hex(), at) {
            Ok(a) => match a.status {
                "good" | "expired" => RevocationStatus::Good,
                "hold" => RevocationStatus::Hold,
                _ => RevocationStatus::Revoked(
                    a.reason
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(RevocationReason::Unspecified),
                ),
            },
            Err(_) => RevocationStatus::Unknown,
        }
    }
}

/// How to verify.
pub struct VerifyOptions<'a> {
    /// The time to verify at. It may be in the past (a seal's creation, a
    /// signature's signing time): a CRL issued later still answers for it,
    /// and an entry revoked after it (for a reason other than a key
    /// compromise) does not count.
    pub at: SystemTime,
    /// The intended use of the end-entity key.
    pub usage: IntendedUse,
    /// CRLs to consult (each is used only for certificates of its issuer,
    /// after its own signature and freshness check).
    pub crls: &'a [Crl],
    /// A status source to consult.
    pub status: Option<&'a dyn StatusSource>,
    /// Refuse certificates whose status no CRL or source could establish.
    pub require_revocation_check: bool,
}

impl<'a> VerifyOptions<'a> {
    /// Verify at `at` for any use, with no revocation sources.
    pub fn at(at: SystemTime) -> Self {
        Self {
            at,
            usage: IntendedUse::Any,
            crls: &[],
            status: None,
            require_revocation_check: false,
        }
    }
}

/// A verified chain, end entity first, trust anchor last.
#[derive(Debug, Clone)]
pub struct VerifiedChain {
    /// The certificates.
    pub certificates: Vec<Certificate>,
}

fn fail(index: usize, cert: &Certificate, check: CertCheck, detail: impl Into<String>) -> Error {
    Error::Certificate {
        index,
        subject: cert.subject(),
        check,
        detail: detail.into(),
    }
}

fn check_own(index: usize, cert: &Certificate, at: SystemTime) -> Result<()> {
    if cert.signature_algorithm() != OID_SM2_WITH_SM3 {
        return Err(fail(
            index,
            cert,
            CertCheck::SignatureAlgorithm,
            format!("{} is not SM2 with SM3", cert.signature_algorithm()),
        ));
    }
    if at < cert.not_before() {
        return Err(fail(
            index,
            cert,
            CertCheck::NotYetValid,
            "notBefore is after the verification time",
        ));
    }
    if at > cert.not_after() {
        return Err(fail(
            index,
            cert,
            CertCheck::Expired,
            "notAfter is before the verification time",
        ));
    }
    for (oid, critical, _) in cert.extensions() {
        if critical && !UNDERSTOOD_EXTENSIONS.contains(&oid) {
            return Err(fail(
                index,
                cert,
                CertCheck::UnknownCriticalExtension,
                oid.to_string(),
            ));
        }
    }
    Ok(())
}

fn candidate_issuers<'c>(cert: &Certificate, pool: &'c [&'c Certificate]) -> Vec<&'c Certificate> {
    let aki = cert.authority_key_id().ok().flatten();
    pool.iter()
        .copied()
        .filter(|c| c.subject_der() == cert.issuer_der())
        .filter(|c| match (&aki, c.subject_key_id().ok().flatten()) {
            (Some(a), Some(s)) => *a == s,
            _ => true,
        })
        .filter(|c| c.der() != cert.der())
        .collect()
}

/// Verify `leaf` up to one of `anchors`, using `intermediates` (any order).
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    anchors: &[Certificate],
    opts: &VerifyOptions<'_>,
) -> Result<VerifiedChain> {
    let anchor_refs: Vec<&Certificate> = anchors.iter().collect();
    let mut pool: Vec<&Certificate> = anchors.iter().collect();
    pool.extend(intermediates.iter());
    let mut path: Vec<Certificate> = vec![leaf.clone()];
    loop {
        let index = path.len() - 1;
        let current = path[index].clone();
        check_own(index, &current, opts.at)?;
        if anchor_refs.iter().any(|a| a.der() == current.der()) {
            break;
        }
        if path.len() >= MAX_CHAIN_LEN {
            return Err(fail(
                index,
                &current,
                CertCheck::ChainTooLong,
                format!("more than {MAX_CHAIN_LEN} certificates"),
            ));
        }
        let candidates = candidate_issuers(&current, &pool);
        if candidates.is_empty() {
            let check = if current.is_self_issued() {
                CertCheck::UntrustedRoot
            } else {
                CertCheck::IssuerNotFound
            };
            return Err(fail(
                index,
                &current,
                check,
                format!("issuer {} is not known or trusted", current.issuer()),
            ));
        }
        let issuer = candidates
            .iter()
            .find(|c| current.verify_signed_by(c.public_key()).is_ok())
            .ok_or_else(|| {
                fail(
                    index,
                    &current,
                    CertCheck::Signature,
                    format!(
                        "no certificate of {} verifies its signature",
                        current.issuer()
                    ),
                )
            })?;
        if path.iter().any(|p| p.der() == issuer.der()) {
            return Err(fail(
                index,
                &current,
                CertCheck::IssuerNotFound,
                "the issuer chain loops",
            ));
        }
        let issuer_index = index + 1;
        if !issuer.is_ca() {
            return Err(fail(
                issuer_index,
                issuer,
                CertCheck::NotCa,
                "basicConstraints cA is not TRUE",
            ));
        }
        match issuer.key_usage() {
            Ok(Some(ku)) if !ku.key_cert_sign => {
                return Err(fail(
                    issuer_index,
                    issuer,
                    CertCheck::KeyUsage,
                    "keyUsage lacks keyCertSign",
                ));
            }
            Err(e) => return Err(fail(issuer_index, issuer, CertCheck::Parse, e.to_string())),
            _ => {}
        }
        if let Ok(Some((_, Some(max)))) = issuer.basic_constraints() {
            // Non-self-issued CA certificates between the issuer and the leaf.
            let below = path[1..].iter().filter(|c| !c.is_self_issued()).count();
            if below > usize::from(max) {
                return Err(fail(
                    issuer_index,
                    issuer,
                    CertCheck::PathLength,
                    format!("pathLenConstraint {max} but {below} CA certificates follow"),
                ));
            }
        }
        check_revocation(index, &current, issuer, opts)?;
        path.push((*issuer).clone());
    }
    check_leaf_usage(leaf, opts.usage)?;
    Ok(VerifiedChain { certificates: path })
}

fn check_revocation(
    index: usize,
    cert: &Certificate,
    issuer: &Certificate,
    opts: &VerifyOptions<'_>,
) -> Result<()> {
    let mut known = false;
    for crl in opts
        .crls
        .iter()
        .filter(|c| c.issuer_der() == issuer.subject_der())
    {
        // Verifying at a past time (a seal's creation, a signature's
        // signing time) uses the CRL the platform holds now, issued after
        // that time: it speaks for the past too, so it is checked at its
        // own thisUpdate rather than refused as "from the future".
        crl.verify(issuer, opts.at.max(crl.this_update()))
            .map_err(|e| fail(index, cert, CertCheck::RevocationUnknown, e.to_string()))?;
        known = true;
        if let Some(entry) = crl.find_at(cert.serial(), opts.at) {
            return Err(match entry.reason {
                RevocationReason::CertificateHold => fail(
                    index,
                    cert,
                    CertCheck::Frozen,
                    "on hold in the issuer's CRL",
                ),
                r => fail(
                    index,
                    cert,
                    CertCheck::Revoked,
                    format!("revoked ({r}) in the issuer's CRL"),
                ),
            });
        }
    }
    if let Some(source) = opts.status {
        match source.status(cert, opts.at) {
            RevocationStatus::Good => known = true,
            RevocationStatus::Hold => {
                return Err(fail(
                    index,
                    cert,
                    CertCheck::Frozen,
                    "the status service says on hold",
                ));
            }
            RevocationStatus::Revoked(r) => {
                return Err(fail(
                    index,
                    cert,
                    CertCheck::Revoked,
                    format!("the status service says revoked ({r})"),
                ));
            }
            RevocationStatus::Unknown => {}
        }
    }
    if opts.require_revocation_check && !known {
        return Err(fail(
            index,
            cert,
            CertCheck::RevocationUnknown,
            "no CRL or status answer for this certificate",
        ));
    }
    Ok(())
}

fn check_leaf_usage(leaf: &Certificate, usage: IntendedUse) -> Result<()> {
    let ku = match leaf.key_usage() {
        Ok(Some(ku)) => ku,
        Ok(None) => return Ok(()),
        Err(e) => return Err(fail(0, leaf, CertCheck::Parse, e.to_string())),
    };
    let ok = match usage {
        IntendedUse::Any => true,
        IntendedUse::Signature => ku.digital_signature || ku.non_repudiation,
        IntendedUse::Encryption => ku.key_encipherment || ku.data_encipherment || ku.key_agreement,
        IntendedUse::CertSign => ku.key_cert_sign,
    };
    if ok {
        Ok(())
    } else {
        Err(fail(
            0,
            leaf,
            CertCheck::KeyUsage,
            format!("keyUsage {} does not allow {usage:?}", ku.names().join(",")),
        ))
    }
}
