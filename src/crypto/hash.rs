//! SM3 (GB/T 32905), HMAC-SM3, PBKDF2-HMAC-SM3 and the SM2 key derivation
//! function (GB/T 32918.4 §5.4.3).
//!
//! # Secrets in memory
//!
//! Hash and HMAC states absorb secrets (keys, PINs, shared points), so they
//! are built to wipe themselves: with the `zeroize` features of `sm3`,
//! `sha2`, `hmac` and `digest`, every SM3 and SHA-256 chaining state and
//! every block buffer (the partial block not yet compressed) is zeroized
//! when dropped, which covers [`Sm3`], [`HmacSm3`] (its inner and outer
//! SM3 states and its buffer) and each HMAC state PBKDF2 clones per
//! iteration. What the crates cannot wipe, because they keep it in a local
//! they never zeroize and expose no hook for:
//!
//! * `hmac` 0.13 builds the padded key block (`key ⊕ ipad`, then
//!   `key ⊕ opad`) in a stack local of `HmacCore::new_from_slice`, and the
//!   inner digest in a stack local of `finalize_fixed_core`;
//! * `pbkdf2` 0.13 has no `zeroize` feature at all: the last `U_i` of each
//!   output block (a digest-sized stack local of `pbkdf2_body`) is left
//!   behind. Its output goes to the caller's buffer, which callers here
//!   hold in `Zeroizing`;
//! * the SM3 compression function's message schedule (stack locals).
//!
//! These are dead stack slots, overwritten by later calls; no heap copy is
//! left. Tags and derived keys returned to callers are plain arrays: wrap
//! them in [`zeroize::Zeroizing`] when they are keys rather than public
//! MACs.

use hmac::{KeyInit, Mac};
use sm3::Digest;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Length of an SM3 digest in bytes.
pub const SM3_LEN: usize = 32;

/// An SM3 digest.
pub type Sm3Digest = [u8; SM3_LEN];

/// Incremental SM3 hasher.
///
/// ```
/// use yizhengtong::crypto::hash::{Sm3, sm3};
/// let mut h = Sm3::new();
/// h.update(b"ab");
/// h.update(b"c");
/// assert_eq!(h.finalize(), sm3(b"abc"));
/// ```
#[derive(Clone, Default)]
pub struct Sm3(sm3::Sm3);

impl Sm3 {
    /// A fresh hasher.
    pub fn new() -> Self {
        Self::default()
    }

    /// Absorb more data.
    pub fn update(&mut self, data: &[u8]) {
        Digest::update(&mut self.0, data);
    }

    /// Finish and return the digest.
    pub fn finalize(self) -> Sm3Digest {
        self.0.finalize().into()
    }
}

impl std::fmt::Debug for Sm3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sm3 { .. }")
    }
}

// `sm3::Sm3` wipes its chaining state and buffer on drop (feature
// `sm3/zeroize`), and so, by its only field, does this wrapper.
impl zeroize::ZeroizeOnDrop for Sm3 {}

impl std::io::Write for Sm3 {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One-shot SM3.
pub fn sm3(data: &[u8]) -> Sm3Digest {
    sm3::Sm3::digest(data).into()
}

/// Lower-case hex of SM3(`data`).
pub fn hex_digest(data: &[u8]) -> String {
    crate::hex::encode(&sm3(data))
}

/// SM3 over several slices, as if concatenated.
pub fn sm3_concat(parts: &[&[u8]]) -> Sm3Digest {
    let mut h = sm3::Sm3::new();
    for p in parts {
        Digest::update(&mut h, p);
    }
    h.finalize().into()
}

type HmacSm3Inner = hmac::Hmac<sm3::Sm3>;

/// Incremental HMAC-SM3 (RFC 2104 over SM3).
#[derive(Clone)]
pub struct HmacSm3(HmacSm3Inner);

impl HmacSm3 {
    /// A MAC keyed with `key` (any length).
    pub fn new(key: &[u8]) -> Self {
        // HMAC accepts keys of any length; this cannot fail.
        Self(<HmacSm3Inner as KeyInit>::new_from_slice(key).unwrap_or_else(|_| unreachable!()))
    }

    /// Absorb more data.
    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// Finish and return the tag.
    pub fn finalize(self) -> Sm3Digest {
        self.0.finalize().into_bytes().into()
    }

