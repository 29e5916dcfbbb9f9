//! Refusals: every input the SDK must turn away, with the precise error.

mod common;

use common::test_rng;
use sm2::elliptic_curve::bigint::{NonZero, U256};
use yizhengtong::Error;
use yizhengtong::asn1;
use yizhengtong::crypto::container::{ContainerParams, KeyContainer, Pin};
use yizhengtong::crypto::curve;
use yizhengtong::crypto::encrypt::Ciphertext;
use yizhengtong::crypto::pkcs8enc::{self, Pbes2Cipher, Pbes2Params, Pbes2Prf};
use yizhengtong::crypto::sign::{MAX_USER_ID_LEN, message_digest, za};
use yizhengtong::crypto::sm4::{self, Padding};
use yizhengtong::crypto::{CiphertextFormat, PrivateKey, PublicKey, Signature};
use yizhengtong::hex;

/// Assert that `$result` is an `Err` matching `$pattern`, printing what
/// was found otherwise.
macro_rules! assert_refused {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Ok(_) => panic!(
                "`{}` was accepted; expected {}",
                stringify!($result),
                stringify!($pattern)
            ),
            Err(e) => {
                let shown = format!("{e:?}");
                assert!(
                    matches!(e, $pattern $(if $guard)?),
                    "`{}` refused with {}; expected {}",
                    stringify!($result),
                    shown,
                    stringify!($pattern)
                )
            }
        }
    };
}

// ---------------------------------------------------------------------
// helpers

fn key(seed: u64) -> PrivateKey {
    PrivateKey::generate(&mut test_rng(seed))
}

/// `n - k`, big-endian, for small k.
fn n_minus(k: u8) -> [u8; 32] {
    let mut v = curve::N;
    // N ends in 0x23: no borrow for k <= 0x23.
    v[31] -= k;
    v
}

/// The uncompressed base point G.
fn g_uncompressed() -> Vec<u8> {
    [&[0x04][..], &curve::GX, &curve::GY].concat()
}

/// 32-byte big-endian `v + 1` (wrapping).
fn plus_one(mut v: [u8; 32]) -> [u8; 32] {
    for b in v.iter_mut().rev() {
        let (s, carry) = b.overflowing_add(1);
        *b = s;
        if !carry {
            break;
        }
    }
    v
}

/// Replace the single occurrence of `from` in `haystack` with `to` (same
/// length).
fn replace_once(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let hits: Vec<usize> = haystack
        .windows(from.len())
        .enumerate()
        .filter(|(_, w)| *w == from)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "expected exactly one occurrence");
    let mut out = haystack.to_vec();
    out[hits[0]..hits[0] + from.len()].copy_from_slice(to);
    out
}

fn oid_der(dotted: &str) -> Vec<u8> {
    use der::Encode;
    der::asn1::ObjectIdentifier::new(dotted)
        .unwrap()
        .to_der()
        .unwrap()
}

const OID_SM2: &str = "1.2.156.10197.1.301";
const OID_PRIME256V1: &str = "1.2.840.10045.3.1.7";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

/// `v` is a square modulo p (Euler's criterion), computed independently of
/// the library with crypto-bigint.
fn is_square_mod_p(v: &U256) -> bool {
    let p = NonZero::<U256>::new_unwrap(U256::from_be_slice(&curve::P));
    // (p - 1) / 2 = p >> 1, p being odd.
    let mut exp = [0u8; 32];
    let mut carry = 0u8;
    for (e, &b) in exp.iter_mut().zip(curve::P.iter()) {
        *e = (b >> 1) | (carry << 7);
        carry = b & 1;
    }
    let mut acc = U256::ONE;
    for byte in exp {
        for i in (0..8).rev() {
            acc = acc.mul_mod(&acc, &p);
            if (byte >> i) & 1 == 1 {
                acc = acc.mul_mod(v, &p);
            }
        }
    }
    acc == U256::ONE || *v == U256::ZERO
}

/// x³ + ax + b mod p.
fn curve_rhs(x: &U256) -> U256 {
    let p = NonZero::<U256>::new_unwrap(U256::from_be_slice(&curve::P));
    let a = U256::from_be_slice(&curve::A);
    let b = U256::from_be_slice(&curve::B);
    let x3 = x.mul_mod(x, &p).mul_mod(x, &p);
    x3.add_mod(&a.mul_mod(x, &p), &p).add_mod(&b, &p)
}

// ---------------------------------------------------------------------
// public keys

#[test]
fn point_not_on_curve() {
    let mut g = g_uncompressed();
    PublicKey::from_sec1_bytes(&g).unwrap();
    // y + 1
    let y: [u8; 32] = g[33..].try_into().unwrap();
    g[33..].copy_from_slice(&plus_one(y));
    assert_eq!(PublicKey::from_sec1_bytes(&g), Err(Error::PointNotOnCurve));
    // x + 1 with the original y
    let mut g = g_uncompressed();
    let x: [u8; 32] = g[1..33].try_into().unwrap();
    g[1..33].copy_from_slice(&plus_one(x));
    assert_eq!(PublicKey::from_sec1_bytes(&g), Err(Error::PointNotOnCurve));
    // (0, 0)
    let mut zero = vec![0x04];
    zero.extend([0u8; 64]);
    assert_eq!(
        PublicKey::from_sec1_bytes(&zero),
        Err(Error::PointNotOnCurve)
    );
}

#[test]
fn coordinate_not_below_p() {
    let max = [0xffu8; 32];
    for (x, y) in [
        (curve::P, curve::GY),
        (curve::GX, curve::P),
        (max, curve::GY),
        (curve::GX, max),
    ] {
        let point = [&[0x04][..], &x, &y].concat();
        assert_refused!(
            PublicKey::from_sec1_bytes(&point),
            Error::InvalidPointEncoding(_)
        );
    }
    for x in [curve::P, plus_one(curve::P), max] {
        for prefix in [0x02, 0x03] {
            let point = [&[prefix][..], &x].concat();
            assert_refused!(
                PublicKey::from_sec1_bytes(&point),
                Error::InvalidPointEncoding(_)
            );
        }
    }
    // x = GX + p would be GX mod p: must not be reduced silently. GX + p
    // overflows 256 bits, so use y = GY + p instead where it fits.
    // (GY < 2^256 - p, so GY + p < 2^256.)
    let mut y_plus_p = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(curve::GY[i]) + u16::from(curve::P[i]) + carry;
        y_plus_p[i] = s as u8;
        carry = s >> 8;
    }
    if carry == 0 {
        let point = [&[0x04][..], &curve::GX, &y_plus_p].concat();
        assert_refused!(
            PublicKey::from_sec1_bytes(&point),
            Error::InvalidPointEncoding(_)
        );
    }
}

#[test]
fn identity_point() {
    assert_eq!(
        PublicKey::from_sec1_bytes(&[0x00]),
        Err(Error::PointAtInfinity)
    );
}

#[test]
fn point_wrong_lengths() {
    let g = g_uncompressed();
    let gc = PrivateKey::from_slice(&[1])
        .unwrap()
        .public_key()
        .to_sec1_bytes(true);
    assert_eq!(
        PublicKey::from_sec1_bytes(&gc).unwrap().to_xy()[..32],
        curve::GX
    );
    let cases: Vec<Vec<u8>> = vec![
        vec![],
        g[..64].to_vec(),                 // 04 with 63 bytes
        [&g[..], &[0][..]].concat(),      // 04 with 65 bytes
        vec![0x04],                       // prefix only
        gc[..32].to_vec(),                // 02/03 with 31 bytes
        [&gc[..], &[0][..]].concat(),     // 02/03 with 33 bytes
        [&[0x02][..], &g[1..]].concat(),  // compressed prefix, 64 bytes
        [&[0x03][..], &g[1..]].concat(),  // compressed prefix, 64 bytes
        [&[0x04][..], &gc[1..]].concat(), // uncompressed prefix, 32 bytes
    ];
    for c in cases {
        assert_refused!(
            PublicKey::from_sec1_bytes(&c),
            Error::InvalidLength { actual, .. } if actual == c.len()
        );
    }
}

