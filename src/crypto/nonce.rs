//! Hedged SM2 signing nonces: the HMAC_DRBG of RFC 6979 §3.2 over
//! HMAC-SM3, with fresh randomness as the extra input of RFC 6979 §3.6.
//!
//! For a private scalar `x`, a digest `e = SM3(ZA ‖ M)` and 32 bytes `r'`
//! from the caller's RNG (qlen = hlen = 256, so bits2int is the identity on
//! 32-byte strings and bits2octets(e) is `e mod n` as 32 bytes):
//!
//! ```text
//! V = 0x01 × 32,  K = 0x00 × 32
//! K = HMAC_K(V ‖ 0x00 ‖ x ‖ (e mod n) ‖ r')      V = HMAC_K(V)
//! K = HMAC_K(V ‖ 0x01 ‖ x ‖ (e mod n) ‖ r')      V = HMAC_K(V)
//! loop:  V = HMAC_K(V);  k = V;  if 1 ≤ k < n and k is suitable: done
//!        K = HMAC_K(V ‖ 0x00);   V = HMAC_K(V)
//! ```
//!
//! "Suitable" is SM2's A5/A6: r ≠ 0, r + k ≠ n, s ≠ 0; the signer asks for
//! the next candidate when one fails. What this buys:
//!
//! * a good RNG makes k as random as before (r' is mixed in), so two
//!   signatures of one message differ;
//! * a broken RNG (constant, repeated after a fork or a VM snapshot) still
//!   cannot make one k serve two different digests: k is a PRF of
//!   (x, e, r'), so different digests give unrelated k and the key does not
//!   leak; with a constant r' the same digest gives the same signature,
//!   which reveals nothing (the RFC 6979 deterministic case).
//!
//! K and V hold values derived from the key: they live in [`Zeroizing`]
//! buffers and are wiped when the generator is dropped. The HMAC-SM3 state
//! behind each call wipes itself on drop (the `zeroize` features of `hmac`
//! and `sm3`); see [`super::hash`] for the parts the crates cannot wipe.

use sm2::elliptic_curve::PrimeField;
use zeroize::{Zeroize, Zeroizing};

use super::hash::HmacSm3;

/// The RFC 6979 HMAC_DRBG state (K, V) for one signature.
pub(crate) struct HedgedNonces {
    k: Zeroizing<[u8; 32]>,
    v: Zeroizing<[u8; 32]>,
    /// False until the first candidate is drawn: step h.3's K/V update
    /// comes only between candidates.
    started: bool,
}

/// `out = HMAC-SM3_key(parts...)`, leaving no copy of the tag behind.
fn hmac_into(key: &[u8; 32], parts: &[&[u8]], out: &mut Zeroizing<[u8; 32]>) {
    let mut mac = HmacSm3::new(key);
    for p in parts {
        mac.update(p);
    }
    let mut tag = mac.finalize();
    out.copy_from_slice(&tag);
    tag.zeroize();
}

impl HedgedNonces {
    /// Steps b–g of RFC 6979 §3.2 with the §3.6 extra input: `x` is the
    /// private scalar (int2octets), `e_mod_n` the digest reduced mod n
    /// (bits2octets), `extra` the fresh random bytes.
    pub(crate) fn new(x: &[u8; 32], e_mod_n: &[u8; 32], extra: &[u8]) -> Self {
        let mut k = Zeroizing::new([0u8; 32]);
        let mut v = Zeroizing::new([1u8; 32]);
        let mut t = Zeroizing::new([0u8; 32]);
        for sep in [0x00u8, 0x01] {
            // K = HMAC_K(V || sep || x || e || extra)
            hmac_into(&k, &[&v[..], &[sep], x, e_mod_n, extra], &mut t);
            k.copy_from_slice(&t[..]);
            // V = HMAC_K(V)
            hmac_into(&k, &[&v[..]], &mut t);
            v.copy_from_slice(&t[..]);
        }
        Self {
            k,
            v,
            started: false,
        }
    }

    /// The next candidate T of step h (32 bytes, not yet range-checked).
    pub(crate) fn next_candidate(&mut self) -> Zeroizing<[u8; 32]> {
        let mut t = Zeroizing::new([0u8; 32]);
        if self.started {
            // h.3: K = HMAC_K(V || 0x00), V = HMAC_K(V)
            hmac_into(&self.k, &[&self.v[..], &[0x00]], &mut t);
            self.k.copy_from_slice(&t[..]);
            hmac_into(&self.k, &[&self.v[..]], &mut t);
            self.v.copy_from_slice(&t[..]);
        }
        self.started = true;
        // h.2: V = HMAC_K(V), T = V (one block: qlen = hlen)
        hmac_into(&self.k, &[&self.v[..]], &mut t);
        self.v.copy_from_slice(&t[..]);
        t
    }

