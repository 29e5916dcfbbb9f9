//! Arithmetic modulo the SM2 prime p = 2²⁵⁶ − 2²²⁴ − 2⁹⁶ + 2⁶⁴ − 1,
//! in Montgomery form with four 64-bit limbs (little-endian).
//!
//! Because p ≡ −1 (mod 2⁶⁴), −p⁻¹ mod 2⁶⁴ = 1: each reduction step's
//! multiplier is simply the low limb. **Variable time**: for public data
//! only (verification), never for secrets.
//!
//! Elements are kept *partially reduced*: any 256-bit value, congruent to
//! the element mod p (so an element has at most two representations, v
//! and v + p). Every operation accepts and returns such values; only
//! comparisons and [`Fe::is_zero`] look at the canonical value. This
//! replaces the "is it ≥ p?" test after each addition and multiplication
//! by a fold of the carry out of bit 256, using 2²⁵⁶ ≡ C (mod p) with
//! C = 2²⁵⁶ − p = 2²²⁴ + 2⁹⁶ − 2⁶⁴ + 1.

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

/// A field element in Montgomery form, partially reduced (below 2²⁵⁶).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Fe(pub(crate) [u64; 4]);

impl PartialEq for Fe {
    fn eq(&self, o: &Fe) -> bool {
        self.canonical() == o.canonical()
    }
}
impl Eq for Fe {}

#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let (s, c1) = a.overflowing_add(b);
    let (s, c2) = s.overflowing_add(carry);
    (s, (c1 | c2) as u64)
}

#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let (d, b1) = a.overflowing_sub(b);
    let (d, b2) = d.overflowing_sub(borrow);
    (d, (b1 | b2) as u64)
}

#[inline(always)]
fn mac(acc: u64, a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = u128::from(acc) + u128::from(a) * u128::from(b) + u128::from(carry);
    (t as u64, (t >> 64) as u64)
}

/// m·K for K = (p + 1)/2⁶⁴ = 2¹⁹² − 2¹⁶⁰ − 2³² + 1: what one Montgomery
/// step adds above the low limb m (T + m·p = T − m + m·K·2⁶⁴, and T − m
/// clears the low limb). The top limb is at most 2⁶⁴ − 2, so a carry bit
/// can be added to it without overflow.
#[inline(always)]
fn m_k(m: u64) -> [u64; 4] {
    let lo = m << 32;
    let hi = m >> 32;
    let (k0, b) = sbb(m, lo, 0);
    let (k1, b) = sbb(0, hi, b);
    let (k2, b) = sbb(0, lo, b);
    let (k3, _) = sbb(m, hi, b);
    [k0, k1, k2, k3]
}

/// r + carry·2²⁵⁶ reduced below 2²⁵⁶ by adding C when the carry is set
/// (and, in the rare case that this carries again, once more).
#[inline(always)]
fn fold(r: [u64; 4], carry: u64) -> Fe {
    let mask = carry.wrapping_neg();
    let (r0, c) = adc(r[0], carry, 0);
    let (r1, c) = adc(r[1], mask & 0xffff_ffff, c);
    let (r2, c) = adc(r[2], 0, c);
    let (r3, c) = adc(r[3], mask & 0x1_0000_0000, c);
    if c != 0 {
        return fold_again([r0, r1, r2, r3]);
    }
    Fe([r0, r1, r2, r3])
}

#[cold]
#[inline(never)]
fn fold_again(r: [u64; 4]) -> Fe {
    // r is now below C, so adding C cannot carry.
    let (r0, c) = adc(r[0], 1, 0);
    let (r1, c) = adc(r[1], 0xffff_ffff, c);
    let (r2, c) = adc(r[2], 0, c);
    let (r3, _) = adc(r[3], 0x1_0000_0000, c);
    Fe([r0, r1, r2, r3])
}