#[test]
fn unknown_and_hybrid_prefixes() {
    let g = g_uncompressed();
    for prefix in [0x05, 0x06, 0x07, 0x01, 0xff] {
        let mut p = g.clone();
        p[0] = prefix;
        assert_refused!(
            PublicKey::from_sec1_bytes(&p),
            Error::InvalidPointEncoding(_)
        );
        assert_refused!(
            PublicKey::from_sec1_bytes(&p[..33]),
            Error::InvalidPointEncoding(_)
        );
    }
    // hybrid with the right parity bit (GY is even: 06)
    assert_eq!(curve::GY[31] & 1, 0);
    let mut hybrid = g.clone();
    hybrid[0] = 0x06;
    assert_refused!(
        PublicKey::from_sec1_bytes(&hybrid),
        Error::InvalidPointEncoding(_)
    );
    // 00 followed by anything is not the identity encoding
    assert_refused!(
        PublicKey::from_sec1_bytes(&[0x00, 0x00]),
        Error::InvalidPointEncoding(_)
    );
}

#[test]
fn compressed_x_without_square_root() {
    // Sanity of the independent check: G's x has a y.
    assert!(is_square_mod_p(&curve_rhs(&U256::from_be_slice(
        &curve::GX
    ))));
    let mut found = 0;
    for small in 0u64..64 {
        let x = U256::from_u64(small);
        let mut xb = [0u8; 32];
        xb[24..].copy_from_slice(&small.to_be_bytes());
        let on_curve = is_square_mod_p(&curve_rhs(&x));
        for prefix in [0x02, 0x03] {
            let point = [&[prefix][..], &xb].concat();
            let parsed = PublicKey::from_sec1_bytes(&point);
            if on_curve {
                let p = parsed.unwrap_or_else(|e| panic!("x = {small} has a y but: {e:?}"));
                assert_eq!(p.to_xy()[..32], xb);
                assert_eq!(p.to_xy()[63] & 1, prefix & 1);
            } else {
                assert_eq!(parsed, Err(Error::PointNotOnCurve), "x = {small}");
            }
        }
        if !on_curve {
            found += 1;
        }
    }
    assert!(found > 0, "no x in 0..64 without a square root");
}

#[test]
fn private_scalar_range() {
    let max = [0xffu8; 32];
    for d in [[0u8; 32], n_minus(1), curve::N, plus_one(curve::N), max] {
        assert_eq!(
            PrivateKey::from_bytes(&d),
            Err(Error::ScalarOutOfRange),
            "{}",
            hex::encode(&d)
        );
        assert_eq!(PrivateKey::from_slice(&d), Err(Error::ScalarOutOfRange));
    }
    assert_eq!(PrivateKey::from_slice(&[0]), Err(Error::ScalarOutOfRange));
    for d in [n_minus(2), n_minus(3)] {
        let k = PrivateKey::from_bytes(&d).unwrap();
        assert_eq!(&k.to_bytes()[..], &d[..]);
    }
    let one = PrivateKey::from_slice(&[1]).unwrap();
    assert_eq!(one.public_key().to_xy()[..32], curve::GX);
    assert_eq!(one.public_key().to_xy()[32..], curve::GY);
    assert_refused!(
        PrivateKey::from_slice(&[]),
        Error::InvalidLength { actual: 0, .. }
    );
    assert_refused!(
        PrivateKey::from_slice(&[1u8; 33]),
        Error::InvalidLength { actual: 33, .. }
    );
}

#[test]
fn out_of_range_scalar_inside_pkcs8_and_sec1() {
    let d = n_minus(2);
    let k = PrivateKey::from_bytes(&d).unwrap();
    for bad in [n_minus(1), curve::N, [0u8; 32], [0xff; 32]] {
        let pkcs8 = replace_once(&k.to_pkcs8_der(), &d, &bad);
        assert_eq!(
            PrivateKey::from_pkcs8_der(&pkcs8),
            Err(Error::ScalarOutOfRange)
        );
        let sec1 = replace_once(&k.to_sec1_der(), &d, &bad);
        assert_eq!(
            PrivateKey::from_sec1_der(&sec1),
            Err(Error::ScalarOutOfRange)
        );
    }
}

#[test]
fn pkcs8_with_another_curve() {
    let k = key(1);
    let sm2 = oid_der(OID_SM2);
    let p256 = oid_der(OID_PRIME256V1);
    let der = replace_once(&k.to_pkcs8_der(), &sm2, &p256);
    assert_refused!(
        PrivateKey::from_pkcs8_der(&der),
        Error::UnsupportedAlgorithm { oid, .. } if oid == OID_PRIME256V1
    );
    assert_refused!(
        PrivateKey::from_any(&der),
        Error::UnsupportedAlgorithm { .. }
    );
    // SEC1 with the curve parameter
    let sec1 = replace_once(&k.to_sec1_der(), &sm2, &p256);
    assert_refused!(
        PrivateKey::from_sec1_der(&sec1),
        Error::UnsupportedAlgorithm { oid, .. } if oid == OID_PRIME256V1
    );
    // SPKI
    let spki = replace_once(&k.public_key().to_spki_der(), &sm2, &p256);
    assert_refused!(
        PublicKey::from_spki_der(&spki),
        Error::UnsupportedAlgorithm { oid, .. } if oid == OID_PRIME256V1
    );
    // another key algorithm (id-ecDH 1.3.132.1.12 has a different length;
    // 1.2.840.10045.2.2 has the same)
    let other_alg = oid_der("1.2.840.10045.2.2");
    let ec = oid_der(OID_EC_PUBLIC_KEY);
    let der = replace_once(&k.to_pkcs8_der(), &ec, &other_alg);
    assert_refused!(
        PrivateKey::from_pkcs8_der(&der),
        Error::UnsupportedAlgorithm { oid, .. } if oid == "1.2.840.10045.2.2"
    );
    let spki = replace_once(&k.public_key().to_spki_der(), &ec, &other_alg);
    assert_refused!(
        PublicKey::from_spki_der(&spki),
        Error::UnsupportedAlgorithm { .. }
    );
}

#[test]
fn pkcs8_and_sec1_with_a_foreign_public_key() {
    let k = key(2);
    let other = key(3).public_key().to_sec1_bytes(false);
    let mine = k.public_key().to_sec1_bytes(false);
    let pkcs8 = replace_once(&k.to_pkcs8_der(), &mine, &other);
    assert_eq!(PrivateKey::from_pkcs8_der(&pkcs8), Err(Error::KeyMismatch));
    let sec1 = replace_once(&k.to_sec1_der(), &mine, &other);
    assert_eq!(PrivateKey::from_sec1_der(&sec1), Err(Error::KeyMismatch));
    // a stored point that is not on the curve at all
    let mut off = mine.clone();
    off[64] ^= 1;
    let pkcs8 = replace_once(&k.to_pkcs8_der(), &mine, &off);
    assert_eq!(
        PrivateKey::from_pkcs8_der(&pkcs8),
        Err(Error::PointNotOnCurve)
    );
}

