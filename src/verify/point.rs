//! SM2 curve points (a = −3) in Jacobian coordinates, with mixed
//! addition from affine points. **Variable time**: public data only.

use std::sync::OnceLock;

use super::field::Fe;

/// An affine point (never the identity in tables).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) struct Affine {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
}

/// A Jacobian point (X/Z², Y/Z³); Z = 0 is the identity.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Jacobian {
    pub(crate) x: Fe,
    pub(crate) y: Fe,
    pub(crate) z: Fe,
}

impl Jacobian {
    pub(crate) const IDENTITY: Jacobian = Jacobian {
        x: Fe::ONE,
        y: Fe::ONE,
        z: Fe::ZERO,
    };

    pub(crate) fn from_affine(p: &Affine) -> Self {
        Jacobian {
            x: p.x,
            y: p.y,
            z: Fe::ONE,
        }
    }

    #[inline(always)]
    pub(crate) fn is_identity(&self) -> bool {
        self.z.is_zero()
    }

    /// Doubling with a = −3: 4M + 4S (dbl-2001-b with Z3 = 2·Y·Z, and the
    /// small multiples by shifts).
    #[inline]
    pub(crate) fn double(&self) -> Jacobian {
        if self.is_identity() || self.y.is_zero() {
            return Jacobian::IDENTITY;
        }
        let delta = self.z.square();
        let gamma = self.y.square();
        let z3 = self.y.mul(&self.z).double();
        let beta4 = self.x.mul(&gamma).shl(2);
        let alpha = self.x.sub(&delta).mul(&self.x.add(&delta)).triple();
        let x3 = alpha.square().sub(&beta4.double());
        let y3 = alpha.mul(&beta4.sub(&x3)).sub(&gamma.square().shl(3));
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// self + q for an affine q (madd-2004-hmv: 8M + 3S), handling the
    /// special cases.
    #[inline]
    pub(crate) fn add_affine(&self, q: &Affine) -> Jacobian {
        if self.is_identity() {
            return Jacobian::from_affine(q);
        }
        let z1z1 = self.z.square();
        let u2 = q.x.mul(&z1z1);
        let s2 = q.y.mul(&self.z.mul(&z1z1));
        let h = u2.sub(&self.x);
        let r = s2.sub(&self.y);
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::IDENTITY
            };
        }
        let hh = h.square();
        let hhh = hh.mul(&h);
        let v = self.x.mul(&hh);
        let x3 = r.square().sub(&hhh).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&self.y.mul(&hhh));
        let z3 = self.z.mul(&h);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }

    /// self − q for an affine q.
    #[inline]
    pub(crate) fn sub_affine(&self, q: &Affine) -> Jacobian {
        self.add_affine(&Affine {
            x: q.x,
            y: q.y.neg(),
        })
    }

    /// Full Jacobian addition (add-1998-cmo-2: 12M + 4S), handling the
    /// special cases.
    pub(crate) fn add(&self, q: &Jacobian) -> Jacobian {
        if self.is_identity() {
            return *q;
        }
        if q.is_identity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = q.z.square();
        let u1 = self.x.mul(&z2z2);
        let u2 = q.x.mul(&z1z1);
        let s1 = self.y.mul(&q.z.mul(&z2z2));
        let s2 = q.y.mul(&self.z.mul(&z1z1));
        let h = u2.sub(&u1);
        let r = s2.sub(&s1);
        if h.is_zero() {
            return if r.is_zero() {
                self.double()
            } else {
                Jacobian::IDENTITY
            };
        }
        let hh = h.square();
        let hhh = hh.mul(&h);
        let v = u1.mul(&hh);
        let x3 = r.square().sub(&hhh).sub(&v.double());
        let y3 = r.mul(&v.sub(&x3)).sub(&s1.mul(&hhh));
        let z3 = self.z.mul(&q.z).mul(&h);
        Jacobian {
            x: x3,
            y: y3,
            z: z3,
        }
    }
}

