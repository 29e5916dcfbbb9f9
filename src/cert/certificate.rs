//! A parsed SM2 X.509 certificate that keeps the exact bytes it was
//! signed over.

use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectKeyIdentifier,
};

use super::profile::{CertProfile, OID_CN, OID_O, OID_ORGANIZATION_IDENTIFIER, OID_SERIAL_NUMBER};
use crate::asn1;
use crate::crypto::curve::OID_SM2_WITH_SM3;
use crate::crypto::sign::DEFAULT_USER_ID;
use crate::crypto::{PublicKey, Signature};
use crate::error::{Error, Result};
use crate::pem;

/// PEM label of certificates.
pub const PEM_CERTIFICATE: &str = "CERTIFICATE";

pub(crate) const OID_EXT_BASIC_CONSTRAINTS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.19");
pub(crate) const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
pub(crate) const OID_EXT_EXT_KEY_USAGE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.37");
pub(crate) const OID_EXT_SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
pub(crate) const OID_EXT_AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
pub(crate) const OID_EXT_CRL_DP: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
pub(crate) const OID_EXT_SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
pub(crate) const OID_EXT_CERT_POLICIES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.32");

/// Extensions whose meaning chain verification understands; any other
/// extension marked critical makes the certificate unusable.
pub(crate) const UNDERSTOOD_EXTENSIONS: [ObjectIdentifier; 8] = [
    OID_EXT_BASIC_CONSTRAINTS,
    OID_EXT_KEY_USAGE,
    OID_EXT_EXT_KEY_USAGE,
    OID_EXT_SKI,
    OID_EXT_AKI,
    OID_EXT_CRL_DP,
    OID_EXT_SAN,
    OID_EXT_CERT_POLICIES,
];

/// The keyUsage bits, in RFC 5280 order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyUsageBits {
    /// digitalSignature
    pub digital_signature: bool,
    /// nonRepudiation (contentCommitment)
    pub non_repudiation: bool,
    /// keyEncipherment
    pub key_encipherment: bool,
    /// dataEncipherment
    pub data_encipherment: bool,
    /// keyAgreement
    pub key_agreement: bool,
    /// keyCertSign
    pub key_cert_sign: bool,
    /// cRLSign
    pub crl_sign: bool,
}

impl KeyUsageBits {
    /// The names of the set bits, as OpenSSL prints them.
    pub fn names(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        for (set, name) in [
            (self.digital_signature, "digitalSignature"),
            (self.non_repudiation, "nonRepudiation"),
            (self.key_encipherment, "keyEncipherment"),
            (self.data_encipherment, "dataEncipherment"),
            (self.key_agreement, "keyAgreement"),
            (self.key_cert_sign, "keyCertSign"),
            (self.crl_sign, "cRLSign"),
        ] {
            if set {
                v.push(name);
            }
        }
        v
    }
}

/// A parsed certificate. Signatures are always checked over the TBS
/// bytes exactly as received, never over a re-encoding.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: std::ops::Range<usize>,
    signature_algorithm: ObjectIdentifier,
    signature: Vec<u8>,
    inner: x509_cert::Certificate,
    public_key: PublicKey,
}

impl std::fmt::Debug for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject())
            .field("serial", &self.serial_hex())
            .field("issuer", &self.issuer())
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

impl Certificate {
    /// Parse DER. The subject key must be SM2 (either OID form).
    pub fn from_der(der_bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "X.509 certificate";
        let signed = SignedParts::parse(WHAT, "tbsCertificate", der_bytes)?;
        let inner =
            x509_cert::Certificate::from_der(der_bytes).map_err(|e| Error::malformed(WHAT, e))?;
        let tbs = inner.tbs_certificate();
        if inner.signature_algorithm() != tbs.signature() {
            return Err(Error::malformed(
                WHAT,
                "the outer signature algorithm differs from the one in tbsCertificate",
            ));
        }
        if let Some(exts) = tbs.extensions() {
            if tbs.version() != x509_cert::Version::V3 {
                return Err(Error::malformed(
                    WHAT,
                    "extensions in a certificate that is not version 3",
                ));
            }
            let mut seen = std::collections::HashSet::new();
            for e in exts {
                if !seen.insert(e.extn_id) {
                    return Err(Error::malformed(
                        WHAT,
                        format!("extension {} appears twice", e.extn_id),
                    ));
                }
            }
        }
        let spki = inner
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .map_err(|e| Error::malformed(WHAT, e))?;
        let public_key = PublicKey::from_spki_der(&spki)?;
        Ok(Self {
            der: der_bytes.to_vec(),
            tbs: signed.tbs,
            signature_algorithm: signed.algorithm,
            signature: signed.signature,
            inner,
            public_key,
        })
    }