#[test]
fn truncated_and_padded_key_der_is_refused() {
    let k = key(4);
    let pkcs8 = k.to_pkcs8_der().to_vec();
    let sec1 = k.to_sec1_der().to_vec();
    let spki = k.public_key().to_spki_der();
    for cut in 0..pkcs8.len() {
        assert_refused!(
            PrivateKey::from_pkcs8_der(&pkcs8[..cut]),
            Error::Malformed { .. }
        );
        assert!(PrivateKey::from_any(&pkcs8[..cut]).is_err());
    }
    for cut in 0..sec1.len() {
        assert_refused!(
            PrivateKey::from_sec1_der(&sec1[..cut]),
            Error::Malformed { .. }
        );
        assert!(PrivateKey::from_any(&sec1[..cut]).is_err());
    }
    for cut in 0..spki.len() {
        assert_refused!(
            PublicKey::from_spki_der(&spki[..cut]),
            Error::Malformed { .. }
        );
        assert!(PublicKey::from_any(&spki[..cut]).is_err());
    }
    for garbage in [&[0x00][..], &[0x00, 0x00], &[0x05, 0x00], b"x"] {
        let p = [&pkcs8[..], garbage].concat();
        assert_refused!(PrivateKey::from_pkcs8_der(&p), Error::Malformed { .. });
        assert!(PrivateKey::from_any(&p).is_err());
        let s = [&sec1[..], garbage].concat();
        assert_refused!(PrivateKey::from_sec1_der(&s), Error::Malformed { .. });
        let s = [&spki[..], garbage].concat();
        assert_refused!(PublicKey::from_spki_der(&s), Error::Malformed { .. });
        assert!(PublicKey::from_any(&s).is_err());
    }
    // PEM with a truncated body or missing END line
    let pem = k.to_pkcs8_pem().to_string();
    let no_end = &pem[..pem.find("-----END").unwrap()];
    assert_refused!(
        PrivateKey::from_pkcs8_pem(no_end.as_bytes()),
        Error::Malformed { .. }
    );
    for cut in 0..pem.len() {
        let text = &pem.as_bytes()[..cut];
        let r = PrivateKey::from_pkcs8_pem(text);
        // only the final line break may go
        if cut == pem.len() - 1 {
            assert_eq!(r.unwrap(), k);
        } else {
            assert!(
                r.is_err(),
                "PEM cut to {cut} of {} bytes accepted:\n{}",
                pem.len(),
                String::from_utf8_lossy(text)
            );
        }
    }
    // the wrong label
    assert_refused!(
        PrivateKey::from_sec1_pem(pem.as_bytes()),
        Error::Malformed { .. }
    );
    assert_refused!(
        PublicKey::from_spki_pem(pem.as_bytes()),
        Error::Malformed { .. }
    );
}

#[test]
fn spki_with_bare_sm2_oid_is_accepted() {
    let public = key(5).public_key();
    let point = public.to_sec1_bytes(false);
    let bit_string = asn1::tlv(0x03, &[&[0x00][..], &point].concat());
    let sm2 = oid_der(OID_SM2);
    for params in [vec![], vec![asn1::TAG_NULL, 0x00], sm2.clone()] {
        let alg = asn1::tlv(asn1::TAG_SEQUENCE, &[&sm2[..], &params].concat());
        let spki = asn1::tlv(asn1::TAG_SEQUENCE, &[alg, bit_string.clone()].concat());
        assert_eq!(PublicKey::from_spki_der(&spki).unwrap(), public);
        assert_eq!(PublicKey::from_any(&spki).unwrap(), public);
    }
    // compressed point under the bare OID too
    let alg = asn1::tlv(asn1::TAG_SEQUENCE, &sm2);
    let bs = asn1::tlv(0x03, &[&[0x00][..], &public.to_sec1_bytes(true)].concat());
    let spki = asn1::tlv(asn1::TAG_SEQUENCE, &[alg, bs].concat());
    assert_eq!(PublicKey::from_spki_der(&spki).unwrap(), public);
    // but bare SM2 with another curve as parameter is refused
    let alg = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[&sm2[..], &oid_der(OID_PRIME256V1)].concat(),
    );
    let spki = asn1::tlv(asn1::TAG_SEQUENCE, &[alg, bit_string.clone()].concat());
    assert_refused!(
        PublicKey::from_spki_der(&spki),
        Error::UnsupportedAlgorithm { .. }
    );
    // and id-ecPublicKey without a curve is refused
    let alg = asn1::tlv(asn1::TAG_SEQUENCE, &oid_der(OID_EC_PUBLIC_KEY));
    let spki = asn1::tlv(asn1::TAG_SEQUENCE, &[alg, bit_string].concat());
    assert_refused!(
        PublicKey::from_spki_der(&spki),
        Error::UnsupportedAlgorithm { .. }
    );
}

#[test]
fn pkcs8_with_bare_sm2_oid_is_accepted() {
    let k = key(6);
    // The inner SEC1 key of our own PKCS#8 (no curve parameter).
    let pkcs8 = k.to_pkcs8_der();
    let mut outer = asn1::Reader::new("test", &pkcs8);
    let mut info = outer.expect(asn1::TAG_SEQUENCE).unwrap();
    info.expect(asn1::TAG_INTEGER).unwrap();
    info.expect(asn1::TAG_SEQUENCE).unwrap();
    let inner = info.expect(asn1::TAG_OCTET_STRING).unwrap().rest();
    let alg = asn1::tlv(asn1::TAG_SEQUENCE, &oid_der(OID_SM2));
    let der = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[
            asn1::uint(&[0]),
            alg,
            asn1::tlv(asn1::TAG_OCTET_STRING, inner),
        ]
        .concat(),
    );
    assert_eq!(PrivateKey::from_pkcs8_der(&der).unwrap(), k);
}

// ---------------------------------------------------------------------
// signatures

/// r has its top bit clear, s has it set (so s needs a 00 pad in DER).
const R: [u8; 32] = [0x11; 32];
const S: [u8; 32] = [0x85; 32];

fn int(content: &[u8]) -> Vec<u8> {
    asn1::tlv(asn1::TAG_INTEGER, content)
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    asn1::tlv(asn1::TAG_SEQUENCE, &parts.concat())
}

#[test]
fn canonical_signature_der_is_accepted() {
    let canonical = seq(&[int(&R), int(&[&[0][..], &S].concat())]);
    assert_eq!(
        canonical,
        Signature::from_components(R, S).unwrap().to_der()
    );
    let sig = Signature::from_der(&canonical).unwrap();
    assert_eq!(sig.r(), &R);
    assert_eq!(sig.s(), &S);
}

#[test]
fn non_canonical_signature_der() {
    let r_ok = int(&R);
    let s_ok = int(&[&[0][..], &S].concat());
    let canonical = seq(&[r_ok.clone(), s_ok.clone()]);
    let body = [r_ok.clone(), s_ok.clone()].concat();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();

    // long-form length on the SEQUENCE (0x81 0x45 for 0x45)
    let mut long = vec![0x30, 0x81, body.len() as u8];
    long.extend(&body);
    cases.push(("long-form SEQUENCE length", long));
    // long-form length on r
    let mut r_long = vec![0x02, 0x81, 0x20];
    r_long.extend(R);
    cases.push(("long-form INTEGER length", seq(&[r_long, s_ok.clone()])));
    // 0x82 0x00 0x45: length with a leading zero byte
    let mut long2 = vec![0x30, 0x82, 0x00, body.len() as u8];
    long2.extend(&body);
    cases.push(("two-byte SEQUENCE length", long2));
    // indefinite length
    let mut indefinite = vec![0x30, 0x80];
    indefinite.extend(&body);
    indefinite.extend([0, 0]);
    cases.push(("indefinite length", indefinite));
    // leading zero padding on a positive r (top bit clear)
    cases.push((
        "zero-padded r",
        seq(&[int(&[&[0][..], &R].concat()), s_ok.clone()]),
    ));
    // double padding on s
    cases.push((
        "doubly padded s",
        seq(&[r_ok.clone(), int(&[&[0, 0][..], &S].concat())]),
    ));
    // negative s (top bit set, no pad)
    cases.push(("negative s", seq(&[r_ok.clone(), int(&S)])));
    // negative r
    cases.push(("negative r", seq(&[int(&[0xff]), s_ok.clone()])));
    // empty INTEGER
    cases.push(("empty r", seq(&[int(&[]), s_ok.clone()])));
    // r of 33 significant bytes
    cases.push((
        "r too long",
        seq(&[int(&[&[0x01][..], &R].concat()), s_ok.clone()]),
    ));
    // trailing bytes after the SEQUENCE
    cases.push(("trailing 00", [canonical.clone(), vec![0]].concat()));
    cases.push(("trailing INTEGER", [canonical.clone(), int(&[1])].concat()));
    // extra element inside the SEQUENCE
    cases.push((
        "third INTEGER",
        seq(&[r_ok.clone(), s_ok.clone(), int(&[1])]),
    ));
    // missing s
    cases.push(("missing s", seq(std::slice::from_ref(&r_ok))));
    cases.push(("empty SEQUENCE", seq(&[])));
    cases.push(("empty input", vec![]));
    // wrong tags
    let mut set = canonical.clone();
    set[0] = 0x31;
    cases.push(("SET instead of SEQUENCE", set));
    cases.push((
        "OCTET STRING r",
        seq(&[asn1::tlv(asn1::TAG_OCTET_STRING, &R), s_ok.clone()]),
    ));
    // a length running past the end
    let mut over = canonical.clone();
    over[1] += 1;
    cases.push(("SEQUENCE length past the end", over));

    for (name, der) in cases {
        let r = Signature::from_der(&der);
        assert!(matches!(r, Err(Error::Malformed { .. })), "{name}: {r:?}");
        if der.len() != 64 {
            assert!(
                Signature::from_der_or_raw(&der).is_err(),
                "{name} accepted by from_der_or_raw"
            );
        }
    }

    // every truncation
    for cut in 0..canonical.len() {
        assert_refused!(
            Signature::from_der(&canonical[..cut]),
            Error::Malformed { .. }
        );
    }
}