/// Normalise many non-identity Jacobian points with one inversion.
pub(crate) fn batch_to_affine(points: &[Jacobian]) -> Vec<Affine> {
    let mut prefix = Vec::with_capacity(points.len());
    let mut acc = Fe::ONE;
    for p in points {
        prefix.push(acc);
        acc = acc.mul(&p.z);
    }
    let mut inv = acc.invert();
    let mut out = vec![Affine::default(); points.len()];
    for (i, p) in points.iter().enumerate().rev() {
        let zinv = inv.mul(&prefix[i]);
        inv = inv.mul(&p.z);
        let zinv2 = zinv.square();
        out[i] = Affine {
            x: p.x.mul(&zinv2),
            y: p.y.mul(&zinv2).mul(&zinv),
        };
    }
    out
}

/// The base point G.
pub(crate) fn generator() -> Affine {
    let x = Fe::from_bytes(&crate::crypto::curve::GX).unwrap_or_default();
    let y = Fe::from_bytes(&crate::crypto::curve::GY).unwrap_or_default();
    Affine { x, y }
}

/// Fixed-base table: `TABLE[i][j-1] = j · 2^(8i) · G` for 32 windows of 8
/// bits and j in 1..=255 (8,160 affine points, 510 KiB), built once on first
/// use (about 10 ms). [s]G is then at most 32 mixed additions, no doublings.
pub(crate) fn base_table() -> &'static [Vec<Affine>] {
    static TABLE: OnceLock<Vec<Vec<Affine>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut windows = Vec::with_capacity(32);
        let mut base = Jacobian::from_affine(&generator());
        for _ in 0..32 {
            let mut multiples = Vec::with_capacity(255);
            let mut acc = base;
            multiples.push(acc);
            for _ in 1..255 {
                acc = acc.add(&base);
                multiples.push(acc);
            }
            windows.push(batch_to_affine(&multiples));
            for _ in 0..8 {
                base = base.double();
            }
        }
        windows
    })
}

/// [s]G for s given big-endian, from the fixed-base table.
pub(crate) fn mul_base(s: &[u8; 32], acc: Jacobian) -> Jacobian {
    let table = base_table();
    let mut acc = acc;
    for (i, window) in table.iter().enumerate() {
        let b = s[31 - i];
        if b != 0 {
            acc = acc.add_affine(&window[usize::from(b) - 1]);
        }
    }
    acc
}

/// The odd multiples P, 3P, …, 15P in affine form (for a width-5 wNAF).
///
/// Built with co-Z arithmetic (Meloni): doubling the affine P gives 2P and
/// a copy of P with the same Z, and each co-Z addition R + 2P returns the
/// sum and an updated 2P sharing a new Z, for 5M + 2S instead of a full
/// 12M + 4S addition. Z grows by one known factor λ per step, so the
/// points are made affine with one inversion of the last Z and one
/// multiplication per point to step back, without a prefix pass.
pub(crate) fn odd_multiples(p: &Affine) -> [Affine; 8] {
    // 2P = (dx, dy) and P = (rx, ry), both with Z = 2y (dbl-2001-b, Z = 1)
    let gamma = p.y.square();
    let rx = p.x.mul(&gamma).shl(2);
    let ry = gamma.square().shl(3);
    let alpha = p.x.square().sub(&Fe::ONE).triple();
    let dx = alpha.square().sub(&rx.double());
    let dy = alpha.mul(&rx.sub(&dx)).sub(&ry);
    let (mut dx, mut dy, mut rx, mut ry) = (dx, dy, rx, ry);
    let mut z = p.y.double();
    let mut sums = [(Fe::ZERO, Fe::ZERO); 7];
    let mut lambdas = [Fe::ZERO; 7];
    for (sum, lambda) in sums.iter_mut().zip(lambdas.iter_mut()) {
        // co-Z addition (ZADDU) of D = 2P and R: R + D, and D again,
        // both with Z·λ
        let l = rx.sub(&dx);
        let ll = l.square();
        let b = dx.mul(&ll);
        let c = rx.mul(&ll);
        let dyr = ry.sub(&dy);
        let x3 = dyr.square().sub(&b).sub(&c);
        let e = dy.mul(&c.sub(&b));
        let y3 = dyr.mul(&b.sub(&x3)).sub(&e);
        (dx, dy, rx, ry) = (b, e, x3, y3);
        z = z.mul(&l);
        *sum = (x3, y3);
        *lambda = l;
    }
    // z is the Z of 15P; the Z of (2i+1)P is that of (2i+3)P over λ_i.
    let mut zinv = z.invert();
    let mut out = [*p; 8];
    for i in (0..7).rev() {
        let zinv2 = zinv.square();
        out[i + 1] = Affine {
            x: sums[i].0.mul(&zinv2),
            y: sums[i].1.mul(&zinv2.mul(&zinv)),
        };
        zinv = zinv.mul(&lambdas[i]);
    }
    out
}

