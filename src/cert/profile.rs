//! What the certificates this SDK issues contain.
//!
//! # Subjects
//!
//! | holder | subject |
//! |---|---|
//! | person | `C=CN, CN=<name>, serialNumber=<ID number>` (2.5.4.5, PrintableString) |
//! | enterprise | `C=CN, O=<name>, CN=<name>, organizationIdentifier=<credit code>` (2.5.4.97) |
//!
//! ID numbers are checked against GB 11643 and credit codes against
//! GB 32100 before anything is issued; names are 1 to 64 characters.
//!
//! # The profile extension
//!
//! Each end-entity certificate carries a non-critical private extension
//! [`OID_YZT_PROFILE`] whose value is
//!
//! ```text
//! YztCertProfile ::= SEQUENCE {
//!     holder  ENUMERATED { personal(0), enterprise(1) },
//!     usage   ENUMERATED { sign(0), encrypt(1), login(2) },
//!     medium  ENUMERATED { mobile(0), usbKey(1) } }
//! ```
//!
//! The OID sits under 1.3.6.1.4.1.32473, the private enterprise number
//! that RFC 5612 reserves for documentation: a CA deploying the SDK should
//! set its own with [`super::issue::CaConfig::profile_oid`]; readers
//! accept both.
//!
//! # Key usage
//!
//! | usage | keyUsage | extendedKeyUsage |
//! |---|---|---|
//! | sign | digitalSignature, nonRepudiation | — |
//! | encrypt | keyEncipherment, dataEncipherment, keyAgreement | — |
//! | login | digitalSignature | clientAuth |
//!
//! Signing and encryption certificates form the SM2 double-certificate
//! pair: two certificates for two different keys of the same holder.

use der::asn1::ObjectIdentifier;
use der::{Decode, Encode};

use crate::asn1;
use crate::error::{Error, Result};
use crate::ids;

/// commonName.
pub const OID_CN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// organizationName.
pub const OID_O: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
/// countryName.
pub const OID_C: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
/// serialNumber (the person's ID number).
pub const OID_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
/// organizationIdentifier (the enterprise's credit code).
pub const OID_ORGANIZATION_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.97");
/// The default OID of the profile extension (see the module docs).
pub const OID_YZT_PROFILE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1");
/// id-kp-clientAuth.
pub const OID_KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");

/// Longest name accepted (X.520 ub-common-name).
pub const MAX_NAME_CHARS: usize = 64;

/// Whose certificate it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum HolderKind {
    /// A natural person (个人).
    Personal,
    /// An enterprise or public institution (企业).
    Enterprise,
}

/// What the certificate's key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum CertUsage {
    /// Signatures (签名证书).
    Sign,
    /// Encryption (加密证书), the second of the double-certificate pair.
    Encrypt,
    /// Logging in (登录证书).
    Login,
}

/// Where the key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Medium {
    /// On the phone, in the PIN container (移动证书).
    Mobile,
    /// On a USB key (介质证书).
    UsbKey,
}

macro_rules! named_enum {
    ($t:ty, $what:literal, $( $v:path => $n:literal, $zh:literal, $code:literal ),+ $(,)?) => {
        impl $t {
            /// The name used on the command line and in JSON.
            pub fn name(self) -> &'static str {
                match self { $( $v => $n, )+ }
            }
            /// The name the app shows.
            pub fn label_zh(self) -> &'static str {
                match self { $( $v => $zh, )+ }
            }
            fn code(self) -> u8 {
                match self { $( $v => $code, )+ }
            }
            fn from_code(c: u8) -> Result<Self> {
                match c {
                    $( $code => Ok($v), )+
                    other => Err(Error::malformed("certificate profile extension", format!("unknown {} {other}", $what))),
                }
            }
        }
        impl std::str::FromStr for $t {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                match s {
                    $( $n => Ok($v), )+
                    other => Err(Error::param($what, format!("{other:?}; expected one of {}", [$($n),+].join(", ")))),
                }
            }
        }
        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

