//! Issuing SM2 certificates: root CA, intermediate (issuing) CA and end
//! entities, through `x509-cert`'s builder with this SDK's profiles and
//! SM2-with-SM3 signatures in DER (what OpenSSL expects).

use std::time::{Duration, SystemTime};

use der::asn1::{BitString, ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use rand_core::CryptoRng;
use x509_cert::builder::{Builder, CertificateBuilder, profile::BuilderProfile};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::certificate::{
    Certificate, KeyUsageBits, OID_EXT_AKI, OID_EXT_BASIC_CONSTRAINTS, OID_EXT_CRL_DP,
    OID_EXT_EXT_KEY_USAGE, OID_EXT_KEY_USAGE, OID_EXT_SKI,
};
use super::profile::{CertProfile, CertUsage, Holder, Medium, OID_KP_CLIENT_AUTH, OID_YZT_PROFILE};
use crate::asn1;
use crate::crypto::curve::OID_SM2_WITH_SM3;
use crate::crypto::sign::DEFAULT_USER_ID;
use crate::crypto::{PrivateKey, PublicKey, sm3};
use crate::error::{Error, Result};

/// Longest validity accepted for any certificate, in days (30 years).
pub const MAX_VALIDITY_DAYS: u32 = 30 * 366;

const DAY: u64 = 86_400;

/// Settings of an issuing CA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaConfig {
    /// The URI written into the CRL distribution point of issued
    /// certificates, if any.
    pub crl_url: Option<String>,
    /// The OID of the profile extension (see [`super::profile`]).
    pub profile_oid: ObjectIdentifier,
}

impl Default for CaConfig {
    fn default() -> Self {
        Self {
            crl_url: None,
            profile_oid: OID_YZT_PROFILE,
        }
    }
}

/// What an end-entity certificate is issued for.
#[derive(Debug, Clone)]
pub struct EndEntityRequest {
    /// The holder (validated person or enterprise).
    pub holder: Holder,
    /// Signing, encryption or login.
    pub usage: CertUsage,
    /// Phone or USB key.
    pub medium: Medium,
    /// The holder's public key.
    pub public_key: PublicKey,
    /// Start of validity.
    pub not_before: SystemTime,
    /// Validity in days (the package term).
    pub days: u32,
}

/// The key identifier this SDK writes: the first 20 bytes of SM3 over the
/// public key's uncompressed point.
pub fn key_identifier(key: &PublicKey) -> Vec<u8> {
    sm3(&key.to_sec1_bytes(false))[..20].to_vec()
}

/// A CA: its private key and certificate.
#[derive(Clone)]
pub struct CertificateAuthority {
    key: PrivateKey,
    certificate: Certificate,
    config: CaConfig,
}

impl std::fmt::Debug for CertificateAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateAuthority")
            .field("certificate", &self.certificate)
            .field("key", &self.key)
            .finish()
    }
}

struct Profile {
    issuer: Name,
    subject: Name,
    extensions: Vec<Extension>,
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }
    fn get_subject(&self) -> Name {
        self.subject.clone()
    }
    fn build_extensions(
        &self,
        _spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        Ok(self.extensions.clone())
    }
}

/// The builder wants a "signer" for the algorithm identifier and the
/// issuer's SPKI; the signature itself is made by our SM2 code.
struct SignerInfo {
    spki: Vec<u8>,
}

#[derive(Clone)]
struct SpkiDer(Vec<u8>);

impl spki::EncodePublicKey for SpkiDer {
    fn to_public_key_der(&self) -> spki::Result<der::Document> {
        Ok(der::Document::try_from(self.0.as_slice())?)
    }
}

impl signature::Keypair for SignerInfo {
    type VerifyingKey = SpkiDer;
    fn verifying_key(&self) -> SpkiDer {
        SpkiDer(self.spki.clone())
    }
}

impl spki::DynSignatureAlgorithmIdentifier for SignerInfo {
    fn signature_algorithm_identifier(&self) -> spki::Result<spki::AlgorithmIdentifierOwned> {
        Ok(spki::AlgorithmIdentifierOwned {
            oid: OID_SM2_WITH_SM3,
            parameters: None,
        })
    }
}

pub(crate) fn ext(oid: ObjectIdentifier, critical: bool, value: Vec<u8>) -> Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value).map_err(|e| Error::malformed("extension", e))?,
    })
}

/// The authorityKeyIdentifier value naming `kid` (keyIdentifier only).
pub(crate) fn aki_value(kid: &[u8]) -> Vec<u8> {
    asn1::tlv(asn1::TAG_SEQUENCE, &asn1::tlv(0x80, kid))
}

fn basic_constraints(ca: bool, path_len: Option<u8>) -> Vec<u8> {
    let mut content = Vec::new();
    if ca {
        content.extend_from_slice(&[0x01, 0x01, 0xff]);
        if let Some(n) = path_len {
            content.extend(asn1::uint(&[n]));
        }
    }
    asn1::tlv(asn1::TAG_SEQUENCE, &content)
}