/// Montgomery reduction of a 512-bit value T: T·2⁻²⁵⁶ mod p, below 2²⁵⁶.
#[inline(always)]
fn reduce(t: [u64; 8]) -> Fe {
    let [t0, t1, t2, t3, t4, t5, t6, t7] = t;
    // Round i adds m_i·K to the four limbs above m_i; its carry out is
    // folded into the top limb of the next round's m·K.
    let k = m_k(t0);
    let (a1, c) = adc(t1, k[0], 0);
    let (a2, c) = adc(t2, k[1], c);
    let (a3, c) = adc(t3, k[2], c);
    let (a4, c0) = adc(t4, k[3], c);
    let k = m_k(a1);
    let (a2, c) = adc(a2, k[0], 0);
    let (a3, c) = adc(a3, k[1], c);
    let (a4, c) = adc(a4, k[2], c);
    let (a5, c1) = adc(t5, k[3] + c0, c);
    let k = m_k(a2);
    let (a3, c) = adc(a3, k[0], 0);
    let (a4, c) = adc(a4, k[1], c);
    let (a5, c) = adc(a5, k[2], c);
    let (a6, c2) = adc(t6, k[3] + c1, c);
    let k = m_k(a3);
    let (a4, c) = adc(a4, k[0], 0);
    let (a5, c) = adc(a5, k[1], c);
    let (a6, c) = adc(a6, k[2], c);
    let (a7, c3) = adc(t7, k[3] + c2, c);
    // T < 2⁵¹², so the result is below 2²⁵⁶ + p: fold the top bit.
    fold([a4, a5, a6, a7], c3)
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
        let plain = self.mul(&Fe([1, 0, 0, 0])).canonical();
        let mut out = [0u8; 32];
        for i in 0..4 {
            out[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&plain[i].to_be_bytes());
        }
        out
    }

    /// The representation below p.
    #[inline(always)]
    pub(crate) fn canonical(&self) -> [u64; 4] {
        let r = self.0;
        let (d0, b) = sbb(r[0], P[0], 0);
        let (d1, b) = sbb(r[1], P[1], b);
        let (d2, b) = sbb(r[2], P[2], b);
        let (d3, b) = sbb(r[3], P[3], b);
        if b != 0 { r } else { [d0, d1, d2, d3] }
    }

    /// Zero (that is, 0 or p).
    #[inline(always)]
    pub(crate) fn is_zero(&self) -> bool {
        self.0 == [0; 4] || self.0 == P
    }

    #[inline(always)]
    pub(crate) fn add(&self, o: &Fe) -> Fe {
        let (r0, c) = adc(self.0[0], o.0[0], 0);
        let (r1, c) = adc(self.0[1], o.0[1], c);
        let (r2, c) = adc(self.0[2], o.0[2], c);
        let (r3, c) = adc(self.0[3], o.0[3], c);
        fold([r0, r1, r2, r3], c)
    }

    #[inline(always)]
    pub(crate) fn sub(&self, o: &Fe) -> Fe {
        let (r0, b) = sbb(self.0[0], o.0[0], 0);
        let (r1, b) = sbb(self.0[1], o.0[1], b);
        let (r2, b) = sbb(self.0[2], o.0[2], b);
        let (r3, b) = sbb(self.0[3], o.0[3], b);
        // On a borrow the wrapped value is too big by 2²⁵⁶ ≡ C: subtract C.
        let mask = b.wrapping_neg();
        let (s0, c) = sbb(r0, b, 0);
        let (s1, c) = sbb(r1, mask & 0xffff_ffff, c);
        let (s2, c) = sbb(r2, 0, c);
        let (s3, c) = sbb(r3, mask & 0x1_0000_0000, c);
        if c != 0 {
            return sub_again([s0, s1, s2, s3]);
        }
        Fe([s0, s1, s2, s3])
    }

    #[inline(always)]
    pub(crate) fn double(&self) -> Fe {
        let r = self.0;
        let top = r[3] >> 63;
        fold(
            [
                r[0] << 1,
                (r[1] << 1) | (r[0] >> 63),
                (r[2] << 1) | (r[1] >> 63),
                (r[3] << 1) | (r[2] >> 63),
            ],
            top,
        )
    }

    /// 2ᵏ·self for k in 1..=31 (shifted, the bits above 2²⁵⁶ folded in).
    #[inline(always)]
    pub(crate) fn shl(&self, k: u32) -> Fe {
        let r = self.0;
        let h = r[3] >> (64 - k);
        let s = [
            r[0] << k,
            (r[1] << k) | (r[0] >> (64 - k)),
            (r[2] << k) | (r[1] >> (64 - k)),
            (r[3] << k) | (r[2] >> (64 - k)),
        ];
        // h·C = h + h·(2³² − 1)·2⁶⁴ + h·2²²⁴, limbs [h, h·(2³²−1), 0, h·2³²]
        let (r0, c) = adc(s[0], h, 0);
        let (r1, c) = adc(s[1], (h << 32) - h, c);
        let (r2, c) = adc(s[2], 0, c);
        let (r3, c) = adc(s[3], h << 32, c);
        if c != 0 {
            return fold_again([r0, r1, r2, r3]);
        }
        Fe([r0, r1, r2, r3])
    }

    /// 3·self.
    #[inline(always)]
    pub(crate) fn triple(&self) -> Fe {
        let r = self.0;
        let (r0, c) = mac(0, r[0], 3, 0);
        let (r1, c) = mac(0, r[1], 3, c);
        let (r2, c) = mac(0, r[2], 3, c);
        let (r3, h) = mac(0, r[3], 3, c);
        let (r0, c) = adc(r0, h, 0);
        let (r1, c) = adc(r1, (h << 32) - h, c);
        let (r2, c) = adc(r2, 0, c);
        let (r3, c) = adc(r3, h << 32, c);
        if c != 0 {
            return fold_again([r0, r1, r2, r3]);
        }
        Fe([r0, r1, r2, r3])
    }

    #[inline(always)]
    pub(crate) fn neg(&self) -> Fe {
        Fe::ZERO.sub(self)
    }

    /// Montgomery multiplication: operand scanning, each row followed by
    /// one reduction step (no multiplications in the reduction).
    #[inline(always)]
    pub(crate) fn mul(&self, o: &Fe) -> Fe {
        let [a0, a1, a2, a3] = self.0;
        let [b0, b1, b2, b3] = o.0;
        // Invariant: after each row and step, T < a + p < 2²⁵⁷ (t4 is 0 or 1).
        let (t0, c) = mac(0, a0, b0, 0);
        let (t1, c) = mac(0, a1, b0, c);
        let (t2, c) = mac(0, a2, b0, c);
        let (t3, t4) = mac(0, a3, b0, c);
        let k = m_k(t0);
        let (t0, c) = adc(t1, k[0], 0);
        let (t1, c) = adc(t2, k[1], c);
        let (t2, c) = adc(t3, k[2], c);
        let (t3, t4) = adc(t4, k[3], c);
        macro_rules! row {
            ($t0:ident, $t1:ident, $t2:ident, $t3:ident, $t4:ident, $b:expr) => {{
                let (u0, c) = mac($t0, a0, $b, 0);
                let (u1, c) = mac($t1, a1, $b, c);
                let (u2, c) = mac($t2, a2, $b, c);
                let (u3, u4) = mac($t3, a3, $b, c);
                // the old top bit t4 sits at 2²⁵⁶ beside u4: add it to the
                // top limb of m·K, which has room for it
                let k = m_k(u0);
                let (v0, c) = adc(u1, k[0], 0);
                let (v1, c) = adc(u2, k[1], c);
                let (v2, c) = adc(u3, k[2], c);
                let (v3, v4) = adc(u4, k[3] + $t4, c);
                (v0, v1, v2, v3, v4)
            }};
        }
        let (t0, t1, t2, t3, t4) = row!(t0, t1, t2, t3, t4, b1);
        let (t0, t1, t2, t3, t4) = row!(t0, t1, t2, t3, t4, b2);
        let (t0, t1, t2, t3, t4) = row!(t0, t1, t2, t3, t4, b3);
        fold([t0, t1, t2, t3], t4)
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

    /// The inverse (0 for 0): the plain inverse of the representation
    /// x = aR by [`invert_plain`], then one multiplication by R³, since
    /// (aR)⁻¹·R³·R⁻¹ = a⁻¹R.
    pub(crate) fn invert(&self) -> Fe {
        Fe(invert_plain(self.canonical())).mul(&Fe(R3))
    }

    /// self^(p−2) by a fixed 4-bit window: the reference for [`Fe::invert`].
    #[cfg(test)]
    pub(crate) fn invert_fermat(&self) -> Fe {
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

#[cold]
#[inline(never)]
fn sub_again(r: [u64; 4]) -> Fe {
    // r wrapped below zero by less than C: subtract C once more (mod 2²⁵⁶).
    let (r0, b) = sbb(r[0], 1, 0);
    let (r1, b) = sbb(r[1], 0xffff_ffff, b);
    let (r2, b) = sbb(r[2], 0, b);
    let (r3, _) = sbb(r[3], 0x1_0000_0000, b);
    Fe([r0, r1, r2, r3])
}

// Inversion: the variable-time Bernstein–Yang ("safegcd") algorithm, with
// 62 divsteps per round on the low limbs, then the 2×2 matrix applied to
// the full numbers. About 4× faster than Fermat (p − 2 power) here.

/// p in signed 62-bit limbs, for [`invert_plain`].
const P62: [i64; 5] = [
    0x3fff_ffff_ffff_ffff,
    0x3fff_fffc_0000_0003,
    0x3fff_ffff_ffff_ffff,
    0x3fff_ffbf_ffff_ffff,
    0xff,
];
/// p⁻¹ mod 2⁶² (p ≡ −1 mod 2⁶⁴, so this is −1).
const P_INV62: u64 = 0x3fff_ffff_ffff_ffff;
/// R³ mod p: turns a plain inverse of a Montgomery representation into
/// the Montgomery form of the inverse.
const R3: [u64; 4] = [
    0x0000_0012_0000_0016,
    0x0000_000e_ffff_fff8,
    0x0000_000a_0000_000c,
    0x0000_001b_0000_0009,
];
const M62: u64 = u64::MAX >> 2;

/// A 2×2 transition matrix [[u, v], [q, r]] for 62 divsteps, scaled by 2⁶².
#[derive(Clone, Copy)]
struct Matrix {
    u: i64,
    v: i64,
    q: i64,
    r: i64,
}

/// 62 divsteps of the Bernstein–Yang gcd on the low limbs of f and g
/// (variable time: runs of zero bits of g are skipped at once, and up to
/// 6 bits of g are cancelled per step). Returns the new eta and the matrix.
fn divsteps_62(mut eta: i64, f0: u64, g0: u64) -> (i64, Matrix) {
    let (mut u, mut v, mut q, mut r) = (1u64, 0u64, 0u64, 1u64);
    let (mut f, mut g) = (f0, g0);
    let mut left: u32 = 62;
    loop {
        // a sentinel bit stops the count at the divsteps left
        let zeros = (g | (u64::MAX << left)).trailing_zeros();
        g >>= zeros;
        u <<= zeros;
        v <<= zeros;
        eta -= i64::from(zeros);
        left -= zeros;
        if left == 0 {
            break;
        }
        // f and g are odd here
        let w = if eta < 0 {
            eta = -eta;
            (f, g) = (g, f.wrapping_neg());
            (u, q) = (q, u.wrapping_neg());
            (v, r) = (r, v.wrapping_neg());
            let limit = (eta + 1).min(i64::from(left)) as u32;
            let mask = (u64::MAX >> (64 - limit)) & 63;
            // f·g·(f² − 2) ≡ −g/f (mod 2⁶) cancels up to six bits of g
            f.wrapping_mul(g)
                .wrapping_mul(f.wrapping_mul(f).wrapping_sub(2))
                & mask
        } else {
            let limit = (eta + 1).min(i64::from(left)) as u32;
            let mask = (u64::MAX >> (64 - limit)) & 15;
            // f + ((f + 1) & 4)·2 ≡ 1/f (mod 2⁴): cancels up to four bits
            let inv = f.wrapping_add((f.wrapping_add(1) & 4) << 1);
            inv.wrapping_neg().wrapping_mul(g) & mask
        };
        g = g.wrapping_add(f.wrapping_mul(w));
        q = q.wrapping_add(u.wrapping_mul(w));
        r = r.wrapping_add(v.wrapping_mul(w));
    }
    (
        eta,
        Matrix {
            u: u as i64,
            v: v as i64,
            q: q as i64,
            r: r as i64,
        },
    )
}

#[inline(always)]
fn wide(a: i64, b: i64) -> i128 {
    i128::from(a) * i128::from(b)
}

/// [d, e] ← t·[d, e]/2⁶² mod p, keeping both in (−2p, p).
fn update_de(d: &mut [i64; 5], e: &mut [i64; 5], t: &Matrix) {
    let Matrix { u, v, q, r } = *t;
    let sd = d[4] >> 63;
    let se = e[4] >> 63;
    // start from [u, q] if d < 0 and [v, r] if e < 0, then pick the
    // multiples of p that clear the low 62 bits
    let mut md = (u & sd) + (v & se);
    let mut me = (q & sd) + (r & se);
    let mut cd = wide(u, d[0]) + wide(v, e[0]);
    let mut ce = wide(q, d[0]) + wide(r, e[0]);
    md -= (P_INV62.wrapping_mul(cd as u64).wrapping_add(md as u64) & M62) as i64;
    me -= (P_INV62.wrapping_mul(ce as u64).wrapping_add(me as u64) & M62) as i64;
    cd += wide(P62[0], md);
    ce += wide(P62[0], me);
    cd >>= 62;
    ce >>= 62;
    for k in 1..5 {
        cd += wide(u, d[k]) + wide(v, e[k]) + wide(P62[k], md);
        ce += wide(q, d[k]) + wide(r, e[k]) + wide(P62[k], me);
        d[k - 1] = (cd as u64 & M62) as i64;
        e[k - 1] = (ce as u64 & M62) as i64;
        cd >>= 62;
        ce >>= 62;
    }
    d[4] = cd as i64;
    e[4] = ce as i64;
}

/// [f, g] ← t·[f, g]/2⁶² on the low `len` limbs (exact).
fn update_fg(len: usize, f: &mut [i64; 5], g: &mut [i64; 5], t: &Matrix) {
    let Matrix { u, v, q, r } = *t;
    let mut cf = wide(u, f[0]) + wide(v, g[0]);
    let mut cg = wide(q, f[0]) + wide(r, g[0]);
    cf >>= 62;
    cg >>= 62;
    for k in 1..len {
        cf += wide(u, f[k]) + wide(v, g[k]);
        cg += wide(q, f[k]) + wide(r, g[k]);
        f[k - 1] = (cf as u64 & M62) as i64;
        g[k - 1] = (cg as u64 & M62) as i64;
        cf >>= 62;
        cg >>= 62;
    }
    f[len - 1] = cf as i64;
    g[len - 1] = cg as i64;
}

/// From (−2p, p), negated when `sign` < 0, to [0, p).
fn normalize(r: &mut [i64; 5], sign: i64) {
    let propagate = |r: &mut [i64; 5]| {
        for k in 0..4 {
            r[k + 1] += r[k] >> 62;
            r[k] &= M62 as i64;
        }
    };
    let add = r[4] >> 63;
    for (x, m) in r.iter_mut().zip(P62) {
        *x += m & add;
    }
    let neg = sign >> 63;
    for x in r.iter_mut() {
        *x = (*x ^ neg) - neg;
    }
    propagate(r);
    let add = r[4] >> 63;
    for (x, m) in r.iter_mut().zip(P62) {
        *x += m & add;
    }
    propagate(r);
}

/// The plain inverse of a canonical value x (x⁻¹ mod p; 0 for 0), by the
/// variable-time Bernstein–Yang gcd in signed 62-bit limbs.
fn invert_plain(x: [u64; 4]) -> [u64; 4] {
    let mut d = [0i64; 5];
    let mut e = [1i64, 0, 0, 0, 0];
    let mut f = P62;
    let mut g = [
        (x[0] & M62) as i64,
        (((x[0] >> 62) | (x[1] << 2)) & M62) as i64,
        (((x[1] >> 60) | (x[2] << 4)) & M62) as i64,
        (((x[2] >> 58) | (x[3] << 6)) & M62) as i64,
        (x[3] >> 56) as i64,
    ];
    let mut len = 5;
    let mut eta = -1i64;
    loop {
        let (next, t) = divsteps_62(eta, f[0] as u64, g[0] as u64);
        eta = next;
        update_de(&mut d, &mut e, &t);
        update_fg(len, &mut f, &mut g, &t);
        if g[0] == 0 && g[1..len].iter().all(|&l| l == 0) {
            break;
        }
        // drop the top limb when it is only sign extension in both
        let (fn_, gn) = (f[len - 1], g[len - 1]);
        if len > 1 && (fn_ ^ (fn_ >> 63)) == 0 && (gn ^ (gn >> 63)) == 0 {
            f[len - 2] |= ((fn_ as u64) << 62) as i64;
            g[len - 2] |= ((gn as u64) << 62) as i64;
            len -= 1;
        }
    }
    normalize(&mut d, f[len - 1]);
    let r = d.map(|l| l as u64);
    [
        r[0] | (r[1] << 62),
        (r[1] >> 2) | (r[2] << 60),
        (r[2] >> 4) | (r[3] << 58),
        (r[3] >> 6) | (r[4] << 56),
    ]
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

    /// The textbook CIOS Montgomery multiplication on canonical values,
    /// with a final "≥ p" subtraction, as a reference.
    fn mul_cios(a: &Fe, b: &Fe) -> Fe {
        let (a, b) = (a.canonical(), b.canonical());
        let mut t = [0u64; 6];
        for &bi in b.iter() {
            let (t0, c) = mac(t[0], a[0], bi, 0);
            let (t1, c) = mac(t[1], a[1], bi, c);
            let (t2, c) = mac(t[2], a[2], bi, c);
            let (t3, c) = mac(t[3], a[3], bi, c);
            let (t4, t5) = adc(t[4], c, 0);
            let m = t0;
            let (_, c) = mac(t0, m, P[0], 0);
            let (n0, c) = mac(t1, m, P[1], c);
            let (n1, c) = mac(t2, m, P[2], c);
            let (n2, c) = mac(t3, m, P[3], c);
            let (n3, c2) = adc(t4, c, 0);
            t = [n0, n1, n2, n3, t5 + c2, 0];
        }
        let (d0, bw) = sbb(t[0], P[0], 0);
        let (d1, bw) = sbb(t[1], P[1], bw);
        let (d2, bw) = sbb(t[2], P[2], bw);
        let (d3, bw) = sbb(t[3], P[3], bw);
        let (_, bw) = sbb(t[4], 0, bw);
        if bw != 0 {
            Fe([t[0], t[1], t[2], t[3]])
        } else {
            Fe([d0, d1, d2, d3])
        }
    }

    /// (a + b) mod p for canonical a, b: the plain sum, less p if needed.
    #[allow(clippy::needless_range_loop)]
    fn ref_add(a: &Fe, b: &Fe) -> [u64; 4] {
        let mut sum = [0u64; 5];
        let mut c = 0;
        for i in 0..4 {
            (sum[i], c) = adc(a.0[i], b.0[i], c);
        }
        sum[4] = c;
        let mut d = [0u64; 4];
        let mut bw = 0;
        for i in 0..4 {
            (d[i], bw) = sbb(sum[i], P[i], bw);
        }
        if sum[4] == 0 && bw == 1 {
            [sum[0], sum[1], sum[2], sum[3]]
        } else {
            d
        }
    }

    /// (a − b) mod p for canonical a, b: the plain difference, plus p if
    /// it went below zero.
    #[allow(clippy::needless_range_loop)]
    fn ref_sub(a: &Fe, b: &Fe) -> [u64; 4] {
        let mut d = [0u64; 4];
        let mut bw = 0;
        for i in 0..4 {
            (d[i], bw) = sbb(a.0[i], b.0[i], bw);
        }
        if bw == 1 {
            let mut c = 0;
            for i in 0..4 {
                (d[i], c) = adc(d[i], P[i], c);
            }
        }
        d
    }

    /// The canonical value as a plain (non-Fe) limb array, for comparing
    /// representations exactly.
    fn canon(a: &Fe) -> [u64; 4] {
        let c = a.canonical();
        assert!(Fe(c).canonical() == c, "canonical twice");
        c
    }

    /// Partially reduced edge values: 0, p, 2²⁵⁶ − 1, around p, and so on.
    fn edges() -> Vec<Fe> {
        vec![
            Fe::ZERO,
            Fe(P),
            Fe([u64::MAX; 4]),
            Fe([P[0] - 1, P[1], P[2], P[3]]),
            Fe([4, P[1] + 1, P[2], P[3]]),
            Fe([0, 0, 0, 1 << 63]),
            Fe([1, 0, 0, 0]),
            Fe([u64::MAX, 0, 0, 0]),
            Fe([0, 0, 0, u64::MAX]),
            Fe([u64::MAX, u64::MAX, 0, 0]),
            Fe([0, 0, u64::MAX, u64::MAX]),
            Fe::ONE,
            Fe::ONE.neg(),
        ]
    }

    #[test]
    fn fast_ops_match_the_reference_on_partially_reduced_values() {
        let mut vals = edges();
        let mut x = Fe([
            0x0123_4567_89ab_cdef,
            0xfedc_ba98_7654_3210,
            0x0f1e_2d3c_4b5a_6978,
            0x1122_3344_5566_7788,
        ]);
        let mut rng = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for i in 0..3000 {
            x = mul_cios(&x, &x).add(&Fe::ONE);
            vals.push(x);
            // arbitrary 256-bit patterns, most of them not below p
            vals.push(Fe([next(), next(), next(), next() | (i & 1) << 63]));
        }
        let e = edges();
        let pairs = e
            .iter()
            .flat_map(|a| e.iter().map(move |b| (*a, *b)))
            .chain(vals.windows(2).map(|w| (w[0], w[1])));
        for (a, b) in pairs {
            let (ca, cb) = (Fe(a.canonical()), Fe(b.canonical()));
            assert_eq!(canon(&a.mul(&b)), canon(&mul_cios(&a, &b)));
            assert_eq!(canon(&a.square()), canon(&mul_cios(&a, &a)));
            assert_eq!(canon(&a.add(&b)), ref_add(&ca, &cb));
            assert_eq!(canon(&a.sub(&b)), ref_sub(&ca, &cb));
            assert_eq!(canon(&a.double()), canon(&a.add(&a)));
            assert_eq!(canon(&a.triple()), canon(&a.add(&a).add(&a)));
            assert_eq!(canon(&a.shl(2)), canon(&a.double().double()));
            assert_eq!(canon(&a.shl(3)), canon(&a.double().double().double()));
            assert_eq!(a.is_zero(), ca.0 == [0; 4]);
            assert_eq!(canon(&a.neg().add(&a)), [0; 4]);
        }
    }

    #[test]
    fn known_values_in_partially_reduced_form() {
        // (2²⁵⁶ − 1)·p·R⁻¹ ≡ 0, returned as 0 or p
        assert!(Fe([u64::MAX; 4]).mul(&Fe(P)).is_zero());
        // ONE·x = x for a value above p (x ≡ x − p)
        let x = Fe([u64::MAX; 4]);
        let r2 = Fe(R2);
        assert_eq!(canon(&x.mul(&r2).mul(&Fe([1, 0, 0, 0]))), canon(&x));
    }

    #[test]
    fn safegcd_inverse_matches_fermat() {
        let mut vals = edges();
        let mut rng = 0x1234_5678_9abc_def1u64;
        let mut next = || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for i in 0..5000u32 {
            let mut v = [next(), next(), next(), next()];
            // short values and long runs of zero bits take other paths
            if i % 7 == 0 {
                v[3] >>= i % 64;
            }
            if i % 11 == 0 {
                v[0] = 0;
                v[1] &= 0xffff;
            }
            if i % 13 == 0 {
                v = [1 << (i % 64), 0, 0, 0];
            }
            vals.push(Fe(v));
        }
        for v in vals {
            let inv = v.invert();
            assert_eq!(canon(&inv), canon(&v.invert_fermat()));
            if !v.is_zero() {
                assert_eq!(inv.mul(&v), Fe::ONE);
            }
        }
        assert!(Fe::ZERO.invert().is_zero());
        assert!(Fe(P).invert().is_zero());
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
