//! Signatures (with user ID and encoding), the prepared verifier, SM2
//! encryption, SM3, HMAC-SM3, PBKDF2-HMAC-SM3 and the SM4 modes.

use std::sync::Mutex;

use yizhengtong::crypto::sign::{MAX_USER_ID_LEN, message_digest};
use yizhengtong::crypto::sm4::{self, Padding};
use yizhengtong::crypto::{
    CiphertextFormat, DEFAULT_USER_ID, HmacSm3, PrivateKey, PublicKey, Signature, SignatureFormat,
    Sm3,
};
use yizhengtong::verify::VerifyingKey;
use zeroize::Zeroizing;

use crate::bytes::{YztBytes, put_bytes};
use crate::common::*;
use crate::keys::{YztPrivateKey, YztPublicKey};

/// Signature encoding: DER `SEQUENCE { r, s }` (GM/T 0009, OpenSSL).
pub const YZT_SIG_DER: i32 = 0;
/// Signature encoding: raw 64 bytes `r || s`.
pub const YZT_SIG_RAW: i32 = 1;
/// Signature encoding, when verifying only: DER or raw, told apart by shape.
pub const YZT_SIG_DETECT: i32 = 2;
/// The largest signature this library writes (DER), in bytes.
pub const YZT_SIGNATURE_MAX_LEN: usize = 72;

/// SM2 ciphertext: GM/T 0009 ASN.1 DER (OpenSSL's form).
pub const YZT_CT_ASN1: i32 = 0;
/// SM2 ciphertext: `04 || C1 || C3 || C2`.
pub const YZT_CT_C1C3C2: i32 = 1;
/// SM2 ciphertext: `04 || C1 || C2 || C3`.
pub const YZT_CT_C1C2C3: i32 = 2;
/// SM2 ciphertext: `C1 || C3 || C2` without the 04 prefix.
pub const YZT_CT_C1C3C2_NOPREFIX: i32 = 3;
/// SM2 ciphertext: `C1 || C2 || C3` without the 04 prefix.
pub const YZT_CT_C1C2C3_NOPREFIX: i32 = 4;
/// SM2 ciphertext, when decrypting only: detect the form.
pub const YZT_CT_DETECT: i32 = 5;

/// SM3 digest and HMAC-SM3 tag length in bytes.
pub const YZT_SM3_LEN: usize = 32;

/// SM4 mode: ECB (no IV; padding applies).
pub const YZT_SM4_ECB: i32 = 0;
/// SM4 mode: CBC (16-byte IV; padding applies).
pub const YZT_SM4_CBC: i32 = 1;
/// SM4 mode: CTR (16-byte initial counter block).
pub const YZT_SM4_CTR: i32 = 2;
/// SM4 mode: GCM (12-byte nonce, AAD, output is ciphertext || 16-byte tag).
pub const YZT_SM4_GCM: i32 = 3;
/// SM4 mode: CCM (12-byte nonce, AAD, output is ciphertext || 16-byte tag).
pub const YZT_SM4_CCM: i32 = 4;
/// SM4 padding: PKCS#7 (ECB, CBC).
pub const YZT_PAD_PKCS7: i32 = 0;
/// SM4 padding: none; the input must be whole 16-byte blocks (ECB, CBC).
pub const YZT_PAD_NONE: i32 = 1;

/// A verifier prepared for one public key and user ID (its ZA and window
/// tables computed once): the fast path for verifying many signatures
/// by the same key. Immutable; thread-safe: share one handle between
/// threads. Free with `yzt_verifier_free`.
pub struct YztVerifier {
    _opaque: [u8; 0],
}

handle!(YztVerifier, VerifyingKey, 0x797a_7456_6572_6966);

/// A streaming SM3 context. Thread-safe (each call takes an internal
/// lock), though interleaving updates from several threads is rarely
/// meaningful. Free with `yzt_sm3_free`.
pub struct YztSm3 {
    _opaque: [u8; 0],
}

handle!(YztSm3, Mutex<Sm3>, 0x797a_7453_6d33_4374);

/// The user ID: NULL with length 0 means the default `1234567812345678`.
///
/// # Safety
/// As for [`bytes_in`].
unsafe fn user_id_in<'a>(id: *const u8, len: usize) -> R<&'a [u8]> {
    // SAFETY: forwarded from the caller.
    let id = unsafe { opt_bytes_in(id, len, "user_id") }?;
    Ok(user_id_or_default(id))
}