/// DER BIT STRING of keyUsage with trailing zero bits removed.
fn key_usage(ku: &KeyUsageBits) -> Vec<u8> {
    let bits = [
        ku.digital_signature,
        ku.non_repudiation,
        ku.key_encipherment,
        ku.data_encipherment,
        ku.key_agreement,
        ku.key_cert_sign,
        ku.crl_sign,
    ];
    let mut byte = 0u8;
    let mut last = None;
    for (i, set) in bits.iter().enumerate() {
        if *set {
            byte |= 0x80 >> i;
            last = Some(i);
        }
    }
    match last {
        None => asn1::tlv(0x03, &[0]),
        Some(i) => asn1::tlv(0x03, &[(7 - i) as u8, byte]),
    }
}

fn crl_distribution_point(uri: &str) -> Vec<u8> {
    let general_name = asn1::tlv(0x86, uri.as_bytes());
    let full_name = asn1::tlv(0xa0, &general_name);
    let dp_name = asn1::tlv(0xa0, &full_name);
    let dp = asn1::tlv(asn1::TAG_SEQUENCE, &dp_name);
    asn1::tlv(asn1::TAG_SEQUENCE, &dp)
}

fn random_serial<R: CryptoRng + ?Sized>(rng: &mut R) -> Result<SerialNumber> {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[0] = (b[0] & 0x7f) | 0x40; // positive, 16 significant bytes
    SerialNumber::new(&b).map_err(|e| Error::malformed("serial number", e))
}

fn validity(not_before: SystemTime, days: u32) -> Result<(SystemTime, SystemTime, Validity)> {
    if days == 0 || days > MAX_VALIDITY_DAYS {
        return Err(Error::param(
            "days",
            format!("{days} is outside 1 to {MAX_VALIDITY_DAYS}"),
        ));
    }
    // Whole seconds: X.509 times carry no fractions.
    let secs = not_before
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| Error::param("not_before", "before 1970"))?
        .as_secs();
    let nb = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let na = nb + Duration::from_secs(u64::from(days) * DAY - 1);
    let t = |s: SystemTime| Time::try_from(s).map_err(|e| Error::param("validity", e.to_string()));
    Ok((nb, na, Validity::new(t(nb)?, t(na)?)))
}

fn spki_of(key: &PublicKey) -> Result<spki::SubjectPublicKeyInfoOwned> {
    spki::SubjectPublicKeyInfoOwned::from_der(&key.to_spki_der())
        .map_err(|e| Error::malformed("SPKI", e))
}

/// Build and sign one certificate.
#[allow(clippy::too_many_arguments)]
fn build<R: CryptoRng + ?Sized>(
    signer_key: &PrivateKey,
    issuer: Name,
    subject: Name,
    subject_key: &PublicKey,
    validity: Validity,
    extensions: Vec<Extension>,
    rng: &mut R,
) -> Result<Certificate> {
    let to_err = |e: x509_cert::builder::Error| Error::param("certificate", e.to_string());
    let serial = random_serial(rng)?;
    let profile = Profile {
        issuer,
        subject,
        extensions,
    };
    let mut builder = CertificateBuilder::new(profile, serial, validity, spki_of(subject_key)?)
        .map_err(to_err)?;
    let signer = SignerInfo {
        spki: signer_key.public_key().to_spki_der(),
    };
    let tbs = builder.finalize(&signer).map_err(to_err)?;
    let sig = signer_key.sign(DEFAULT_USER_ID, &tbs, rng)?.to_der();
    let bits = BitString::from_bytes(&sig).map_err(|e| Error::malformed("signature", e))?;
    let cert = builder.assemble(bits, &signer).map_err(to_err)?;
    let der_bytes = cert
        .to_der()
        .map_err(|e| Error::malformed("certificate", e))?;
    Certificate::from_der(&der_bytes)
}

impl CertificateAuthority {
    /// Create a self-signed root CA for `key`.
    pub fn create_root<R: CryptoRng + ?Sized>(
        key: PrivateKey,
        subject: Name,
        not_before: SystemTime,
        days: u32,
        config: CaConfig,
        rng: &mut R,
    ) -> Result<Self> {
        let (_, _, validity) = validity(not_before, days)?;
        let public = key.public_key();
        let kid = key_identifier(&public);
        let ku = KeyUsageBits {
            key_cert_sign: true,
            crl_sign: true,
            ..Default::default()
        };
        let extensions = vec![
            ext(
                OID_EXT_BASIC_CONSTRAINTS,
                true,
                basic_constraints(true, None),
            )?,
            ext(OID_EXT_KEY_USAGE, true, key_usage(&ku))?,
            ext(OID_EXT_SKI, false, asn1::tlv(asn1::TAG_OCTET_STRING, &kid))?,
            ext(OID_EXT_AKI, false, aki_value(&kid))?,
        ];
        let certificate = build(
            &key,
            subject.clone(),
            subject,
            &public,
            validity,
            extensions,
            rng,
        )?;
        Ok(Self {
            key,
            certificate,
            config,
        })
    }

