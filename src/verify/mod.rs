//! The fast SM2 verification engine, for public data only.
//!
//! **Variable time.** Everything here branches on and indexes by the values
//! it computes with. That is fine for verification, where the key, the
//! message and the signature are public; it must never be used with a
//! private key (signing stays on the constant-time `sm2` crate code in
//! [`crate::crypto`]).
//!
//! How it works:
//! * the SM2 field in Montgomery form with 64-bit limbs and `u128`
//!   products, the reduction multiplier being the low limb because
//!   −p⁻¹ ≡ 1 (mod 2⁶⁴); elements are only partially reduced (below 2²⁵⁶,
//!   carries out of bit 256 folded back with 2²⁵⁶ ≡ 2²⁵⁶ − p), and the one
//!   inversion per fresh key is a variable-time safegcd;
//! * Jacobian points with a 4M + 4S a = −3 doubling and 8M + 3S mixed
//!   additions;
//! * \[s\]G from a fixed-base table of 32 windows × 255 affine points built
//!   once (about 510 KiB): at most 32 additions and no doublings;
//! * \[t\]P by a width-5 NAF over P's odd multiples (256 doublings, about 43
//!   additions; the multiples by co-Z additions and one inversion); a
//!   [`VerifyingKey`] keeps the odd multiples of P, 2⁶⁴P, 2¹²⁸P and 2¹⁹²P
//!   and splits t in four, for 64 doublings;
//! * no final inversion: x₁ ≡ r − e (mod n) is checked projectively as
//!   X = u·Z² for u = (r − e) mod n, and u + n when that is below p.
//!
//! [`VerifyingKey`] holds one key's ZA and split tables (about 2.1 KiB, [`VERIFYING_KEY_BYTES`])
//! for the many signatures a platform checks from the same certificate;
//! [`KeyCache`] keeps a bounded number of them for a service;
//! [`verify_batch`] spreads many verifications over all cores
//! ([`verify_batch_on`] over a given number of threads).

mod field;
mod point;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use sm2::elliptic_curve::PrimeField;
use sm2::elliptic_curve::ops::Reduce;

use crate::crypto::curve;
use crate::crypto::hash::{Sm3, Sm3Digest};
use crate::crypto::sign::za;
use crate::crypto::{DEFAULT_USER_ID, PublicKey, Signature};
use crate::error::{Error, Result};
use field::Fe;
use point::{Affine, mul_base, mul_split, mul_wnaf, odd_multiples, split_tables};

/// Bytes held by one [`VerifyingKey`] (public key, ZA, 32 affine points
/// of the split tables).
pub const VERIFYING_KEY_BYTES: usize = 65 + 32 + 32 * 64;

/// p − n, big-endian: when u < p − n, u + n is also a field element.
const P_MINUS_N: [u8; 32] = {
    let mut out = [0u8; 32];
    let mut borrow = 0u16;
    let mut i = 32;
    while i > 0 {
        i -= 1;
        let d = (curve::P[i] as u16)
            .wrapping_sub(curve::N[i] as u16)
            .wrapping_sub(borrow);
        out[i] = d as u8;
        borrow = (d >> 8) & 1;
    }
    out
};

/// Make the base-point table now rather than on the first verification.
pub fn warm_up() {
    point::base_table();
}

/// A public key prepared for verifying many signatures under one user ID.
#[derive(Clone)]
pub struct VerifyingKey {
    public: PublicKey,
    za: Sm3Digest,
    tables: Vec<Affine>,
}

impl std::fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

fn affine_of(public: &PublicKey) -> Result<Affine> {
    affine_of_xy(&public.to_xy())
}

fn affine_of_xy(xy: &[u8; 64]) -> Result<Affine> {
    let mut x = [0u8; 32];
    let mut y = [0u8; 32];
    x.copy_from_slice(&xy[..32]);
    y.copy_from_slice(&xy[32..]);
    let x = Fe::from_bytes(&x).ok_or(Error::PointNotOnCurve)?;
    let y = Fe::from_bytes(&y).ok_or(Error::PointNotOnCurve)?;
    Ok(Affine { x, y })
}