    /// Parse PEM (the first `CERTIFICATE` block).
    pub fn from_pem(text: &[u8]) -> Result<Self> {
        let block = pem::parse_all(text)?
            .into_iter()
            .find(|b| b.label == PEM_CERTIFICATE)
            .ok_or_else(|| Error::malformed("certificate PEM", "no CERTIFICATE block"))?;
        Self::from_der(&block.der)
    }

    /// Parse PEM or DER.
    pub fn from_any(data: &[u8]) -> Result<Self> {
        if pem::is_pem(data) {
            Self::from_pem(data)
        } else {
            Self::from_der(data)
        }
    }

    /// Every certificate in a PEM file (a chain or bundle), or the one DER
    /// certificate.
    pub fn parse_all(data: &[u8]) -> Result<Vec<Self>> {
        if pem::is_pem(data) {
            pem::parse_all(data)?
                .into_iter()
                .filter(|b| b.label == PEM_CERTIFICATE)
                .map(|b| Self::from_der(&b.der))
                .collect()
        } else {
            Ok(vec![Self::from_der(data)?])
        }
    }

    /// The DER encoding, as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM encoding.
    pub fn to_pem(&self) -> String {
        pem::encode(PEM_CERTIFICATE, &self.der)
    }

    /// The exact tbsCertificate bytes that were signed.
    pub fn tbs_bytes(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    /// The outer signature algorithm OID.
    pub fn signature_algorithm(&self) -> ObjectIdentifier {
        self.signature_algorithm
    }

    /// The signature value (the BIT STRING's bytes).
    pub fn signature_bytes(&self) -> &[u8] {
        &self.signature
    }

    /// The x509-cert view, for fields this type does not expose.
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.inner
    }

    /// The certified SM2 public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Serial number bytes (big-endian, no leading zeros).
    pub fn serial(&self) -> &[u8] {
        // x509-cert keeps the sign byte of a serial whose top bit is set.
        strip_leading_zeros(self.inner.tbs_certificate().serial_number().as_bytes())
    }

    /// Serial number as upper-case hex.
    pub fn serial_hex(&self) -> String {
        crate::hex::encode_upper(self.serial())
    }

    /// Subject in RFC 4514 form (most specific first).
    pub fn subject(&self) -> String {
        name_to_string(self.inner.tbs_certificate().subject())
    }

    /// Issuer in RFC 4514 form.
    pub fn issuer(&self) -> String {
        name_to_string(self.inner.tbs_certificate().issuer())
    }

    /// The DER of the subject Name (for exact name chaining).
    pub fn subject_der(&self) -> Vec<u8> {
        self.inner
            .tbs_certificate()
            .subject()
            .to_der()
            .unwrap_or_default()
    }

    /// The DER of the issuer Name.
    pub fn issuer_der(&self) -> Vec<u8> {
        self.inner
            .tbs_certificate()
            .issuer()
            .to_der()
            .unwrap_or_default()
    }

    /// Subject common name.
    pub fn common_name(&self) -> Option<String> {
        name_attr(self.inner.tbs_certificate().subject(), OID_CN)
    }

    /// Subject organisation.
    pub fn organization(&self) -> Option<String> {
        name_attr(self.inner.tbs_certificate().subject(), OID_O)
    }

    /// Issuer common name, or organisation when it has none.
    pub fn issuer_display_name(&self) -> String {
        let issuer = self.inner.tbs_certificate().issuer();
        name_attr(issuer, OID_CN)
            .or_else(|| name_attr(issuer, OID_O))
            .unwrap_or_else(|| self.issuer())
    }

    /// Subject serialNumber attribute (2.5.4.5): the holder's ID number in
    /// certificates this SDK issues.
    pub fn subject_serial_number(&self) -> Option<String> {
        name_attr(self.inner.tbs_certificate().subject(), OID_SERIAL_NUMBER)
    }

    /// Subject organizationIdentifier (2.5.4.97): the unified social credit
    /// code in enterprise certificates this SDK issues.
    pub fn subject_organization_identifier(&self) -> Option<String> {
        name_attr(
            self.inner.tbs_certificate().subject(),
            OID_ORGANIZATION_IDENTIFIER,
        )
    }

    /// Start of validity.
    pub fn not_before(&self) -> SystemTime {
        self.inner
            .tbs_certificate()
            .validity()
            .not_before
            .to_system_time()
    }

    /// End of validity.
    pub fn not_after(&self) -> SystemTime {
        self.inner
            .tbs_certificate()
            .validity()
            .not_after
            .to_system_time()
    }

