//! SM2 key pairs and every format peers exchange them in.
//!
//! | format | read | write |
//! |---|---|---|
//! | PKCS#8 `PRIVATE KEY`, DER or PEM | id-ecPublicKey + SM2 curve, or bare SM2 OID | id-ecPublicKey + SM2 curve (as OpenSSL) |
//! | encrypted PKCS#8 `ENCRYPTED PRIVATE KEY` | PBES2: PBKDF2 (HMAC-SM3 or HMAC-SHA-256) with SM4-CBC or AES-128/256-CBC | see [`super::pkcs8enc`] |
//! | SEC1 `EC PRIVATE KEY` / `SM2 PRIVATE KEY` | yes | `EC PRIVATE KEY` |
//! | SPKI `PUBLIC KEY`, DER or PEM | either OID form | id-ecPublicKey + SM2 curve |
//! | raw SEC1 point | compressed (33 bytes) and uncompressed (65 bytes) | both |
//!
//! Every reader checks what it is given: points on the curve and not the
//! identity, private scalars in [1, n-2] (SM2 needs 1 + d invertible), a
//! public key stored beside a private key equal to d·G.

use der::asn1::{AnyRef, BitStringRef, OctetStringRef};
use der::{Decode, Encode};
use rand_core::CryptoRng;
use sm2::elliptic_curve::sec1::{FromSec1Point, ToSec1Point};
use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

use super::curve::{self, OID_EC_PUBLIC_KEY, OID_SM2};
use crate::error::{Error, Result};
use crate::pem;

/// PEM label of PKCS#8 private keys.
pub const PEM_PKCS8: &str = "PRIVATE KEY";
/// PEM label of encrypted PKCS#8 private keys.
pub const PEM_PKCS8_ENCRYPTED: &str = "ENCRYPTED PRIVATE KEY";
/// PEM label of SEC1 private keys.
pub const PEM_SEC1: &str = "EC PRIVATE KEY";
/// PEM label OpenSSL 3 writes for SEC1 SM2 keys (`openssl ec`).
pub const PEM_SEC1_SM2: &str = "SM2 PRIVATE KEY";
/// PEM label of SPKI public keys.
pub const PEM_SPKI: &str = "PUBLIC KEY";

/// An SM2 private key. Zeroized on drop, printed as `[redacted]`, compared
/// in constant time.
#[derive(Clone)]
pub struct PrivateKey {
    inner: sm2::SecretKey,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PrivateKey([redacted])")
    }
}

impl ConstantTimeEq for PrivateKey {
    fn ct_eq(&self, other: &Self) -> Choice {
        let a = Zeroizing::new(self.to_bytes());
        let b = Zeroizing::new(other.to_bytes());
        a.as_slice().ct_eq(b.as_slice())
    }
}

impl PartialEq for PrivateKey {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}
impl Eq for PrivateKey {}