impl VerifyingKey {
    /// Prepare `public` for `user_id` (ZA and the key's window table).
    pub fn new(public: &PublicKey, user_id: &[u8]) -> Result<Self> {
        let za = za(public, user_id)?;
        let tables = split_tables(&affine_of(public)?);
        Ok(Self {
            public: *public,
            za,
            tables,
        })
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Verify `signature` over `message` (e = SM3(ZA ‖ M)).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> Result<()> {
        let mut h = Sm3::new();
        h.update(&self.za);
        h.update(message);
        self.verify_digest(&h.finalize(), signature)
    }

    /// Verify `signature` over a precomputed digest e.
    pub fn verify_digest(&self, e: &Sm3Digest, signature: &Signature) -> Result<()> {
        verify_core(e, signature, |t| mul_split(t, &self.tables))
    }
}

fn scalar(b: &[u8; 32]) -> Result<sm2::Scalar> {
    Option::from(sm2::Scalar::from_repr(sm2::FieldBytes::from(*b))).ok_or(Error::SignatureMismatch)
}

fn verify_core(
    e: &Sm3Digest,
    signature: &Signature,
    mul_p: impl FnOnce(&[u8; 32]) -> point::Jacobian,
) -> Result<()> {
    // r and s are in [1, n-1] by construction of `Signature`.
    let r = scalar(signature.r())?;
    let s = scalar(signature.s())?;
    let t = r + s;
    if bool::from(t.is_zero()) {
        return Err(Error::SignatureMismatch);
    }
    let mut t_bytes = [0u8; 32];
    t_bytes.copy_from_slice(&t.to_repr());
    let q = mul_base(signature.s(), mul_p(&t_bytes));
    if q.is_identity() {
        return Err(Error::SignatureMismatch);
    }
    // x1 = X / Z² must satisfy (e + x1) mod n = r, i.e. x1 ≡ r − e (mod n):
    // x1 is u or u + n (both below p) for u = (r − e) mod n.
    let e = <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&sm2::FieldBytes::from(*e));
    let mut u = [0u8; 32];
    u.copy_from_slice(&(r - e).to_repr());
    let z2 = q.z.square();
    let candidate = |v: &[u8; 32]| Fe::from_bytes(v).is_some_and(|fv| fv.mul(&z2) == q.x);
    if candidate(&u) {
        return Ok(());
    }
    if u < P_MINUS_N {
        let mut sum = [0u8; 32];
        let mut carry = 0u16;
        for i in (0..32).rev() {
            let v = u16::from(u[i]) + u16::from(curve::N[i]) + carry;
            sum[i] = v as u8;
            carry = v >> 8;
        }
        if candidate(&sum) {
            return Ok(());
        }
    }
    Err(Error::SignatureMismatch)
}

/// Verify `signature` over `message` under `user_id` with a fresh key
/// (8 odd multiples of the key and 256 doublings; a [`VerifyingKey`] pays
/// for bigger tables once and then needs 64).
pub fn verify(
    public: &PublicKey,
    user_id: &[u8],
    message: &[u8],
    signature: &Signature,
) -> Result<()> {
    let xy = public.to_xy();
    let z = za_of(&xy, public, user_id)?;
    let mut h = Sm3::new();
    h.update(&z);
    h.update(message);
    verify_xy(&xy, &h.finalize(), signature)
}

/// Verify `signature` over a precomputed digest with a fresh key.
pub fn verify_digest(public: &PublicKey, e: &Sm3Digest, signature: &Signature) -> Result<()> {
    verify_xy(&public.to_xy(), e, signature)
}

fn verify_xy(xy: &[u8; 64], e: &Sm3Digest, signature: &Signature) -> Result<()> {
    let odd = odd_multiples(&affine_of_xy(xy)?);
    verify_core(e, signature, |t| mul_wnaf(t, &odd))
}

/// ZA for the key with coordinates `xy`: for the default user ID from a
/// cached SM3 state that has already absorbed the 146 bytes before the key
/// (ENTL, ID, a, b, Gx, Gy; two of the four blocks), otherwise by [`za`].
fn za_of(xy: &[u8; 64], public: &PublicKey, user_id: &[u8]) -> Result<Sm3Digest> {
    use sm3::Digest;
    static DEFAULT_PREFIX: OnceLock<sm3::Sm3> = OnceLock::new();
    if user_id != DEFAULT_USER_ID {
        return za(public, user_id);
    }
    let mut h = DEFAULT_PREFIX
        .get_or_init(|| {
            let mut h = sm3::Sm3::new();
            h.update(((DEFAULT_USER_ID.len() * 8) as u16).to_be_bytes());
            h.update(DEFAULT_USER_ID);
            h.update(curve::A);
            h.update(curve::B);
            h.update(curve::GX);
            h.update(curve::GY);
            h
        })
        .clone();
    h.update(xy);
    Ok(h.finalize().into())
}

