//! # yizhengtong-ffi
//!
//! The C ABI of the yizhengtong SDK. A thin shell: each function checks its arguments,
//! calls the public Rust API and translates the answer. The C header
//! `include/yizhengtong.h` is generated from this crate by cbindgen.
//!
//! ## Conventions (they hold for every `yzt_` function)
//!
//! - **Result codes.** Every function returns an `int32_t` result code:
//!   `YZT_OK` (0) on success, `YZT_SIGNATURE_MISMATCH` (1) when a
//!   verification answered false, another `YZT_*` code otherwise. Codes are
//!   stable: never renumbered, only added. `yzt_result_message` gives a
//!   code's fixed description, `yzt_last_error_message` the calling
//!   thread's last failure in detail (which field, which check).
//! - **Integers from C.** Formats, modes and codes are passed as plain
//!   `int32_t`; a value outside the documented `YZT_*` constants gives
//!   `YZT_UNKNOWN_VALUE`.
//! - **Panics** never unwind into C: each export catches them and returns
//!   `YZT_PANIC`.
//! - **Inputs** are `(const uint8_t *data, size_t len)` pairs; `data` may be
//!   NULL only when `len` is 0; a length above `PTRDIFF_MAX` is refused
//!   with `YZT_INVALID_ARGUMENT`. Strings (PINs, names) are NUL-terminated
//!   UTF-8; invalid UTF-8 gives `YZT_INVALID_UTF8`.
//! - **Fixed-size outputs** (digests, signatures, strings) go into a caller
//!   buffer `(out, cap, &out_len)`: `*out_len` is always set to the size
//!   needed, and a buffer smaller than that gives `YZT_INSUFFICIENT_SIZE`
//!   (so `cap = 0` asks for the size). Strings are NUL-terminated and
//!   `*out_len` counts the NUL.
//! - **Variable-size outputs** come as a `YztBytes` handle the caller owns:
//!   read it with `yzt_bytes_data`, free it with `yzt_bytes_free`.
//! - **Handles** are opaque pointers owned by the caller from the moment a
//!   function stores one in its `**out` argument; each type has a
//!   `yzt_*_free` that accepts NULL. Each handle carries a type tag, so a
//!   handle of another type is refused with `YZT_WRONG_HANDLE` (a freed or
//!   forged pointer cannot be detected). On failure `*out` is set to NULL.
//! - **Secrets** (private keys, decrypted plaintext, derived keys, the
//!   contents of every `YztBytes`) are wiped when their handle is freed.
//! - **Threads.** Every handle may be used from several threads at once,
//!   except that freeing must not race with any other use. Immutable
//!   handles (keys, certificates, CRLs, seals, reports, bytes, verifiers)
//!   are read without locks; the mutable ones (`YztContainer`, `YztSm3`,
//!   the QR verifier's store) take an internal lock per call.
//! - **Time** is Unix seconds (`int64_t`), passed in by the caller.
//! - **Randomness** comes from the operating system's CSPRNG (through
//!   `rand::rng()`).

// C functions take (pointer, length) pairs and out-pointers, so many take
// more than seven arguments; grouping them into structs would only move the
// checks into C.
#![allow(clippy::too_many_arguments)]

pub mod common;

pub mod bytes;
pub mod cert;
pub mod container;
pub mod crypto;
pub mod keys;
pub mod qr;
pub mod seal;

// The JNI entry points (Java_cn_yizhengtong_Native_*): exported from the
// same shared library, but not part of the C interface.
/// cbindgen:ignore
mod jni;

pub use common::*;

use std::ffi::c_char;

/// Write the fixed description of result code `code` into `buf` (NUL
/// terminated, `*out_len` = size including the NUL).
///
/// Returns `YZT_OK`, `YZT_UNKNOWN_VALUE` when `code` is not a result code
/// (nothing is written), `YZT_INSUFFICIENT_SIZE`, or `YZT_NULL_POINTER`.
/// The buffer is the caller's. Thread-safe.
///
/// # Safety
/// `buf` must be valid for `len` bytes of writes (may be NULL when `len`
/// is 0); `out_len` must be valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_result_message(
    code: i32,
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        let Some(m) = result_message(code) else {
            return unknown("result code", code);
        };
        // SAFETY: the caller's buffer promise.
        unsafe { write_str(m, buf, len, out_len) }
    })
}

/// Write the calling thread's last failure message (empty after a success)
/// into `buf`, NUL terminated; `*out_len` = size including the NUL.
///
/// This call itself does not change the last error. Each thread has its
/// own. The buffer is the caller's.
///
/// # Safety
/// As for `yzt_result_message`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_last_error_message(
    buf: *mut c_char,
    len: usize,
    out_len: *mut usize,
) -> i32 {
    let msg = last_error();
    let code = guard(|| {
        // SAFETY: the caller's buffer promise.
        unsafe { write_str(&msg, buf, len, out_len) }
    });
    // Keep the message that was asked for (guard overwrote it).
    set_last_error(msg);
    code
}

/// Panic on purpose inside the library, so that bindings and tests can see
/// the panic boundary at work: always returns `YZT_PANIC`.
#[unsafe(no_mangle)]
pub extern "C" fn yzt_selftest_panic() -> i32 {
    guard(|| panic!("yzt_selftest_panic was called"))
}