#[test]
fn signature_components_out_of_range() {
    let zero = [0u8; 32];
    let n = curve::N;
    let cases = [
        (zero, S, "r"),
        (R, zero, "s"),
        (n, S, "r"),
        (R, n, "s"),
        (zero, zero, "r"),
        ([0xff; 32], S, "r"),
        (R, [0xff; 32], "s"),
    ];
    for (r, s, which) in cases {
        let expect = Error::SignatureOutOfRange { component: which };
        assert_eq!(Signature::from_components(r, s), Err(expect.clone()));
        let raw = [r, s].concat();
        assert_eq!(Signature::from_raw(&raw), Err(expect.clone()));
        // and in DER (canonical INTEGERs of the out-of-range values)
        let der = seq(&[asn1::uint(&r), asn1::uint(&s)]);
        assert_eq!(Signature::from_der(&der), Err(expect));
    }
    // n - 1 is the largest valid component; 1 the smallest
    let mut one = [0u8; 32];
    one[31] = 1;
    Signature::from_components(n_minus(1), n_minus(1)).unwrap();
    Signature::from_components(one, one).unwrap();
    let der = seq(&[int(&[1]), int(&[1])]);
    assert_eq!(Signature::from_der(&der).unwrap().r(), &one);
}

#[test]
fn raw_signature_lengths() {
    let raw = Signature::from_components(R, S).unwrap().to_raw();
    for len in [0, 32, 63, 65, 128] {
        let bytes: Vec<u8> = raw.iter().copied().cycle().take(len).collect();
        assert_refused!(
            Signature::from_raw(&bytes),
            Error::InvalidLength { actual, .. } if actual == len
        );
    }
    Signature::from_raw(&raw).unwrap();
}

#[test]
fn user_id_length_limit() {
    let k = key(7);
    let public = k.public_key();
    let mut rng = test_rng(8);
    let too_long = vec![b'u'; 8192];
    assert_eq!(MAX_USER_ID_LEN, 8191);
    assert_eq!(
        k.sign(&too_long, b"m", &mut rng),
        Err(Error::UserIdTooLong { len: 8192 })
    );
    let ok_sig = k.sign(&too_long[..8191], b"m", &mut rng).unwrap();
    public.verify(&too_long[..8191], b"m", &ok_sig).unwrap();
    assert_eq!(
        public.verify(&too_long, b"m", &ok_sig),
        Err(Error::UserIdTooLong { len: 8192 })
    );
    assert_eq!(
        za(&public, &too_long),
        Err(Error::UserIdTooLong { len: 8192 })
    );
    assert_eq!(
        message_digest(&public, &vec![0u8; 100_000], b""),
        Err(Error::UserIdTooLong { len: 100_000 })
    );
    // the empty ID is allowed
    let sig = k.sign(b"", b"m", &mut rng).unwrap();
    public.verify(b"", b"m", &sig).unwrap();
    assert_eq!(
        public.verify(b"\0", b"m", &sig),
        Err(Error::SignatureMismatch)
    );
}

#[test]
fn signature_from_another_key_or_message() {
    let k = key(9);
    let sig = k.sign(b"id", b"message", &mut test_rng(10)).unwrap();
    assert_eq!(
        key(11).public_key().verify(b"id", b"message", &sig),
        Err(Error::SignatureMismatch)
    );
    assert_eq!(
        k.public_key().verify(b"id", b"messagE", &sig),
        Err(Error::SignatureMismatch)
    );
    // (r, s) swapped
    let swapped = Signature::from_components(*sig.s(), *sig.r()).unwrap();
    assert_eq!(
        k.public_key().verify(b"id", b"message", &swapped),
        Err(Error::SignatureMismatch)
    );
    // s replaced by n - s
    let mut neg_s = [0u8; 32];
    let mut borrow = 0i16;
    for i in (0..32).rev() {
        let d = i16::from(curve::N[i]) - i16::from(sig.s()[i]) - borrow;
        neg_s[i] = d.rem_euclid(256) as u8;
        borrow = i16::from(d < 0);
    }
    let neg = Signature::from_components(*sig.r(), neg_s).unwrap();
    assert_eq!(
        k.public_key().verify(b"id", b"message", &neg),
        Err(Error::SignatureMismatch)
    );
}

// ---------------------------------------------------------------------
// SM2 encryption

#[test]
fn empty_plaintext() {
    let public = key(12).public_key();
    assert_eq!(
        public.encrypt(b"", &mut test_rng(1)),
        Err(Error::EmptyPlaintext)
    );
    for f in CiphertextFormat::ALL {
        assert_eq!(
            public.encrypt_to(b"", f, &mut test_rng(1)),
            Err(Error::EmptyPlaintext)
        );
    }
}

#[test]
fn decryption_with_the_wrong_key() {
    let k = key(13);
    let wrong = key(14);
    let ct = k
        .public_key()
        .encrypt(b"secret", &mut test_rng(15))
        .unwrap();
    assert_refused!(wrong.decrypt_parts(&ct), Error::DecryptionFailed(_));
    for f in CiphertextFormat::ALL {
        let bytes = ct.to_bytes(f);
        assert_refused!(wrong.decrypt_as(&bytes, f), Error::DecryptionFailed(_));
        assert_refused!(wrong.decrypt(&bytes), Error::DecryptionFailed(_));
        assert_refused!(wrong.decrypt_detect(&bytes), Error::DecryptionFailed(_));
        assert_eq!(&k.decrypt(&bytes).unwrap()[..], b"secret");
    }
}

#[test]
fn tampered_c3_and_c2() {
    let k = key(16);
    let ct = k
        .public_key()
        .encrypt(b"secret", &mut test_rng(17))
        .unwrap();
    for i in 0..32 {
        let mut bad = ct.clone();
        bad.c3[i] ^= 0x40;
        assert_refused!(k.decrypt_parts(&bad), Error::DecryptionFailed(_));
        for f in CiphertextFormat::ALL {
            assert_refused!(
                k.decrypt_as(&bad.to_bytes(f), f),
                Error::DecryptionFailed(_)
            );
            assert_refused!(k.decrypt(&bad.to_bytes(f)), Error::DecryptionFailed(_));
        }
    }
    for i in 0..ct.c2.len() {
        let mut bad = ct.clone();
        bad.c2[i] ^= 1;
        assert_refused!(k.decrypt_parts(&bad), Error::DecryptionFailed(_));
    }
    // C1 moved off the curve
    let mut bad = ct.clone();
    bad.c1[64] ^= 1;
    assert_eq!(k.decrypt_parts(&bad), Err(Error::PointNotOnCurve));
    assert_eq!(
        k.decrypt_as(
            &bad.to_bytes(CiphertextFormat::C1C3C2),
            CiphertextFormat::C1C3C2
        ),
        Err(Error::PointNotOnCurve)
    );
    // C1 replaced by another valid point
    let mut bad = ct.clone();
    bad.c1
        .copy_from_slice(&key(18).public_key().to_sec1_bytes(false));
    assert_refused!(k.decrypt_parts(&bad), Error::DecryptionFailed(_));
    // C2 truncated or extended
    let mut bad = ct.clone();
    bad.c2.pop();
    assert_refused!(k.decrypt_parts(&bad), Error::DecryptionFailed(_));
    let mut bad = ct;
    bad.c2.push(0);
    assert_refused!(k.decrypt_parts(&bad), Error::DecryptionFailed(_));
}

