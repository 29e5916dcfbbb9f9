//! The conventions every export follows: result codes, the last error's
//! message, the panic boundary, checked input slices and strings, output
//! into caller buffers, and tagged handles.

use std::cell::RefCell;
use std::ffi::{CStr, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, SystemTime};

use yizhengtong::Error;
use yizhengtong::error::CertCheck;

// ---- result codes ---------------------------------------------------------
//
// Stable: a code keeps its number and meaning forever; new codes are added
// at new numbers. 0 is success; 1 is "a verification answered false".
// 2..=19 are refusals at the boundary; 20 and up map the SDK's errors.

/// Success.
pub const YZT_OK: i32 = 0;
/// A well-formed signature (or MAC, or tag) that does not verify.
pub const YZT_SIGNATURE_MISMATCH: i32 = 1;
/// A required pointer argument was NULL.
pub const YZT_NULL_POINTER: i32 = 2;
/// An argument is unusable: a length above `PTRDIFF_MAX`, a NULL data
/// pointer with a non-zero length, an argument the operation does not take.
pub const YZT_INVALID_ARGUMENT: i32 = 3;
/// The output buffer is too small; `*out_len` was set to the size needed.
pub const YZT_INSUFFICIENT_SIZE: i32 = 4;
/// The library panicked (a bug); the panic was stopped at the boundary.
pub const YZT_PANIC: i32 = 5;
/// A handle of another type was passed where this type was expected.
pub const YZT_WRONG_HANDLE: i32 = 6;
/// A string argument is not valid UTF-8.
pub const YZT_INVALID_UTF8: i32 = 7;
/// An integer code from C (a format, mode, result code...) that is not one
/// of the documented values.
pub const YZT_UNKNOWN_VALUE: i32 = 8;
/// An index past the end (of a report's steps, a list).
pub const YZT_OUT_OF_RANGE: i32 = 9;
/// The value asked for is absent (e.g. a certificate without a common name).
pub const YZT_ABSENT: i32 = 10;

/// Structurally malformed input (bad DER, bad PEM, trailing bytes).
pub const YZT_MALFORMED: i32 = 20;
/// A length that does not fit what the format allows.
pub const YZT_INVALID_LENGTH: i32 = 21;
/// An algorithm or curve the SDK does not handle.
pub const YZT_UNSUPPORTED_ALGORITHM: i32 = 22;
/// A point not on the SM2 curve.
pub const YZT_POINT_NOT_ON_CURVE: i32 = 23;
/// The point at infinity where a real point is required.
pub const YZT_POINT_AT_INFINITY: i32 = 24;
/// A point encoding that is neither compressed nor uncompressed SEC1.
pub const YZT_INVALID_POINT_ENCODING: i32 = 25;
/// A private scalar outside [1, n-2].
pub const YZT_SCALAR_OUT_OF_RANGE: i32 = 26;
/// A public key stored with a private key does not belong to it.
pub const YZT_KEY_MISMATCH: i32 = 27;
/// A signature component outside [1, n-1].
pub const YZT_SIGNATURE_OUT_OF_RANGE: i32 = 28;
/// An SM2 user ID longer than 8191 bytes.
pub const YZT_USER_ID_TOO_LONG: i32 = 29;
/// SM2 encryption of an empty plaintext.
pub const YZT_EMPTY_PLAINTEXT: i32 = 30;
/// SM2 decryption failed its integrity check (wrong key, tampered data).
pub const YZT_DECRYPTION_FAILED: i32 = 31;
/// PKCS#7 padding that does not check out.
pub const YZT_INVALID_PADDING: i32 = 32;
/// An AEAD tag that does not verify.
pub const YZT_AUTHENTICATION_FAILED: i32 = 33;
/// An encrypted private key that does not open with this password.
pub const YZT_WRONG_PASSWORD: i32 = 34;
/// A parameter outside what the SDK accepts (the message says which).
pub const YZT_INVALID_PARAMETER: i32 = 35;
/// A PIN that is not exactly six ASCII digits.
pub const YZT_PIN_FORMAT: i32 = 36;
/// The PIN and its confirmation differ.
pub const YZT_PIN_CONFIRMATION_MISMATCH: i32 = 37;
/// A wrong PIN (see `yzt_container_remaining_attempts`).
pub const YZT_WRONG_PIN: i32 = 38;
/// The key container is locked after too many wrong PINs.
pub const YZT_CONTAINER_LOCKED: i32 = 39;
/// A certificate chain check failed (the function reports which
/// certificate and which `YZT_CHECK_*`).
pub const YZT_CERTIFICATE: i32 = 40;
/// A CRL that cannot be used (bad signature, wrong issuer, stale).
pub const YZT_CRL: i32 = 41;
/// An action the object's current state does not allow.
pub const YZT_INVALID_STATE: i32 = 42;
/// The actor may not do this.
pub const YZT_FORBIDDEN: i32 = 43;
/// Something looked up does not exist.
pub const YZT_NOT_FOUND: i32 = 44;
/// A concurrent change got there first; nothing was written.
pub const YZT_CONFLICT: i32 = 45;
/// The storage backend failed; nothing was changed.
pub const YZT_STORE: i32 = 46;
/// An SDK error this version of the binding has no code for yet (the
/// message says what it is).
pub const YZT_OTHER: i32 = 99;

