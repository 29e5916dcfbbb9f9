//! SM2 digital signatures (GB/T 32918.2) with the user ID as bytes.
//!
//! The message is hashed as `e = SM3(ZA ‖ M)` where
//! `ZA = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ xA ‖ yA)`. The ID defaults to
//! [`DEFAULT_USER_ID`] (`1234567812345678`, GM/T 0009); any other byte
//! string of at most 8191 bytes is accepted.
//!
//! Signing runs on the `sm2` crate's constant-time scalar and point
//! arithmetic. Signatures encode as DER `SEQUENCE { r INTEGER, s INTEGER }`
//! (the default, what OpenSSL writes) or raw `r ‖ s` (64 bytes); decoders
//! accept only canonical DER and components in [1, n-1].
//!
//! # The nonce k
//!
//! k is *hedged*: it is not the RNG's output but the HMAC_DRBG of RFC 6979
//! §3.2 over HMAC-SM3, keyed by the private scalar d and the digest
//! `e mod n`, with 32 fresh bytes from the caller's RNG as the extra input
//! of RFC 6979 §3.6 (the exact steps are in the `nonce` module source).
//! SM2's own retry rule (A5/A6: r = 0, r + k = n or s = 0) takes the
//! generator's next candidate. So:
//!
//! * with a working RNG, signatures are randomised as before: signing the
//!   same message twice gives two different signatures;
//! * with a broken RNG (one that repeats, e.g. after a fork or a VM
//!   snapshot, or returns constant bytes) k still differs for every
//!   different digest, so no two messages share a k and the key cannot be
//!   solved for; the same message signed twice then gives the same
//!   signature (plain RFC 6979 determinism), which leaks nothing.
//!
//! Every signing path of the SDK (certificates, CRLs, CMS, seals, QR
//! challenges and responses, the CLI, the C and Java bindings) goes through
//! [`PrivateKey::sign`] or [`PrivateKey::sign_digest`], hence through this
//! derivation. Reproducing a published vector that states its k needs
//! [`hazmat::sign_digest_with_nonce`].
//!
//! # Secrets in memory
//!
//! The copies of d, (1 + d)⁻¹, k, r·d and k − r·d that signing makes, and
//! the DRBG's K and V, are held in [`Zeroizing`] and wiped when signing
//! returns. What the `sm2` crate does inside its arithmetic (register and
//! stack temporaries) is beyond reach.

use rand_core::CryptoRng;
use sm2::elliptic_curve::PrimeField;
use sm2::elliptic_curve::group::Group;
use sm2::elliptic_curve::ops::{LinearCombination, Reduce};
use sm2::elliptic_curve::point::AffineCoordinates;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::curve;
use super::hash::{Sm3, Sm3Digest};
use super::keys::{PrivateKey, PublicKey};
use super::nonce::HedgedNonces;
use crate::asn1;
use crate::error::{Error, Result};

/// The default SM2 user ID of GM/T 0009: the ASCII bytes `1234567812345678`.
pub const DEFAULT_USER_ID: &[u8] = b"1234567812345678";

/// Longest user ID ENTL can express (2 bytes of length in bits).
pub const MAX_USER_ID_LEN: usize = 8191;

/// How a signature is serialised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureFormat {
    /// DER `SEQUENCE { r INTEGER, s INTEGER }` (GM/T 0009, OpenSSL).
    #[default]
    Der,
    /// Raw 64 bytes `r ‖ s`, each 32 bytes big-endian.
    Raw,
}

/// `ZA = SM3(ENTL ‖ ID ‖ a ‖ b ‖ Gx ‖ Gy ‖ xA ‖ yA)`.
pub fn za(public: &PublicKey, user_id: &[u8]) -> Result<Sm3Digest> {
    if user_id.len() > MAX_USER_ID_LEN {
        return Err(Error::UserIdTooLong { len: user_id.len() });
    }
    // len <= 8191, so bits <= 65528 fits in u16.
    let entl = u16::try_from(user_id.len() * 8)
        .map_err(|_| Error::UserIdTooLong { len: user_id.len() })?;
    let mut h = Sm3::new();
    h.update(&entl.to_be_bytes());
    h.update(user_id);
    h.update(&curve::A);
    h.update(&curve::B);
    h.update(&curve::GX);
    h.update(&curve::GY);
    h.update(&public.to_xy());
    Ok(h.finalize())
}

