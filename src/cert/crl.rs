//! Certificate revocation lists (RFC 5280 §5): making them (CRL number,
//! next update, reason codes, certificateHold for frozen certificates) and
//! checking them (signature over the raw TBS bytes, issuer, freshness).

use std::time::SystemTime;

use der::asn1::{BitString, ObjectIdentifier};
use der::{Decode, Encode};
use rand_core::CryptoRng;
use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use super::certificate::{Certificate, OID_EXT_AKI, SignedParts, verify_sm2_with_sm3};
use super::issue::{CertificateAuthority, aki_value, ext};
use crate::asn1;
use crate::crypto::curve::OID_SM2_WITH_SM3;
use crate::crypto::sign::DEFAULT_USER_ID;
use crate::error::{Error, Result};
use crate::pem;

/// PEM label of CRLs.
pub const PEM_CRL: &str = "X509 CRL";

const OID_CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
const OID_CRL_REASON: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");

/// RFC 5280 revocation reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RevocationReason {
    /// unspecified (0)
    Unspecified,
    /// keyCompromise (1)
    KeyCompromise,
    /// cACompromise (2)
    CaCompromise,
    /// affiliationChanged (3)
    AffiliationChanged,
    /// superseded (4)
    Superseded,
    /// cessationOfOperation (5)
    CessationOfOperation,
    /// certificateHold (6): a frozen certificate.
    CertificateHold,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn,
    /// aACompromise (10)
    AaCompromise,
}

impl RevocationReason {
    /// True for the reasons that say the key itself was compromised
    /// (keyCompromise, cACompromise, aACompromise): then nothing signed
    /// with it can be trusted, whatever time it claims.
    pub fn is_compromise(self) -> bool {
        matches!(
            self,
            RevocationReason::KeyCompromise
                | RevocationReason::CaCompromise
                | RevocationReason::AaCompromise
        )
    }

    const ALL: [(RevocationReason, u8, &'static str); 9] = [
        (RevocationReason::Unspecified, 0, "unspecified"),
        (RevocationReason::KeyCompromise, 1, "keyCompromise"),
        (RevocationReason::CaCompromise, 2, "cACompromise"),
        (
            RevocationReason::AffiliationChanged,
            3,
            "affiliationChanged",
        ),
        (RevocationReason::Superseded, 4, "superseded"),
        (
            RevocationReason::CessationOfOperation,
            5,
            "cessationOfOperation",
        ),
        (RevocationReason::CertificateHold, 6, "certificateHold"),
        (
            RevocationReason::PrivilegeWithdrawn,
            9,
            "privilegeWithdrawn",
        ),
        (RevocationReason::AaCompromise, 10, "aACompromise"),
    ];

    /// The CRLReason code.
    pub fn code(self) -> u8 {
        Self::ALL
            .iter()
            .find(|(r, _, _)| *r == self)
            .map(|(_, c, _)| *c)
            .unwrap_or(0)
    }

    /// From a CRLReason code.
    pub fn from_code(code: u8) -> Result<Self> {
        Self::ALL
            .iter()
            .find(|(_, c, _)| *c == code)
            .map(|(r, _, _)| *r)
            .ok_or_else(|| Error::malformed("CRL reason", format!("unknown code {code}")))
    }

    /// The RFC 5280 name (as OpenSSL's `-crl_reason` takes it).
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(r, _, _)| *r == self)
            .map(|(_, _, n)| *n)
            .unwrap_or("unspecified")
    }
}

impl std::str::FromStr for RevocationReason {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .iter()
            .find(|(_, _, n)| n.eq_ignore_ascii_case(s))
            .map(|(r, _, _)| *r)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|(_, _, n)| *n).collect();
                Error::param(
                    "reason",
                    format!("{s:?}; expected one of {}", names.join(", ")),
                )
            })
    }
}

impl std::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry to put on a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlEntry {
    /// Serial number bytes.
    pub serial: Vec<u8>,
    /// When it was revoked or frozen.
    pub revoked_at: SystemTime,
    /// Why (`CertificateHold` for a frozen certificate).
    pub reason: RevocationReason,
}

fn time(t: SystemTime) -> Result<Time> {
    Time::try_from(t).map_err(|e| Error::param("time", e.to_string()))
}