/// Every result code with its fixed description, in number order.
pub(crate) const RESULT_MESSAGES: &[(i32, &str)] = &[
    (YZT_OK, "success"),
    (
        YZT_SIGNATURE_MISMATCH,
        "signature does not verify (well-formed but false)",
    ),
    (YZT_NULL_POINTER, "a required pointer argument was NULL"),
    (YZT_INVALID_ARGUMENT, "invalid argument"),
    (
        YZT_INSUFFICIENT_SIZE,
        "output buffer too small; *out_len holds the size needed",
    ),
    (YZT_PANIC, "internal error: the library panicked"),
    (YZT_WRONG_HANDLE, "a handle of the wrong type was passed"),
    (YZT_INVALID_UTF8, "a string argument is not valid UTF-8"),
    (
        YZT_UNKNOWN_VALUE,
        "an integer code outside the documented values",
    ),
    (YZT_OUT_OF_RANGE, "index out of range"),
    (YZT_ABSENT, "the value is absent"),
    (YZT_MALFORMED, "malformed input"),
    (YZT_INVALID_LENGTH, "wrong length"),
    (YZT_UNSUPPORTED_ALGORITHM, "unsupported algorithm"),
    (
        YZT_POINT_NOT_ON_CURVE,
        "public key point is not on the SM2 curve",
    ),
    (YZT_POINT_AT_INFINITY, "public key is the point at infinity"),
    (YZT_INVALID_POINT_ENCODING, "invalid point encoding"),
    (
        YZT_SCALAR_OUT_OF_RANGE,
        "private key scalar is out of range [1, n-2]",
    ),
    (
        YZT_KEY_MISMATCH,
        "the public key stored with the private key does not match it",
    ),
    (
        YZT_SIGNATURE_OUT_OF_RANGE,
        "signature component is out of range [1, n-1]",
    ),
    (
        YZT_USER_ID_TOO_LONG,
        "SM2 user ID is longer than 8191 bytes",
    ),
    (
        YZT_EMPTY_PLAINTEXT,
        "plaintext is empty; SM2 encryption needs at least one byte",
    ),
    (YZT_DECRYPTION_FAILED, "SM2 decryption failed"),
    (YZT_INVALID_PADDING, "invalid PKCS#7 padding"),
    (YZT_AUTHENTICATION_FAILED, "authentication tag mismatch"),
    (
        YZT_WRONG_PASSWORD,
        "wrong password, or the encrypted key is corrupted",
    ),
    (YZT_INVALID_PARAMETER, "invalid parameter"),
    (YZT_PIN_FORMAT, "PIN must be exactly 6 digits"),
    (
        YZT_PIN_CONFIRMATION_MISMATCH,
        "the two PIN entries do not match",
    ),
    (YZT_WRONG_PIN, "wrong PIN"),
    (
        YZT_CONTAINER_LOCKED,
        "key container is locked after too many wrong PINs",
    ),
    (YZT_CERTIFICATE, "certificate chain verification failed"),
    (YZT_CRL, "CRL refused"),
    (YZT_INVALID_STATE, "the object's state does not allow this"),
    (YZT_FORBIDDEN, "forbidden"),
    (YZT_NOT_FOUND, "not found"),
    (YZT_CONFLICT, "changed concurrently; nothing was written"),
    (YZT_STORE, "storage failed"),
    (YZT_OTHER, "other error"),
];