/// Width-5 NAF digits, least significant first.
pub(crate) struct Naf {
    digits: [i8; 260],
    len: usize,
}

impl Naf {
    /// Digit `i` (0 past the end).
    #[inline(always)]
    pub(crate) fn get(&self, i: usize) -> i8 {
        if i < self.len { self.digits[i] } else { 0 }
    }

    /// Number of digits.
    pub(crate) fn len(&self) -> usize {
        self.len
    }
}

/// Width-5 NAF digits of a 256-bit scalar (big-endian bytes), least
/// significant first; digits are 0 or odd in [−15, 15], and each non-zero
/// digit is followed by at least four zeros.
///
/// The scalar is scanned once: runs of bits equal to the pending carry
/// are skipped, and each window of five bits (plus the carry) gives one
/// digit, a negative digit carrying one into the next window.
pub(crate) fn wnaf5(s: &[u8; 32]) -> Naf {
    let mut k = [0u64; 4];
    for (i, limb) in k.iter_mut().enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[32 - 8 * (i + 1)..32 - 8 * i]);
        *limb = u64::from_be_bytes(w);
    }
    // `n` bits of k from bit `at` (n ≤ 5; bits past the top are zero)
    let bits = |at: usize, n: usize| -> u32 {
        let limb = at / 64;
        let off = at % 64;
        let mut v = k[limb] >> off;
        if off + n > 64 && limb + 1 < 4 {
            v |= k[limb + 1] << (64 - off);
        }
        (v & ((1 << n) - 1)) as u32
    };
    let mut out = Naf {
        digits: [0; 260],
        len: 0,
    };
    let mut carry = 0u32;
    let mut at = 0;
    while at < 256 {
        if bits(at, 1) == carry {
            at += 1;
            continue;
        }
        let n = 5.min(256 - at);
        let word = bits(at, n) + carry;
        carry = (word >> 4) & 1;
        let digit = word as i32 - ((carry as i32) << 5);
        out.digits[at] = digit as i8;
        out.len = at + 1;
        at += n;
    }
    if carry != 0 {
        out.digits[256] = 1;
        out.len = 257;
    }
    out
}

/// [t]P from P's odd multiples, plus `acc`.
pub(crate) fn mul_wnaf(t: &[u8; 32], odd: &[Affine]) -> Jacobian {
    let naf = wnaf5(t);
    let mut acc = Jacobian::IDENTITY;
    for i in (0..naf.len()).rev() {
        let d = naf.get(i);
        acc = acc.double();
        if d > 0 {
            acc = acc.add_affine(&odd[(d as usize) / 2]);
        } else if d < 0 {
            acc = acc.sub_affine(&odd[((-d) as usize) / 2]);
        }
    }
    acc
}

/// Per-key tables for the split scalar method: for k = 0..4 the odd
/// multiples of 2^(64k)·P. With them [t]P costs 64 doublings instead of
/// 256 (32 affine points, 2 KiB, built once per key).
pub(crate) fn split_tables(p: &Affine) -> Vec<Affine> {
    let mut bases = Vec::with_capacity(4);
    let mut b = Jacobian::from_affine(p);
    for k in 0..4 {
        if k > 0 {
            for _ in 0..64 {
                b = b.double();
            }
        }
        bases.push(b);
    }
    let mut all = Vec::with_capacity(32);
    for base in &bases {
        let twice = base.double();
        let mut acc = *base;
        all.push(acc);
        for _ in 1..8 {
            acc = acc.add(&twice);
            all.push(acc);
        }
    }
    batch_to_affine(&all)
}

