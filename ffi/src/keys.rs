//! SM2 keys: generate, import and export (PEM/DER, PKCS#8, SEC1, SPKI, raw
//! points), encrypted PKCS#8.

use yizhengtong::crypto::pkcs8enc::{self, DEFAULT_ITERATIONS};
use yizhengtong::crypto::{Pbes2Cipher, Pbes2Params, Pbes2Prf, PrivateKey, PublicKey};

use crate::bytes::{YztBytes, put_bytes};
use crate::common::*;

/// An SM2 private key. Immutable; thread-safe. The scalar is wiped when
/// the handle is freed with `yzt_private_key_free`.
pub struct YztPrivateKey {
    _opaque: [u8; 0],
}

handle!(YztPrivateKey, PrivateKey, 0x797a_7450_7269_764b);

/// An SM2 public key. Immutable; thread-safe. Free with
/// `yzt_public_key_free`.
pub struct YztPublicKey {
    _opaque: [u8; 0],
}

handle!(YztPublicKey, PublicKey, 0x797a_7450_7562_4b65);

/// Private key export: PKCS#8 PEM (`PRIVATE KEY`, what `openssl pkey` reads).
pub const YZT_KEY_PKCS8_PEM: i32 = 0;
/// Private key export: PKCS#8 DER.
pub const YZT_KEY_PKCS8_DER: i32 = 1;
/// Private key export: SEC1 PEM (`EC PRIVATE KEY`).
pub const YZT_KEY_SEC1_PEM: i32 = 2;
/// Private key export: SEC1 DER.
pub const YZT_KEY_SEC1_DER: i32 = 3;

/// Public key export: SPKI PEM (`PUBLIC KEY`).
pub const YZT_PUB_SPKI_PEM: i32 = 0;
/// Public key export: SPKI DER.
pub const YZT_PUB_SPKI_DER: i32 = 1;
/// Public key export: the uncompressed SEC1 point (65 bytes, `04 || x || y`).
pub const YZT_PUB_POINT: i32 = 2;
/// Public key export: the compressed SEC1 point (33 bytes).
pub const YZT_PUB_POINT_COMPRESSED: i32 = 3;

/// Encrypted PKCS#8: PBKDF2-HMAC-SM3 with SM4-CBC (as GmSSL writes).
pub const YZT_PBES2_SM4_HMAC_SM3: i32 = 0;
/// Encrypted PKCS#8: PBKDF2-HMAC-SHA256 with SM4-CBC (OpenSSL 3 reads it).
pub const YZT_PBES2_SM4_HMAC_SHA256: i32 = 1;
/// Encrypted PKCS#8: PBKDF2-HMAC-SHA256 with AES-256-CBC (OpenSSL's default).
pub const YZT_PBES2_AES256_HMAC_SHA256: i32 = 2;

// ---- the bodies, shared by the C exports and the JNI entry points ----------

/// A new private key from the operating system's CSPRNG.
pub(crate) fn generate_private() -> PrivateKey {
    PrivateKey::generate(&mut rand::rng())
}

/// An unencrypted private key: PKCS#8 or SEC1, PEM or DER.
pub(crate) fn import_private(data: &[u8]) -> R<PrivateKey> {
    Ok(PrivateKey::from_any(data)?)
}

/// A private key that may be encrypted PKCS#8, opened with `password`.
pub(crate) fn import_private_encrypted(data: &[u8], password: &[u8]) -> R<PrivateKey> {
    Ok(PrivateKey::from_any_with_password(data, password)?)
}

/// `key` in `format` (`YZT_KEY_*`).
pub(crate) fn export_private(key: &PrivateKey, format: i32) -> R<Vec<u8>> {
    Ok(match format {
        YZT_KEY_PKCS8_PEM => key.to_pkcs8_pem().as_bytes().to_vec(),
        YZT_KEY_PKCS8_DER => key.to_pkcs8_der().to_vec(),
        YZT_KEY_SEC1_PEM => key.to_sec1_pem().as_bytes().to_vec(),
        YZT_KEY_SEC1_DER => key.to_sec1_der().to_vec(),
        other => return unknown("private key format", other),
    })
}