/// The fixed description of `code`, if it is one.
pub(crate) fn result_message(code: i32) -> Option<&'static str> {
    RESULT_MESSAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, m)| *m)
}

// ---- certificate checks ---------------------------------------------------

/// No check failed.
pub const YZT_CHECK_NONE: i32 = 0;
/// The certificate could not be parsed.
pub const YZT_CHECK_PARSE: i32 = 1;
/// No issuer among the intermediates and trust anchors.
pub const YZT_CHECK_ISSUER_NOT_FOUND: i32 = 2;
/// The chain ends at a self-issued certificate that is not a trust anchor.
pub const YZT_CHECK_UNTRUSTED_ROOT: i32 = 3;
/// The issuer's signature does not verify.
pub const YZT_CHECK_SIGNATURE: i32 = 4;
/// The signature algorithm is not SM2 with SM3.
pub const YZT_CHECK_SIGNATURE_ALGORITHM: i32 = 5;
/// Not yet valid.
pub const YZT_CHECK_NOT_YET_VALID: i32 = 6;
/// Expired.
pub const YZT_CHECK_EXPIRED: i32 = 7;
/// An issuer that is not a CA.
pub const YZT_CHECK_NOT_CA: i32 = 8;
/// pathLenConstraint exceeded.
pub const YZT_CHECK_PATH_LENGTH: i32 = 9;
/// keyUsage does not allow the use.
pub const YZT_CHECK_KEY_USAGE: i32 = 10;
/// Revoked.
pub const YZT_CHECK_REVOKED: i32 = 11;
/// On hold (frozen).
pub const YZT_CHECK_FROZEN: i32 = 12;
/// Revocation status required but unknown.
pub const YZT_CHECK_REVOCATION_UNKNOWN: i32 = 13;
/// An unknown critical extension.
pub const YZT_CHECK_UNKNOWN_CRITICAL_EXTENSION: i32 = 14;
/// The chain is too long.
pub const YZT_CHECK_CHAIN_TOO_LONG: i32 = 15;
/// A check this version of the binding has no code for yet.
pub const YZT_CHECK_OTHER: i32 = 99;

pub(crate) fn check_code(check: CertCheck) -> i32 {
    match check {
        CertCheck::Parse => YZT_CHECK_PARSE,
        CertCheck::IssuerNotFound => YZT_CHECK_ISSUER_NOT_FOUND,
        CertCheck::UntrustedRoot => YZT_CHECK_UNTRUSTED_ROOT,
        CertCheck::Signature => YZT_CHECK_SIGNATURE,
        CertCheck::SignatureAlgorithm => YZT_CHECK_SIGNATURE_ALGORITHM,
        CertCheck::NotYetValid => YZT_CHECK_NOT_YET_VALID,
        CertCheck::Expired => YZT_CHECK_EXPIRED,
        CertCheck::NotCa => YZT_CHECK_NOT_CA,
        CertCheck::PathLength => YZT_CHECK_PATH_LENGTH,
        CertCheck::KeyUsage => YZT_CHECK_KEY_USAGE,
        CertCheck::Revoked => YZT_CHECK_REVOKED,
        CertCheck::Frozen => YZT_CHECK_FROZEN,
        CertCheck::RevocationUnknown => YZT_CHECK_REVOCATION_UNKNOWN,
        CertCheck::UnknownCriticalExtension => YZT_CHECK_UNKNOWN_CRITICAL_EXTENSION,
        CertCheck::ChainTooLong => YZT_CHECK_CHAIN_TOO_LONG,
        _ => YZT_CHECK_OTHER,
    }
}