    /// Finish and compare with `tag` in constant time.
    ///
    /// Truncated tags are accepted when at least 16 bytes long.
    pub fn verify(self, tag: &[u8]) -> Result<()> {
        if tag.len() < 16 || tag.len() > SM3_LEN {
            return Err(Error::length("HMAC-SM3 tag", "16 to 32 bytes", tag.len()));
        }
        let full = self.finalize();
        if bool::from(full[..tag.len()].ct_eq(tag)) {
            Ok(())
        } else {
            Err(Error::AuthenticationFailed)
        }
    }
}

// `hmac::Hmac<Sm3>` is two `Sm3Core` states (inner and outer, each keyed
// with the padded key) and a block buffer; with `sm3/zeroize` and
// `digest/zeroize` each of them wipes itself on drop. `hmac` does not mark
// `Hmac` itself `ZeroizeOnDrop`, so the claim is made here, and checked
// against the parts it rests on at compile time.
impl zeroize::ZeroizeOnDrop for HmacSm3 {}
const _: () = {
    fn parts_wipe<T: zeroize::ZeroizeOnDrop>() {}
    fn check() {
        // Sm3Core is the state type; sm3::Sm3 is ZeroizeOnDrop only when
        // both Sm3Core and its block buffer (the one Hmac uses too) are.
        parts_wipe::<sm3::Sm3Core>();
        parts_wipe::<sm3::Sm3>();
    }
    let _ = check;
};

impl std::fmt::Debug for HmacSm3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HmacSm3 { [redacted] }")
    }
}

/// One-shot HMAC-SM3.
pub fn hmac_sm3(key: &[u8], data: &[u8]) -> Sm3Digest {
    let mut m = HmacSm3::new(key);
    m.update(data);
    m.finalize()
}

/// PBKDF2 (RFC 8018) with HMAC-SM3 as PRF, filling `out`.
///
/// `iterations` must be at least 1.
pub fn pbkdf2_hmac_sm3(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) -> Result<()> {
    if iterations == 0 {
        return Err(Error::param("iterations", "must be at least 1"));
    }
    pbkdf2::pbkdf2_hmac::<sm3::Sm3>(password, salt, iterations, out);
    Ok(())
}

/// PBKDF2 with the given PRF (HMAC-SM3, or HMAC-SHA-256 as OpenSSL writes by default).
pub(crate) fn pbkdf2_with_prf(
    prf: Prf,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out: &mut [u8],
) -> Result<()> {
    if iterations == 0 {
        return Err(Error::param("iterations", "must be at least 1"));
    }
    match prf {
        Prf::HmacSm3 => pbkdf2::pbkdf2_hmac::<sm3::Sm3>(password, salt, iterations, out),
        Prf::HmacSha256 => pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt, iterations, out),
    }
    Ok(())
}

/// The pseudo-random functions PBKDF2 may use here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Prf {
    HmacSm3,
    HmacSha256,
}

/// The SM2 KDF: `SM3(z || ct)` blocks with a 32-bit big-endian counter from 1.
pub(crate) fn sm2_kdf(z: &[u8], out_len: usize) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(out_len + SM3_LEN));
    let mut ct: u32 = 1;
    while out.len() < out_len {
        let block = Zeroizing::new(sm3_concat(&[z, &ct.to_be_bytes()]));
        out.extend_from_slice(&block[..]);
        ct = ct.wrapping_add(1);
    }
    out.truncate(out_len);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex;

    #[test]
    fn kdf_known_answer() {
        // crypto.md §2: t = KDF(x2 || y2, 152 bits)
        let z = hex::decode(
            "335E18D751E51F040E27D468138B7AB1DC86AD7F981D7D416222FD6AB3ED230D\
             AB743EBCFB22D64F7B6AB791F70658F25B48FA93E54064FDBFBED3F0BD847AC9",
        )
        .unwrap();
        let t = sm2_kdf(&z, 19);
        assert_eq!(
            hex::encode_upper(&t),
            "44E60FDBF0BAE81437665374BEF26749046C9E"
        );
    }

    #[test]
    fn hmac_verify_refuses_short_and_wrong_tags() {
        let tag = hmac_sm3(b"k", b"data");
        let mut m = HmacSm3::new(b"k");
        m.update(b"data");
        assert!(m.clone().verify(&tag).is_ok());
        assert!(m.clone().verify(&tag[..16]).is_ok());
        assert!(matches!(
            m.clone().verify(&tag[..15]),
            Err(Error::InvalidLength { .. })
        ));
        let mut bad = tag;
        bad[31] ^= 1;
        assert_eq!(m.verify(&bad), Err(Error::AuthenticationFailed));
    }

    #[test]
    fn pbkdf2_zero_iterations_refused() {
        let mut out = [0u8; 16];
        assert!(pbkdf2_hmac_sm3(b"p", b"s", 0, &mut out).is_err());
    }
}