#[test]
fn ciphertext_too_short() {
    let k = key(19);
    for len in [0usize, 1, 64, 96] {
        let bytes = vec![0x11u8; len];
        assert_refused!(
            k.decrypt(&bytes),
            Error::InvalidLength { actual, .. } if actual == len
        );
    }
    // the raw forms need C1, C3 and at least one byte of C2
    for (f, min) in [
        (CiphertextFormat::C1C3C2, 98usize),
        (CiphertextFormat::C1C2C3, 98),
        (CiphertextFormat::C1C3C2NoPrefix, 97),
        (CiphertextFormat::C1C2C3NoPrefix, 97),
    ] {
        for len in [0, 1, 65, min - 1] {
            let mut bytes = vec![0x11u8; len];
            if let Some(b) = bytes.first_mut() {
                *b = 0x04;
            }
            assert_refused!(
                Ciphertext::from_bytes(&bytes, f),
                Error::InvalidLength { actual, .. } if actual == len
            );
            assert_refused!(
                k.decrypt_as(&bytes, f),
                Error::InvalidLength { actual, .. } if actual == len
            );
        }
    }
    // a prefixed form whose first byte is not 04
    let ct = k.public_key().encrypt(b"x", &mut test_rng(20)).unwrap();
    let mut bytes = ct.to_bytes(CiphertextFormat::C1C3C2);
    bytes[0] = 0x02;
    assert_refused!(
        k.decrypt_as(&bytes, CiphertextFormat::C1C3C2),
        Error::InvalidPointEncoding(_)
    );
}

fn asn1_ciphertext(ct: &Ciphertext, c3: &[u8], c2: &[u8]) -> Vec<u8> {
    seq(&[
        asn1::uint(&ct.c1[1..33]),
        asn1::uint(&ct.c1[33..]),
        asn1::tlv(asn1::TAG_OCTET_STRING, c3),
        asn1::tlv(asn1::TAG_OCTET_STRING, c2),
    ])
}

#[test]
fn asn1_ciphertext_with_wrong_hash_or_empty_c2() {
    let k = key(21);
    let ct = k.public_key().encrypt(b"abc", &mut test_rng(22)).unwrap();
    assert_eq!(
        asn1_ciphertext(&ct, &ct.c3, &ct.c2),
        ct.to_bytes(CiphertextFormat::Asn1)
    );
    for c3 in [&ct.c3[..31], &[&ct.c3[..], &[0][..]].concat()[..], &[][..]] {
        let bytes = asn1_ciphertext(&ct, c3, &ct.c2);
        assert_refused!(
            Ciphertext::from_bytes(&bytes, CiphertextFormat::Asn1),
            Error::InvalidLength { actual, .. } if actual == c3.len()
        );
        assert_refused!(
            k.decrypt_as(&bytes, CiphertextFormat::Asn1),
            Error::InvalidLength { actual, .. } if actual == c3.len()
        );
        assert!(k.decrypt(&bytes).is_err());
    }
    let bytes = asn1_ciphertext(&ct, &ct.c3, &[]);
    assert_refused!(
        k.decrypt_as(&bytes, CiphertextFormat::Asn1),
        Error::InvalidLength { actual: 0, .. }
    );
    assert!(k.decrypt(&bytes).is_err());
    // trailing bytes and truncation of the DER form
    let good = ct.to_bytes(CiphertextFormat::Asn1);
    let trailing = [&good[..], &[0][..]].concat();
    assert_refused!(
        k.decrypt_as(&trailing, CiphertextFormat::Asn1),
        Error::Malformed { .. }
    );
    assert!(k.decrypt(&trailing).is_err());
    for cut in 0..good.len() {
        assert_refused!(
            k.decrypt_as(&good[..cut], CiphertextFormat::Asn1),
            Error::Malformed { .. }
        );
        assert!(k.decrypt(&good[..cut]).is_err());
    }
}

// ---------------------------------------------------------------------
// SM4

#[test]
fn sm4_wrong_key_lengths() {
    let iv = [0u8; 16];
    let nonce = [0u8; 12];
    for len in [0usize, 15, 17, 24, 32] {
        let key = vec![7u8; len];
        let block = [0u8; 16];
        let bad = |e: &Error| matches!(e, Error::InvalidLength { actual, .. } if *actual == len);
        let errs = [
            sm4::encrypt_block(&key, &block).map(|_| ()),
            sm4::ecb_encrypt(&key, b"x", Padding::Pkcs7).map(|_| ()),
            sm4::ecb_decrypt(&key, &[0; 16], Padding::Pkcs7).map(|_| ()),
            sm4::cbc_encrypt(&key, &iv, b"x", Padding::Pkcs7).map(|_| ()),
            sm4::cbc_decrypt(&key, &iv, &[0; 16], Padding::Pkcs7).map(|_| ()),
            sm4::ctr(&key, &iv, b"x").map(|_| ()),
            sm4::ctr_apply(&key, &iv, &mut [0u8; 3]),
            sm4::gcm_encrypt(&key, &nonce, b"", b"x").map(|_| ()),
            sm4::gcm_decrypt(&key, &nonce, b"", &[0; 17]).map(|_| ()),
            sm4::ccm_encrypt(&key, &nonce, b"", b"x").map(|_| ()),
            sm4::ccm_decrypt(&key, &nonce, b"", &[0; 17]).map(|_| ()),
        ];
        for (i, r) in errs.into_iter().enumerate() {
            match r {
                Err(e) if bad(&e) => {}
                other => panic!("key length {len}, call {i}: {other:?}"),
            }
        }
    }
}

#[test]
fn sm4_wrong_iv_and_nonce_lengths() {
    let key = [7u8; 16];
    for len in [0usize, 8, 12, 15, 17, 32] {
        let iv = vec![1u8; len];
        let bad = |r: Result<(), Error>| {
            assert!(
                matches!(&r, Err(Error::InvalidLength { actual, .. }) if *actual == len),
                "IV length {len}: {r:?}"
            )
        };
        bad(sm4::cbc_encrypt(&key, &iv, b"x", Padding::Pkcs7).map(|_| ()));
        bad(sm4::cbc_decrypt(&key, &iv, &[0; 16], Padding::Pkcs7).map(|_| ()));
        bad(sm4::ctr(&key, &iv, b"x").map(|_| ()));
    }
    for len in [0usize, 8, 11, 13, 16] {
        let nonce = vec![1u8; len];
        let bad = |r: Result<(), Error>| {
            assert!(
                matches!(&r, Err(Error::InvalidLength { actual, .. }) if *actual == len),
                "nonce length {len}: {r:?}"
            )
        };
        bad(sm4::gcm_encrypt(&key, &nonce, b"", b"x").map(|_| ()));
        bad(sm4::gcm_decrypt(&key, &nonce, b"", &[0; 32]).map(|_| ()));
        bad(sm4::ccm_encrypt(&key, &nonce, b"", b"x").map(|_| ()));
        bad(sm4::ccm_decrypt(&key, &nonce, b"", &[0; 32]).map(|_| ()));
    }
}

