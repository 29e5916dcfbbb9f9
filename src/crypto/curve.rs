//! Constants of the SM2 recommended curve (GB/T 32918.5) and the OIDs the
//! SDK reads and writes.

use der::asn1::ObjectIdentifier;

/// Field prime p.
pub const P: [u8; 32] = be32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF");
/// Curve coefficient a.
pub const A: [u8; 32] = be32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC");
/// Curve coefficient b.
pub const B: [u8; 32] = be32("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93");
/// Group order n.
pub const N: [u8; 32] = be32("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123");
/// Base point x.
pub const GX: [u8; 32] = be32("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7");
/// Base point y.
pub const GY: [u8; 32] = be32("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0");

/// `id-ecPublicKey` (RFC 5480), the algorithm OpenSSL writes for SM2 keys.
pub const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// The SM2 curve (`sm2p256v1`), also used bare as a key algorithm by some peers.
pub const OID_SM2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301");
/// SM2 signature with SM3.
pub const OID_SM2_WITH_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.501");
/// SM3.
pub const OID_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401");
/// HMAC-SM3 (GM/T 0006, as GmSSL writes it).
pub const OID_HMAC_SM3: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.401.2");
/// SM4-CBC.
pub const OID_SM4_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.104.2");
/// PBES2 (RFC 8018).
pub const OID_PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
/// PBKDF2 (RFC 8018).
pub const OID_PBKDF2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.12");
/// HMAC-SHA-256 (RFC 8018).
pub const OID_HMAC_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.9");
/// HMAC-SHA-1, the PBKDF2 default PRF (read for completeness: refused).
pub const OID_HMAC_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.2.7");
/// AES-128-CBC.
pub const OID_AES128_CBC: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.2");
/// AES-256-CBC.
pub const OID_AES256_CBC: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42");

const fn be32(hex: &str) -> [u8; 32] {
    let h = hex.as_bytes();
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nib(h[2 * i]) << 4) | nib(h[2 * i + 1]);
        i += 1;
    }
    out
}

const fn nib(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'A'..=b'F' => c - b'A' + 10,
        _ => panic!("bad hex in curve constant"),
    }
}

/// Big-endian `a < b` for 32-byte numbers, in constant time (used on
/// private scalars).
pub(crate) fn ct_lt(a: &[u8; 32], b: &[u8; 32]) -> subtle::Choice {
    // Borrow of a - b, propagated from the least significant byte.
    let mut borrow: u16 = 0;
    for i in (0..32).rev() {
        let diff = u16::from(a[i])
            .wrapping_sub(u16::from(b[i]))
            .wrapping_sub(borrow);
        borrow = (diff >> 8) & 1;
    }
    // borrow is 0 or 1 by construction.
    subtle::Choice::from(borrow as u8)
}

/// `n - 1` big-endian (the largest valid signature component; the first
/// invalid private scalar).
pub(crate) const N_MINUS_1: [u8; 32] = {
    let mut v = N;
    v[31] -= 1;
    v
};