impl CertificateAuthority {
    /// Make and sign a CRL (version 2, with CRL number and the issuer's key
    /// identifier; each entry with its reason code).
    pub fn sign_crl<R: CryptoRng + ?Sized>(
        &self,
        crl_number: u64,
        this_update: SystemTime,
        next_update: SystemTime,
        entries: &[CrlEntry],
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        if next_update <= this_update {
            return Err(Error::param("next_update", "must be after this_update"));
        }
        let issuer_kid = self.key_id()?;
        let mut revoked: Vec<RevokedCert> = Vec::new();
        for e in entries {
            let reason = asn1::tlv(0x0a, &[e.reason.code()]);
            revoked.push(RevokedCert {
                serial_number: SerialNumber::new(&e.serial)
                    .map_err(|err| Error::malformed("serial", err))?,
                revocation_date: time(e.revoked_at)?,
                crl_entry_extensions: Some(vec![ext(OID_CRL_REASON, false, reason)?]),
            });
        }
        let tbs = TbsCertList {
            version: x509_cert::Version::V2,
            signature: spki::AlgorithmIdentifierOwned {
                oid: OID_SM2_WITH_SM3,
                parameters: None,
            },
            issuer: self
                .certificate()
                .x509()
                .tbs_certificate()
                .subject()
                .clone(),
            this_update: time(this_update)?,
            next_update: Some(time(next_update)?),
            revoked_certificates: if revoked.is_empty() {
                None
            } else {
                Some(revoked)
            },
            crl_extensions: Some(vec![
                ext(OID_CRL_NUMBER, false, asn1::uint(&crl_number.to_be_bytes()))?,
                ext(OID_EXT_AKI, false, aki_value(&issuer_kid))?,
            ]),
        };
        let tbs_der = tbs.to_der().map_err(|e| Error::malformed("CRL", e))?;
        let sig = self.key().sign(DEFAULT_USER_ID, &tbs_der, rng)?.to_der();
        let list = CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: spki::AlgorithmIdentifierOwned {
                oid: OID_SM2_WITH_SM3,
                parameters: None,
            },
            signature: BitString::from_bytes(&sig).map_err(|e| Error::malformed("CRL", e))?,
        };
        list.to_der().map_err(|e| Error::malformed("CRL", e))
    }
}

/// A parsed CRL, keeping the exact TBS bytes.
#[derive(Clone)]
pub struct Crl {
    der: Vec<u8>,
    tbs: std::ops::Range<usize>,
    signature_algorithm: ObjectIdentifier,
    signature: Vec<u8>,
    inner: CertificateList,
}

impl std::fmt::Debug for Crl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crl")
            .field("issuer", &self.issuer())
            .field("entries", &self.entries().len())
            .finish()
    }
}

impl Crl {
    /// Parse DER.
    pub fn from_der(der_bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "CRL";
        let signed = SignedParts::parse(WHAT, "tbsCertList", der_bytes)?;
        let tbs_full = &der_bytes[signed.tbs.clone()];
        // x509-cert requires the version, which RFC 5280 makes optional
        // (v1 CRLs omit it): parse a copy with an explicit v1 version for
        // the fields; signatures are still checked over the bytes received.
        let inner = match CertificateList::from_der(der_bytes) {
            Ok(list) => list,
            Err(e) => {
                let mut r = asn1::Reader::new(WHAT, tbs_full);
                let (_, _, tbs_content) = r.any()?;
                if tbs_content.first() == Some(&asn1::TAG_INTEGER) {
                    return Err(Error::malformed(WHAT, e));
                }
                let patched_tbs = asn1::tlv(
                    asn1::TAG_SEQUENCE,
                    &[&[0x02, 0x01, 0x00][..], tbs_content].concat(),
                );
                let rest = &der_bytes[signed.tbs.end..];
                let patched =
                    asn1::tlv(asn1::TAG_SEQUENCE, &[patched_tbs.as_slice(), rest].concat());
                CertificateList::from_der(&patched).map_err(|_| Error::malformed(WHAT, e))?
            }
        };
        if inner.signature_algorithm != inner.tbs_cert_list.signature {
            return Err(Error::malformed(
                WHAT,
                "the outer signature algorithm differs from the one in tbsCertList",
            ));
        }
        Ok(Self {
            der: der_bytes.to_vec(),
            tbs: signed.tbs,
            signature_algorithm: signed.algorithm,
            signature: signed.signature,
            inner,
        })
    }

    /// Parse PEM (`X509 CRL`) or DER.
    pub fn from_any(data: &[u8]) -> Result<Self> {
        if pem::is_pem(data) {
            let block = pem::parse_all(data)?
                .into_iter()
                .find(|b| b.label == PEM_CRL)
                .ok_or_else(|| Error::malformed("CRL PEM", "no X509 CRL block"))?;
            Self::from_der(&block.der)
        } else {
            Self::from_der(data)
        }
    }

    /// DER as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM.
    pub fn to_pem(&self) -> String {
        pem::encode(PEM_CRL, &self.der)
    }

