//! Password-encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`, RFC 5958 with
//! PBES2 from RFC 8018).
//!
//! Read: PBKDF2 with HMAC-SM3 (OID 1.2.156.10197.1.401.2, as GmSSL writes;
//! the bare SM3 OID is accepted as an alias) or HMAC-SHA-256 (what OpenSSL
//! writes by default), and SM4-CBC, AES-128-CBC or AES-256-CBC.
//!
//! Written by default: PBKDF2-HMAC-SM3 with a 16-byte salt and
//! [`DEFAULT_ITERATIONS`], SM4-CBC with a random IV, which GmSSL reads.
//! OpenSSL 3.0 has no HMAC-SM3 PRF; for keys that OpenSSL must open use
//! [`Pbes2Params::openssl_compatible`] (HMAC-SHA-256 with SM4-CBC).

use der::Encode;
use der::asn1::ObjectIdentifier;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::curve::{
    OID_AES128_CBC, OID_AES256_CBC, OID_HMAC_SHA1, OID_HMAC_SHA256, OID_HMAC_SM3, OID_PBES2,
    OID_PBKDF2, OID_SM3, OID_SM4_CBC,
};
use super::hash::{Prf, pbkdf2_with_prf};
use super::keys::{PEM_PKCS8_ENCRYPTED, PrivateKey};
use super::sm4::{self, Padding};
use crate::asn1::{self, Reader};
use crate::error::{Error, Result};
use crate::pem;

/// PBKDF2 iterations written by default (GmSSL's choice).
pub const DEFAULT_ITERATIONS: u32 = 65_536;
/// Largest iteration count accepted when reading, so that a hostile file
/// cannot pin a CPU for minutes.
pub const MAX_ITERATIONS: u32 = 10_000_000;

/// The block cipher of a PBES2 encryption scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pbes2Cipher {
    /// SM4-CBC (16-byte key).
    Sm4Cbc,
    /// AES-128-CBC.
    Aes128Cbc,
    /// AES-256-CBC (OpenSSL's default).
    Aes256Cbc,
}

impl Pbes2Cipher {
    fn key_len(self) -> usize {
        match self {
            Pbes2Cipher::Sm4Cbc | Pbes2Cipher::Aes128Cbc => 16,
            Pbes2Cipher::Aes256Cbc => 32,
        }
    }
    fn oid(self) -> ObjectIdentifier {
        match self {
            Pbes2Cipher::Sm4Cbc => OID_SM4_CBC,
            Pbes2Cipher::Aes128Cbc => OID_AES128_CBC,
            Pbes2Cipher::Aes256Cbc => OID_AES256_CBC,
        }
    }
}

/// The PBKDF2 pseudo-random function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pbes2Prf {
    /// HMAC-SM3.
    HmacSm3,
    /// HMAC-SHA-256.
    HmacSha256,
}

impl Pbes2Prf {
    fn prf(self) -> Prf {
        match self {
            Pbes2Prf::HmacSm3 => Prf::HmacSm3,
            Pbes2Prf::HmacSha256 => Prf::HmacSha256,
        }
    }
}

/// How to encrypt a private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pbes2Params {
    /// PBKDF2 PRF.
    pub prf: Pbes2Prf,
    /// Block cipher (CBC mode, PKCS#7 padding).
    pub cipher: Pbes2Cipher,
    /// PBKDF2 iteration count (at least 1,000).
    pub iterations: u32,
}

impl Default for Pbes2Params {
    fn default() -> Self {
        Self {
            prf: Pbes2Prf::HmacSm3,
            cipher: Pbes2Cipher::Sm4Cbc,
            iterations: DEFAULT_ITERATIONS,
        }
    }
}

impl Pbes2Params {
    /// HMAC-SHA-256 with SM4-CBC: readable by OpenSSL 3 and by this SDK.
    pub fn openssl_compatible() -> Self {
        Self {
            prf: Pbes2Prf::HmacSha256,
            cipher: Pbes2Cipher::Sm4Cbc,
            iterations: DEFAULT_ITERATIONS,
        }
    }
}

fn oid_tlv(oid: &ObjectIdentifier) -> Vec<u8> {
    oid.to_der().unwrap_or_else(|_| unreachable!())
}