impl PrivateKey {
    /// A fresh key from `rng` (uniform in [1, n-2] by rejection sampling).
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut buf = Zeroizing::new([0u8; 32]);
        loop {
            rng.fill_bytes(&mut buf[..]);
            if let Ok(k) = Self::from_bytes(&buf) {
                return k;
            }
        }
    }

    /// From the 32-byte big-endian scalar d; refuses d outside [1, n-2].
    pub fn from_bytes(d: &[u8; 32]) -> Result<Self> {
        let nonzero = !d.ct_eq(&[0u8; 32]);
        let below = curve::ct_lt(d, &curve::N_MINUS_1);
        if !bool::from(nonzero & below) {
            return Err(Error::ScalarOutOfRange);
        }
        let inner = sm2::SecretKey::from_slice(d).map_err(|_| Error::ScalarOutOfRange)?;
        Ok(Self { inner })
    }

    /// From a big-endian scalar of at most 32 bytes (shorter values are
    /// left-padded, as some encoders strip leading zeros).
    pub fn from_slice(d: &[u8]) -> Result<Self> {
        if d.is_empty() || d.len() > 32 {
            return Err(Error::length("SM2 private key", "1 to 32 bytes", d.len()));
        }
        let mut buf = Zeroizing::new([0u8; 32]);
        buf[32 - d.len()..].copy_from_slice(d);
        Self::from_bytes(&buf)
    }

    /// The 32-byte big-endian scalar. Wipe it when done.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; 32]);
        let mut d = self.inner.to_bytes();
        out.copy_from_slice(&d);
        d.zeroize();
        out
    }

    /// The matching public key d·G.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            inner: self.inner.public_key(),
        }
    }

    /// A copy of the secret scalar d, wiped when dropped.
    pub(crate) fn scalar(&self) -> Zeroizing<sm2::NonZeroScalar> {
        Zeroizing::new(self.inner.to_nonzero_scalar())
    }

    // ---- PKCS#8 -------------------------------------------------------

    /// Parse PKCS#8 `PrivateKeyInfo` DER.
    pub fn from_pkcs8_der(der_bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "PKCS#8 private key";
        let info =
            pkcs8::PrivateKeyInfoRef::from_der(der_bytes).map_err(|e| Error::malformed(WHAT, e))?;
        check_key_algorithm(info.algorithm.oid, info.algorithm.parameters.as_ref())?;
        let key = Self::from_sec1_der(info.private_key.as_bytes())?;
        if let Some(pubkey) = info.public_key {
            let bytes = pubkey
                .as_bytes()
                .ok_or_else(|| Error::malformed(WHAT, "public key BIT STRING has unused bits"))?;
            key.check_public(bytes)?;
        }
        Ok(key)
    }

    /// PKCS#8 DER, algorithm id-ecPublicKey with the SM2 curve, the public
    /// key included in the inner ECPrivateKey (as OpenSSL writes it).
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        let inner = self.sec1_der(false);
        let info = pkcs8::PrivateKeyInfoRef {
            algorithm: spki::AlgorithmIdentifier {
                oid: OID_EC_PUBLIC_KEY,
                parameters: Some(AnyRef::from(&OID_SM2)),
            },
            private_key: OctetStringRef::new(&inner).unwrap_or_else(|_| unreachable!()),
            public_key: None,
        };
        Zeroizing::new(info.to_der().unwrap_or_else(|_| unreachable!()))
    }

    /// Parse a PKCS#8 PEM (`PRIVATE KEY`).
    pub fn from_pkcs8_pem(text: &[u8]) -> Result<Self> {
        let block = expect_label(text, &[PEM_PKCS8])?;
        Self::from_pkcs8_der(&block.der)
    }

    /// PKCS#8 PEM (`PRIVATE KEY`).
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem::encode(PEM_PKCS8, &self.to_pkcs8_der()))
    }

    // ---- SEC1 ---------------------------------------------------------

    /// Parse SEC1 `ECPrivateKey` DER (RFC 5915); a curve parameter, if
    /// present, must name SM2.
    pub fn from_sec1_der(der_bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "SEC1 EC private key";
        let ec = sec1::EcPrivateKey::from_der(der_bytes).map_err(|e| {
            if has_explicit_parameters(der_bytes) {
                Error::UnsupportedAlgorithm {
                    what: "EC private key curve",
                    oid: "explicit parameters (only the named SM2 curve is accepted)".into(),
                }
            } else {
                Error::malformed(WHAT, e)
            }
        })?;
        if let Some(oid) = ec.parameters.as_ref().and_then(|p| p.named_curve())
            && oid != OID_SM2
        {
            return Err(Error::UnsupportedAlgorithm {
                what: "EC private key curve",
                oid: oid.to_string(),
            });
        }
        // Without parameters the key is taken as SM2: inside PKCS#8 the
        // outer algorithm already said so, and a bare SEC1 key was asked
        // for as an SM2 key.
        let key = Self::from_slice(ec.private_key)?;
        if let Some(pubkey) = ec.public_key {
            key.check_public(pubkey)?;
        }
        Ok(key)
    }

    fn check_public(&self, encoded: &[u8]) -> Result<()> {
        let stored = PublicKey::from_sec1_bytes(encoded)?;
        if stored == self.public_key() {
            Ok(())
        } else {
            Err(Error::KeyMismatch)
        }
    }

    fn sec1_der(&self, with_params: bool) -> Zeroizing<Vec<u8>> {
        let d = self.to_bytes();
        let point = self.public_key().to_sec1_bytes(false);
        let ec = sec1::EcPrivateKey {
            private_key: &d[..],
            parameters: with_params.then_some(sec1::EcParameters::NamedCurve(OID_SM2)),
            public_key: Some(&point),
        };
        Zeroizing::new(ec.to_der().unwrap_or_else(|_| unreachable!()))
    }

    /// SEC1 DER with the SM2 curve parameter and the public key.
    pub fn to_sec1_der(&self) -> Zeroizing<Vec<u8>> {
        self.sec1_der(true)
    }

    /// Parse SEC1 PEM (`EC PRIVATE KEY`, or `SM2 PRIVATE KEY` as OpenSSL 3 writes).
    pub fn from_sec1_pem(text: &[u8]) -> Result<Self> {
        let block = expect_label(text, &[PEM_SEC1, PEM_SEC1_SM2])?;
        Self::from_sec1_der(&block.der)
    }

    /// SEC1 PEM (`EC PRIVATE KEY`).
    pub fn to_sec1_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(pem::encode(PEM_SEC1, &self.to_sec1_der()))
    }

    // ---- auto-detection ----------------------------------------------

    /// Read a private key in any unencrypted format: PEM (PKCS#8 or SEC1)
    /// or DER (PKCS#8 or SEC1). Encrypted keys need [`Self::from_any_with_password`].
    pub fn from_any(data: &[u8]) -> Result<Self> {
        if pem::is_pem(data) {
            let block = pem::parse_one(data)?;
            match block.label.as_str() {
                PEM_PKCS8 => Self::from_pkcs8_der(&block.der),
                PEM_SEC1 | PEM_SEC1_SM2 => Self::from_sec1_der(&block.der),
                PEM_PKCS8_ENCRYPTED => Err(Error::param(
                    "password",
                    "the key is encrypted (ENCRYPTED PRIVATE KEY); a password is needed",
                )),
                other => Err(Error::malformed(
                    "private key PEM",
                    format!("unexpected label {other}"),
                )),
            }
        } else {
            Self::from_pkcs8_der(data).or_else(|e8| Self::from_sec1_der(data).map_err(|_| e8))
        }
    }

    /// Read a private key in any format, decrypting an encrypted PKCS#8
    /// key with `password` (an unencrypted key is read as by [`Self::from_any`]).
    pub fn from_any_with_password(data: &[u8], password: &[u8]) -> Result<Self> {
        if pem::is_pem(data) {
            let block = pem::parse_one(data)?;
            if block.label == PEM_PKCS8_ENCRYPTED {
                return super::pkcs8enc::decrypt(&block.der, password);
            }
            return Self::from_any(data);
        }
        match super::pkcs8enc::decrypt(data, password) {
            Ok(k) => Ok(k),
            Err(Error::Malformed { .. }) => Self::from_any(data),
            Err(e) => Err(e),
        }
    }
}