/// `e = SM3(ZA ‖ M)`, the digest that is signed.
pub fn message_digest(public: &PublicKey, user_id: &[u8], message: &[u8]) -> Result<Sm3Digest> {
    let z = za(public, user_id)?;
    let mut h = Sm3::new();
    h.update(&z);
    h.update(message);
    Ok(h.finalize())
}

/// An SM2 signature whose components are known to lie in [1, n-1].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Signature {
    r: [u8; 32],
    s: [u8; 32],
}

impl Signature {
    /// From r and s as 32-byte big-endian numbers; each must be in [1, n-1].
    pub fn from_components(r: [u8; 32], s: [u8; 32]) -> Result<Self> {
        check_component("r", &r)?;
        check_component("s", &s)?;
        Ok(Self { r, s })
    }

    /// r, big-endian.
    pub fn r(&self) -> &[u8; 32] {
        &self.r
    }

    /// s, big-endian.
    pub fn s(&self) -> &[u8; 32] {
        &self.s
    }

    /// Decode raw `r ‖ s` (exactly 64 bytes).
    pub fn from_raw(bytes: &[u8]) -> Result<Self> {
        if bytes.len() != 64 {
            return Err(Error::length("raw SM2 signature", "64 bytes", bytes.len()));
        }
        let mut r = [0u8; 32];
        let mut s = [0u8; 32];
        r.copy_from_slice(&bytes[..32]);
        s.copy_from_slice(&bytes[32..]);
        Self::from_components(r, s)
    }

    /// Raw `r ‖ s`.
    pub fn to_raw(&self) -> [u8; 64] {
        let mut out = [0u8; 64];
        out[..32].copy_from_slice(&self.r);
        out[32..].copy_from_slice(&self.s);
        out
    }

    /// Decode canonical DER; refuses non-minimal lengths or integers,
    /// negative numbers, values over 32 bytes and trailing bytes.
    pub fn from_der(bytes: &[u8]) -> Result<Self> {
        let mut outer = asn1::Reader::new("DER SM2 signature", bytes);
        let mut seq = outer.expect(asn1::TAG_SEQUENCE)?;
        outer.finish()?;
        let r = seq.uint_fixed::<32>("r")?;
        let s = seq.uint_fixed::<32>("s")?;
        seq.finish()?;
        Self::from_components(r, s)
    }

    /// Canonical DER.
    pub fn to_der(&self) -> Vec<u8> {
        asn1::tlv(
            asn1::TAG_SEQUENCE,
            &[asn1::uint(&self.r), asn1::uint(&self.s)].concat(),
        )
    }

    /// Decode in the given format.
    pub fn from_bytes(bytes: &[u8], format: SignatureFormat) -> Result<Self> {
        match format {
            SignatureFormat::Der => Self::from_der(bytes),
            SignatureFormat::Raw => Self::from_raw(bytes),
        }
    }

    /// Decode DER or raw, told apart by shape (64 bytes not starting with
    /// a valid DER SEQUENCE are raw).
    pub fn from_der_or_raw(bytes: &[u8]) -> Result<Self> {
        match Self::from_der(bytes) {
            Ok(sig) => Ok(sig),
            Err(e) if bytes.len() == 64 => Self::from_raw(bytes).map_err(|_| e),
            Err(e) => Err(e),
        }
    }

    /// Encode in the given format.
    pub fn to_bytes(&self, format: SignatureFormat) -> Vec<u8> {
        match format {
            SignatureFormat::Der => self.to_der(),
            SignatureFormat::Raw => self.to_raw().to_vec(),
        }
    }
}

fn check_component(name: &'static str, v: &[u8; 32]) -> Result<()> {
    let zero = bool::from(v.ct_eq(&[0u8; 32]));
    if zero || v >= &curve::N {
        Err(Error::SignatureOutOfRange { component: name })
    } else {
        Ok(())
    }
}

