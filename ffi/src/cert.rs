//! Certificates (a parsed view with getters), CRLs and chain verification
//! against trust anchors.

use std::ffi::c_char;

use yizhengtong::Error;
use yizhengtong::cert::{Certificate, Crl, IntendedUse, VerifyOptions, verify_chain};

use crate::bytes::{YztBytes, put_bytes};
use crate::common::*;
use crate::keys::YztPublicKey;

/// A parsed SM2 X.509 certificate (the exact DER kept). Immutable;
/// thread-safe. Free with `yzt_certificate_free`.
pub struct YztCertificate {
    _opaque: [u8; 0],
}

handle!(YztCertificate, Certificate, 0x797a_7443_6572_7469);

/// A parsed CRL. Immutable; thread-safe. Free with `yzt_crl_free`.
pub struct YztCrl {
    _opaque: [u8; 0],
}

handle!(YztCrl, Crl, 0x797a_7443_726c_2020);

/// keyUsage bit: digitalSignature.
pub const YZT_KU_DIGITAL_SIGNATURE: u32 = 1;
/// keyUsage bit: nonRepudiation (contentCommitment).
pub const YZT_KU_NON_REPUDIATION: u32 = 1 << 1;
/// keyUsage bit: keyEncipherment.
pub const YZT_KU_KEY_ENCIPHERMENT: u32 = 1 << 2;
/// keyUsage bit: dataEncipherment.
pub const YZT_KU_DATA_ENCIPHERMENT: u32 = 1 << 3;
/// keyUsage bit: keyAgreement.
pub const YZT_KU_KEY_AGREEMENT: u32 = 1 << 4;
/// keyUsage bit: keyCertSign.
pub const YZT_KU_KEY_CERT_SIGN: u32 = 1 << 5;
/// keyUsage bit: cRLSign.
pub const YZT_KU_CRL_SIGN: u32 = 1 << 6;

/// Intended use of the end-entity key in chain verification: anything
/// (keyUsage not checked).
pub const YZT_USE_ANY: i32 = 0;
/// Intended use: signatures (digitalSignature or nonRepudiation).
pub const YZT_USE_SIGNATURE: i32 = 1;
/// Intended use: encryption (keyEncipherment, dataEncipherment or
/// keyAgreement).
pub const YZT_USE_ENCRYPTION: i32 = 2;
/// Intended use: issuing certificates (keyCertSign).
pub const YZT_USE_CERT_SIGN: i32 = 3;

/// Certificate field selectors for `yzt_certificate_text`.
/// The subject DN, as OpenSSL prints it in RFC 2253 order.
pub const YZT_CERT_SUBJECT: i32 = 0;
/// The issuer DN.
pub const YZT_CERT_ISSUER: i32 = 1;
/// The serial number in hex.
pub const YZT_CERT_SERIAL_HEX: i32 = 2;
/// The subject's common name (`YZT_ABSENT` when it has none).
pub const YZT_CERT_COMMON_NAME: i32 = 3;
/// The subject's organisation (`YZT_ABSENT` when it has none).
pub const YZT_CERT_ORGANIZATION: i32 = 4;
/// The certificate as PEM.
pub const YZT_CERT_PEM: i32 = 5;

// ---- the bodies, shared by the C exports and the JNI entry points ----------

/// Parse a certificate, PEM or DER.
pub(crate) fn certificate_parse(data: &[u8]) -> R<Certificate> {
    Ok(Certificate::from_any(data)?)
}

/// A text field (`YZT_CERT_*`); `YZT_ABSENT` when the certificate lacks it.
pub(crate) fn certificate_text(c: &Certificate, field: i32) -> R<String> {
    let absent = |v: Option<String>, what: &str| {
        v.ok_or_else(|| Fail::Code(YZT_ABSENT, format!("the certificate has no {what}")))
    };
    Ok(match field {
        YZT_CERT_SUBJECT => c.subject(),
        YZT_CERT_ISSUER => c.issuer(),
        YZT_CERT_SERIAL_HEX => c.serial_hex(),
        YZT_CERT_COMMON_NAME => absent(c.common_name(), "common name")?,
        YZT_CERT_ORGANIZATION => absent(c.organization(), "organization")?,
        YZT_CERT_PEM => c.to_pem(),
        other => return unknown("certificate field", other),
    })
}

/// The validity period as Unix seconds (not before, not after).
pub(crate) fn certificate_validity(c: &Certificate) -> (i64, i64) {
    (time_out(c.not_before()), time_out(c.not_after()))
}

/// The keyUsage bits (`YZT_KU_*`); `YZT_ABSENT` without the extension.
pub(crate) fn certificate_key_usage(c: &Certificate) -> R<u32> {
    let Some(ku) = c.key_usage()? else {
        return fail(YZT_ABSENT, "the certificate has no keyUsage extension");
    };
    let mut bits = 0;
    for (set, bit) in [
        (ku.digital_signature, YZT_KU_DIGITAL_SIGNATURE),
        (ku.non_repudiation, YZT_KU_NON_REPUDIATION),
        (ku.key_encipherment, YZT_KU_KEY_ENCIPHERMENT),
        (ku.data_encipherment, YZT_KU_DATA_ENCIPHERMENT),
        (ku.key_agreement, YZT_KU_KEY_AGREEMENT),
        (ku.key_cert_sign, YZT_KU_KEY_CERT_SIGN),
        (ku.crl_sign, YZT_KU_CRL_SIGN),
    ] {
        if set {
            bits |= bit;
        }
    }
    Ok(bits)
}