fn sig_format(format: i32) -> R<SignatureFormat> {
    match format {
        YZT_SIG_DER => Ok(SignatureFormat::Der),
        YZT_SIG_RAW => Ok(SignatureFormat::Raw),
        other => unknown("signature format", other),
    }
}

fn parse_sig(sig: &[u8], format: i32) -> R<Signature> {
    Ok(match format {
        YZT_SIG_DETECT => Signature::from_der_or_raw(sig)?,
        f => Signature::from_bytes(sig, sig_format(f)?)?,
    })
}

fn ct_format(format: i32) -> R<CiphertextFormat> {
    match format {
        YZT_CT_ASN1 => Ok(CiphertextFormat::Asn1),
        YZT_CT_C1C3C2 => Ok(CiphertextFormat::C1C3C2),
        YZT_CT_C1C2C3 => Ok(CiphertextFormat::C1C2C3),
        YZT_CT_C1C3C2_NOPREFIX => Ok(CiphertextFormat::C1C3C2NoPrefix),
        YZT_CT_C1C2C3_NOPREFIX => Ok(CiphertextFormat::C1C2C3NoPrefix),
        other => unknown("ciphertext format", other),
    }
}

// ---- the bodies, shared by the C exports and the JNI entry points ----------

/// The user ID to use: `None` (NULL with length 0 in C, `null` in Java)
/// means the default `1234567812345678`.
pub(crate) fn user_id_or_default(id: Option<&[u8]>) -> &[u8] {
    id.unwrap_or(DEFAULT_USER_ID)
}

/// Sign `msg` under `id`, encoded as `format` (`YZT_SIG_DER`/`RAW`).
pub(crate) fn sign(key: &PrivateKey, id: &[u8], msg: &[u8], format: i32) -> R<Vec<u8>> {
    let format = sig_format(format)?;
    let s = key.sign(id, msg, &mut rand::rng())?;
    Ok(s.to_bytes(format))
}

/// Verify `sig` (`YZT_SIG_*`) over `msg` under `id`: `Ok`, a
/// `SignatureMismatch` error (code `YZT_SIGNATURE_MISMATCH`) when false,
/// another error for unusable input.
pub(crate) fn verify(key: &PublicKey, id: &[u8], msg: &[u8], sig: &[u8], format: i32) -> R<()> {
    let sig = parse_sig(sig, format)?;
    yizhengtong::verify::verify(key, id, msg, &sig)?;
    Ok(())
}

/// `e = SM3(ZA || msg)` for `key` and `id`.
pub(crate) fn message_digest_of(key: &PublicKey, id: &[u8], msg: &[u8]) -> R<[u8; 32]> {
    Ok(message_digest(key, id, msg)?)
}

/// Sign a precomputed 32-byte digest.
pub(crate) fn sign_digest(key: &PrivateKey, digest: &[u8], format: i32) -> R<Vec<u8>> {
    let e = digest32(digest)?;
    let format = sig_format(format)?;
    Ok(key.sign_digest(&e, &mut rand::rng()).to_bytes(format))
}

/// Verify over a precomputed 32-byte digest; answers as [`verify`].
pub(crate) fn verify_digest(key: &PublicKey, digest: &[u8], sig: &[u8], format: i32) -> R<()> {
    let e = digest32(digest)?;
    yizhengtong::verify::verify_digest(key, &e, &parse_sig(sig, format)?)?;
    Ok(())
}

/// A verifier prepared for `key` and `id`.
pub(crate) fn verifier_new(key: &PublicKey, id: &[u8]) -> R<VerifyingKey> {
    Ok(VerifyingKey::new(key, id)?)
}

/// Verify with a prepared verifier; answers as [`verify`].
pub(crate) fn verifier_verify(v: &VerifyingKey, msg: &[u8], sig: &[u8], format: i32) -> R<()> {
    v.verify(msg, &parse_sig(sig, format)?)?;
    Ok(())
}

/// SM2-encrypt to `key` in `format` (`YZT_CT_*` but not `DETECT`).
pub(crate) fn encrypt(key: &PublicKey, plaintext: &[u8], format: i32) -> R<Vec<u8>> {
    let format = ct_format(format)?;
    Ok(key.encrypt_to(plaintext, format, &mut rand::rng())?)
}

