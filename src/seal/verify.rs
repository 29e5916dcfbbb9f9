//! Verifying seals and signatures into a step report: each step passed,
//! failed or skipped, with why. Every signature is checked over the bytes
//! as stored; nothing is re-encoded first.

use std::time::SystemTime;

use serde::Serialize;

use super::stamp::seal_lists_certificate;
use super::types::{Seal, SealSignature};
use crate::cert::chain::{StatusSource, VerifyOptions, verify_chain};
use crate::cert::{Certificate, Crl, IntendedUse};
use crate::crypto::curve::OID_SM2_WITH_SM3;
use crate::crypto::{DEFAULT_USER_ID, Signature, sm3};
use crate::error::{Error, Result};

/// The outcome of one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "detail", rename_all = "snake_case")]
pub enum StepStatus {
    /// The check passed.
    Passed,
    /// The check failed, and why.
    Failed(String),
    /// The check was not run, and why.
    Skipped(String),
}

/// One step of a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Its name (stable, e.g. `seal_signature`).
    pub step: &'static str,
    /// Its outcome.
    #[serde(flatten)]
    pub status: StepStatus,
}

/// A verification report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when no step failed.
    pub valid: bool,
    /// The steps, in the order they ran.
    pub steps: Vec<Step>,
}

impl VerifyReport {
    fn new() -> Self {
        Self {
            valid: true,
            steps: Vec::new(),
        }
    }

    fn push(&mut self, step: &'static str, status: StepStatus) {
        if matches!(status, StepStatus::Failed(_)) {
            self.valid = false;
        }
        self.steps.push(Step { step, status });
    }

    fn check(&mut self, step: &'static str, r: Result<()>) {
        self.push(
            step,
            match r {
                Ok(()) => StepStatus::Passed,
                Err(e) => StepStatus::Failed(e.to_string()),
            },
        );
    }

    /// The status of `step`, if it ran.
    pub fn status(&self, step: &str) -> Option<&StepStatus> {
        self.steps
            .iter()
            .find(|s| s.step == step)
            .map(|s| &s.status)
    }

    /// The names of the failed steps.
    pub fn failed(&self) -> Vec<&'static str> {
        self.steps
            .iter()
            .filter(|s| matches!(s.status, StepStatus::Failed(_)))
            .map(|s| s.step)
            .collect()
    }
}

/// What to verify against.
#[derive(Default)]
pub struct SealVerifyOptions<'a> {
    /// Trust anchors for the maker's (and signer's) certificate chains;
    /// none means the chain steps are skipped.
    pub anchors: &'a [Certificate],
    /// Intermediate certificates to build chains with.
    pub intermediates: &'a [Certificate],
    /// CRLs for the chains.
    pub crls: &'a [Crl],
    /// A status source for the chains.
    pub status: Option<&'a dyn StatusSource>,
}

fn check_sig(
    alg: &der::asn1::ObjectIdentifier,
    sig: &[u8],
    signed: &[u8],
    cert: &Certificate,
) -> Result<()> {
    if *alg != OID_SM2_WITH_SM3 {
        return Err(Error::UnsupportedAlgorithm {
            what: "signature algorithm",
            oid: alg.to_string(),
        });
    }
    crate::verify::verify(
        cert.public_key(),
        DEFAULT_USER_ID,
        signed,
        &Signature::from_der_or_raw(sig)?,
    )
}

fn valid_at(cert: &Certificate, at: SystemTime, what: &str) -> Result<()> {
    if cert.is_valid_at(at) {
        Ok(())
    } else {
        Err(Error::param(
            "validity",
            format!(
                "{what} {} is valid {} to {}, not at {}",
                cert.subject(),
                crate::time::format_rfc3339(cert.not_before()),
                crate::time::format_rfc3339(cert.not_after()),
                crate::time::format_rfc3339(at)
            ),
        ))
    }
}

fn chain_step(
    report: &mut VerifyReport,
    step: &'static str,
    cert: Option<&Certificate>,
    at: SystemTime,
    usage: IntendedUse,
    opts: &SealVerifyOptions<'_>,
) {
    let Some(cert) = cert else {
        report.push(
            step,
            StepStatus::Skipped("the certificate could not be read".into()),
        );
        return;
    };
    if opts.anchors.is_empty() {
        report.push(step, StepStatus::Skipped("no trust anchors given".into()));
        return;
    }
    let vo = VerifyOptions {
        at,
        usage,
        crls: opts.crls,
        status: opts.status,
        require_revocation_check: false,
    };
    report.check(
        step,
        verify_chain(cert, opts.intermediates, opts.anchors, &vo).map(|_| ()),
    );
}