/// Parse a CRL, PEM or DER.
pub(crate) fn crl_parse(data: &[u8]) -> R<Crl> {
    Ok(Crl::from_any(data)?)
}

/// Verify `leaf` up to one of `anchors` at Unix time `at` for `usage`
/// (`YZT_USE_*`). A failed check is an `Error::Certificate`; read which
/// certificate and which check with [`chain_failure`].
pub(crate) fn chain_verify(
    leaf: &Certificate,
    intermediates: &[&Certificate],
    anchors: &[&Certificate],
    crls: &[&Crl],
    at: i64,
    usage: i32,
    require_revocation: bool,
) -> R<()> {
    let usage = match usage {
        YZT_USE_ANY => IntendedUse::Any,
        YZT_USE_SIGNATURE => IntendedUse::Signature,
        YZT_USE_ENCRYPTION => IntendedUse::Encryption,
        YZT_USE_CERT_SIGN => IntendedUse::CertSign,
        other => return unknown("intended use", other),
    };
    let inter: Vec<Certificate> = intermediates.iter().map(|c| (*c).clone()).collect();
    let anch: Vec<Certificate> = anchors.iter().map(|c| (*c).clone()).collect();
    let crls: Vec<Crl> = crls.iter().map(|c| (*c).clone()).collect();
    let mut opts = VerifyOptions::at(time_in(at)?);
    opts.usage = usage;
    opts.crls = &crls;
    opts.require_revocation_check = require_revocation;
    verify_chain(leaf, &inter, &anch, &opts)?;
    Ok(())
}

/// Which certificate (0 = the leaf) and which check (`YZT_CHECK_*`) a
/// chain failure names; `None` for other failures.
pub(crate) fn chain_failure(f: &Fail) -> Option<(i32, i32)> {
    match f {
        Fail::Sdk(Error::Certificate { index, check, .. }) => Some((
            i32::try_from(*index).unwrap_or(i32::MAX),
            check_code(*check),
        )),
        _ => None,
    }
}

// ---- the C exports ------------------------------------------------------------

/// Borrow an array of `n` handles.
///
/// # Safety
/// When `n > 0`, `list` must point to `n` handle pointers, each NULL or a
/// live handle, valid for `'a`.
pub(crate) unsafe fn handles_in<'a, H: Handle>(
    list: *const *const H,
    n: usize,
    what: &str,
) -> R<Vec<&'a H::Inner>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if list.is_null() {
        return fail(YZT_NULL_POINTER, format!("{what} is NULL with count {n}"));
    }
    if n > (isize::MAX as usize) / std::mem::size_of::<*const H>() {
        return fail(YZT_INVALID_ARGUMENT, format!("{what}: count {n} too large"));
    }
    // SAFETY: non-null, size within isize::MAX, n pointers readable (the
    // caller's promise).
    let ptrs = unsafe { std::slice::from_raw_parts(list, n) };
    ptrs.iter()
        .enumerate()
        // SAFETY: each element is NULL or a live handle (the caller's promise).
        .map(|(i, p)| unsafe { get::<H>(*p, &format!("{what}[{i}]")) })
        .collect()
}

/// Parse a certificate, PEM or DER (detected; of a PEM bundle the first).
/// `*out` receives a new handle the caller owns.
///
/// # Safety
/// `data` valid for `len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut YztCertificate,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data) = unsafe { (out_ref(out, "out")?, bytes_in(data, len, "data")?) };
        *out = std::ptr::null_mut();
        put::<YztCertificate>(out, certificate_parse(data)?);
        Ok(())
    })
}

/// A text field of the certificate (`YZT_CERT_*`) into the caller's buffer,
/// NUL terminated (`*out_len` counts the NUL).
///
/// # Safety
/// `cert` NULL or a live handle; `buf` valid for `cap` bytes; `out_len`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_text(
    cert: *const YztCertificate,
    field: i32,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let c = unsafe { get::<YztCertificate>(cert, "cert") }?;
        let s = certificate_text(c, field)?;
        // SAFETY: the caller's buffer promise.
        unsafe { write_str(&s, buf, cap, out_len) }
    })
}

/// The certificate's exact DER, as a new bytes handle `*out` owned by the
/// caller.
///
/// # Safety
/// `cert` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_der(
    cert: *const YztCertificate,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, c) = unsafe { (out_ref(out, "out")?, get::<YztCertificate>(cert, "cert")?) };
        *out = std::ptr::null_mut();
        put_bytes(out, c.der().to_vec());
        Ok(())
    })
}