/// SM2-decrypt `ciphertext` in `format` (`YZT_CT_*`, or `YZT_CT_DETECT`).
pub(crate) fn decrypt(key: &PrivateKey, ciphertext: &[u8], format: i32) -> R<Zeroizing<Vec<u8>>> {
    Ok(match format {
        YZT_CT_DETECT => key.decrypt(ciphertext)?,
        f => key.decrypt_as(ciphertext, ct_format(f)?)?,
    })
}

/// Feed a streaming SM3.
pub(crate) fn sm3_update(ctx: &Mutex<Sm3>, data: &[u8]) {
    ctx.lock().unwrap_or_else(|p| p.into_inner()).update(data);
}

/// Finish a streaming SM3 and reset it.
pub(crate) fn sm3_finalize(ctx: &Mutex<Sm3>) -> [u8; 32] {
    let mut g = ctx.lock().unwrap_or_else(|p| p.into_inner());
    std::mem::take(&mut *g).finalize()
}

/// Check an HMAC-SM3 tag (16 to 32 bytes) in constant time.
pub(crate) fn hmac_sm3_verify(key: &[u8], data: &[u8], tag: &[u8]) -> R<()> {
    let mut m = HmacSm3::new(key);
    m.update(data);
    m.verify(tag)?;
    Ok(())
}

/// The output length PBKDF2 accepts: 1 byte to 1 MiB.
pub(crate) fn pbkdf2_check_len(out_len: usize) -> R<()> {
    if out_len == 0 || out_len > 1 << 20 {
        return fail(
            YZT_INVALID_ARGUMENT,
            format!("out_len {out_len} is outside 1 to 1 MiB"),
        );
    }
    Ok(())
}

/// PBKDF2-HMAC-SM3: `out_len` bytes (1 to 1 MiB), wiped when dropped.
pub(crate) fn pbkdf2(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    out_len: usize,
) -> R<Zeroizing<Vec<u8>>> {
    pbkdf2_check_len(out_len)?;
    let mut dk = Zeroizing::new(vec![0u8; out_len]);
    yizhengtong::crypto::pbkdf2_hmac_sm3(password, salt, iterations, &mut dk)?;
    Ok(dk)
}

// ---- the C exports ------------------------------------------------------------

/// Sign `msg` with `key` under the SM2 user ID `user_id` (NULL with length
/// 0 for the default `1234567812345678`; a non-NULL empty ID is the empty
/// ID), ZA and SM3 computed inside. The signature, encoded as `format`
/// (`YZT_SIG_DER` or `YZT_SIG_RAW`), goes into the caller's buffer `sig`
/// of capacity `sig_cap` (`YZT_SIGNATURE_MAX_LEN` is always enough);
/// `*sig_len` is its length.
///
/// # Safety
/// `key` NULL or a live handle; `user_id`/`msg` valid for their lengths;
/// `sig` valid for `sig_cap` bytes; `sig_len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sign(
    key: *const YztPrivateKey,
    user_id: *const u8,
    user_id_len: usize,
    msg: *const u8,
    msg_len: usize,
    format: i32,
    sig: *mut u8,
    sig_cap: usize,
    sig_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (key, id, msg) = unsafe {
            (
                get::<YztPrivateKey>(key, "key")?,
                user_id_in(user_id, user_id_len)?,
                bytes_in(msg, msg_len, "msg")?,
            )
        };
        let s = sign(key, id, msg, format)?;
        // SAFETY: the caller's buffer promise.
        unsafe { write_out(&s, sig, sig_cap, sig_len) }
    })
}

/// Verify `sig` (encoded as `format`: `YZT_SIG_DER`, `YZT_SIG_RAW` or
/// `YZT_SIG_DETECT`) over `msg` under `user_id` (NULL with length 0 for
/// the default). Returns `YZT_OK` when it verifies,
/// `YZT_SIGNATURE_MISMATCH` when it is well-formed but false, another code
/// for unusable input (`YZT_MALFORMED`, `YZT_SIGNATURE_OUT_OF_RANGE`...).
///
/// # Safety
/// `key` NULL or a live handle; the data pointers valid for their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_verify(
    key: *const YztPublicKey,
    user_id: *const u8,
    user_id_len: usize,
    msg: *const u8,
    msg_len: usize,
    sig: *const u8,
    sig_len: usize,
    format: i32,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (key, id, msg, sig) = unsafe {
            (
                get::<YztPublicKey>(key, "key")?,
                user_id_in(user_id, user_id_len)?,
                bytes_in(msg, msg_len, "msg")?,
                bytes_in(sig, sig_len, "sig")?,
            )
        };
        verify(key, id, msg, sig, format)
    })
}