#[test]
fn sm4_bad_pkcs7_padding() {
    let key = [9u8; 16];
    let iv = [3u8; 16];
    let mut bad_blocks: Vec<[u8; 16]> = Vec::new();
    let mut b = [0x41u8; 16];
    b[15] = 0x00; // pad length 0
    bad_blocks.push(b);
    b[15] = 0x11; // pad length 17
    bad_blocks.push(b);
    b[15] = 0xff;
    bad_blocks.push(b);
    b[13..].copy_from_slice(&[0x03, 0x02, 0x03]); // inconsistent
    bad_blocks.push(b);
    b[14..].copy_from_slice(&[0x01, 0x02]); // says 2, previous byte is 1
    bad_blocks.push(b);
    for block in bad_blocks {
        let ct = sm4::cbc_encrypt(&key, &iv, &block, Padding::None).unwrap();
        assert_eq!(
            sm4::cbc_decrypt(&key, &iv, &ct, Padding::Pkcs7),
            Err(Error::InvalidPadding),
            "{}",
            hex::encode(&block)
        );
        // without padding it decrypts as is
        assert_eq!(
            &sm4::cbc_decrypt(&key, &iv, &ct, Padding::None).unwrap()[..],
            &block[..]
        );
        let ct = sm4::ecb_encrypt(&key, &block, Padding::None).unwrap();
        assert_eq!(
            sm4::ecb_decrypt(&key, &ct, Padding::Pkcs7),
            Err(Error::InvalidPadding)
        );
    }
    // a good padded ciphertext with its last byte changed
    let mut ct = sm4::cbc_encrypt(&key, &iv, b"hello", Padding::Pkcs7).unwrap();
    let last = ct.len() - 1;
    ct[last] ^= 0x80;
    assert_refused!(
        sm4::cbc_decrypt(&key, &iv, &ct, Padding::Pkcs7),
        Error::InvalidPadding
    );
    // ragged lengths
    for len in [1usize, 15, 17, 31] {
        let data = vec![0u8; len];
        assert_refused!(
            sm4::cbc_decrypt(&key, &iv, &data, Padding::Pkcs7),
            Error::InvalidLength { actual, .. } if actual == len
        );
        assert_refused!(
            sm4::ecb_decrypt(&key, &data, Padding::Pkcs7),
            Error::InvalidLength { actual, .. } if actual == len
        );
        assert_refused!(
            sm4::cbc_encrypt(&key, &iv, &data, Padding::None),
            Error::InvalidLength { actual, .. } if actual == len
        );
        assert_refused!(
            sm4::ecb_encrypt(&key, &data, Padding::None),
            Error::InvalidLength { actual, .. } if actual == len
        );
    }
    // an empty ciphertext has no padding block
    assert!(sm4::cbc_decrypt(&key, &iv, &[], Padding::Pkcs7).is_err());
    assert!(sm4::ecb_decrypt(&key, &[], Padding::Pkcs7).is_err());
}

#[test]
fn sm4_aead_wrong_tag_key_nonce_or_aad() {
    let key = [5u8; 16];
    let nonce = [6u8; 12];
    type Enc = fn(&[u8], &[u8], &[u8], &[u8]) -> Result<Vec<u8>, Error>;
    type Dec = fn(&[u8], &[u8], &[u8], &[u8]) -> Result<zeroize::Zeroizing<Vec<u8>>, Error>;
    let modes: [(&str, Enc, Dec); 2] = [
        ("GCM", sm4::gcm_encrypt, sm4::gcm_decrypt),
        ("CCM", sm4::ccm_encrypt, sm4::ccm_decrypt),
    ];
    for (name, enc, dec) in modes {
        for pt in [&b""[..], b"x", b"sixteen bytes!!!", &[0u8; 100][..]] {
            let out = enc(&key, &nonce, b"aad", pt).unwrap();
            assert_eq!(&dec(&key, &nonce, b"aad", &out).unwrap()[..], pt, "{name}");
            let tag_at = out.len() - 16;
            for i in tag_at..out.len() {
                let mut bad = out.clone();
                bad[i] ^= 1;
                assert_eq!(
                    dec(&key, &nonce, b"aad", &bad),
                    Err(Error::AuthenticationFailed),
                    "{name}"
                );
            }
            let mut other_tag = out.clone();
            other_tag[tag_at..].fill(0);
            assert_eq!(
                dec(&key, &nonce, b"aad", &other_tag),
                Err(Error::AuthenticationFailed)
            );
            assert_eq!(
                dec(&[4u8; 16], &nonce, b"aad", &out),
                Err(Error::AuthenticationFailed)
            );
            assert_eq!(
                dec(&key, &[7u8; 12], b"aad", &out),
                Err(Error::AuthenticationFailed)
            );
            assert_eq!(
                dec(&key, &nonce, b"aae", &out),
                Err(Error::AuthenticationFailed)
            );
            // the tag removed (what is left is still at least a tag long)
            if pt.len() >= 16 {
                assert_eq!(
                    dec(&key, &nonce, b"aad", &out[..tag_at]),
                    Err(Error::AuthenticationFailed)
                );
            }
        }
        // shorter than a tag
        for len in [0usize, 1, 15] {
            assert_refused!(
                dec(&key, &nonce, b"", &vec![0u8; len]),
                Error::InvalidLength { actual, .. } if actual == len
            );
        }
    }
}

// ---------------------------------------------------------------------
// PIN container

const PARAMS: ContainerParams = ContainerParams {
    iterations: 1000,
    max_attempts: 6,
};
const PIN: &str = "135790";
const OTHER_PIN: &str = "246802";

fn container(seed: u64) -> (PrivateKey, KeyContainer) {
    let k = key(seed);
    let c = KeyContainer::create(&k, PIN, PIN, PARAMS, &mut test_rng(seed + 1)).unwrap();
    (k, c)
}

#[test]
fn pin_format() {
    let k = key(30);
    for bad in [
        "12345",
        "1234567",
        "12345a",
        "１２３４５６",
        "",
        " 12345",
        "123456 ",
        "123456\n",
        "-12345",
        "+12345",
        "12 345",
        "١٢٣٤٥٦",
        "0x1234",
    ] {
        assert_refused!(Pin::new(bad), Error::PinFormat);
        assert_refused!(
            KeyContainer::create(&k, bad, bad, PARAMS, &mut test_rng(1)),
            Error::PinFormat
        );
        assert_refused!(
            KeyContainer::create(&k, PIN, bad, PARAMS, &mut test_rng(1)),
            Error::PinFormat
        );
        assert_refused!(
            KeyContainer::create(&k, bad, PIN, PARAMS, &mut test_rng(1)),
            Error::PinFormat
        );
    }
    Pin::new("000000").unwrap();
    Pin::new("999999").unwrap();
}

#[test]
fn malformed_pin_does_not_spend_an_attempt() {
    let (k, mut c) = container(31);
    for bad in ["12345", "１２３４５６", "abcdef"] {
        assert_refused!(c.unlock(bad), Error::PinFormat);
        assert_eq!(c.remaining_attempts(), 6);
    }
    assert_eq!(c.unlock(PIN).unwrap(), k);
}

#[test]
fn pin_confirmation_mismatch() {
    let k = key(32);
    assert_refused!(
        KeyContainer::create(&k, PIN, OTHER_PIN, PARAMS, &mut test_rng(1)),
        Error::PinConfirmationMismatch
    );
}

#[test]
fn container_parameters_refused() {
    let k = key(33);
    for params in [
        ContainerParams {
            iterations: 999,
            max_attempts: 6,
        },
        ContainerParams {
            iterations: 0,
            max_attempts: 6,
        },
        ContainerParams {
            iterations: 10_000_001,
            max_attempts: 6,
        },
        ContainerParams {
            iterations: 1000,
            max_attempts: 0,
        },
        ContainerParams {
            iterations: 1000,
            max_attempts: 101,
        },
    ] {
        assert_refused!(
            KeyContainer::create(&k, PIN, PIN, params, &mut test_rng(1)),
            Error::InvalidParameter { .. }
        );
    }
}