/// (compressed public key, user ID)
type CacheKey = (Vec<u8>, Vec<u8>);

/// A bounded cache of prepared keys, keyed by public key and user ID, for
/// services that see the same certificates again and again. When full it
/// is emptied and refilled (simple, and a burst of new keys cannot grow
/// it). Memory: about [`VERIFYING_KEY_BYTES`] plus the ID per entry.
pub struct KeyCache {
    capacity: usize,
    map: Mutex<HashMap<CacheKey, Arc<VerifyingKey>>>,
}

impl KeyCache {
    /// A cache of at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// The prepared key for `public` and `user_id`.
    pub fn get(&self, public: &PublicKey, user_id: &[u8]) -> Result<Arc<VerifyingKey>> {
        let k = (public.to_sec1_bytes(true), user_id.to_vec());
        if let Some(v) = self.map.lock().ok().and_then(|m| m.get(&k).cloned()) {
            return Ok(v);
        }
        let v = Arc::new(VerifyingKey::new(public, user_id)?);
        if let Ok(mut m) = self.map.lock() {
            if m.len() >= self.capacity {
                m.clear();
            }
            m.insert(k, v.clone());
        }
        Ok(v)
    }

    /// Verify through the cache.
    pub fn verify(
        &self,
        public: &PublicKey,
        user_id: &[u8],
        message: &[u8],
        signature: &Signature,
    ) -> Result<()> {
        self.get(public, user_id)?.verify(message, signature)
    }

    /// Keys held now.
    pub fn len(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One item of a batch.
#[derive(Debug, Clone, Copy)]
pub struct BatchItem<'a> {
    /// The key.
    pub public: &'a PublicKey,
    /// The user ID.
    pub user_id: &'a [u8],
    /// The message.
    pub message: &'a [u8],
    /// The signature.
    pub signature: &'a Signature,
}

/// Fewest items worth a thread of its own in [`verify_batch`]: starting a
/// thread costs about what one verification does.
const ITEMS_PER_THREAD: usize = 4;

/// Verify many signatures on all cores; one result per item, in order.
///
/// The workers take one item at a time from a shared counter rather than
/// one fixed share each, so that a core that is slower (or busy with
/// something else) does not hold up the whole batch: they finish within
/// one verification of each other. A verification takes tens of
/// microseconds, so the counter is never contended.
pub fn verify_batch(items: &[BatchItem<'_>]) -> Vec<Result<()>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    verify_batch_on(items, cores)
}

/// [`verify_batch`] on at most `threads` threads (the calling thread does
/// the work itself when that is 1, or when the batch is too small to
/// share); 0 counts as 1. For callers that keep cores for other work, and
/// for measuring how the batch scales.
pub fn verify_batch_on(items: &[BatchItem<'_>], threads: usize) -> Vec<Result<()>> {
    warm_up();
    let one = |i: &BatchItem<'_>| verify(i.public, i.user_id, i.message, i.signature);
    let threads = threads.min(items.len() / ITEMS_PER_THREAD);
    if threads <= 1 {
        return items.iter().map(one).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::with_capacity(items.len() / threads + 1);
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= items.len() {
                return done;
            }
            done.push((i, one(&items[i])));
        }
    };
    let mut results: Vec<Option<Result<()>>> = (0..items.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        // the calling thread is one of the workers
        let handles: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
        let mine = work();
        let theirs = handles.into_iter().flat_map(|h| {
            // a worker that panicked leaves its items unset
            h.join().unwrap_or_default()
        });
        for (i, r) in mine.into_iter().chain(theirs) {
            results[i] = Some(r);
        }
    });
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Error::param("batch", "a verification thread panicked"))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::PrivateKey;

    #[test]
    fn cached_za_prefix_gives_the_same_za() {
        for i in 1..=20u8 {
            let mut d = [i; 32];
            d[0] = 0x17;
            let public = PrivateKey::from_bytes(&d).unwrap().public_key();
            let xy = public.to_xy();
            for id in [DEFAULT_USER_ID, b"", b"alice@example.com", &[0x31; 200]] {
                assert_eq!(za_of(&xy, &public, id).unwrap(), za(&public, id).unwrap());
            }
        }
    }
}