/// The digest an SM2 signature signs, `e = SM3(ZA || msg)`, for `key` and
/// `user_id` (NULL with length 0 for the default): 32 bytes into `out`.
///
/// # Safety
/// `key` NULL or a live handle; inputs valid for their lengths; `out`
/// valid for `cap` bytes; `out_len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_message_digest(
    key: *const YztPublicKey,
    user_id: *const u8,
    user_id_len: usize,
    msg: *const u8,
    msg_len: usize,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (key, id, msg) = unsafe {
            (
                get::<YztPublicKey>(key, "key")?,
                user_id_in(user_id, user_id_len)?,
                bytes_in(msg, msg_len, "msg")?,
            )
        };
        let e = message_digest_of(key, id, msg)?;
        // SAFETY: the caller's buffer promise.
        unsafe { write_out(&e, out, cap, out_len) }
    })
}

fn digest32(d: &[u8]) -> R<[u8; 32]> {
    d.try_into().map_err(|_| {
        Fail::Code(
            YZT_INVALID_LENGTH,
            format!("digest is {} bytes; 32 expected", d.len()),
        )
    })
}

/// Sign a precomputed digest `e = SM3(ZA || M)` (32 bytes); output as for
/// `yzt_sign`.
///
/// # Safety
/// As for `yzt_sign`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sign_digest(
    key: *const YztPrivateKey,
    digest: *const u8,
    digest_len: usize,
    format: i32,
    sig: *mut u8,
    sig_cap: usize,
    sig_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (key, digest) = unsafe {
            (
                get::<YztPrivateKey>(key, "key")?,
                bytes_in(digest, digest_len, "digest")?,
            )
        };
        let s = sign_digest(key, digest, format)?;
        // SAFETY: the caller's buffer promise.
        unsafe { write_out(&s, sig, sig_cap, sig_len) }
    })
}

/// Verify `sig` over a precomputed 32-byte digest; answers as `yzt_verify`.
///
/// # Safety
/// As for `yzt_verify`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_verify_digest(
    key: *const YztPublicKey,
    digest: *const u8,
    digest_len: usize,
    sig: *const u8,
    sig_len: usize,
    format: i32,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (key, digest, sig) = unsafe {
            (
                get::<YztPublicKey>(key, "key")?,
                bytes_in(digest, digest_len, "digest")?,
                bytes_in(sig, sig_len, "sig")?,
            )
        };
        verify_digest(key, digest, sig, format)
    })
}

/// Prepare a verifier for `key` and `user_id` (NULL with length 0 for the
/// default). `*out` receives a new handle the caller owns (free with
/// `yzt_verifier_free`); it may be shared by any number of threads.
///
/// # Safety
/// `key` NULL or a live handle; `user_id` valid for its length; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_verifier_new(
    key: *const YztPublicKey,
    user_id: *const u8,
    user_id_len: usize,
    out: *mut *mut YztVerifier,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key, id) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztPublicKey>(key, "key")?,
                user_id_in(user_id, user_id_len)?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztVerifier>(out, verifier_new(key, id)?);
        Ok(())
    })
}

/// Verify `sig` (`format` as for `yzt_verify`) over `msg` with a prepared
/// verifier. Same answers as `yzt_verify`. Safe to call from many threads
/// on one handle.
///
/// # Safety
/// `verifier` NULL or a live handle; data pointers valid for their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_verifier_verify(
    verifier: *const YztVerifier,
    msg: *const u8,
    msg_len: usize,
    sig: *const u8,
    sig_len: usize,
    format: i32,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (v, msg, sig) = unsafe {
            (
                get::<YztVerifier>(verifier, "verifier")?,
                bytes_in(msg, msg_len, "msg")?,
                bytes_in(sig, sig_len, "sig")?,
            )
        };
        verifier_verify(v, msg, sig, format)
    })
}