/// A uniformly random scalar in [1, n-1] drawn by rejection from `rng`
/// (the ephemeral key of SM2 encryption; signing uses [`HedgedNonces`]).
pub(crate) fn random_scalar<R: CryptoRng + ?Sized>(rng: &mut R) -> Zeroizing<sm2::Scalar> {
    let mut buf = sm2::FieldBytes::default();
    loop {
        rng.fill_bytes(&mut buf);
        let candidate: Option<sm2::Scalar> = sm2::Scalar::from_repr(buf).into();
        buf.zeroize();
        if let Some(k) = candidate {
            let k = Zeroizing::new(k);
            if !bool::from(k.is_zero()) {
                return k;
            }
        }
    }
}

/// `e mod n`, the digest as a scalar (GB/T 32918.2 A5 adds it to x1).
fn digest_scalar(e: &Sm3Digest) -> sm2::Scalar {
    <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&sm2::FieldBytes::from(*e))
}

/// The two secret scalars every signature needs: d and (1 + d)⁻¹, wiped
/// when dropped.
struct SigningScalars {
    d: Zeroizing<sm2::Scalar>,
    inv_1_plus_d: Zeroizing<sm2::Scalar>,
}

impl SigningScalars {
    fn of(key: &PrivateKey) -> Self {
        let d = Zeroizing::new(*key.scalar().as_ref());
        let one_plus_d = Zeroizing::new(sm2::Scalar::ONE + *d);
        // d is in [1, n-2] (PrivateKey refuses anything else), so 1 + d is
        // non-zero and invertible; `invert` is the constant-time inverse.
        let inv: Option<sm2::Scalar> = one_plus_d.invert().into();
        let inv_1_plus_d = Zeroizing::new(inv.unwrap_or_else(|| unreachable!()));
        Self { d, inv_1_plus_d }
    }

    /// GB/T 32918.2 A4–A6 for one nonce `k` (in [1, n-1]): `None` when k
    /// is unusable (r = 0, r + k = n or s = 0) and SM2 asks for another.
    /// Constant-time arithmetic throughout; the only branches are on r and
    /// s, which are published, and on r + k = n, which only discards k.
    fn sign_with(&self, e: &sm2::Scalar, k: &sm2::Scalar) -> Option<Signature> {
        let x1 = (sm2::ProjectivePoint::generator() * k).to_affine().x();
        let r = *e + <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&x1);
        if bool::from(r.is_zero() | (r + k).is_zero()) {
            return None;
        }
        // r·d and k − r·d each give d away next to the signature: wipe them.
        let rd = Zeroizing::new(r * *self.d);
        let k_minus_rd = Zeroizing::new(*k - *rd);
        let s = *self.inv_1_plus_d * *k_minus_rd;
        if bool::from(s.is_zero()) {
            return None;
        }
        let mut rb = [0u8; 32];
        let mut sb = [0u8; 32];
        rb.copy_from_slice(&r.to_repr());
        sb.copy_from_slice(&s.to_repr());
        Some(Signature { r: rb, s: sb })
    }
}

impl PrivateKey {
    /// Sign `message` under `user_id` (ZA and SM3 computed inside).
    ///
    /// The nonce is hedged (see the [module docs](self)): `rng` supplies
    /// 32 bytes that are mixed with the key and the digest.
    pub fn sign<R: CryptoRng + ?Sized>(
        &self,
        user_id: &[u8],
        message: &[u8],
        rng: &mut R,
    ) -> Result<Signature> {
        let e = message_digest(&self.public_key(), user_id, message)?;
        Ok(self.sign_digest(&e, rng))
    }