/// The result code of an SDK error.
pub(crate) fn error_code(e: &Error) -> i32 {
    match e {
        Error::Malformed { .. } => YZT_MALFORMED,
        Error::InvalidLength { .. } => YZT_INVALID_LENGTH,
        Error::UnsupportedAlgorithm { .. } => YZT_UNSUPPORTED_ALGORITHM,
        Error::PointNotOnCurve => YZT_POINT_NOT_ON_CURVE,
        Error::PointAtInfinity => YZT_POINT_AT_INFINITY,
        Error::InvalidPointEncoding(_) => YZT_INVALID_POINT_ENCODING,
        Error::ScalarOutOfRange => YZT_SCALAR_OUT_OF_RANGE,
        Error::KeyMismatch => YZT_KEY_MISMATCH,
        Error::SignatureOutOfRange { .. } => YZT_SIGNATURE_OUT_OF_RANGE,
        Error::SignatureMismatch => YZT_SIGNATURE_MISMATCH,
        Error::UserIdTooLong { .. } => YZT_USER_ID_TOO_LONG,
        Error::EmptyPlaintext => YZT_EMPTY_PLAINTEXT,
        Error::DecryptionFailed(_) => YZT_DECRYPTION_FAILED,
        Error::InvalidPadding => YZT_INVALID_PADDING,
        Error::AuthenticationFailed => YZT_AUTHENTICATION_FAILED,
        Error::WrongPassword => YZT_WRONG_PASSWORD,
        Error::InvalidParameter { .. } => YZT_INVALID_PARAMETER,
        Error::PinFormat => YZT_PIN_FORMAT,
        Error::PinConfirmationMismatch => YZT_PIN_CONFIRMATION_MISMATCH,
        Error::WrongPin { .. } => YZT_WRONG_PIN,
        Error::ContainerLocked => YZT_CONTAINER_LOCKED,
        Error::Certificate { .. } => YZT_CERTIFICATE,
        Error::Crl(_) => YZT_CRL,
        Error::InvalidState { .. } => YZT_INVALID_STATE,
        Error::Forbidden { .. } => YZT_FORBIDDEN,
        Error::NotFound { .. } => YZT_NOT_FOUND,
        Error::Conflict { .. } => YZT_CONFLICT,
        Error::Store(_) => YZT_STORE,
        _ => YZT_OTHER,
    }
}

// ---- failures and the last error -------------------------------------------

/// Why a call failed: a boundary refusal or an SDK error.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A boundary code and what was wrong.
    Code(i32, String),
    /// An SDK error.
    Sdk(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Sdk(e)
    }
}

impl Fail {
    pub(crate) fn code(&self) -> i32 {
        match self {
            Fail::Code(c, _) => *c,
            Fail::Sdk(e) => error_code(e),
        }
    }

    pub(crate) fn message(&self) -> String {
        match self {
            Fail::Code(_, m) => m.clone(),
            Fail::Sdk(e) => e.to_string(),
        }
    }
}

pub(crate) type R<T> = Result<T, Fail>;

pub(crate) fn fail<T>(code: i32, msg: impl Into<String>) -> R<T> {
    Err(Fail::Code(code, msg.into()))
}

thread_local! {
    static LAST_ERROR: RefCell<String> = const { RefCell::new(String::new()) };
}

pub(crate) fn set_last_error(msg: String) {
    LAST_ERROR.with(|l| *l.borrow_mut() = msg);
}

pub(crate) fn last_error() -> String {
    LAST_ERROR.with(|l| l.borrow().clone())
}

/// The panic boundary: runs `f`, turns its failure into a result code (and
/// the thread's last error message), and a panic into [`YZT_PANIC`].
pub(crate) fn guard(f: impl FnOnce() -> R<()>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_last_error(String::new());
            YZT_OK
        }
        Ok(Err(fail)) => {
            set_last_error(fail.message());
            fail.code()
        }
        Err(payload) => {
            // Setting the message cannot panic again: it only moves a String.
            set_last_error(panic_message(payload.as_ref()));
            YZT_PANIC
        }
    }
}

/// The message for a caught panic: `internal error (panic): ` and what the
/// panic said. Shared by the C and the JNI boundaries.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    format!("internal error (panic): {what}")
}

// ---- inputs -------------------------------------------------------------------

