//! SM2 public-key encryption (GB/T 32918.4).
//!
//! A ciphertext is C1 (the point kG), C3 = SM3(x2 ‖ M ‖ y2) and
//! C2 = M ⊕ KDF(x2 ‖ y2). It travels in one of these forms:
//!
//! | [`CiphertextFormat`] | bytes |
//! |---|---|
//! | `Asn1` (default) | GM/T 0009 `SEQUENCE { x INTEGER, y INTEGER, hash OCTET STRING, ciphertext OCTET STRING }`, what OpenSSL 3 reads and writes |
//! | `C1C3C2` | `04 ‖ x1 ‖ y1 ‖ C3 ‖ C2` (GB/T 32918.4-2016 order) |
//! | `C1C2C3` | `04 ‖ x1 ‖ y1 ‖ C2 ‖ C3` (the 2010 draft order, still common) |
//! | `C1C3C2NoPrefix`, `C1C2C3NoPrefix` | the same without the `04` |
//!
//! [`PrivateKey::decrypt`] detects the form: DER is recognised by its
//! structure; for the raw forms the order and prefix are settled by which
//! candidate's C3 checks out (a false match has probability 2⁻²⁵⁶).

use rand_core::CryptoRng;
use sm2::elliptic_curve::group::Group;
use sm2::elliptic_curve::point::AffineCoordinates;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::hash::{Sm3, sm2_kdf};
use super::keys::{PrivateKey, PublicKey};
use super::sign::random_scalar;
use crate::asn1;
use crate::error::{Error, Result};

/// How an SM2 ciphertext is serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CiphertextFormat {
    /// GM/T 0009 ASN.1 DER (OpenSSL's form).
    #[default]
    Asn1,
    /// `04 ‖ x1 ‖ y1 ‖ C3 ‖ C2`.
    C1C3C2,
    /// `04 ‖ x1 ‖ y1 ‖ C2 ‖ C3`.
    C1C2C3,
    /// `x1 ‖ y1 ‖ C3 ‖ C2`.
    C1C3C2NoPrefix,
    /// `x1 ‖ y1 ‖ C2 ‖ C3`.
    C1C2C3NoPrefix,
}

impl CiphertextFormat {
    /// Every format, in the order the decoder tries them.
    pub const ALL: [CiphertextFormat; 5] = [
        CiphertextFormat::Asn1,
        CiphertextFormat::C1C3C2,
        CiphertextFormat::C1C2C3,
        CiphertextFormat::C1C3C2NoPrefix,
        CiphertextFormat::C1C2C3NoPrefix,
    ];

    /// The name used on the command line (`asn1`, `c1c3c2`, `c1c2c3`,
    /// `c1c3c2-noprefix`, `c1c2c3-noprefix`).
    pub fn name(self) -> &'static str {
        match self {
            CiphertextFormat::Asn1 => "asn1",
            CiphertextFormat::C1C3C2 => "c1c3c2",
            CiphertextFormat::C1C2C3 => "c1c2c3",
            CiphertextFormat::C1C3C2NoPrefix => "c1c3c2-noprefix",
            CiphertextFormat::C1C2C3NoPrefix => "c1c2c3-noprefix",
        }
    }
}

impl std::str::FromStr for CiphertextFormat {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::param(
                    "ciphertext format",
                    format!(
                        "{s:?}; expected asn1, c1c3c2, c1c2c3, c1c3c2-noprefix or c1c2c3-noprefix"
                    ),
                )
            })
    }
}

impl std::fmt::Display for CiphertextFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The parts of an SM2 ciphertext.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Ciphertext {
    /// C1 = kG as an uncompressed point `04 ‖ x1 ‖ y1`.
    pub c1: [u8; 65],
    /// C3 = SM3(x2 ‖ M ‖ y2).
    pub c3: [u8; 32],
    /// C2 = M ⊕ t.
    pub c2: Vec<u8>,
}

impl Ciphertext {
    /// Serialise in `format`.
    pub fn to_bytes(&self, format: CiphertextFormat) -> Vec<u8> {
        let mut out = Vec::with_capacity(97 + self.c2.len() + 16);
        match format {
            CiphertextFormat::Asn1 => {
                let parts = [
                    asn1::uint(&self.c1[1..33]),
                    asn1::uint(&self.c1[33..65]),
                    asn1::tlv(asn1::TAG_OCTET_STRING, &self.c3),
                    asn1::tlv(asn1::TAG_OCTET_STRING, &self.c2),
                ];
                return asn1::tlv(asn1::TAG_SEQUENCE, &parts.concat());
            }
            CiphertextFormat::C1C3C2 | CiphertextFormat::C1C2C3 => out.extend_from_slice(&self.c1),
            CiphertextFormat::C1C3C2NoPrefix | CiphertextFormat::C1C2C3NoPrefix => {
                out.extend_from_slice(&self.c1[1..])
            }
        }
        match format {
            CiphertextFormat::C1C3C2 | CiphertextFormat::C1C3C2NoPrefix => {
                out.extend_from_slice(&self.c3);
                out.extend_from_slice(&self.c2);
            }
            _ => {
                out.extend_from_slice(&self.c2);
                out.extend_from_slice(&self.c3);
            }
        }
        out
    }