/// `key` as encrypted PKCS#8 under `password` (scheme `YZT_PBES2_*`,
/// `iterations` 0 for the default), PEM or DER.
pub(crate) fn export_private_encrypted(
    key: &PrivateKey,
    password: &[u8],
    scheme: i32,
    iterations: u32,
    pem: bool,
) -> R<Vec<u8>> {
    let (prf, cipher) = match scheme {
        YZT_PBES2_SM4_HMAC_SM3 => (Pbes2Prf::HmacSm3, Pbes2Cipher::Sm4Cbc),
        YZT_PBES2_SM4_HMAC_SHA256 => (Pbes2Prf::HmacSha256, Pbes2Cipher::Sm4Cbc),
        YZT_PBES2_AES256_HMAC_SHA256 => (Pbes2Prf::HmacSha256, Pbes2Cipher::Aes256Cbc),
        other => return unknown("PBES2 scheme", other),
    };
    let params = Pbes2Params {
        prf,
        cipher,
        iterations: if iterations == 0 {
            DEFAULT_ITERATIONS
        } else {
            iterations
        },
    };
    let mut rng = rand::rng();
    Ok(if pem {
        pkcs8enc::encrypt_pem(key, password, params, &mut rng)?.into_bytes()
    } else {
        pkcs8enc::encrypt(key, password, params, &mut rng)?
    })
}

/// A public key: SPKI PEM or DER, a raw SEC1 point, or hex of one.
pub(crate) fn import_public(data: &[u8]) -> R<PublicKey> {
    Ok(PublicKey::from_any(data)?)
}

/// `key` in `format` (`YZT_PUB_*`).
pub(crate) fn export_public(key: &PublicKey, format: i32) -> R<Vec<u8>> {
    Ok(match format {
        YZT_PUB_SPKI_PEM => key.to_spki_pem().into_bytes(),
        YZT_PUB_SPKI_DER => key.to_spki_der(),
        YZT_PUB_POINT => key.to_sec1_bytes(false),
        YZT_PUB_POINT_COMPRESSED => key.to_sec1_bytes(true),
        other => return unknown("public key format", other),
    })
}

// ---- the C exports ------------------------------------------------------------

/// Generate a new private key from the operating system's CSPRNG.
///
/// On success `*out` holds a new handle the caller owns (free it with
/// `yzt_private_key_free`); on failure `*out` is NULL.
///
/// # Safety
/// `out` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_private_key_generate(out: *mut *mut YztPrivateKey) -> i32 {
    guard(|| {
        // SAFETY: the caller's out-pointer promise.
        let out = unsafe { out_ref(out, "out") }?;
        *out = std::ptr::null_mut();
        put::<YztPrivateKey>(out, generate_private());
        Ok(())
    })
}

/// Read an unencrypted private key: PKCS#8 or SEC1, PEM or DER (detected).
/// An encrypted key gives `YZT_INVALID_PARAMETER` (use
/// `yzt_private_key_import_encrypted`).
///
/// On success `*out` holds a new handle the caller owns; else NULL. The
/// input stays the caller's.
///
/// # Safety
/// `data` valid for `len` bytes (NULL only with 0); `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_private_key_import(
    data: *const u8,
    len: usize,
    out: *mut *mut YztPrivateKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data) = unsafe { (out_ref(out, "out")?, bytes_in(data, len, "data")?) };
        *out = std::ptr::null_mut();
        put::<YztPrivateKey>(out, import_private(data)?);
        Ok(())
    })
}