/// Borrow `len` bytes at `ptr`. `ptr` may be NULL only when `len` is 0.
///
/// # Safety
/// When `len > 0`, `ptr` must point to `len` readable bytes that stay
/// unchanged for `'a`.
pub(crate) unsafe fn bytes_in<'a>(ptr: *const u8, len: usize, what: &str) -> R<&'a [u8]> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return fail(
            YZT_NULL_POINTER,
            format!("{what} is NULL with length {len}"),
        );
    }
    if len > isize::MAX as usize {
        return fail(
            YZT_INVALID_ARGUMENT,
            format!("{what}: length {len} exceeds PTRDIFF_MAX"),
        );
    }
    // SAFETY: ptr is non-null, len is within isize::MAX, and the caller
    // guarantees len readable bytes at ptr for 'a.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Like [`bytes_in`] but NULL (with length 0) means "absent".
///
/// # Safety
/// As for [`bytes_in`].
pub(crate) unsafe fn opt_bytes_in<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> R<Option<&'a [u8]>> {
    if ptr.is_null() && len == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { bytes_in(ptr, len, what) }.map(Some)
}

/// A NUL-terminated UTF-8 string.
///
/// # Safety
/// When non-null, `ptr` must point to a NUL-terminated string that stays
/// unchanged for `'a`.
pub(crate) unsafe fn str_in<'a>(ptr: *const c_char, what: &str) -> R<&'a str> {
    if ptr.is_null() {
        return fail(YZT_NULL_POINTER, format!("{what} is NULL"));
    }
    // SAFETY: non-null; the caller guarantees NUL termination and lifetime.
    let c = unsafe { CStr::from_ptr(ptr) };
    c.to_str()
        .map_err(|e| Fail::Code(YZT_INVALID_UTF8, format!("{what} is not UTF-8: {e}")))
}

/// Unix seconds to a time.
pub(crate) fn time_in(unix: i64) -> R<SystemTime> {
    let t = if unix >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_secs(unix as u64))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_secs(unix.unsigned_abs()))
    };
    t.ok_or_else(|| Fail::Code(YZT_INVALID_ARGUMENT, format!("time {unix} out of range")))
}