    /// The exact TBSCertList bytes that were signed.
    pub fn tbs_bytes(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    /// Issuer in RFC 4514 form.
    pub fn issuer(&self) -> String {
        super::certificate::name_to_string(&self.inner.tbs_cert_list.issuer)
    }

    /// DER of the issuer Name.
    pub fn issuer_der(&self) -> Vec<u8> {
        self.inner.tbs_cert_list.issuer.to_der().unwrap_or_default()
    }

    /// thisUpdate.
    pub fn this_update(&self) -> SystemTime {
        self.inner.tbs_cert_list.this_update.to_system_time()
    }

    /// nextUpdate, if any.
    pub fn next_update(&self) -> Option<SystemTime> {
        self.inner
            .tbs_cert_list
            .next_update
            .map(|t| t.to_system_time())
    }

    /// The CRL number, if present.
    pub fn number(&self) -> Option<u64> {
        let exts = self.inner.tbs_cert_list.crl_extensions.as_ref()?;
        let e = exts.iter().find(|e| e.extn_id == OID_CRL_NUMBER)?;
        let mut r = asn1::Reader::new("CRL number", e.extn_value.as_bytes());
        r.uint_fixed::<8>("crlNumber").ok().map(u64::from_be_bytes)
    }

    /// Every entry: serial, date, reason (unspecified when absent).
    pub fn entries(&self) -> Vec<CrlEntry> {
        let Some(list) = &self.inner.tbs_cert_list.revoked_certificates else {
            return Vec::new();
        };
        list.iter()
            .map(|rc| {
                let reason = rc
                    .crl_entry_extensions
                    .as_ref()
                    .and_then(|exts| exts.iter().find(|e| e.extn_id == OID_CRL_REASON))
                    .and_then(|e| match e.extn_value.as_bytes() {
                        [0x0a, 0x01, code] => RevocationReason::from_code(*code).ok(),
                        _ => None,
                    })
                    .unwrap_or(RevocationReason::Unspecified);
                CrlEntry {
                    serial: super::certificate::strip_leading_zeros(rc.serial_number.as_bytes())
                        .to_vec(),
                    revoked_at: rc.revocation_date.to_system_time(),
                    reason,
                }
            })
            .collect()
    }

    /// The entry for `serial`, if listed.
    pub fn find(&self, serial: &[u8]) -> Option<CrlEntry> {
        self.entries().into_iter().find(|e| e.serial == serial)
    }

    /// The entry for `serial` that holds at `at`: one revoked or frozen at
    /// or before `at`, or at any time for a key compromise (a compromised
    /// key can claim any time). An entry dated after `at` means the
    /// certificate was good then.
    pub fn find_at(&self, serial: &[u8], at: SystemTime) -> Option<CrlEntry> {
        self.find(serial)
            .filter(|e| e.revoked_at <= at || e.reason.is_compromise())
    }

    /// Check that `issuer` issued this CRL (names match, signature over the
    /// TBS bytes verifies, keyUsage allows cRLSign when present) and that it
    /// is current at `at` (thisUpdate ≤ at ≤ nextUpdate).
    pub fn verify(&self, issuer: &Certificate, at: SystemTime) -> Result<()> {
        if self.issuer_der() != issuer.subject_der() {
            return Err(Error::Crl(format!(
                "issued by {}, not by {}",
                self.issuer(),
                issuer.subject()
            )));
        }
        if let Ok(Some(ku)) = issuer.key_usage()
            && !ku.crl_sign
        {
            return Err(Error::Crl(format!(
                "{} may not sign CRLs (no cRLSign)",
                issuer.subject()
            )));
        }
        // RFC 5280 5.2/5.3: a CRL with a critical extension (or entry
        // extension) that is not processed must not be used.
        const UNDERSTOOD: [ObjectIdentifier; 2] = [OID_CRL_NUMBER, OID_EXT_AKI];
        if let Some(exts) = &self.inner.tbs_cert_list.crl_extensions
            && let Some(e) = exts
                .iter()
                .find(|e| e.critical && !UNDERSTOOD.contains(&e.extn_id))
        {
            return Err(Error::Crl(format!(
                "critical extension {} is not supported",
                e.extn_id
            )));
        }
        for rc in self
            .inner
            .tbs_cert_list
            .revoked_certificates
            .iter()
            .flatten()
        {
            if let Some(e) = rc
                .crl_entry_extensions
                .iter()
                .flatten()
                .find(|e| e.critical && e.extn_id != OID_CRL_REASON)
            {
                return Err(Error::Crl(format!(
                    "critical entry extension {} is not supported",
                    e.extn_id
                )));
            }
        }
        verify_sm2_with_sm3(
            self.signature_algorithm,
            &self.signature,
            self.tbs_bytes(),
            issuer.public_key(),
        )
        .map_err(|e| Error::Crl(format!("signature: {e}")))?;
        if at < self.this_update() {
            return Err(Error::Crl("thisUpdate is in the future".into()));
        }
        if let Some(next) = self.next_update()
            && at > next
        {
            return Err(Error::Crl("nextUpdate has passed: the CRL is stale".into()));
        }
        Ok(())
    }
}