/// Free a verifier (NULL accepted). No other thread may be using it.
///
/// # Safety
/// `verifier` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_verifier_free(verifier: *mut YztVerifier) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(verifier) })
}

/// SM2-encrypt `plaintext` (at least one byte) to `key`, serialised as
/// `format` (`YZT_CT_ASN1` ... `YZT_CT_C1C2C3_NOPREFIX`), into a new bytes
/// handle `*out` owned by the caller.
///
/// # Safety
/// `key` NULL or a live handle; `plaintext` valid for its length; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_encrypt(
    key: *const YztPublicKey,
    plaintext: *const u8,
    plaintext_len: usize,
    format: i32,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key, pt) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztPublicKey>(key, "key")?,
                bytes_in(plaintext, plaintext_len, "plaintext")?,
            )
        };
        *out = std::ptr::null_mut();
        put_bytes(out, encrypt(key, pt, format)?);
        Ok(())
    })
}

/// SM2-decrypt `ciphertext` in `format` (`YZT_CT_*`, or `YZT_CT_DETECT`)
/// with `key`. The plaintext is a new bytes handle `*out` owned by the
/// caller and wiped when freed. A wrong key or tampered data gives
/// `YZT_DECRYPTION_FAILED`.
///
/// # Safety
/// `key` NULL or a live handle; `ciphertext` valid for its length; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_decrypt(
    key: *const YztPrivateKey,
    ciphertext: *const u8,
    ciphertext_len: usize,
    format: i32,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key, ct) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztPrivateKey>(key, "key")?,
                bytes_in(ciphertext, ciphertext_len, "ciphertext")?,
            )
        };
        *out = std::ptr::null_mut();
        let pt = decrypt(key, ct, format)?;
        put_bytes(out, pt.to_vec());
        Ok(())
    })
}

/// SM3 of `data`: 32 bytes into the caller's buffer `out`.
///
/// # Safety
/// `data` valid for its length; `out` for `cap` bytes; `out_len` for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sm3(
    data: *const u8,
    len: usize,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        unsafe {
            let data = bytes_in(data, len, "data")?;
            write_out(&yizhengtong::crypto::sm3(data), out, cap, out_len)
        }
    })
}

/// Start a streaming SM3: `*out` receives a new handle the caller owns.
///
/// # Safety
/// `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sm3_new(out: *mut *mut YztSm3) -> i32 {
    guard(|| {
        // SAFETY: the caller's out-pointer promise.
        let out = unsafe { out_ref(out, "out") }?;
        put::<YztSm3>(out, Mutex::new(Sm3::new()));
        Ok(())
    })
}

/// Feed `data` to a streaming SM3.
///
/// # Safety
/// `ctx` NULL or a live handle; `data` valid for its length.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sm3_update(ctx: *const YztSm3, data: *const u8, len: usize) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (ctx, data) = unsafe { (get::<YztSm3>(ctx, "ctx")?, bytes_in(data, len, "data")?) };
        sm3_update(ctx, data);
        Ok(())
    })
}

/// Finish a streaming SM3: the 32-byte digest into `out`; the context is
/// reset and can hash a new message. With a too-small buffer nothing is
/// consumed.
///
/// # Safety
/// `ctx` NULL or a live handle; `out` valid for `cap` bytes; `out_len`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sm3_finalize(
    ctx: *const YztSm3,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let ctx = unsafe { get::<YztSm3>(ctx, "ctx") }?;
        // SAFETY: the caller's out_len promise.
        let ol = unsafe { out_ref(out_len, "out_len") }?;
        if cap < YZT_SM3_LEN {
            *ol = YZT_SM3_LEN;
            return fail(
                YZT_INSUFFICIENT_SIZE,
                format!("buffer of {cap} bytes; 32 needed"),
            );
        }
        let d = sm3_finalize(ctx);
        // SAFETY: the caller's buffer promise.
        unsafe { write_out(&d, out, cap, out_len) }
    })
}

/// Free a streaming SM3 context (NULL accepted).
///
/// # Safety
/// `ctx` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sm3_free(ctx: *mut YztSm3) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(ctx) })
}