fn seal_steps(
    report: &mut VerifyReport,
    seal: &Seal,
    opts: &SealVerifyOptions<'_>,
) -> Option<Certificate> {
    let maker = Certificate::from_der(&seal.maker_cert);
    match &maker {
        Ok(m) => report.check(
            "seal_signature",
            check_sig(&seal.sign_alg, &seal.signature, &seal.signed_bytes, m),
        ),
        Err(e) => report.push(
            "seal_signature",
            StepStatus::Failed(format!("maker certificate: {e}")),
        ),
    }
    let maker = maker.ok();
    let created = seal.info.property.create_date;
    chain_step(
        report,
        "maker_chain",
        maker.as_ref(),
        created,
        IntendedUse::Signature,
        opts,
    );
    match &maker {
        Some(m) => report.check(
            "maker_cert_validity",
            valid_at(m, created, "maker certificate at seal creation"),
        ),
        None => report.push(
            "maker_cert_validity",
            StepStatus::Skipped("the certificate could not be read".into()),
        ),
    }
    maker
}

fn period(seal: &Seal, at: SystemTime) -> Result<()> {
    let p = &seal.info.property;
    if at < p.valid_start || at > p.valid_end {
        Err(Error::param(
            "seal validity",
            format!(
                "the seal is valid {} to {}, not at {}",
                crate::time::format_rfc3339(p.valid_start),
                crate::time::format_rfc3339(p.valid_end),
                crate::time::format_rfc3339(at)
            ),
        ))
    } else {
        Ok(())
    }
}

/// Verify a seal on its own at `at`: the maker's signature, the maker's
/// chain (at the seal's creation), the maker certificate's validity at
/// creation, and the seal's validity period at `at`.
pub fn verify_seal(seal: &Seal, at: SystemTime, opts: &SealVerifyOptions<'_>) -> VerifyReport {
    let mut report = VerifyReport::new();
    seal_steps(&mut report, seal, opts);
    report.check("seal_validity", period(seal, at));
    report
}

/// Verify a signature: the document signature, the signer in the seal's
/// list, the seal signature, the maker's chain and certificate validity,
/// the seal's validity at the signing time, the signer certificate's
/// validity (and chain, with anchors) at the signing time, and the
/// document digest when `document` is given.
pub fn verify_signature(
    sig: &SealSignature,
    document: Option<&[u8]>,
    opts: &SealVerifyOptions<'_>,
) -> VerifyReport {
    let mut report = VerifyReport::new();
    let signer = Certificate::from_der(&sig.signer_cert);
    match &signer {
        Ok(s) => report.check(
            "signature",
            check_sig(&sig.sign_alg, &sig.signature, &sig.tbs_raw, s),
        ),
        Err(e) => report.push(
            "signature",
            StepStatus::Failed(format!("signer certificate: {e}")),
        ),
    }
    let listed = seal_lists_certificate(&sig.seal, &sig.signer_cert);
    report.check(
        "signer_in_seal",
        if listed {
            Ok(())
        } else {
            Err(Error::param(
                "signer",
                "the signer's certificate is not in the seal's list",
            ))
        },
    );
    seal_steps(&mut report, &sig.seal, opts);
    report.check("seal_validity", period(&sig.seal, sig.time));
    match &signer {
        Ok(s) => report.check(
            "signer_cert_validity",
            valid_at(s, sig.time, "signer certificate at signing"),
        ),
        Err(_) => report.push(
            "signer_cert_validity",
            StepStatus::Skipped("the certificate could not be read".into()),
        ),
    }
    chain_step(
        &mut report,
        "signer_chain",
        signer.as_ref().ok(),
        sig.time,
        IntendedUse::Signature,
        opts,
    );
    match document {
        Some(doc) => {
            let ok = sm3(doc).as_slice() == sig.data_hash.as_slice();
            report.check(
                "document_digest",
                if ok {
                    Ok(())
                } else {
                    Err(Error::param(
                        "dataHash",
                        format!(
                            "SM3 of the document is {}, the signature says {}",
                            crate::hex::encode(&sm3(doc)),
                            crate::hex::encode(&sig.data_hash)
                        ),
                    ))
                },
            );
        }
        None => report.push(
            "document_digest",
            StepStatus::Skipped("no document given".into()),
        ),
    }
    report
}