/// Read a private key that may be encrypted PKCS#8 (PEM or DER), opening
/// it with `password`; an unencrypted key is read as by
/// `yzt_private_key_import`. A wrong password gives `YZT_WRONG_PASSWORD`.
///
/// On success `*out` holds a new handle the caller owns; else NULL.
///
/// # Safety
/// `data`/`password` valid for their lengths (NULL only with 0); `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_private_key_import_encrypted(
    data: *const u8,
    len: usize,
    password: *const u8,
    password_len: usize,
    out: *mut *mut YztPrivateKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data, password) = unsafe {
            (
                out_ref(out, "out")?,
                bytes_in(data, len, "data")?,
                bytes_in(password, password_len, "password")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztPrivateKey>(out, import_private_encrypted(data, password)?);
        Ok(())
    })
}

/// Export `key` as `format` (`YZT_KEY_*`) into a new bytes handle `*out`
/// (owned by the caller, wiped on `yzt_bytes_free`).
///
/// # Safety
/// `key` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_private_key_export(
    key: *const YztPrivateKey,
    format: i32,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key) = unsafe { (out_ref(out, "out")?, get::<YztPrivateKey>(key, "key")?) };
        *out = std::ptr::null_mut();
        put_bytes(out, export_private(key, format)?);
        Ok(())
    })
}

/// Export `key` encrypted under `password` as PKCS#8
/// `EncryptedPrivateKeyInfo`: scheme `YZT_PBES2_*`, PBKDF2 `iterations`
/// (0 means the SDK default, 65,536; else 1,000 to 10,000,000), PEM
/// (`ENCRYPTED PRIVATE KEY`) when `pem` is non-zero, else DER. The result
/// is a new bytes handle `*out` owned by the caller.
///
/// # Safety
/// `key` NULL or a live handle; `password` valid for `password_len`
/// bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_private_key_export_encrypted(
    key: *const YztPrivateKey,
    password: *const u8,
    password_len: usize,
    scheme: i32,
    iterations: u32,
    pem: i32,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key, password) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztPrivateKey>(key, "key")?,
                bytes_in(password, password_len, "password")?,
            )
        };
        *out = std::ptr::null_mut();
        let data = export_private_encrypted(key, password, scheme, iterations, pem != 0)?;
        put_bytes(out, data);
        Ok(())
    })
}

/// The public key of `key`, as a new handle `*out` owned by the caller.
///
/// # Safety
/// `key` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_private_key_public_key(
    key: *const YztPrivateKey,
    out: *mut *mut YztPublicKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key) = unsafe { (out_ref(out, "out")?, get::<YztPrivateKey>(key, "key")?) };
        *out = std::ptr::null_mut();
        put::<YztPublicKey>(out, key.public_key());
        Ok(())
    })
}

/// Wipe and free a private key handle (NULL accepted).
///
/// # Safety
/// `key` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_private_key_free(key: *mut YztPrivateKey) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(key) })
}

/// Read a public key: SPKI PEM or DER, a raw SEC1 point (compressed or
/// not), or hex of a raw point (detected). For a certificate use
/// `yzt_certificate_public_key`.
///
/// On success `*out` holds a new handle the caller owns; else NULL.
///
/// # Safety
/// `data` valid for `len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_public_key_import(
    data: *const u8,
    len: usize,
    out: *mut *mut YztPublicKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data) = unsafe { (out_ref(out, "out")?, bytes_in(data, len, "data")?) };
        *out = std::ptr::null_mut();
        put::<YztPublicKey>(out, import_public(data)?);
        Ok(())
    })
}

/// Export `key` as `format` (`YZT_PUB_*`) into a new bytes handle `*out`
/// owned by the caller.
///
/// # Safety
/// `key` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_public_key_export(
    key: *const YztPublicKey,
    format: i32,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key) = unsafe { (out_ref(out, "out")?, get::<YztPublicKey>(key, "key")?) };
        *out = std::ptr::null_mut();
        put_bytes(out, export_public(key, format)?);
        Ok(())
    })
}

/// Free a public key handle (NULL accepted).
///
/// # Safety
/// `key` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_public_key_free(key: *mut YztPublicKey) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(key) })
}