#[test]
fn wrong_pins_count_down_then_lock() {
    let (_, mut c) = container(34);
    assert_eq!(c.remaining_attempts(), 6);
    for remaining in (0..6).rev() {
        assert_eq!(c.unlock(OTHER_PIN), Err(Error::WrongPin { remaining }));
        assert_eq!(c.remaining_attempts(), remaining);
    }
    assert!(c.is_locked());
    assert_eq!(c.unlock(PIN), Err(Error::ContainerLocked));
    assert_eq!(c.unlock(OTHER_PIN), Err(Error::ContainerLocked));
    assert_eq!(c.unlock("bad"), Err(Error::ContainerLocked));
    let mut rng = test_rng(1);
    assert_eq!(
        c.change_pin(PIN, OTHER_PIN, OTHER_PIN, &mut rng),
        Err(Error::ContainerLocked)
    );
    // still locked after a round trip through bytes
    let mut c2 = KeyContainer::from_bytes(&c.to_bytes()).unwrap();
    assert!(c2.is_locked());
    assert_eq!(c2.unlock(PIN), Err(Error::ContainerLocked));
}

#[test]
fn right_pin_resets_the_counter() {
    let (k, mut c) = container(35);
    for round in 0..3 {
        for remaining in [5, 4, 3, 2, 1] {
            assert_eq!(
                c.unlock(OTHER_PIN),
                Err(Error::WrongPin { remaining }),
                "round {round}"
            );
        }
        assert_eq!(c.unlock(PIN).unwrap(), k);
        assert_eq!(c.remaining_attempts(), 6);
        assert!(!c.is_locked());
    }
}

#[test]
fn change_pin_attempt_counting() {
    let (k, mut c) = container(36);
    let mut rng = test_rng(37);
    // wrong old PIN: counts
    assert_eq!(
        c.change_pin(OTHER_PIN, "111111", "111111", &mut rng),
        Err(Error::WrongPin { remaining: 5 })
    );
    assert_eq!(c.remaining_attempts(), 5);
    // mismatched new PIN: does not count, even with a wrong old PIN
    assert_eq!(
        c.change_pin(PIN, "111111", "111112", &mut rng),
        Err(Error::PinConfirmationMismatch)
    );
    assert_eq!(
        c.change_pin(OTHER_PIN, "111111", "111112", &mut rng),
        Err(Error::PinConfirmationMismatch)
    );
    assert_eq!(c.remaining_attempts(), 5);
    // malformed new PIN: does not count
    assert_eq!(
        c.change_pin(OTHER_PIN, "11111", "11111", &mut rng),
        Err(Error::PinFormat)
    );
    assert_eq!(c.remaining_attempts(), 5);
    // the PIN is unchanged by the failures
    assert_eq!(c.unlock(PIN).unwrap(), k);
    assert_eq!(c.remaining_attempts(), 6);
    // a successful change: old PIN refused, new accepted
    c.change_pin(PIN, "111111", "111111", &mut rng).unwrap();
    assert_eq!(c.unlock(PIN), Err(Error::WrongPin { remaining: 5 }));
    assert_eq!(c.unlock("111111").unwrap(), k);
    assert_eq!(c.public_key(), &k.public_key());
}

#[test]
fn failure_count_survives_serialisation() {
    let (k, mut c) = container(38);
    assert_eq!(c.unlock(OTHER_PIN), Err(Error::WrongPin { remaining: 5 }));
    assert_eq!(c.unlock(OTHER_PIN), Err(Error::WrongPin { remaining: 4 }));
    let bytes = c.to_bytes();
    let mut back = KeyContainer::from_bytes(&bytes).unwrap();
    assert_eq!(back, c);
    assert_eq!(back.to_bytes(), bytes);
    assert_eq!(back.remaining_attempts(), 4);
    assert_eq!(back.iterations(), 1000);
    assert_eq!(
        back.unlock(OTHER_PIN),
        Err(Error::WrongPin { remaining: 3 })
    );
    let mut again = KeyContainer::from_bytes(&back.to_bytes()).unwrap();
    assert_eq!(again.remaining_attempts(), 3);
    assert_eq!(again.unlock(PIN).unwrap(), k);
    assert_eq!(
        KeyContainer::from_bytes(&again.to_bytes())
            .unwrap()
            .remaining_attempts(),
        6
    );
}

/// Layout of a serialised container (see the module docs).
const FAILED_FIELD: std::ops::Range<usize> = 14..18;
const CONTAINER_LEN: usize = 5 + 1 + 4 + 4 + 4 + 16 + 12 + 65 + 2 + 48;

#[test]
fn any_header_bit_flip_makes_the_right_pin_fail() {
    let (_, c) = container(39);
    let bytes = c.to_bytes();
    assert_eq!(bytes.len(), CONTAINER_LEN);
    let mut opened = Vec::new();
    let mut tried = 0;
    for i in 0..bytes.len() {
        if FAILED_FIELD.contains(&i) {
            continue;
        }
        for bit in 0..8 {
            let mut bad = bytes.clone();
            bad[i] ^= 1 << bit;
            let Ok(mut parsed) = KeyContainer::from_bytes(&bad) else {
                continue;
            };
            if parsed.iterations() > 200_000 {
                // Flips of bits 18 to 23 of the iteration count give up to
                // 8.4 million PBKDF2 iterations (seconds each); the flips of
                // bits 16 and 17 below stand for them.
                assert!((6..10).contains(&i), "byte {i} bit {bit}");
                continue;
            }
            // Every field but the counter is authenticated: a changed
            // iteration count, limit, salt, nonce, public key or sealed key
            // must make the right PIN fail.
            tried += 1;
            if let Ok(k) = parsed.unlock(PIN) {
                opened.push(format!(
                    "byte {i} bit {bit}: opened to {:?}",
                    k.public_key()
                ));
            }
        }
    }
    assert!(opened.is_empty(), "{}", opened.join("\n"));
    // at least every flip of the salt, nonce and sealed key was parsed and
    // tried with the right PIN
    assert!(tried >= (16 + 12 + 48) * 8, "only {tried} flips parsed");
}

#[test]
fn failure_counter_edits_only_change_the_count() {
    let (k, c) = container(40);
    let bytes = c.to_bytes();
    // failed = 5: one try left
    let mut five = bytes.clone();
    five[FAILED_FIELD].copy_from_slice(&5u32.to_be_bytes());
    let mut c5 = KeyContainer::from_bytes(&five).unwrap();
    assert_eq!(c5.remaining_attempts(), 1);
    assert_eq!(c5.unlock(PIN).unwrap(), k);
    // failed = 6 or more: locked
    for failed in [6u32, 7, u32::MAX] {
        let mut locked = bytes.clone();
        locked[FAILED_FIELD].copy_from_slice(&failed.to_be_bytes());
        let mut cl = KeyContainer::from_bytes(&locked).unwrap();
        assert_eq!(cl.unlock(PIN), Err(Error::ContainerLocked));
    }
}