    /// An existing CA from its key and certificate; refuses a key that does
    /// not match or a certificate that is not a CA.
    pub fn from_parts(key: PrivateKey, certificate: Certificate, config: CaConfig) -> Result<Self> {
        if key.public_key() != *certificate.public_key() {
            return Err(Error::KeyMismatch);
        }
        if !certificate.is_ca() {
            return Err(Error::param(
                "CA certificate",
                "basicConstraints does not say cA",
            ));
        }
        Ok(Self {
            key,
            certificate,
            config,
        })
    }

    /// The CA's certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The CA's settings.
    pub fn config(&self) -> &CaConfig {
        &self.config
    }

    pub(crate) fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The CA's key identifier: its certificate's subjectKeyIdentifier, or
    /// the one this SDK derives from its key when the certificate has none.
    pub(crate) fn key_id(&self) -> Result<Vec<u8>> {
        Ok(self
            .certificate
            .subject_key_id()?
            .unwrap_or_else(|| key_identifier(self.certificate.public_key())))
    }

    fn issuer_name(&self) -> Name {
        self.certificate.x509().tbs_certificate().subject().clone()
    }

    fn common_extensions(&self, subject_key: &PublicKey) -> Result<Vec<Extension>> {
        let issuer_kid = self.key_id()?;
        let mut v = vec![
            ext(
                OID_EXT_SKI,
                false,
                asn1::tlv(asn1::TAG_OCTET_STRING, &key_identifier(subject_key)),
            )?,
            ext(OID_EXT_AKI, false, aki_value(&issuer_kid))?,
        ];
        if let Some(url) = &self.config.crl_url {
            if !url.is_ascii() || url.is_empty() {
                return Err(Error::param("crl_url", "must be a non-empty ASCII URI"));
            }
            v.push(ext(OID_EXT_CRL_DP, false, crl_distribution_point(url))?);
        }
        Ok(v)
    }

    fn check_within_ca(&self, not_before: SystemTime, not_after: SystemTime) -> Result<()> {
        if not_before < self.certificate.not_before() || not_after > self.certificate.not_after() {
            return Err(Error::param(
                "validity",
                "the requested validity is not inside the issuing CA's own validity",
            ));
        }
        Ok(())
    }

    /// Issue an intermediate (issuing) CA certificate for `public_key`,
    /// with an optional pathLenConstraint.
    pub fn issue_ca<R: CryptoRng + ?Sized>(
        &self,
        public_key: &PublicKey,
        subject: Name,
        not_before: SystemTime,
        days: u32,
        path_len: Option<u8>,
        rng: &mut R,
    ) -> Result<Certificate> {
        let (nb, na, validity) = validity(not_before, days)?;
        self.check_within_ca(nb, na)?;
        if let Ok(Some((_, Some(0)))) = self.certificate.basic_constraints() {
            return Err(Error::param(
                "path length",
                "this CA's pathLenConstraint is 0: it may not issue CAs",
            ));
        }
        let ku = KeyUsageBits {
            key_cert_sign: true,
            crl_sign: true,
            ..Default::default()
        };
        let mut extensions = vec![
            ext(
                OID_EXT_BASIC_CONSTRAINTS,
                true,
                basic_constraints(true, path_len),
            )?,
            ext(OID_EXT_KEY_USAGE, true, key_usage(&ku))?,
        ];
        extensions.extend(self.common_extensions(public_key)?);
        build(
            &self.key,
            self.issuer_name(),
            subject,
            public_key,
            validity,
            extensions,
            rng,
        )
    }

    /// Issue an end-entity certificate.
    pub fn issue<R: CryptoRng + ?Sized>(
        &self,
        req: &EndEntityRequest,
        rng: &mut R,
    ) -> Result<Certificate> {
        let (nb, na, validity) = validity(req.not_before, req.days)?;
        self.check_within_ca(nb, na)?;
        let profile = CertProfile {
            holder: req.holder.kind(),
            usage: req.usage,
            medium: req.medium,
        };
        let mut extensions = vec![
            ext(
                OID_EXT_BASIC_CONSTRAINTS,
                true,
                basic_constraints(false, None),
            )?,
            ext(OID_EXT_KEY_USAGE, true, key_usage(&profile.key_usage()))?,
        ];
        if req.usage == CertUsage::Login {
            let eku = asn1::tlv(
                asn1::TAG_SEQUENCE,
                &OID_KP_CLIENT_AUTH
                    .to_der()
                    .map_err(|e| Error::malformed("EKU", e))?,
            );
            extensions.push(ext(OID_EXT_EXT_KEY_USAGE, false, eku)?);
        }
        extensions.extend(self.common_extensions(&req.public_key)?);
        extensions.push(ext(self.config.profile_oid, false, profile.to_der())?);
        build(
            &self.key,
            self.issuer_name(),
            req.holder.to_name()?,
            &req.public_key,
            validity,
            extensions,
            rng,
        )
    }
}