fn cbc(
    cipher: Pbes2Cipher,
    key: &[u8],
    iv: &[u8],
    data: &[u8],
    encrypt: bool,
) -> Result<Zeroizing<Vec<u8>>> {
    use cipher::block_padding::Pkcs7;
    use cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
    fn run<C>(key: &[u8], iv: &[u8], data: &[u8], encrypt: bool) -> Result<Zeroizing<Vec<u8>>>
    where
        C: cipher::BlockCipherEncrypt
            + cipher::BlockCipherDecrypt
            + cipher::KeyInit
            + cipher::BlockSizeUser<BlockSize = cipher::consts::U16>,
    {
        let bad_key = |_| Error::length("PBES2 derived key", "the cipher's key size", key.len());
        let bad_iv = |_| Error::length("PBES2 IV", "16 bytes", iv.len());
        if encrypt {
            let enc = cbc::Encryptor::<C>::new_from_slices(key, iv).map_err(bad_key)?;
            let _ = bad_iv;
            Ok(Zeroizing::new(enc.encrypt_padded_vec::<Pkcs7>(data)))
        } else {
            if iv.len() != 16 {
                return Err(bad_iv(()));
            }
            let dec = cbc::Decryptor::<C>::new_from_slices(key, iv).map_err(bad_key)?;
            if data.is_empty() || !data.len().is_multiple_of(16) {
                return Err(Error::length(
                    "encrypted private key data",
                    "a non-zero multiple of 16 bytes",
                    data.len(),
                ));
            }
            dec.decrypt_padded_vec::<Pkcs7>(data)
                .map(Zeroizing::new)
                .map_err(|_| Error::WrongPassword)
        }
    }
    match cipher {
        Pbes2Cipher::Sm4Cbc => {
            if encrypt {
                Ok(Zeroizing::new(sm4::cbc_encrypt(
                    key,
                    iv,
                    data,
                    Padding::Pkcs7,
                )?))
            } else {
                sm4::cbc_decrypt(key, iv, data, Padding::Pkcs7).map_err(|e| match e {
                    Error::InvalidPadding => Error::WrongPassword,
                    other => other,
                })
            }
        }
        Pbes2Cipher::Aes128Cbc => run::<aes::Aes128>(key, iv, data, encrypt),
        Pbes2Cipher::Aes256Cbc => run::<aes::Aes256>(key, iv, data, encrypt),
    }
}

/// Encrypt `key` under `password` as `EncryptedPrivateKeyInfo` DER.
pub fn encrypt<R: CryptoRng + ?Sized>(
    key: &PrivateKey,
    password: &[u8],
    params: Pbes2Params,
    rng: &mut R,
) -> Result<Vec<u8>> {
    if params.iterations < 1_000 || params.iterations > MAX_ITERATIONS {
        return Err(Error::param(
            "iterations",
            format!("must be 1,000 to {MAX_ITERATIONS}"),
        ));
    }
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut iv);
    let mut dk = Zeroizing::new(vec![0u8; params.cipher.key_len()]);
    pbkdf2_with_prf(
        params.prf.prf(),
        password,
        &salt,
        params.iterations,
        &mut dk,
    )?;
    let plain = key.to_pkcs8_der();
    let ct = cbc(params.cipher, &dk, &iv, &plain, true)?;

    let prf_oid = match params.prf {
        Pbes2Prf::HmacSm3 => OID_HMAC_SM3,
        Pbes2Prf::HmacSha256 => OID_HMAC_SHA256,
    };
    let prf_alg = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[oid_tlv(&prf_oid), vec![asn1::TAG_NULL, 0]].concat(),
    );
    let iter_bytes = params.iterations.to_be_bytes();
    let kdf_params = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[
            asn1::tlv(asn1::TAG_OCTET_STRING, &salt),
            asn1::uint(&iter_bytes),
            prf_alg,
        ]
        .concat(),
    );
    let kdf = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[oid_tlv(&OID_PBKDF2), kdf_params].concat(),
    );
    let enc_scheme = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[
            oid_tlv(&params.cipher.oid()),
            asn1::tlv(asn1::TAG_OCTET_STRING, &iv),
        ]
        .concat(),
    );
    let pbes2_params = asn1::tlv(asn1::TAG_SEQUENCE, &[kdf, enc_scheme].concat());
    let alg = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[oid_tlv(&OID_PBES2), pbes2_params].concat(),
    );
    Ok(asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[alg, asn1::tlv(asn1::TAG_OCTET_STRING, &ct)].concat(),
    ))
}

/// Encrypt `key` under `password` as PEM (`ENCRYPTED PRIVATE KEY`).
pub fn encrypt_pem<R: CryptoRng + ?Sized>(
    key: &PrivateKey,
    password: &[u8],
    params: Pbes2Params,
    rng: &mut R,
) -> Result<String> {
    Ok(pem::encode(
        PEM_PKCS8_ENCRYPTED,
        &encrypt(key, password, params, rng)?,
    ))
}

fn read_oid(r: &mut Reader<'_>) -> Result<ObjectIdentifier> {
    let content = r.expect(asn1::TAG_OID)?.rest();
    ObjectIdentifier::from_bytes(content).map_err(|e| Error::malformed("encrypted private key", e))
}