    /// Parse in a known `format`. Checks lengths and structure, not the
    /// point (decryption does that).
    pub fn from_bytes(bytes: &[u8], format: CiphertextFormat) -> Result<Self> {
        let (prefix, c3_first) = match format {
            CiphertextFormat::Asn1 => return Self::from_asn1(bytes),
            CiphertextFormat::C1C3C2 => (true, true),
            CiphertextFormat::C1C2C3 => (true, false),
            CiphertextFormat::C1C3C2NoPrefix => (false, true),
            CiphertextFormat::C1C2C3NoPrefix => (false, false),
        };
        let head = if prefix { 65 } else { 64 };
        if bytes.len() < head + 32 + 1 {
            return Err(Error::length(
                "SM2 ciphertext",
                format!("at least {} bytes for {format}", head + 33),
                bytes.len(),
            ));
        }
        if prefix && bytes[0] != 0x04 {
            return Err(Error::InvalidPointEncoding(format!(
                "C1 must start with 04 in {format}, found 0x{:02x}",
                bytes[0]
            )));
        }
        let mut c1 = [0u8; 65];
        c1[0] = 0x04;
        c1[1..].copy_from_slice(&bytes[head - 64..head]);
        let body = &bytes[head..];
        let (c3, c2) = if c3_first {
            (&body[..32], &body[32..])
        } else {
            (&body[body.len() - 32..], &body[..body.len() - 32])
        };
        let mut c3a = [0u8; 32];
        c3a.copy_from_slice(c3);
        Ok(Self {
            c1,
            c3: c3a,
            c2: c2.to_vec(),
        })
    }

    fn from_asn1(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "SM2 ciphertext (ASN.1)";
        let mut outer = asn1::Reader::new(WHAT, bytes);
        let mut seq = outer.expect(asn1::TAG_SEQUENCE)?;
        outer.finish()?;
        let x = seq.uint_fixed::<32>("x")?;
        let y = seq.uint_fixed::<32>("y")?;
        let hash = seq.expect(asn1::TAG_OCTET_STRING)?.rest();
        let c2 = seq.expect(asn1::TAG_OCTET_STRING)?.rest();
        seq.finish()?;
        let c3: [u8; 32] = hash
            .try_into()
            .map_err(|_| Error::length("SM2 ciphertext hash C3", "32 bytes", hash.len()))?;
        if c2.is_empty() {
            return Err(Error::length("SM2 ciphertext C2", "at least 1 byte", 0));
        }
        let mut c1 = [0u8; 65];
        c1[0] = 0x04;
        c1[1..33].copy_from_slice(&x);
        c1[33..].copy_from_slice(&y);
        Ok(Self {
            c1,
            c3,
            c2: c2.to_vec(),
        })
    }
}

/// Which forms `bytes` could be, most likely first. Raw forms cannot be
/// told apart without the key; decryption settles them by the C3 check.
pub fn candidate_formats(bytes: &[u8]) -> Vec<CiphertextFormat> {
    let mut out = Vec::new();
    if bytes.first() == Some(&0x30) && Ciphertext::from_asn1(bytes).is_ok() {
        out.push(CiphertextFormat::Asn1);
    }
    if bytes.first() == Some(&0x04) && bytes.len() >= 98 {
        out.push(CiphertextFormat::C1C3C2);
        out.push(CiphertextFormat::C1C2C3);
    }
    if bytes.len() >= 97 {
        out.push(CiphertextFormat::C1C3C2NoPrefix);
        out.push(CiphertextFormat::C1C2C3NoPrefix);
    }
    out
}

/// `x2 ‖ y2` of the shared point, wiped when dropped (as are the
/// coordinate copies made on the way).
fn x2y2(point: &sm2::AffinePoint) -> Zeroizing<[u8; 64]> {
    let mut z = Zeroizing::new([0u8; 64]);
    let mut x = point.x();
    let mut y = point.y();
    z[..32].copy_from_slice(&x);
    z[32..].copy_from_slice(&y);
    x.zeroize();
    y.zeroize();
    z
}

fn c3_of(z: &[u8; 64], message: &[u8]) -> [u8; 32] {
    let mut h = Sm3::new();
    h.update(&z[..32]);
    h.update(message);
    h.update(&z[32..]);
    h.finalize()
}