/// A time to unix seconds (negative before 1970).
pub(crate) fn time_out(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

pub(crate) fn unknown<T>(what: &str, value: i32) -> R<T> {
    fail(
        YZT_UNKNOWN_VALUE,
        format!("{what} {value} is not a known value"),
    )
}

// ---- outputs ------------------------------------------------------------------

/// Check an out-pointer and return it as a reference.
///
/// # Safety
/// When non-null, `ptr` must be valid for writes of `T` for `'a`.
pub(crate) unsafe fn out_ref<'a, T>(ptr: *mut T, what: &str) -> R<&'a mut T> {
    if ptr.is_null() {
        return fail(YZT_NULL_POINTER, format!("{what} is NULL"));
    }
    // SAFETY: non-null and, by the caller's promise, valid for writes.
    Ok(unsafe { &mut *ptr })
}

/// Copy `data` into the caller's buffer `out` of capacity `cap`, setting
/// `*out_len` to `data.len()` (also when the buffer is too small).
///
/// # Safety
/// `out_len` must be valid for writes (or NULL, refused); when `cap > 0`,
/// `out` must be valid for `cap` bytes of writes.
pub(crate) unsafe fn write_out(
    data: &[u8],
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> R<()> {
    // SAFETY: forwarded from the caller.
    let out_len = unsafe { out_ref(out_len, "out_len") }?;
    *out_len = data.len();
    if cap < data.len() {
        return fail(
            YZT_INSUFFICIENT_SIZE,
            format!("buffer of {cap} bytes; {} needed", data.len()),
        );
    }
    if data.is_empty() {
        return Ok(());
    }
    if out.is_null() {
        return fail(YZT_NULL_POINTER, "out is NULL");
    }
    // SAFETY: out is non-null and valid for cap >= data.len() bytes; the
    // regions cannot overlap (data is owned by the library).
    unsafe { std::ptr::copy_nonoverlapping(data.as_ptr(), out, data.len()) };
    Ok(())
}

/// Copy `s` and a terminating NUL into `buf` of capacity `cap`; `*out_len`
/// is set to the size needed *including* the NUL.
///
/// # Safety
/// As for [`write_out`].
pub(crate) unsafe fn write_str(
    s: &str,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> R<()> {
    // A string with an interior NUL would be cut short in C: refuse it.
    if s.as_bytes().contains(&0) {
        return fail(YZT_MALFORMED, "the string contains a NUL byte");
    }
    let mut with_nul = Vec::with_capacity(s.len() + 1);
    with_nul.extend_from_slice(s.as_bytes());
    with_nul.push(0);
    // SAFETY: forwarded from the caller.
    unsafe { write_out(&with_nul, buf.cast::<u8>(), cap, out_len) }
}

// ---- handles --------------------------------------------------------------

/// What every handle is on the heap: a type tag, then the value. `repr(C)`
/// puts the tag first in every handle type, so the tag of any handle can
/// be read before its type is trusted.
#[repr(C)]
pub(crate) struct Tagged<T> {
    magic: u64,
    value: T,
}

/// An opaque C handle type and the Rust value behind it.
///
/// # Safety
/// `MAGIC` must be unique among handle types.
pub(crate) unsafe trait Handle {
    /// The value held.
    type Inner: Send + Sync;
    /// The type tag.
    const MAGIC: u64;
    /// The C name, for messages.
    const NAME: &'static str;
}

/// Box `value` as a new handle of type `H`. The C exports store it in an
/// out-pointer ([`put`]); the JNI entry points hand it to Java as a `long`.
pub(crate) fn new_handle<H: Handle>(value: H::Inner) -> *mut H {
    let b = Box::new(Tagged {
        magic: H::MAGIC,
        value,
    });
    Box::into_raw(b).cast::<H>()
}

/// Box `value` as a new handle of type `H` and store it in `*out`.
pub(crate) fn put<H: Handle>(out: &mut *mut H, value: H::Inner) {
    *out = new_handle::<H>(value);
}

/// The tag of a non-null handle.
///
/// # Safety
/// `p` must be a live handle made by [`put`] (of any type).
unsafe fn magic_of<H>(p: *const H) -> u64 {
    // SAFETY: every handle starts with the u64 tag (Tagged is repr(C)).
    unsafe { std::ptr::read(p.cast::<u64>()) }
}

/// Borrow the value of handle `p`, checking NULL and the type tag.
///
/// # Safety
/// `p` must be NULL or a live handle made by this library, not freed
/// during `'a`.
pub(crate) unsafe fn get<'a, H: Handle>(p: *const H, what: &str) -> R<&'a H::Inner> {
    if p.is_null() {
        return fail(YZT_NULL_POINTER, format!("{what} is NULL"));
    }
    // SAFETY: p is a live handle (caller's promise).
    if unsafe { magic_of(p) } != H::MAGIC {
        return fail(
            YZT_WRONG_HANDLE,
            format!("{what} is not a {} handle", H::NAME),
        );
    }
    // SAFETY: the tag says p was made by put::<H>, so it points to a
    // Tagged<H::Inner>, live for 'a; only shared references are made.
    Ok(unsafe { &(*p.cast::<Tagged<H::Inner>>()).value })
}

/// Free handle `p` (NULL is a no-op). A handle of another type is refused.
///
/// # Safety
/// `p` must be NULL or a live handle made by this library that no other
/// thread is using, and it must not be used afterwards.
pub(crate) unsafe fn free<H: Handle>(p: *mut H) -> R<()> {
    if p.is_null() {
        return Ok(());
    }
    // SAFETY: p is a live handle (caller's promise).
    if unsafe { magic_of(p) } != H::MAGIC {
        return fail(
            YZT_WRONG_HANDLE,
            format!("not a {} handle; nothing was freed", H::NAME),
        );
    }
    let t = p.cast::<Tagged<H::Inner>>();
    // SAFETY: made by Box::into_raw in put::<H>; the caller gives up the
    // handle. The tag is cleared first so a stale copy fails the type check
    // rather than looking valid while the allocation is still in place.
    unsafe {
        (*t).magic = 0;
        drop(Box::from_raw(t));
    }
    Ok(())
}

/// Declare an opaque handle type for C: the struct itself is written out
/// (cbindgen does not expand macros), the macro ties it to its value and tag.
macro_rules! handle {
    ($(#[$doc:meta])* $name:ident, $inner:ty, $magic:expr) => {
        // SAFETY: each handle type is declared once with its own tag.
        unsafe impl $crate::common::Handle for $name {
            type Inner = $inner;
            const MAGIC: u64 = $magic;
            const NAME: &'static str = stringify!($name);
        }
    };
}
pub(crate) use handle;