#[test]
fn truncated_or_padded_container() {
    let (_, c) = container(41);
    let bytes = c.to_bytes();
    for cut in 0..bytes.len() {
        assert_refused!(
            KeyContainer::from_bytes(&bytes[..cut]),
            Error::Malformed { .. } | Error::InvalidLength { .. }
        );
    }
    for extra in [&[0u8][..], &[0, 0], b"garbage"] {
        let padded = [&bytes[..], extra].concat();
        assert_refused!(KeyContainer::from_bytes(&padded), Error::Malformed { .. });
    }
    // a sealed length other than 48
    for len in [0u16, 47, 49, 0xffff] {
        let mut bad = bytes.clone();
        bad[111..113].copy_from_slice(&len.to_be_bytes());
        assert_refused!(
            KeyContainer::from_bytes(&bad),
            Error::InvalidLength { actual, .. } if actual == usize::from(len)
        );
    }
    // bad magic and version
    let mut bad = bytes.clone();
    bad[0] = b'X';
    assert_refused!(KeyContainer::from_bytes(&bad), Error::Malformed { .. });
    let mut bad = bytes.clone();
    bad[5] = 2;
    assert_refused!(KeyContainer::from_bytes(&bad), Error::Malformed { .. });
    // parameters outside the accepted ranges
    let mut bad = bytes.clone();
    bad[6..10].copy_from_slice(&999u32.to_be_bytes());
    assert_refused!(
        KeyContainer::from_bytes(&bad),
        Error::InvalidParameter { .. }
    );
    let mut bad = bytes.clone();
    bad[6..10].copy_from_slice(&u32::MAX.to_be_bytes());
    assert_refused!(
        KeyContainer::from_bytes(&bad),
        Error::InvalidParameter { .. }
    );
    let mut bad = bytes.clone();
    bad[10..14].copy_from_slice(&0u32.to_be_bytes());
    assert_refused!(
        KeyContainer::from_bytes(&bad),
        Error::InvalidParameter { .. }
    );
    // a public key that is not on the curve
    let mut bad = bytes;
    bad[110] ^= 1;
    assert_refused!(KeyContainer::from_bytes(&bad), Error::PointNotOnCurve);
}

#[test]
fn secrets_are_redacted_in_debug() {
    let d = [0x5au8; 32];
    let k = PrivateKey::from_bytes(&d).unwrap();
    let shown = format!("{k:?} {k:#?}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!shown.contains(&hex::encode(&d)), "{shown}");
    assert!(!shown.to_lowercase().contains("5a5a"), "{shown}");
    assert!(!shown.contains("90, 90"), "{shown}");

    let pin = Pin::new("482913").unwrap();
    let shown = format!("{pin:?} {pin:#?}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(!shown.contains("482913"), "{shown}");
    assert!(!shown.contains("52, 56"), "{shown}"); // b'4', b'8'

    let c = KeyContainer::create(&k, "482913", "482913", PARAMS, &mut test_rng(1)).unwrap();
    let shown = format!("{c:?}");
    assert!(!shown.contains("482913"), "{shown}");
    assert!(!shown.to_lowercase().contains("5a5a"), "{shown}");
}

// ---------------------------------------------------------------------
// encrypted PKCS#8

const PASSWORD: &[u8] = b"correct horse battery staple";

fn all_pbes2_params() -> Vec<Pbes2Params> {
    let mut out = Vec::new();
    for prf in [Pbes2Prf::HmacSm3, Pbes2Prf::HmacSha256] {
        for cipher in [
            Pbes2Cipher::Sm4Cbc,
            Pbes2Cipher::Aes128Cbc,
            Pbes2Cipher::Aes256Cbc,
        ] {
            out.push(Pbes2Params {
                prf,
                cipher,
                iterations: 1000,
            });
        }
    }
    out
}

#[test]
fn encrypted_pkcs8_wrong_password() {
    let k = key(50);
    for (i, params) in all_pbes2_params().into_iter().enumerate() {
        let der = pkcs8enc::encrypt(&k, PASSWORD, params, &mut test_rng(51 + i as u64)).unwrap();
        assert_eq!(pkcs8enc::decrypt(&der, PASSWORD).unwrap(), k, "{params:?}");
        for wrong in [
            &b""[..],
            b"correct horse battery stapl",
            b"Correct horse battery staple",
        ] {
            assert_eq!(
                pkcs8enc::decrypt(&der, wrong),
                Err(Error::WrongPassword),
                "{params:?}"
            );
        }
        let pem = pkcs8enc::encrypt_pem(&k, PASSWORD, params, &mut test_rng(60)).unwrap();
        assert_eq!(
            pkcs8enc::decrypt_pem(pem.as_bytes(), b"nope"),
            Err(Error::WrongPassword)
        );
        assert_eq!(
            PrivateKey::from_any_with_password(pem.as_bytes(), b"nope"),
            Err(Error::WrongPassword)
        );
        assert_eq!(
            PrivateKey::from_any_with_password(&der, b"nope"),
            Err(Error::WrongPassword)
        );
        assert_eq!(
            PrivateKey::from_any_with_password(pem.as_bytes(), PASSWORD).unwrap(),
            k
        );
    }
}

/// Many wrong passwords: some leave a valid CBC padding by chance (about
/// 1 in 256), and must still be reported as a wrong password.
#[test]
fn encrypted_pkcs8_many_wrong_passwords() {
    let k = key(52);
    let params = Pbes2Params {
        prf: Pbes2Prf::HmacSm3,
        cipher: Pbes2Cipher::Sm4Cbc,
        iterations: 1000,
    };
    let der = pkcs8enc::encrypt(&k, PASSWORD, params, &mut test_rng(53)).unwrap();
    for i in 0..600u32 {
        let wrong = format!("wrong password {i}");
        assert_eq!(
            pkcs8enc::decrypt(&der, wrong.as_bytes()),
            Err(Error::WrongPassword),
            "{wrong}"
        );
    }
}

#[test]
fn encrypted_pkcs8_iteration_limits_at_encrypt() {
    let k = key(54);
    for iterations in [0u32, 1, 999, 10_000_001, u32::MAX] {
        let params = Pbes2Params {
            iterations,
            ..Pbes2Params::default()
        };
        assert_refused!(
            pkcs8enc::encrypt(&k, PASSWORD, params, &mut test_rng(1)),
            Error::InvalidParameter {
                name: "iterations",
                ..
            }
        );
        assert_refused!(
            pkcs8enc::encrypt_pem(&k, PASSWORD, params, &mut test_rng(1)),
            Error::InvalidParameter {
                name: "iterations",
                ..
            }
        );
    }
    let params = Pbes2Params {
        iterations: 1000,
        ..Pbes2Params::default()
    };
    let der = pkcs8enc::encrypt(&k, PASSWORD, params, &mut test_rng(1)).unwrap();
    assert_eq!(pkcs8enc::decrypt(&der, PASSWORD).unwrap(), k);
}

#[test]
fn encrypted_pkcs8_truncated_or_padded() {
    let k = key(55);
    let params = Pbes2Params {
        iterations: 1000,
        ..Pbes2Params::default()
    };
    let der = pkcs8enc::encrypt(&k, PASSWORD, params, &mut test_rng(56)).unwrap();
    for cut in 0..der.len() {
        assert!(
            pkcs8enc::decrypt(&der[..cut], PASSWORD).is_err(),
            "cut {cut}"
        );
    }
    let padded = [&der[..], &[0][..]].concat();
    assert_refused!(
        pkcs8enc::decrypt(&padded, PASSWORD),
        Error::Malformed { .. }
    );
}

#[test]
fn detected_decrypt_of_broken_der_reports_the_der_error() {
    // Starts like the ASN.1 form (0x30) and is long enough for the raw
    // forms, but its hash is 31 bytes: the DER error, not a raw-form one.
    let mut rng = common::test_rng(77);
    let key = PrivateKey::generate(&mut rng);
    let ct = key.public_key().encrypt(&[9u8; 40], &mut rng).unwrap();
    let parts = [
        yizhengtong::asn1::uint(&ct.c1[1..33]),
        yizhengtong::asn1::uint(&ct.c1[33..]),
        yizhengtong::asn1::tlv(yizhengtong::asn1::TAG_OCTET_STRING, &ct.c3[..31]),
        yizhengtong::asn1::tlv(yizhengtong::asn1::TAG_OCTET_STRING, &ct.c2),
    ];
    let der = yizhengtong::asn1::tlv(yizhengtong::asn1::TAG_SEQUENCE, &parts.concat());
    assert!(der.len() >= 97);
    assert!(matches!(
        key.decrypt(&der),
        Err(yizhengtong::Error::InvalidLength {
            what: "SM2 ciphertext hash C3",
            ..
        })
    ));
}