/// An SM2 public key: a point on the curve other than the identity.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey {
    inner: sm2::PublicKey,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PublicKey({})",
            crate::hex::encode(&self.to_sec1_bytes(true))
        )
    }
}

impl PublicKey {
    /// Parse a raw SEC1 point: `04‖x‖y` (65 bytes) or `02/03‖x` (33 bytes).
    pub fn from_sec1_bytes(bytes: &[u8]) -> Result<Self> {
        match (bytes.first(), bytes.len()) {
            (None, _) => Err(Error::length("SM2 public key point", "33 or 65 bytes", 0)),
            (Some(0x00), 1) => Err(Error::PointAtInfinity),
            (Some(0x04), 65) => {
                let (x, y) = (&bytes[1..33], &bytes[33..65]);
                check_coordinate("x", x)?;
                check_coordinate("y", y)?;
                Self::from_checked_sec1(bytes)
            }
            (Some(0x02 | 0x03), 33) => {
                check_coordinate("x", &bytes[1..33])?;
                Self::from_checked_sec1(bytes)
            }
            (Some(0x04), n) => Err(Error::length("uncompressed SM2 point", "65 bytes", n)),
            (Some(0x02 | 0x03), n) => Err(Error::length("compressed SM2 point", "33 bytes", n)),
            (Some(0x06 | 0x07), _) => Err(Error::InvalidPointEncoding(
                "hybrid point encoding (06/07) is not accepted".into(),
            )),
            (Some(tag), _) => Err(Error::InvalidPointEncoding(format!(
                "unknown SEC1 point prefix 0x{tag:02x}"
            ))),
        }
    }