/// [t]P from [`split_tables`]: t = Σ t_k·2^(64k) with 64-bit t_k, each in
/// width-5 NAF, evaluated jointly over one chain of 65 doublings.
pub(crate) fn mul_split(t: &[u8; 32], tables: &[Affine]) -> Jacobian {
    let nafs: [Naf; 4] = std::array::from_fn(|k| {
        let mut chunk = [0u8; 32];
        chunk[24..].copy_from_slice(&t[32 - 8 * (k + 1)..32 - 8 * k]);
        wnaf5(&chunk)
    });
    let len = nafs.iter().map(Naf::len).max().unwrap_or(0);
    let mut acc = Jacobian::IDENTITY;
    for i in (0..len).rev() {
        acc = acc.double();
        for (k, naf) in nafs.iter().enumerate() {
            let d = naf.get(i);
            if d > 0 {
                acc = acc.add_affine(&tables[8 * k + (d as usize) / 2]);
            } else if d < 0 {
                acc = acc.sub_affine(&tables[8 * k + ((-d) as usize) / 2]);
            }
        }
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `acc += d·2^at` on a little-endian 320-bit value.
    fn add_at(acc: &mut [u64; 5], d: u64, at: usize) {
        let wide = u128::from(d) << (at % 64);
        let mut carry = wide;
        for limb in acc.iter_mut().skip(at / 64) {
            let t = u128::from(*limb) + (carry & u128::from(u64::MAX));
            *limb = t as u64;
            carry = (carry >> 64) + (t >> 64);
        }
    }

    fn limbs(s: &[u8; 32]) -> [u64; 5] {
        let mut k = [0u64; 5];
        for (i, limb) in k.iter_mut().take(4).enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(&s[32 - 8 * (i + 1)..32 - 8 * i]);
            *limb = u64::from_be_bytes(w);
        }
        k
    }

    #[test]
    fn wnaf5_digits_add_up_and_are_sparse() {
        let mut scalars = vec![[0u8; 32], [0xff; 32], crate::crypto::curve::N];
        let mut one = [0u8; 32];
        one[31] = 1;
        scalars.push(one);
        let mut top = [0u8; 32];
        top[0] = 0x80;
        scalars.push(top);
        let mut x = 0x0123_4567_89ab_cdefu64;
        for _ in 0..2000 {
            let mut s = [0u8; 32];
            for b in s.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
                // long runs of ones and zeros
                if x.is_multiple_of(5) {
                    *b = if x.is_multiple_of(2) { 0xff } else { 0 };
                }
            }
            scalars.push(s);
        }
        for s in &scalars {
            let naf = wnaf5(s);
            let (mut pos, mut neg) = (limbs(&[0; 32]), limbs(&[0; 32]));
            let mut last: Option<usize> = None;
            for i in 0..naf.len() {
                let d = naf.get(i);
                if d == 0 {
                    continue;
                }
                assert!(d % 2 != 0 && (-15..=15).contains(&d), "digit {d}");
                if let Some(l) = last {
                    assert!(i - l >= 5, "digits at {l} and {i}");
                }
                last = Some(i);
                if d > 0 {
                    add_at(&mut pos, d as u64, i);
                } else {
                    add_at(&mut neg, (-d) as u64, i);
                }
            }
            assert!(naf.len() == 0 || naf.get(naf.len() - 1) != 0);
            // pos − neg = s, i.e. pos = s + neg
            let mut want = limbs(s);
            for (i, &l) in neg.iter().enumerate() {
                for b in 0..64 {
                    if (l >> b) & 1 == 1 {
                        add_at(&mut want, 1, 64 * i + b);
                    }
                }
            }
            assert_eq!(pos, want);
        }
    }

    fn to_affine(p: &Jacobian) -> Affine {
        let zinv = p.z.invert();
        let zinv2 = zinv.square();
        Affine {
            x: p.x.mul(&zinv2),
            y: p.y.mul(&zinv2).mul(&zinv),
        }
    }

    #[test]
    fn odd_multiples_by_co_z_match_plain_additions() {
        let g = generator();
        let mut base = Jacobian::from_affine(&g);
        for _ in 0..20 {
            let p = to_affine(&base);
            let odd = odd_multiples(&p);
            let mut acc = Jacobian::from_affine(&p);
            let twice = acc.double();
            for (i, m) in odd.iter().enumerate() {
                assert_eq!(*m, to_affine(&acc), "{}P", 2 * i + 1);
                acc = acc.add(&twice);
            }
            base = base.double().add_affine(&g);
        }
    }
}