    /// The next candidate that is a scalar in [1, n-1] (h.3's range
    /// check; out-of-range candidates are skipped, with probability about
    /// 2⁻³² each for SM2's n).
    pub(crate) fn next_scalar(&mut self) -> Zeroizing<sm2::Scalar> {
        loop {
            let t = self.next_candidate();
            let repr = sm2::FieldBytes::from(*t);
            let candidate: Option<sm2::Scalar> = sm2::Scalar::from_repr(repr).into();
            // `repr` is a copy of the candidate: wipe it too.
            let mut repr = repr;
            repr.zeroize();
            if let Some(k) = candidate {
                let k = Zeroizing::new(k);
                if !bool::from(k.is_zero()) {
                    return k;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex32(s: &str) -> [u8; 32] {
        crate::hex::decode(s).unwrap().try_into().unwrap()
    }

    /// The steps above, done by hand with the one-shot HMAC (a second
    /// reading of the RFC, so a slip in the generator's bookkeeping shows).
    fn by_hand(x: &[u8; 32], e: &[u8; 32], extra: &[u8], candidates: usize) -> Vec<[u8; 32]> {
        use crate::crypto::hash::hmac_sm3;
        let cat = |parts: &[&[u8]]| parts.concat();
        let mut v = [1u8; 32];
        let mut k = [0u8; 32];
        k = hmac_sm3(&k, &cat(&[&v, &[0], x, e, extra]));
        v = hmac_sm3(&k, &v);
        k = hmac_sm3(&k, &cat(&[&v, &[1], x, e, extra]));
        v = hmac_sm3(&k, &v);
        let mut out = Vec::new();
        for i in 0..candidates {
            if i > 0 {
                k = hmac_sm3(&k, &cat(&[&v, &[0]]));
                v = hmac_sm3(&k, &v);
            }
            v = hmac_sm3(&k, &v);
            out.push(v);
        }
        out
    }

    #[test]
    fn candidates_follow_rfc6979_steps() {
        let x = hex32("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
        let e = hex32("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640");
        for extra in [&b""[..], &[0x5a; 32][..]] {
            let expected = by_hand(&x, &e, extra, 3);
            let mut g = HedgedNonces::new(&x, &e, extra);
            for want in expected {
                assert_eq!(*g.next_candidate(), want);
            }
        }
    }

    /// Known answers computed independently with OpenSSL 3.0's
    /// `openssl mac -digest SM3 -macopt hexkey:K HMAC`, one HMAC per step
    /// of the chain in the module docs (the first two candidates, so the
    /// h.3 update between candidates is covered). `tests/openssl_interop.rs`
    /// recomputes the chain live against the binary and checks the k a
    /// real signature used.
    #[test]
    fn first_candidate_known_answer() {
        let x = hex32("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8");
        let e = hex32("F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640");
        let first_two = |extra: &[u8]| {
            let mut g = HedgedNonces::new(&x, &e, extra);
            let a = crate::hex::encode_upper(&g.next_candidate()[..]);
            let b = crate::hex::encode_upper(&g.next_candidate()[..]);
            [a, b]
        };
        assert_eq!(
            first_two(&[0x5a; 32]),
            [
                "8229C2F87B6FDCAFA2811ABDD1BFF2626EF53CE96D1A6418FC6A70A005811DC9",
                "B2511FB74FFFE69E7013D1E00EACD2591E6159EF65C5BE0D9A941F85CA7BC169",
            ]
        );
        // Without extra input: plain RFC 6979 over HMAC-SM3.
        assert_eq!(
            first_two(&[]),
            [
                "F7D1EEA09846E85224FE81CA11453A10827C315A97B924765C3A1E96D9611628",
                "08ED9AC7D6DC8C2F20DD0BB763305C6F32E60D88DF557E11F733C99B95AF17B7",
            ]
        );
    }

    #[test]
    fn digest_and_extra_input_both_change_k() {
        let x = [7u8; 32];
        let k = |e: u8, extra: u8| *HedgedNonces::new(&x, &[e; 32], &[extra; 32]).next_scalar();
        assert_ne!(k(1, 0), k(2, 0), "same randomness, different digests");
        assert_ne!(k(1, 0), k(1, 1), "same digest, different randomness");
        assert_eq!(k(1, 0), k(1, 0), "deterministic in its inputs");
        let other_key = *HedgedNonces::new(&[8u8; 32], &[1; 32], &[0; 32]).next_scalar();
        assert_ne!(k(1, 0), other_key, "different keys");
    }
}