/// HMAC-SM3 of `data` under `key`: 32 bytes into `out`.
///
/// # Safety
/// Inputs valid for their lengths; `out` for `cap` bytes; `out_len` for a
/// write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_hmac_sm3(
    key: *const u8,
    key_len: usize,
    data: *const u8,
    len: usize,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        unsafe {
            let key = bytes_in(key, key_len, "key")?;
            let data = bytes_in(data, len, "data")?;
            write_out(&yizhengtong::crypto::hmac_sm3(key, data), out, cap, out_len)
        }
    })
}

/// Check an HMAC-SM3 `tag` over `data` under `key` in constant time:
/// `YZT_OK`, or `YZT_AUTHENTICATION_FAILED` for a wrong tag. A tag truncated
/// to 16..32 bytes is compared on its length; other lengths give
/// `YZT_INVALID_LENGTH`.
///
/// # Safety
/// Inputs valid for their lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_hmac_sm3_verify(
    key: *const u8,
    key_len: usize,
    data: *const u8,
    len: usize,
    tag: *const u8,
    tag_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (key, data, tag) = unsafe {
            (
                bytes_in(key, key_len, "key")?,
                bytes_in(data, len, "data")?,
                bytes_in(tag, tag_len, "tag")?,
            )
        };
        hmac_sm3_verify(key, data, tag)
    })
}

/// PBKDF2-HMAC-SM3 of `password` and `salt` with `iterations` (at least
/// 1), filling exactly `out_len` bytes of `out` (1 to 1 MiB).
///
/// # Safety
/// Inputs valid for their lengths; `out` valid for `out_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_pbkdf2_hmac_sm3(
    password: *const u8,
    password_len: usize,
    salt: *const u8,
    salt_len: usize,
    iterations: u32,
    out: *mut u8,
    out_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (password, salt) = unsafe {
            (
                bytes_in(password, password_len, "password")?,
                bytes_in(salt, salt_len, "salt")?,
            )
        };
        pbkdf2_check_len(out_len)?;
        if out.is_null() {
            return fail(YZT_NULL_POINTER, "out is NULL");
        }
        let dk = pbkdf2(password, salt, iterations, out_len)?;
        // SAFETY: out is non-null and valid for out_len bytes (the
        // caller's promise); dk is our own buffer of that length.
        unsafe { std::ptr::copy_nonoverlapping(dk.as_ptr(), out, out_len) };
        Ok(())
    })
}

fn padding(p: i32) -> R<Padding> {
    match p {
        YZT_PAD_PKCS7 => Ok(Padding::Pkcs7),
        YZT_PAD_NONE => Ok(Padding::None),
        other => unknown("SM4 padding", other),
    }
}

/// The arguments of an SM4 operation, as the C exports and the JNI entry
/// points receive them.
pub(crate) struct Sm4Args<'a> {
    pub(crate) mode: i32,
    pub(crate) key: &'a [u8],
    pub(crate) iv: &'a [u8],
    pub(crate) aad: Option<&'a [u8]>,
    pub(crate) padding: i32,
    pub(crate) data: &'a [u8],
}

/// SM4-encrypt (`encrypt`) or decrypt in the mode `a.mode` (`YZT_SM4_*`).
pub(crate) fn sm4_run(a: &Sm4Args<'_>, encrypt: bool) -> R<Vec<u8>> {
    let no_aad = |mode: &str| -> R<()> {
        if a.aad.is_some() {
            return fail(YZT_INVALID_ARGUMENT, format!("{mode} takes no AAD"));
        }
        Ok(())
    };
    let no_padding = |mode: &str| -> R<()> {
        if a.padding != YZT_PAD_PKCS7 && a.padding != YZT_PAD_NONE {
            return unknown("SM4 padding", a.padding);
        }
        if a.padding != YZT_PAD_NONE {
            return fail(
                YZT_INVALID_ARGUMENT,
                format!("{mode} takes no padding (pass YZT_PAD_NONE)"),
            );
        }
        Ok(())
    };
    let aad = a.aad.unwrap_or_default();
    Ok(match a.mode {
        YZT_SM4_ECB => {
            no_aad("ECB")?;
            if !a.iv.is_empty() {
                return fail(YZT_INVALID_ARGUMENT, "ECB takes no IV");
            }
            let p = padding(a.padding)?;
            if encrypt {
                sm4::ecb_encrypt(a.key, a.data, p)?
            } else {
                sm4::ecb_decrypt(a.key, a.data, p)?.to_vec()
            }
        }
        YZT_SM4_CBC => {
            no_aad("CBC")?;
            let p = padding(a.padding)?;
            if encrypt {
                sm4::cbc_encrypt(a.key, a.iv, a.data, p)?
            } else {
                sm4::cbc_decrypt(a.key, a.iv, a.data, p)?.to_vec()
            }
        }
        YZT_SM4_CTR => {
            no_aad("CTR")?;
            no_padding("CTR")?;
            sm4::ctr(a.key, a.iv, a.data)?
        }
        YZT_SM4_GCM => {
            no_padding("GCM")?;
            if encrypt {
                sm4::gcm_encrypt(a.key, a.iv, aad, a.data)?
            } else {
                sm4::gcm_decrypt(a.key, a.iv, aad, a.data)?.to_vec()
            }
        }
        YZT_SM4_CCM => {
            no_padding("CCM")?;
            if encrypt {
                sm4::ccm_encrypt(a.key, a.iv, aad, a.data)?
            } else {
                sm4::ccm_decrypt(a.key, a.iv, aad, a.data)?.to_vec()
            }
        }
        other => return unknown("SM4 mode", other),
    })
}