    /// Sign a precomputed digest `e = SM3(ZA ‖ M)`, with a hedged nonce
    /// (RFC 6979 HMAC-SM3 derivation from d and e, mixed with 32 bytes
    /// from `rng`; see the [module docs](self)).
    pub fn sign_digest<R: CryptoRng + ?Sized>(&self, e: &Sm3Digest, rng: &mut R) -> Signature {
        let mut extra = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut extra[..]);
        let e = digest_scalar(e);
        let scalars = SigningScalars::of(self);
        let mut e_mod_n = [0u8; 32];
        e_mod_n.copy_from_slice(&e.to_repr());
        let mut nonces = HedgedNonces::new(&self.to_bytes(), &e_mod_n, &extra[..]);
        loop {
            let k = nonces.next_scalar();
            if let Some(sig) = scalars.sign_with(&e, &k) {
                return sig;
            }
        }
    }
}

/// Signing with a nonce the caller chooses: for reproducing published
/// known-answer vectors (GB/T 32918.2 Annex A, GM/T 0003 examples) that
/// state their k, and nothing else.
pub mod hazmat {
    use super::*;

    /// Sign the digest `e = SM3(ZA ‖ M)` with the nonce `k` (32 bytes,
    /// big-endian) instead of a derived one.
    ///
    /// **Danger:** the private key follows from any two signatures that
    /// share a k, or from one signature whose k is known or guessable.
    /// Use [`PrivateKey::sign_digest`] for anything real.
    ///
    /// Refuses k outside [1, n-1], and a k that SM2 would have to replace
    /// (r = 0, r + k = n or s = 0), with [`Error::InvalidParameter`].
    pub fn sign_digest_with_nonce(
        key: &PrivateKey,
        e: &Sm3Digest,
        k: &[u8; 32],
    ) -> Result<Signature> {
        let mut repr = sm2::FieldBytes::from(*k);
        let k: Option<sm2::Scalar> = sm2::Scalar::from_repr(repr).into();
        repr.zeroize();
        let k = Zeroizing::new(
            k.filter(|k| !bool::from(k.is_zero()))
                .ok_or_else(|| Error::param("k", "must be in [1, n-1]"))?,
        );
        SigningScalars::of(key)
            .sign_with(&digest_scalar(e), &k)
            .ok_or_else(|| {
                Error::param(
                    "k",
                    "gives r = 0, r + k = n or s = 0; SM2 needs another nonce",
                )
            })
    }
}

impl PublicKey {
    /// Verify `signature` over `message` under `user_id`, with the
    /// constant-time `sm2`-crate arithmetic.
    ///
    /// This is the reference the verification engine is tested against.
    /// To verify fast, use [`crate::verify::verify`] (or a
    /// [`crate::verify::VerifyingKey`] for many signatures from one key):
    /// every verifying path of the SDK (certificates, CRLs, seals, QR
    /// responses, the CLI, the C and Java bindings) goes through it.
    ///
    /// `Ok(())` when it verifies, [`Error::SignatureMismatch`] when it
    /// does not, another error for an unusable input (e.g. an ID too long).
    pub fn verify(&self, user_id: &[u8], message: &[u8], signature: &Signature) -> Result<()> {
        let e = message_digest(self, user_id, message)?;
        self.verify_digest(&e, signature)
    }

    /// Verify `signature` over a precomputed `e = SM3(ZA ‖ M)`.
    pub fn verify_digest(&self, e: &Sm3Digest, signature: &Signature) -> Result<()> {
        let scalar = |b: &[u8; 32]| -> Result<sm2::Scalar> {
            Option::from(sm2::Scalar::from_repr(sm2::FieldBytes::from(*b)))
                .ok_or(Error::SignatureMismatch)
        };
        let r = scalar(&signature.r)?;
        let s = scalar(&signature.s)?;
        let t = r + s;
        if bool::from(t.is_zero()) {
            return Err(Error::SignatureMismatch);
        }
        let point = sm2::ProjectivePoint::lincomb(&[
            (sm2::ProjectivePoint::generator(), s),
            (sm2::ProjectivePoint::from(*self.affine()), t),
        ]);
        if bool::from(point.is_identity()) {
            return Err(Error::SignatureMismatch);
        }
        let e = <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&sm2::FieldBytes::from(*e));
        let x1 = point.to_affine().x();
        if e + <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&x1) == r {
            Ok(())
        } else {
            Err(Error::SignatureMismatch)
        }
    }
}