    fn from_checked_sec1(bytes: &[u8]) -> Result<Self> {
        let encoded = sm2::Sec1Point::from_bytes(bytes)
            .map_err(|_| Error::InvalidPointEncoding("not a SEC1 point".into()))?;
        let affine: Option<sm2::AffinePoint> = sm2::AffinePoint::from_sec1_point(&encoded).into();
        let affine = affine.ok_or(Error::PointNotOnCurve)?;
        let inner = sm2::PublicKey::from_affine(affine).map_err(|_| Error::PointAtInfinity)?;
        Ok(Self { inner })
    }

    /// The SEC1 encoding: compressed (33 bytes) or uncompressed (65 bytes).
    pub fn to_sec1_bytes(&self, compressed: bool) -> Vec<u8> {
        self.inner
            .as_affine()
            .to_sec1_point(compressed)
            .as_bytes()
            .to_vec()
    }

    /// The 64 bytes x‖y (what ZA hashes, and what some APIs call the key).
    pub fn to_xy(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out.copy_from_slice(&self.to_sec1_bytes(false)[1..]);
        out
    }

    pub(crate) fn affine(&self) -> &sm2::AffinePoint {
        self.inner.as_affine()
    }

    pub(crate) fn from_affine(p: sm2::AffinePoint) -> Result<Self> {
        sm2::PublicKey::from_affine(p)
            .map(|inner| Self { inner })
            .map_err(|_| Error::PointAtInfinity)
    }

    /// Parse SPKI `SubjectPublicKeyInfo` DER; the algorithm may be
    /// id-ecPublicKey with the SM2 curve, or the bare SM2 OID.
    pub fn from_spki_der(der_bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "SubjectPublicKeyInfo";
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der_bytes)
            .map_err(|e| Error::malformed(WHAT, e))?;
        check_key_algorithm(spki.algorithm.oid, spki.algorithm.parameters.as_ref())?;
        let bytes = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| Error::malformed(WHAT, "public key BIT STRING has unused bits"))?;
        Self::from_sec1_bytes(bytes)
    }

    /// SPKI DER with id-ecPublicKey and the SM2 curve, uncompressed point.
    pub fn to_spki_der(&self) -> Vec<u8> {
        let point = self.to_sec1_bytes(false);
        let spki = spki::SubjectPublicKeyInfoRef {
            algorithm: spki::AlgorithmIdentifier {
                oid: OID_EC_PUBLIC_KEY,
                parameters: Some(AnyRef::from(&OID_SM2)),
            },
            subject_public_key: BitStringRef::from_bytes(&point).unwrap_or_else(|_| unreachable!()),
        };
        spki.to_der().unwrap_or_else(|_| unreachable!())
    }

    /// Parse SPKI PEM (`PUBLIC KEY`).
    pub fn from_spki_pem(text: &[u8]) -> Result<Self> {
        let block = expect_label(text, &[PEM_SPKI])?;
        Self::from_spki_der(&block.der)
    }

    /// SPKI PEM (`PUBLIC KEY`).
    pub fn to_spki_pem(&self) -> String {
        pem::encode(PEM_SPKI, &self.to_spki_der())
    }

    /// Read a public key in any format: SPKI PEM or DER, a raw SEC1 point,
    /// or hex of a raw point. (Certificates are read by the certificate
    /// module.)
    pub fn from_any(data: &[u8]) -> Result<Self> {
        if pem::is_pem(data) {
            return Self::from_spki_pem(data);
        }
        // Hex text first: '0' is 0x30, which would look like DER.
        let is_hex_text = !data.is_empty()
            && data
                .iter()
                .all(|b| b.is_ascii_hexdigit() || b.is_ascii_whitespace());
        if is_hex_text {
            let text =
                std::str::from_utf8(data).map_err(|_| Error::malformed("public key", "not hex"))?;
            let raw = crate::hex::decode(text)?;
            if raw.len() == 64 {
                let mut full = vec![0x04];
                full.extend_from_slice(&raw);
                return Self::from_sec1_bytes(&full);
            }
            return Self::from_sec1_bytes(&raw);
        }
        match data.first() {
            Some(0x30) => Self::from_spki_der(data),
            Some(0x00..=0x07) => Self::from_sec1_bytes(data),
            _ => Err(Error::malformed(
                "public key",
                "neither SPKI (PEM or DER), a SEC1 point nor hex of one",
            )),
        }
    }
}