/// Decrypt `EncryptedPrivateKeyInfo` DER with `password`.
pub fn decrypt(der_bytes: &[u8], password: &[u8]) -> Result<PrivateKey> {
    const WHAT: &str = "encrypted private key";
    let mut outer = Reader::new(WHAT, der_bytes);
    let mut epki = outer.expect(asn1::TAG_SEQUENCE)?;
    outer.finish()?;
    let mut alg = epki.expect(asn1::TAG_SEQUENCE)?;
    let data = epki.expect(asn1::TAG_OCTET_STRING)?.rest();
    epki.finish()?;

    let scheme = read_oid(&mut alg)?;
    if scheme != OID_PBES2 {
        return Err(Error::UnsupportedAlgorithm {
            what: "private key encryption scheme (only PBES2)",
            oid: scheme.to_string(),
        });
    }
    let mut pbes2 = alg.expect(asn1::TAG_SEQUENCE)?;
    alg.finish()?;
    let mut kdf = pbes2.expect(asn1::TAG_SEQUENCE)?;
    let mut enc = pbes2.expect(asn1::TAG_SEQUENCE)?;
    pbes2.finish()?;

    let kdf_oid = read_oid(&mut kdf)?;
    if kdf_oid != OID_PBKDF2 {
        return Err(Error::UnsupportedAlgorithm {
            what: "PBES2 key derivation (only PBKDF2)",
            oid: kdf_oid.to_string(),
        });
    }
    let mut kp = kdf.expect(asn1::TAG_SEQUENCE)?;
    kdf.finish()?;
    let salt = kp.expect(asn1::TAG_OCTET_STRING)?.rest();
    let iterations = u32::from_be_bytes(kp.uint_fixed::<4>("iterationCount")?);
    let mut key_length = None;
    if kp.peek_tag() == Some(asn1::TAG_INTEGER) {
        key_length = Some(u32::from_be_bytes(kp.uint_fixed::<4>("keyLength")?));
    }
    let prf = if kp.is_empty() {
        return Err(Error::UnsupportedAlgorithm {
            what: "PBKDF2 PRF",
            oid: format!("{OID_HMAC_SHA1} (hmacWithSHA1, the default)"),
        });
    } else {
        let mut prf_alg = kp.expect(asn1::TAG_SEQUENCE)?;
        let oid = read_oid(&mut prf_alg)?;
        if prf_alg.peek_tag() == Some(asn1::TAG_NULL) {
            prf_alg.expect(asn1::TAG_NULL)?;
        }
        prf_alg.finish()?;
        if oid == OID_HMAC_SM3 || oid == OID_SM3 {
            Prf::HmacSm3
        } else if oid == OID_HMAC_SHA256 {
            Prf::HmacSha256
        } else {
            return Err(Error::UnsupportedAlgorithm {
                what: "PBKDF2 PRF",
                oid: oid.to_string(),
            });
        }
    };
    kp.finish()?;

    let cipher_oid = read_oid(&mut enc)?;
    let cipher = if cipher_oid == OID_SM4_CBC {
        Pbes2Cipher::Sm4Cbc
    } else if cipher_oid == OID_AES128_CBC {
        Pbes2Cipher::Aes128Cbc
    } else if cipher_oid == OID_AES256_CBC {
        Pbes2Cipher::Aes256Cbc
    } else {
        return Err(Error::UnsupportedAlgorithm {
            what: "PBES2 cipher",
            oid: cipher_oid.to_string(),
        });
    };
    let iv = enc.expect(asn1::TAG_OCTET_STRING)?.rest();
    enc.finish()?;

    if iterations == 0 || iterations > MAX_ITERATIONS {
        return Err(Error::param(
            "iterationCount",
            format!("{iterations} is outside 1 to {MAX_ITERATIONS}"),
        ));
    }
    if let Some(len) = key_length
        && usize::try_from(len).ok() != Some(cipher.key_len())
    {
        return Err(Error::param(
            "keyLength",
            format!("{len} does not fit the cipher"),
        ));
    }
    let mut dk = Zeroizing::new(vec![0u8; cipher.key_len()]);
    pbkdf2_with_prf(prf, password, salt, iterations, &mut dk)?;
    let plain = cbc(cipher, &dk, iv, data, false)?;
    // A wrong password that happens to leave valid padding yields garbage.
    PrivateKey::from_pkcs8_der(&plain).map_err(|_| Error::WrongPassword)
}

/// Decrypt PEM (`ENCRYPTED PRIVATE KEY`) with `password`.
pub fn decrypt_pem(text: &[u8], password: &[u8]) -> Result<PrivateKey> {
    let block = pem::parse_one(text)?;
    if block.label != PEM_PKCS8_ENCRYPTED {
        return Err(Error::malformed(
            "PEM",
            format!("label is {}, expected {PEM_PKCS8_ENCRYPTED}", block.label),
        ));
    }
    decrypt(&block.der, password)
}