impl PublicKey {
    /// Encrypt `plaintext` (at least one byte) to this key.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &self,
        plaintext: &[u8],
        rng: &mut R,
    ) -> Result<Ciphertext> {
        if plaintext.is_empty() {
            return Err(Error::EmptyPlaintext);
        }
        let p = sm2::ProjectivePoint::from(*self.affine());
        loop {
            let k_owned = random_scalar(rng);
            // Borrowed, so the only copy of k is the one that is wiped.
            let k: &sm2::Scalar = &k_owned;
            let c1 = (sm2::ProjectivePoint::generator() * k).to_affine();
            // The shared point k·P (and its projective form) is the secret
            // of this ciphertext: wiped on drop, like k.
            let shared_p = Zeroizing::new(p * k);
            let shared = Zeroizing::new(shared_p.to_affine());
            let z = x2y2(&shared);
            let t = sm2_kdf(&z[..], plaintext.len());
            if t.iter().all(|&b| b == 0) {
                continue;
            }
            let c2: Vec<u8> = plaintext.iter().zip(t.iter()).map(|(m, k)| m ^ k).collect();
            let c3 = c3_of(&z, plaintext);
            let mut c1b = [0u8; 65];
            c1b.copy_from_slice(&PublicKey::from_affine(c1)?.to_sec1_bytes(false));
            return Ok(Ciphertext { c1: c1b, c3, c2 });
        }
    }

    /// Encrypt and serialise in `format`.
    pub fn encrypt_to<R: CryptoRng + ?Sized>(
        &self,
        plaintext: &[u8],
        format: CiphertextFormat,
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        Ok(self.encrypt(plaintext, rng)?.to_bytes(format))
    }
}

impl PrivateKey {
    /// Decrypt parsed parts. Refuses C1 off the curve and a C3 that does
    /// not match (wrong key or tampered ciphertext).
    pub fn decrypt_parts(&self, ct: &Ciphertext) -> Result<Zeroizing<Vec<u8>>> {
        let c1 = PublicKey::from_sec1_bytes(&ct.c1)?;
        let d = self.scalar();
        // d·C1, the shared point: wiped on drop in both forms.
        let shared_p = Zeroizing::new(sm2::ProjectivePoint::from(*c1.affine()) * d.as_ref());
        let shared = Zeroizing::new(shared_p.to_affine());
        if bool::from(shared.is_identity()) {
            return Err(Error::DecryptionFailed("shared point is the identity"));
        }
        let z = x2y2(&shared);
        let t = sm2_kdf(&z[..], ct.c2.len());
        if t.iter().all(|&b| b == 0) {
            return Err(Error::DecryptionFailed("KDF output is all zero"));
        }
        let m = Zeroizing::new(
            ct.c2
                .iter()
                .zip(t.iter())
                .map(|(c, k)| c ^ k)
                .collect::<Vec<u8>>(),
        );
        let u = c3_of(&z, &m);
        if bool::from(u.ct_eq(&ct.c3)) {
            Ok(m)
        } else {
            Err(Error::DecryptionFailed(
                "C3 does not match: wrong key or tampered ciphertext",
            ))
        }
    }

    /// Decrypt a ciphertext serialised in `format`.
    pub fn decrypt_as(
        &self,
        ciphertext: &[u8],
        format: CiphertextFormat,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.decrypt_parts(&Ciphertext::from_bytes(ciphertext, format)?)
    }

    /// Decrypt a ciphertext in any of the [`CiphertextFormat`]s, detected.
    pub fn decrypt(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        Ok(self.decrypt_detect(ciphertext)?.0)
    }

    /// Decrypt with detection, also returning the format that matched.
    pub fn decrypt_detect(
        &self,
        ciphertext: &[u8],
    ) -> Result<(Zeroizing<Vec<u8>>, CiphertextFormat)> {
        let candidates = candidate_formats(ciphertext);
        if candidates.is_empty() {
            if ciphertext.first() == Some(&0x30) {
                // Looks like DER but did not parse: report the DER error.
                Ciphertext::from_asn1(ciphertext)?;
            }
            return Err(Error::length(
                "SM2 ciphertext",
                "at least 97 bytes, or GM/T 0009 DER",
                ciphertext.len(),
            ));
        }
        // Prefer a C3 mismatch (the key or data is wrong) over "this
        // candidate's C1 is not a point" (the candidate was the wrong form).
        let mut c3_err = None;
        // Input that starts like DER but does not parse as the ASN.1 form:
        // its DER error says more than the raw forms' attempts.
        let asn1_err = match ciphertext.first() {
            Some(&asn1::TAG_SEQUENCE) => Ciphertext::from_asn1(ciphertext).err(),
            _ => None,
        };
        let mut other_err = None;
        for format in candidates {
            match self.decrypt_as(ciphertext, format) {
                Ok(m) => return Ok((m, format)),
                Err(e @ Error::DecryptionFailed(_)) => {
                    c3_err.get_or_insert(e);
                }
                Err(e) => {
                    other_err.get_or_insert(e);
                }
            }
        }
        Err(c3_err
            .or(asn1_err)
            .or(other_err)
            .unwrap_or(Error::DecryptionFailed("no format matched")))
    }
}