named_enum!(HolderKind, "holder kind",
    HolderKind::Personal => "personal", "个人", 0,
    HolderKind::Enterprise => "enterprise", "企业", 1);
named_enum!(CertUsage, "usage",
    CertUsage::Sign => "sign", "签名证书", 0,
    CertUsage::Encrypt => "encrypt", "加密证书", 1,
    CertUsage::Login => "login", "登录证书", 2);
named_enum!(Medium, "medium",
    Medium::Mobile => "mobile", "移动证书", 0,
    Medium::UsbKey => "usb-key", "介质证书", 1);

/// The content of the profile extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CertProfile {
    /// Person or enterprise.
    pub holder: HolderKind,
    /// Signing, encryption or login.
    pub usage: CertUsage,
    /// Phone or USB key.
    pub medium: Medium,
}

impl CertProfile {
    /// DER of `YztCertProfile`.
    pub fn to_der(&self) -> Vec<u8> {
        let e = |v: u8| asn1::tlv(0x0a, &[v]);
        asn1::tlv(
            asn1::TAG_SEQUENCE,
            &[
                e(self.holder.code()),
                e(self.usage.code()),
                e(self.medium.code()),
            ]
            .concat(),
        )
    }

    /// Parse `YztCertProfile`.
    pub fn from_der(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "certificate profile extension";
        let mut outer = asn1::Reader::new(WHAT, bytes);
        let mut seq = outer.expect(asn1::TAG_SEQUENCE)?;
        outer.finish()?;
        let mut next = || -> Result<u8> {
            match seq.expect(0x0a)?.rest() {
                [v] => Ok(*v),
                _ => Err(Error::malformed(WHAT, "ENUMERATED value is not one byte")),
            }
        };
        let holder = HolderKind::from_code(next()?)?;
        let usage = CertUsage::from_code(next()?)?;
        let medium = Medium::from_code(next()?)?;
        seq.finish()?;
        Ok(Self {
            holder,
            usage,
            medium,
        })
    }

    /// The app's certificate type line, e.g. `个人-登录证书`.
    pub fn type_label_zh(&self) -> String {
        format!("{}-{}", self.holder.label_zh(), self.usage.label_zh())
    }

    /// keyUsage bits for this usage.
    pub fn key_usage(&self) -> super::KeyUsageBits {
        let mut ku = super::KeyUsageBits::default();
        match self.usage {
            CertUsage::Sign => {
                ku.digital_signature = true;
                ku.non_repudiation = true;
            }
            CertUsage::Encrypt => {
                ku.key_encipherment = true;
                ku.data_encipherment = true;
                ku.key_agreement = true;
            }
            CertUsage::Login => ku.digital_signature = true,
        }
        ku
    }
}

/// Who a certificate is issued to, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    /// A person: real name and resident ID number.
    Person {
        /// Real name.
        name: String,
        /// GB 11643 ID number.
        id_number: String,
    },
    /// An enterprise: registered name and unified social credit code.
    Enterprise {
        /// Registered name.
        name: String,
        /// GB 32100 credit code.
        credit_code: String,
    },
}

fn check_name(field: &'static str, name: &str) -> Result<String> {
    let n = name.trim();
    let chars = n.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(Error::length(
            field,
            format!("1 to {MAX_NAME_CHARS} characters"),
            chars,
        ));
    }
    if n.chars().any(char::is_control) {
        return Err(Error::param(field, "contains control characters"));
    }
    Ok(n.to_string())
}

impl Holder {
    /// A person, with the name and ID number checked.
    pub fn person(name: &str, id_number: &str) -> Result<Self> {
        Ok(Holder::Person {
            name: check_name("name", name)?,
            id_number: ids::validate_id_number(id_number)?,
        })
    }

    /// An enterprise, with the name and credit code checked.
    pub fn enterprise(name: &str, credit_code: &str) -> Result<Self> {
        Ok(Holder::Enterprise {
            name: check_name("enterprise name", name)?,
            credit_code: ids::validate_credit_code(credit_code)?,
        })
    }