    /// True when `at` lies within the validity period (inclusive).
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        self.not_before() <= at && at <= self.not_after()
    }

    /// Raw extensions: (OID, critical, value bytes).
    pub fn extensions(&self) -> Vec<(ObjectIdentifier, bool, &[u8])> {
        self.inner
            .tbs_certificate()
            .extensions()
            .map(|exts| {
                exts.iter()
                    .map(|e| (e.extn_id, e.critical, e.extn_value.as_bytes()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn extension<'a, T: Decode<'a>>(&'a self, oid: ObjectIdentifier) -> Result<Option<T>> {
        for (id, _, value) in self.extensions() {
            if id == oid {
                return T::from_der(value)
                    .map(Some)
                    .map_err(|e| Error::malformed("certificate extension", format!("{oid}: {e}")));
            }
        }
        Ok(None)
    }

    /// basicConstraints: (cA, pathLenConstraint), if present.
    pub fn basic_constraints(&self) -> Result<Option<(bool, Option<u8>)>> {
        Ok(self
            .extension::<BasicConstraints>(OID_EXT_BASIC_CONSTRAINTS)?
            .map(|b| (b.ca, b.path_len_constraint)))
    }

    /// True when basicConstraints says cA.
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints(), Ok(Some((true, _))))
    }

    /// keyUsage, if present.
    pub fn key_usage(&self) -> Result<Option<KeyUsageBits>> {
        Ok(self.extension::<KeyUsage>(OID_EXT_KEY_USAGE)?.map(|ku| {
            let f = ku.0;
            KeyUsageBits {
                digital_signature: f.contains(KeyUsages::DigitalSignature),
                non_repudiation: f.contains(KeyUsages::NonRepudiation),
                key_encipherment: f.contains(KeyUsages::KeyEncipherment),
                data_encipherment: f.contains(KeyUsages::DataEncipherment),
                key_agreement: f.contains(KeyUsages::KeyAgreement),
                key_cert_sign: f.contains(KeyUsages::KeyCertSign),
                crl_sign: f.contains(KeyUsages::CRLSign),
            }
        }))
    }

    /// extendedKeyUsage OIDs, if present.
    pub fn extended_key_usage(&self) -> Result<Option<Vec<ObjectIdentifier>>> {
        Ok(self
            .extension::<ExtendedKeyUsage>(OID_EXT_EXT_KEY_USAGE)?
            .map(|e| e.0))
    }

    /// subjectKeyIdentifier, if present.
    pub fn subject_key_id(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .extension::<SubjectKeyIdentifier>(OID_EXT_SKI)?
            .map(|s| s.0.as_bytes().to_vec()))
    }

    /// authorityKeyIdentifier's keyIdentifier, if present.
    pub fn authority_key_id(&self) -> Result<Option<Vec<u8>>> {
        Ok(self
            .extension::<AuthorityKeyIdentifier>(OID_EXT_AKI)?
            .and_then(|a| a.key_identifier.map(|k| k.as_bytes().to_vec())))
    }

    /// The URIs of the CRL distribution points.
    pub fn crl_distribution_uris(&self) -> Result<Vec<String>> {
        use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
        let Some(dps) = self.extension::<CrlDistributionPoints>(OID_EXT_CRL_DP)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for dp in dps.0 {
            if let Some(DistributionPointName::FullName(names)) = dp.distribution_point {
                for n in names {
                    if let GeneralName::UniformResourceIdentifier(uri) = n {
                        out.push(uri.to_string());
                    }
                }
            }
        }
        Ok(out)
    }

    /// This SDK's profile extension (holder kind, usage, medium), if present.
    pub fn profile(&self) -> Result<Option<CertProfile>> {
        self.profile_with_oid(super::profile::OID_YZT_PROFILE)
    }

    /// The profile extension under a CA's own OID (see
    /// [`super::CaConfig::profile_oid`]).
    pub fn profile_with_oid(&self, oid: ObjectIdentifier) -> Result<Option<CertProfile>> {
        for (id, _, value) in self.extensions() {
            if id == oid {
                return CertProfile::from_der(value).map(Some);
            }
        }
        Ok(None)
    }

    /// True when subject and issuer names are byte-identical.
    pub fn is_self_issued(&self) -> bool {
        self.subject_der() == self.issuer_der()
    }

    /// Verify that `issuer_key` signed this certificate (SM2 with SM3,
    /// default user ID), over the TBS bytes as received.
    pub fn verify_signed_by(&self, issuer_key: &PublicKey) -> Result<()> {
        verify_sm2_with_sm3(
            self.signature_algorithm,
            &self.signature,
            self.tbs_bytes(),
            issuer_key,
        )
    }
}

/// The outer shape shared by certificates and CRLs:
/// `SEQUENCE { tbs SEQUENCE, signatureAlgorithm AlgorithmIdentifier, signature BIT STRING }`.
pub(crate) struct SignedParts {
    /// Where the TBS bytes lie in the input.
    pub tbs: std::ops::Range<usize>,
    /// The outer signature algorithm.
    pub algorithm: ObjectIdentifier,
    /// The signature value.
    pub signature: Vec<u8>,
}

impl SignedParts {
    pub(crate) fn parse(what: &'static str, tbs_name: &str, der_bytes: &[u8]) -> Result<Self> {
        let mut outer = asn1::Reader::new(what, der_bytes);
        let (tag, _, content) = outer.any()?;
        outer.finish()?;
        if tag != asn1::TAG_SEQUENCE {
            return Err(Error::malformed(what, "not a SEQUENCE"));
        }
        let start = der_bytes.len() - content.len();
        let mut body = asn1::Reader::new(what, content);
        let (tag, tbs_full, _) = body.any()?;
        if tag != asn1::TAG_SEQUENCE {
            return Err(Error::malformed(
                what,
                format!("{tbs_name} is not a SEQUENCE"),
            ));
        }
        let mut alg = body.expect(asn1::TAG_SEQUENCE)?;
        let algorithm = ObjectIdentifier::from_bytes(alg.expect(asn1::TAG_OID)?.rest())
            .map_err(|e| Error::malformed(what, e))?;
        let bits = body.expect(0x03)?.rest();
        body.finish()?;
        let signature = match bits.split_first() {
            Some((0, rest)) => rest.to_vec(),
            _ => {
                return Err(Error::malformed(
                    what,
                    "signature BIT STRING has unused bits or is empty",
                ));
            }
        };
        Ok(Self {
            tbs: start..start + tbs_full.len(),
            algorithm,
            signature,
        })
    }
}

/// The magnitude of a non-negative big-endian integer without leading
/// zero bytes (zero stays one byte).
pub(crate) fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let first = b
        .iter()
        .position(|&x| x != 0)
        .unwrap_or(b.len().saturating_sub(1));
    &b[first..]
}