/// The validity period as Unix seconds: `*not_before`, `*not_after`.
///
/// # Safety
/// `cert` NULL or a live handle; the out-pointers valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_validity(
    cert: *const YztCertificate,
    not_before: *mut i64,
    not_after: *mut i64,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (c, nb, na) = unsafe {
            (
                get::<YztCertificate>(cert, "cert")?,
                out_ref(not_before, "not_before")?,
                out_ref(not_after, "not_after")?,
            )
        };
        (*nb, *na) = certificate_validity(c);
        Ok(())
    })
}

/// `*is_ca` = 1 when basicConstraints says cA, else 0.
///
/// # Safety
/// `cert` NULL or a live handle; `is_ca` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_is_ca(
    cert: *const YztCertificate,
    is_ca: *mut i32,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (c, out) = unsafe {
            (
                get::<YztCertificate>(cert, "cert")?,
                out_ref(is_ca, "is_ca")?,
            )
        };
        *out = i32::from(c.is_ca());
        Ok(())
    })
}

/// The keyUsage bits (`YZT_KU_*`) into `*bits`; `YZT_ABSENT` when the
/// certificate has no keyUsage extension.
///
/// # Safety
/// `cert` NULL or a live handle; `bits` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_key_usage(
    cert: *const YztCertificate,
    bits: *mut u32,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (c, out) = unsafe { (get::<YztCertificate>(cert, "cert")?, out_ref(bits, "bits")?) };
        *out = 0;
        *out = certificate_key_usage(c)?;
        Ok(())
    })
}

/// The subject's public key, as a new handle `*out` owned by the caller.
///
/// # Safety
/// `cert` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_public_key(
    cert: *const YztCertificate,
    out: *mut *mut YztPublicKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, c) = unsafe { (out_ref(out, "out")?, get::<YztCertificate>(cert, "cert")?) };
        *out = std::ptr::null_mut();
        put::<YztPublicKey>(out, *c.public_key());
        Ok(())
    })
}

/// Free a certificate handle (NULL accepted).
///
/// # Safety
/// `cert` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_certificate_free(cert: *mut YztCertificate) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(cert) })
}

/// Parse a CRL, PEM or DER. `*out` receives a new handle the caller owns.
///
/// # Safety
/// `data` valid for `len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_crl_parse(data: *const u8, len: usize, out: *mut *mut YztCrl) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data) = unsafe { (out_ref(out, "out")?, bytes_in(data, len, "data")?) };
        *out = std::ptr::null_mut();
        put::<YztCrl>(out, crl_parse(data)?);
        Ok(())
    })
}

/// Free a CRL handle (NULL accepted).
///
/// # Safety
/// `crl` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_crl_free(crl: *mut YztCrl) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(crl) })
}

/// Verify `leaf` up to one of the `anchors` (the platform's trust anchors),
/// through `intermediates` (any order), at Unix time `at`, for `usage`
/// (`YZT_USE_*`), consulting `crls` (each used for its issuer's
/// certificates after its own signature and freshness check); with
/// `require_revocation` non-zero a certificate whose status no CRL
/// establishes is refused.
///
/// Returns `YZT_OK`, or `YZT_CERTIFICATE` with `*failed_index` (0 = the
/// leaf) and `*failed_check` (`YZT_CHECK_*`) set; both are set to -1 and
/// `YZT_CHECK_NONE` otherwise. `failed_index` and `failed_check` may be
/// NULL when not wanted. Arrays may be NULL when their count is 0.
///
/// # Safety
/// Every handle NULL or live; each array valid for its count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_chain_verify(
    leaf: *const YztCertificate,
    intermediates: *const *const YztCertificate,
    intermediates_len: usize,
    anchors: *const *const YztCertificate,
    anchors_len: usize,
    crls: *const *const YztCrl,
    crls_len: usize,
    at: i64,
    usage: i32,
    require_revocation: i32,
    failed_index: *mut i32,
    failed_check: *mut i32,
) -> i32 {
    guard(|| {
        // SAFETY: optional out-pointers, valid for writes when non-null.
        let mut fi = unsafe { failed_index.as_mut() };
        // SAFETY: as above.
        let mut fc = unsafe { failed_check.as_mut() };
        if let Some(i) = fi.as_deref_mut() {
            *i = -1;
        }
        if let Some(c) = fc.as_deref_mut() {
            *c = YZT_CHECK_NONE;
        }
        // SAFETY: the caller's pointer promises.
        let (leaf, inter, anch, crls) = unsafe {
            (
                get::<YztCertificate>(leaf, "leaf")?,
                handles_in::<YztCertificate>(intermediates, intermediates_len, "intermediates")?,
                handles_in::<YztCertificate>(anchors, anchors_len, "anchors")?,
                handles_in::<YztCrl>(crls, crls_len, "crls")?,
            )
        };
        let result = chain_verify(
            leaf,
            &inter,
            &anch,
            &crls,
            at,
            usage,
            require_revocation != 0,
        );
        if let Some((index, check)) = result.as_ref().err().and_then(chain_failure) {
            if let Some(i) = fi {
                *i = index;
            }
            if let Some(c) = fc {
                *c = check;
            }
        }
        result
    })
}