/// True when an `ECPrivateKey` carries `[0]` parameters that are a
/// SEQUENCE (explicit curve parameters) rather than a named-curve OID.
fn has_explicit_parameters(der_bytes: &[u8]) -> bool {
    let mut outer = crate::asn1::Reader::new("SEC1 EC private key", der_bytes);
    let Ok(mut seq) = outer.expect(crate::asn1::TAG_SEQUENCE) else {
        return false;
    };
    let _version = seq.any();
    let _key = seq.any();
    matches!(seq.any(), Ok((0xa0, _, content)) if content.first() == Some(&crate::asn1::TAG_SEQUENCE))
}

fn check_coordinate(name: &'static str, c: &[u8]) -> Result<()> {
    let mut arr = [0u8; 32];
    arr.copy_from_slice(c);
    if arr < curve::P {
        Ok(())
    } else {
        Err(Error::InvalidPointEncoding(format!(
            "coordinate {name} is not below p"
        )))
    }
}

/// Accept id-ecPublicKey with the SM2 named curve, or the bare SM2 OID
/// (with absent or NULL parameters).
fn check_key_algorithm(
    oid: der::asn1::ObjectIdentifier,
    params: Option<&AnyRef<'_>>,
) -> Result<()> {
    if oid == OID_EC_PUBLIC_KEY {
        let p = params.ok_or_else(|| Error::UnsupportedAlgorithm {
            what: "EC key curve",
            oid: "absent (implicit curve)".into(),
        })?;
        let curve_oid = p.decode_as::<der::asn1::ObjectIdentifier>().map_err(|_| {
            Error::UnsupportedAlgorithm {
                what: "EC key curve",
                oid: "explicit parameters".into(),
            }
        })?;
        if curve_oid == OID_SM2 {
            Ok(())
        } else {
            Err(Error::UnsupportedAlgorithm {
                what: "EC key curve",
                oid: curve_oid.to_string(),
            })
        }
    } else if oid == OID_SM2 {
        match params {
            None => Ok(()),
            Some(p) if p.is_null() => Ok(()),
            Some(p) => match p.decode_as::<der::asn1::ObjectIdentifier>() {
                Ok(o) if o == OID_SM2 => Ok(()),
                _ => Err(Error::UnsupportedAlgorithm {
                    what: "SM2 key parameters",
                    oid: "unexpected parameters".into(),
                }),
            },
        }
    } else {
        Err(Error::UnsupportedAlgorithm {
            what: "key algorithm",
            oid: oid.to_string(),
        })
    }
}

fn expect_label(text: &[u8], labels: &[&str]) -> Result<pem::PemBlock> {
    let block = pem::parse_one(text)?;
    if labels.contains(&block.label.as_str()) {
        Ok(block)
    } else {
        Err(Error::malformed(
            "PEM",
            format!("label is {}, expected {}", block.label, labels.join(" or ")),
        ))
    }
}
