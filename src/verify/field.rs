//! Arithmetic modulo the SM2 prime p = 2²⁵⁶ − 2²²⁴ − 2⁹⁶ + 2⁶⁴ − 1,
//! in Montgomery form with four 64-bit limbs (little-endian).
//!
//! Because p ≡ −1 (mod 2⁶⁴), −p⁻¹ mod 2⁶⁴ = 1: each reduction step's
//! multiplier is simply the low limb. **Variable time**: for public data
//! only (verification), never for secrets.

/// The prime, little-endian limbs.
pub(crate) const P: [u64; 4] = [
    0xffff_ffff_ffff_ffff,
    0xffff_ffff_0000_0000,
    0xffff_ffff_ffff_ffff,
    0xffff_fffe_ffff_ffff,
];
/// R² mod p, to enter Montgomery form.
const R2: [u64; 4] = [
    0x0000_0002_0000_0003,
    0x0000_0002_ffff_ffff,
    0x0000_0001_0000_0001,
    0x0000_0004_0000_0002,
];
/// R mod p: one in Montgomery form.
const ONE: [u64; 4] = [
    0x0000_0000_0000_0001,
    0x0000_0000_ffff_ffff,
    0,
    0x0000_0001_0000_0000,
];

/// A field element in Montgomery form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Fe(pub(crate) [u64; 4]);

#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = u128::from(a) + u128::from(b) + u128::from(carry);
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = u128::from(a).wrapping_sub(u128::from(b) + u128::from(borrow));
    (t as u64, ((t >> 64) as u64) & 1)
}

#[inline(always)]
fn mac(acc: u64, a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = u128::from(acc) + u128::from(a) * u128::from(b) + u128::from(carry);
    (t as u64, (t >> 64) as u64)
}

/// Montgomery reduction of a 512-bit product T (little-endian limbs):
/// T·2⁻²⁵⁶ mod p, below p. With m the low limb at each step,
/// (T + m·p)/2⁶⁴ = ⌊T/2⁶⁴⌋ + m·(2¹⁹² − 2¹⁶⁰ − 2³² + 1): shifts, adds
/// and subtractions only.
#[inline(always)]
fn reduce(t: [u64; 8]) -> Fe {
    let [t0, mut t1, mut t2, mut t3, mut t4, mut t5, mut t6, mut t7] = t;
    let mut top: u64 = 0;
    // One reduction round: fold m = the lowest live limb into the next four,
    // returning the carry out of the fourth.
    macro_rules! round {
        ($m:expr, $a:ident, $b:ident, $c:ident, $d:ident) => {{
            let m = $m;
            let lo = m << 32;
            let hi = m >> 32;
            let (c0, b) = sbb(m, lo, 0);
            let (c1, b) = sbb(0, hi, b);
            let (c2, b) = sbb(0, lo, b);
            let (c3, _) = sbb(m, hi, b);
            let (v, c) = adc($a, c0, 0);
            $a = v;
            let (v, c) = adc($b, c1, c);
            $b = v;
            let (v, c) = adc($c, c2, c);
            $c = v;
            let (v, c) = adc($d, c3, c);
            $d = v;
            c
        }};
    }
    let c = round!(t0, t1, t2, t3, t4);
    let (v, c) = adc(t5, c, 0);
    t5 = v;
    let (v, c) = adc(t6, 0, c);
    t6 = v;
    let (v, c) = adc(t7, 0, c);
    t7 = v;
    top += c;
    let c = round!(t1, t2, t3, t4, t5);
    let (v, c) = adc(t6, c, 0);
    t6 = v;
    let (v, c) = adc(t7, 0, c);
    t7 = v;
    top += c;
    let c = round!(t2, t3, t4, t5, t6);
    let (v, c) = adc(t7, c, 0);
    t7 = v;
    top += c;
    let c = round!(t3, t4, t5, t6, t7);
    top += c;
    Fe(reduce_once([t4, t5, t6, t7], top))
}

/// r − p if r ≥ p (with `hi` the bit above r), else r; branch-free,
/// because the outcome is close to a coin toss and mispredicts would cost
/// more than the subtraction.
#[inline(always)]
fn reduce_once(r: [u64; 4], hi: u64) -> [u64; 4] {
    let (d0, b) = sbb(r[0], P[0], 0);
    let (d1, b) = sbb(r[1], P[1], b);
    let (d2, b) = sbb(r[2], P[2], b);
    let (d3, b) = sbb(r[3], P[3], b);
    // keep r when the subtraction borrowed and there was no bit above r
    let (_, keep) = sbb(hi, 0, b);
    let mask = keep.wrapping_neg();
    [
        (r[0] & mask) | (d0 & !mask),
        (r[1] & mask) | (d1 & !mask),
        (r[2] & mask) | (d2 & !mask),
        (r[3] & mask) | (d3 & !mask),
    ]
}

impl Fe {
    pub(crate) const ZERO: Fe = Fe([0; 4]);
    pub(crate) const ONE: Fe = Fe(ONE);

