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

/// [`batch_to_affine`] for a fixed number of points, without allocating.
pub(crate) fn batch_to_affine_n<const N: usize>(points: &[Jacobian; N]) -> [Affine; N] {
    let mut prefix = [Fe::ONE; N];
    let mut acc = Fe::ONE;
    for (i, p) in points.iter().enumerate() {
        prefix[i] = acc;
        acc = acc.mul(&p.z);
    }
    let mut inv = acc.invert();
    let mut out = [Affine::default(); N];
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
pub(crate) fn odd_multiples(p: &Affine) -> [Affine; 8] {
    let pj = Jacobian::from_affine(p);
    let p2 = pj.double();
    let mut v = [pj; 8];
    for i in 1..8 {
        v[i] = v[i - 1].add(&p2);
    }
    batch_to_affine_n(&v)
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
/// significant first; digits are 0 or odd in [−15, 15].
pub(crate) fn wnaf5(s: &[u8; 32]) -> Naf {
    // little-endian 64-bit limbs plus room for the carry
    let mut k = [0u64; 5];
    for (i, limb) in k.iter_mut().take(4).enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[32 - 8 * (i + 1)..32 - 8 * i]);
        *limb = u64::from_be_bytes(w);
    }
    let mut out = Naf {
        digits: [0; 260],
        len: 0,
    };
    let is_zero = |k: &[u64; 5]| k.iter().all(|&l| l == 0);
    while !is_zero(&k) {
        let digit: i8 = if k[0] & 1 == 1 {
            let m = (k[0] & 31) as i8;
            let d = if m >= 16 { m - 32 } else { m };
            // k -= d
            if d > 0 {
                let (v, mut borrow) = k[0].overflowing_sub(d as u64);
                k[0] = v;
                let mut i = 1;
                while borrow && i < 5 {
                    let (v, b) = k[i].overflowing_sub(1);
                    k[i] = v;
                    borrow = b;
                    i += 1;
                }
            } else {
                let (v, mut carry) = k[0].overflowing_add((-d) as u64);
                k[0] = v;
                let mut i = 1;
                while carry && i < 5 {
                    let (v, c) = k[i].overflowing_add(1);
                    k[i] = v;
                    carry = c;
                    i += 1;
                }
            }
            d
        } else {
            0
        };
        out.digits[out.len] = digit;
        out.len += 1;
        // k >>= 1
        for i in 0..5 {
            k[i] = (k[i] >> 1) | if i + 1 < 5 { k[i + 1] << 63 } else { 0 };
        }
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