/// The body shared by `yzt_sm4_encrypt` and `yzt_sm4_decrypt`.
///
/// # Safety
/// As for those functions.
unsafe fn sm4_export(
    encrypt: bool,
    mode: i32,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    aad: *const u8,
    aad_len: usize,
    padding: i32,
    data: *const u8,
    data_len: usize,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key, iv, aad, data) = unsafe {
            (
                out_ref(out, "out")?,
                bytes_in(key, key_len, "key")?,
                bytes_in(iv, iv_len, "iv")?,
                opt_bytes_in(aad, aad_len, "aad")?,
                bytes_in(data, data_len, "data")?,
            )
        };
        *out = std::ptr::null_mut();
        let args = Sm4Args {
            mode,
            key,
            iv,
            aad,
            padding,
            data,
        };
        put_bytes(out, sm4_run(&args, encrypt)?);
        Ok(())
    })
}

/// SM4-encrypt `data` with the 16-byte `key` in `mode` (`YZT_SM4_*`).
/// `iv`: none for ECB (NULL, 0), 16 bytes for CBC and CTR, a 12-byte nonce
/// for GCM and CCM. `aad`: GCM and CCM only (NULL, 0 for none).
/// `padding`: `YZT_PAD_PKCS7` or `YZT_PAD_NONE` for ECB and CBC,
/// `YZT_PAD_NONE` for the other modes. The result (for GCM and CCM
/// ciphertext || tag) is a new bytes handle `*out` owned by the caller.
///
/// # Safety
/// Inputs valid for their lengths; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sm4_encrypt(
    mode: i32,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    aad: *const u8,
    aad_len: usize,
    padding: i32,
    data: *const u8,
    data_len: usize,
    out: *mut *mut YztBytes,
) -> i32 {
    // SAFETY: forwarded from the caller.
    unsafe {
        sm4_export(
            true, mode, key, key_len, iv, iv_len, aad, aad_len, padding, data, data_len, out,
        )
    }
}

/// SM4-decrypt; arguments as for `yzt_sm4_encrypt`. The plaintext is a new
/// bytes handle `*out` owned by the caller, wiped when freed. A wrong
/// padding gives `YZT_INVALID_PADDING`, a wrong GCM/CCM tag
/// `YZT_AUTHENTICATION_FAILED`.
///
/// # Safety
/// Inputs valid for their lengths; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_sm4_decrypt(
    mode: i32,
    key: *const u8,
    key_len: usize,
    iv: *const u8,
    iv_len: usize,
    aad: *const u8,
    aad_len: usize,
    padding: i32,
    data: *const u8,
    data_len: usize,
    out: *mut *mut YztBytes,
) -> i32 {
    // SAFETY: forwarded from the caller.
    unsafe {
        sm4_export(
            false, mode, key, key_len, iv, iv_len, aad, aad_len, padding, data, data_len, out,
        )
    }
}

/// Longest user ID the SDK accepts, in bytes.
pub const YZT_MAX_USER_ID_LEN: usize = 8191;
const _: () = assert!(YZT_MAX_USER_ID_LEN == MAX_USER_ID_LEN);