    /// From big-endian bytes; `None` when the value is not below p.
    pub(crate) fn from_bytes(b: &[u8; 32]) -> Option<Fe> {
        let mut l = [0u64; 4];
        for (i, limb) in l.iter_mut().enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[32 - 8 * (i + 1)..32 - 8 * i]);
            *limb = u64::from_be_bytes(w);
        }
        let (_, borrow) = {
            let (_, b0) = sbb(l[0], P[0], 0);
            let (_, b1) = sbb(l[1], P[1], b0);
            let (_, b2) = sbb(l[2], P[2], b1);
            sbb(l[3], P[3], b2)
        };
        if borrow == 0 {
            return None;
        }
        Some(Fe(l).mul(&Fe(R2)))
    }

    /// To big-endian bytes (leaving Montgomery form).
    #[cfg(test)]
    pub(crate) fn to_bytes(self) -> [u8; 32] {
        let plain = self.mul(&Fe([1, 0, 0, 0]));
        let mut out = [0u8; 32];
        for i in 0..4 {
            out[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&plain.0[i].to_be_bytes());
        }
        out
    }

    #[inline(always)]
    pub(crate) fn is_zero(&self) -> bool {
        self.0 == [0; 4]
    }

    #[inline(always)]
    pub(crate) fn add(&self, o: &Fe) -> Fe {
        let (r0, c) = adc(self.0[0], o.0[0], 0);
        let (r1, c) = adc(self.0[1], o.0[1], c);
        let (r2, c) = adc(self.0[2], o.0[2], c);
        let (r3, c) = adc(self.0[3], o.0[3], c);
        Fe(reduce_once([r0, r1, r2, r3], c))
    }

    #[inline(always)]
    pub(crate) fn sub(&self, o: &Fe) -> Fe {
        let (r0, b) = sbb(self.0[0], o.0[0], 0);
        let (r1, b) = sbb(self.0[1], o.0[1], b);
        let (r2, b) = sbb(self.0[2], o.0[2], b);
        let (r3, b) = sbb(self.0[3], o.0[3], b);
        // add p back when the subtraction borrowed (branch-free)
        let mask = b.wrapping_neg();
        let (s0, c) = adc(r0, P[0] & mask, 0);
        let (s1, c) = adc(r1, P[1] & mask, c);
        let (s2, c) = adc(r2, P[2] & mask, c);
        let (s3, _) = adc(r3, P[3] & mask, c);
        Fe([s0, s1, s2, s3])
    }

    #[inline(always)]
    pub(crate) fn double(&self) -> Fe {
        self.add(self)
    }

    #[inline(always)]
    pub(crate) fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    /// Montgomery multiplication: a schoolbook 4×4 product, then
    /// [`reduce`] (no multiplications in the reduction).
    #[inline(always)]
    pub(crate) fn mul(&self, o: &Fe) -> Fe {
        let [a0, a1, a2, a3] = self.0;
        let [b0, b1, b2, b3] = o.0;
        // row 0
        let (t0, c) = mac(0, a0, b0, 0);
        let (t1, c) = mac(0, a1, b0, c);
        let (t2, c) = mac(0, a2, b0, c);
        let (t3, t4) = mac(0, a3, b0, c);
        // row 1
        let (t1, c) = mac(t1, a0, b1, 0);
        let (t2, c) = mac(t2, a1, b1, c);
        let (t3, c) = mac(t3, a2, b1, c);
        let (t4, t5) = mac(t4, a3, b1, c);
        // row 2
        let (t2, c) = mac(t2, a0, b2, 0);
        let (t3, c) = mac(t3, a1, b2, c);
        let (t4, c) = mac(t4, a2, b2, c);
        let (t5, t6) = mac(t5, a3, b2, c);
        // row 3
        let (t3, c) = mac(t3, a0, b3, 0);
        let (t4, c) = mac(t4, a1, b3, c);
        let (t5, c) = mac(t5, a2, b3, c);
        let (t6, t7) = mac(t6, a3, b3, c);
        reduce([t0, t1, t2, t3, t4, t5, t6, t7])
    }

    /// Montgomery squaring: cross products once, doubled, plus the squares.
    #[inline(always)]
    pub(crate) fn square(&self) -> Fe {
        let [a0, a1, a2, a3] = self.0;
        // cross products a_i·a_j (i < j)
        let (t1, c) = mac(0, a0, a1, 0);
        let (t2, c) = mac(0, a0, a2, c);
        let (t3, t4) = mac(0, a0, a3, c);
        let (t3, c) = mac(t3, a1, a2, 0);
        let (t4, t5) = mac(t4, a1, a3, c);
        let (t5, t6) = mac(t5, a2, a3, 0);
        // double them
        let t7 = t6 >> 63;
        let t6 = (t6 << 1) | (t5 >> 63);
        let t5 = (t5 << 1) | (t4 >> 63);
        let t4 = (t4 << 1) | (t3 >> 63);
        let t3 = (t3 << 1) | (t2 >> 63);
        let t2 = (t2 << 1) | (t1 >> 63);
        let t1 = t1 << 1;
        // add the squares
        let (t0, c) = mac(0, a0, a0, 0);
        let (t1, c) = adc(t1, c, 0);
        let (s1lo, s1hi) = mac(0, a1, a1, 0);
        let (t2, c2) = adc(t2, s1lo, c);
        let (t3, c) = adc(t3, s1hi, c2);
        let (s2lo, s2hi) = mac(0, a2, a2, 0);
        let (t4, c2) = adc(t4, s2lo, c);
        let (t5, c) = adc(t5, s2hi, c2);
        let (s3lo, s3hi) = mac(0, a3, a3, 0);
        let (t6, c2) = adc(t6, s3lo, c);
        let (t7, _) = adc(t7, s3hi, c2);
        reduce([t0, t1, t2, t3, t4, t5, t6, t7])
    }

    /// self^(p−2): the inverse (of a non-zero element), by a fixed 4-bit
    /// window: 252 squarings and at most 64 multiplications.
    pub(crate) fn invert(&self) -> Fe {
        let mut powers = [Fe::ONE; 16];
        for k in 1..16 {
            powers[k] = powers[k - 1].mul(self);
        }
        // p − 2 as little-endian limbs, read a nibble at a time from the top.
        let e: [u64; 4] = [P[0] - 2, P[1], P[2], P[3]];
        let mut r = Fe::ONE;
        for limb in e.iter().rev() {
            for nib in (0..16).rev() {
                r = r.square().square().square().square();
                let d = ((limb >> (4 * nib)) & 15) as usize;
                if d != 0 {
                    r = r.mul(&powers[d]);
                }
            }
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fe(hex: &str) -> Fe {
        let v = crate::hex::decode(hex).unwrap();
        Fe::from_bytes(&v.try_into().unwrap()).unwrap()
    }

    #[test]
    fn round_trip_and_identities() {
        let a = fe("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
        let b = fe("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");
        assert_eq!(
            crate::hex::encode_upper(&a.to_bytes()),
            "32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7"
        );
        assert_eq!(a.mul(&a.invert()), Fe::ONE);
        assert_eq!(a.add(&b).sub(&b), a);
        assert_eq!(a.sub(&a), Fe::ZERO);
        assert_eq!(a.neg().add(&a), Fe::ZERO);
        assert_eq!(a.mul(&b), b.mul(&a));
        // p itself is refused; p − 1 is accepted and is −1.
        let p = crate::crypto::curve::P;
        assert!(Fe::from_bytes(&p).is_none());
        let mut pm1 = p;
        pm1[31] -= 1;
        assert_eq!(Fe::from_bytes(&pm1).unwrap(), Fe::ONE.neg());
    }

    /// The textbook CIOS Montgomery multiplication, as a reference.
    fn mul_cios(a: &Fe, b: &Fe) -> Fe {
        let mut t = [0u64; 6];
        for &bi in b.0.iter() {
            let (t0, c) = mac(t[0], a.0[0], bi, 0);
            let (t1, c) = mac(t[1], a.0[1], bi, c);
            let (t2, c) = mac(t[2], a.0[2], bi, c);
            let (t3, c) = mac(t[3], a.0[3], bi, c);
            let (t4, t5) = adc(t[4], c, 0);
            let m = t0;
            let (_, c) = mac(t0, m, P[0], 0);
            let (n0, c) = mac(t1, m, P[1], c);
            let (n1, c) = mac(t2, m, P[2], c);
            let (n2, c) = mac(t3, m, P[3], c);
            let (n3, c2) = adc(t4, c, 0);
            t = [n0, n1, n2, n3, t5 + c2, 0];
        }
        Fe(reduce_once([t[0], t[1], t[2], t[3]], t[4]))
    }

    #[test]
    fn fast_mul_and_square_match_cios() {
        // values near 0, near p and pseudo-random
        let mut vals = vec![
            Fe::ZERO,
            Fe::ONE,
            Fe::ONE.neg(),
            Fe([u64::MAX, 0, 0, 0]),
            Fe([0, 0, 0, 1 << 63]),
        ];
        let mut x = Fe([
            0x0123_4567_89ab_cdef,
            0xfedc_ba98_7654_3210,
            0x0f1e_2d3c_4b5a_6978,
            0x1122_3344_5566_7788,
        ]);
        for _ in 0..2000 {
            x = mul_cios(&x, &x).add(&Fe::ONE);
            vals.push(x);
        }
        for w in vals.windows(2) {
            assert_eq!(w[0].mul(&w[1]), mul_cios(&w[0], &w[1]));
            assert_eq!(w[0].square(), mul_cios(&w[0], &w[0]));
        }
        // the largest element squared
        let pm1 = Fe([P[0] - 1, P[1], P[2], P[3]]);
        assert_eq!(pm1.square(), mul_cios(&pm1, &pm1));
        assert_eq!(pm1.mul(&pm1), mul_cios(&pm1, &pm1));
    }

    #[test]
    fn the_curve_equation_holds_for_g() {
        // y² = x³ − 3x + b
        let x = fe("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
        let y = fe("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");
        let b = fe("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
        let three_x = x.add(&x).add(&x);
        assert_eq!(y.square(), x.square().mul(&x).sub(&three_x).add(&b));
    }
}