    /// Person or enterprise.
    pub fn kind(&self) -> HolderKind {
        match self {
            Holder::Person { .. } => HolderKind::Personal,
            Holder::Enterprise { .. } => HolderKind::Enterprise,
        }
    }

    /// The subject Name (see the module docs).
    pub fn to_name(&self) -> Result<x509_cert::name::Name> {
        match self {
            Holder::Person { name, id_number } => build_name(&[
                (OID_C, Str::Printable("CN")),
                (OID_CN, Str::Utf8(name)),
                (OID_SERIAL_NUMBER, Str::Printable(id_number)),
            ]),
            Holder::Enterprise { name, credit_code } => build_name(&[
                (OID_C, Str::Printable("CN")),
                (OID_O, Str::Utf8(name)),
                (OID_CN, Str::Utf8(name)),
                (OID_ORGANIZATION_IDENTIFIER, Str::Utf8(credit_code)),
            ]),
        }
    }
}

/// A string value of a name attribute.
pub(crate) enum Str<'a> {
    Utf8(&'a str),
    Printable(&'a str),
}

/// A Name with one attribute per RDN, in the order given.
pub(crate) fn build_name(attrs: &[(ObjectIdentifier, Str<'_>)]) -> Result<x509_cert::name::Name> {
    let mut rdns = Vec::new();
    for (oid, value) in attrs {
        let (tag, text) = match value {
            Str::Utf8(t) => (0x0c, *t),
            Str::Printable(t) => (0x13, *t),
        };
        let atv = asn1::tlv(
            asn1::TAG_SEQUENCE,
            &[
                oid.to_der().map_err(|e| Error::malformed("name", e))?,
                asn1::tlv(tag, text.as_bytes()),
            ]
            .concat(),
        );
        rdns.push(asn1::tlv(0x31, &atv));
    }
    let der_bytes = asn1::tlv(asn1::TAG_SEQUENCE, &rdns.concat());
    x509_cert::name::Name::from_der(&der_bytes).map_err(|e| Error::malformed("name", e))
}

/// Parse an RFC 4514 distinguished name such as `C=CN,O=Example CA,CN=Example Root`
/// (written most-significant first, as OpenSSL's `-subj` does with `/`
/// replaced by `,`). Values are UTF8String, C is PrintableString.
pub fn parse_dn(dn: &str) -> Result<x509_cert::name::Name> {
    let mut attrs: Vec<(ObjectIdentifier, String)> = Vec::new();
    for part in split_unescaped(dn) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| Error::param("subject", format!("{part:?} is not KEY=VALUE")))?;
        let oid = match k.trim().to_ascii_uppercase().as_str() {
            "C" => OID_C,
            "O" => OID_O,
            "CN" => OID_CN,
            "OU" => ObjectIdentifier::new_unwrap("2.5.4.11"),
            "ST" => ObjectIdentifier::new_unwrap("2.5.4.8"),
            "L" => ObjectIdentifier::new_unwrap("2.5.4.7"),
            "SERIALNUMBER" => OID_SERIAL_NUMBER,
            "ORGANIZATIONIDENTIFIER" => OID_ORGANIZATION_IDENTIFIER,
            other => ObjectIdentifier::new(other)
                .map_err(|_| Error::param("subject", format!("unknown attribute {other:?}")))?,
        };
        let value = v
            .trim()
            .replace("\\,", ",")
            .replace("\\=", "=")
            .replace("\\\\", "\\");
        check_name("subject attribute", &value)?;
        attrs.push((oid, value));
    }
    if attrs.is_empty() {
        return Err(Error::param("subject", "empty distinguished name"));
    }
    let typed: Vec<(ObjectIdentifier, Str<'_>)> = attrs
        .iter()
        .map(|(oid, v)| {
            let s = if *oid == OID_C || *oid == OID_SERIAL_NUMBER {
                Str::Printable(v.as_str())
            } else {
                Str::Utf8(v.as_str())
            };
            (*oid, s)
        })
        .collect();
    build_name(&typed)
}

fn split_unescaped(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push('\\');
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ',' || c == '/' {
            parts.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    parts.push(cur);
    parts
}