/// Check an SM2-with-SM3 signature (DER, or raw r‖s as some peers write)
/// over `tbs` with the default user ID.
pub(crate) fn verify_sm2_with_sm3(
    algorithm: ObjectIdentifier,
    signature: &[u8],
    tbs: &[u8],
    key: &PublicKey,
) -> Result<()> {
    if algorithm != OID_SM2_WITH_SM3 {
        return Err(Error::UnsupportedAlgorithm {
            what: "signature algorithm",
            oid: algorithm.to_string(),
        });
    }
    let sig = Signature::from_der_or_raw(signature)?;
    crate::verify::verify(key, DEFAULT_USER_ID, tbs, &sig)
}

/// RFC 4514 text of a Name with readable labels for the attributes SM2
/// certificates carry, most specific RDN first.
pub(crate) fn name_to_string(name: &x509_cert::name::Name) -> String {
    let label = |oid: &ObjectIdentifier| -> String {
        match oid.to_string().as_str() {
            "2.5.4.3" => "CN".into(),
            "2.5.4.6" => "C".into(),
            "2.5.4.7" => "L".into(),
            "2.5.4.8" => "ST".into(),
            "2.5.4.10" => "O".into(),
            "2.5.4.11" => "OU".into(),
            "2.5.4.5" => "serialNumber".into(),
            "2.5.4.97" => "organizationIdentifier".into(),
            "1.2.840.113549.1.9.1" => "emailAddress".into(),
            other => other.to_string(),
        }
    };
    let escape = |v: &str| -> String {
        let mut out = String::with_capacity(v.len());
        for (i, c) in v.chars().enumerate() {
            if matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
                || (i == 0 && matches!(c, '#' | ' '))
            {
                out.push('\\');
            }
            out.push(c);
        }
        out
    };
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|atv| match directory_string(&atv.value) {
                    Some(v) => format!("{}={}", label(&atv.oid), escape(&v)),
                    None => format!(
                        "{}=#{}",
                        label(&atv.oid),
                        crate::hex::encode(&atv.value.to_der().unwrap_or_default())
                    ),
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(",")
}

fn name_attr(name: &x509_cert::name::Name, oid: ObjectIdentifier) -> Option<String> {
    for atv in name.iter() {
        if atv.oid == oid {
            return directory_string(&atv.value);
        }
    }
    None
}

/// The text of a DirectoryString-like value (UTF8, Printable, IA5, BMP, Teletex).
pub(crate) fn directory_string(value: &der::Any) -> Option<String> {
    let bytes = value.value();
    match der::Tagged::tag(value) {
        der::Tag::Utf8String
        | der::Tag::PrintableString
        | der::Tag::Ia5String
        | der::Tag::TeletexString => String::from_utf8(bytes.to_vec()).ok(),
        der::Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}
