//! The JNI entry points of the Java binding: the `static native` methods of
//! the package-private class `cn.yizhengtong.Native`, which the public
//! classes of `ffi/java/src/cn/yizhengtong` wrap.
//!
//! A thin shell, like the C exports, over the same pieces: each entry
//! converts its Java arguments, calls the body the C export calls (the
//! `pub(crate)` functions of `keys`, `crypto`, `container`, `cert`,
//! `seal`), and converts the answer back.
//!
//! - **Handles.** A Java object holds a `long`: a pointer to the same tagged
//!   Rust value a C handle points to (`common::new_handle`), read with
//!   `common::get` (so a handle of another type is refused with
//!   `YZT_WRONG_HANDLE` and 0 with `YZT_NULL_POINTER`) and freed with
//!   `common::free` (secrets wiped). The Java wrappers pass only handles
//!   they made and keep alive (a use count; close waits for the last use),
//!   so no entry point sees a freed one. `Native` is package-private.
//! - **Failures** become a `cn.yizhengtong.YztException` carrying the result
//!   code (`common::error_code`, the numbers of the C header) and the
//!   detailed message; a chain failure a `ChainException` also carrying the
//!   certificate index and the `YZT_CHECK_*` code. Free functions return
//!   their code instead of throwing (the Java cleaner calls them).
//! - **Panics** are caught in every entry point and thrown as a
//!   `YztException` with `YZT_PANIC`; nothing unwinds into the JVM.
//! - **Bytes** are copied in from Java arrays (copies wiped after the call)
//!   and out into new Java arrays. `null` is refused with `YZT_NULL_POINTER`
//!   except where it means "absent" (the user ID: the default; an IV, AAD
//!   or document: none; a list of handles: empty). Strings in (PINs) are
//!   UTF-8 byte arrays, checked like C strings (`YZT_INVALID_UTF8`).
//! - A verification answers `true`/`false` (false for
//!   `YZT_SIGNATURE_MISMATCH`, or `YZT_AUTHENTICATION_FAILED` for an HMAC
//!   tag) and throws for unusable input.

// The entry points' names are fixed by JNI: Java_<package>_<class>_<method>.
#![allow(non_snake_case)]

mod cert;
mod container;
mod crypto;
mod keys;
mod qr;
mod seal;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ::jni::JNIEnv;
use ::jni::objects::{JByteArray, JClass, JLongArray, JThrowable, JValue};
use ::jni::sys::{jboolean, jbyte, jint, jintArray, jlong, jstring};
use zeroize::Zeroizing;

use crate::cert::chain_failure;
use crate::common::*;

impl From<::jni::errors::Error> for Fail {
    fn from(e: ::jni::errors::Error) -> Self {
        use ::jni::errors::Error as E;
        match e {
            E::NullPtr(what) | E::NullDeref(what) => {
                Fail::Code(YZT_NULL_POINTER, format!("null in {what}"))
            }
            // A Java exception is pending: `throw` leaves it for Java to see.
            other => Fail::Code(YZT_OTHER, format!("JNI: {other}")),
        }
    }
}

/// The panic boundary of every entry point: runs `f`; a failure is thrown
/// as a Java exception (see [`throw`]) and a panic as one with `YZT_PANIC`,
/// and `fallback` is returned to the JVM (which ignores it while an
/// exception is pending).
pub(crate) fn jcall<'l, T>(
    env: &mut JNIEnv<'l>,
    fallback: T,
    f: impl FnOnce(&mut JNIEnv<'l>) -> R<T>,
) -> T {
    match catch_unwind(AssertUnwindSafe(|| f(env))) {
        Ok(Ok(v)) => v,
        Ok(Err(fail)) => {
            throw(env, &fail);
            fallback
        }
        Err(payload) => {
            throw(env, &Fail::Code(YZT_PANIC, panic_message(payload.as_ref())));
            fallback
        }
    }
}

/// Throw `fail` as a `YztException` (a `ChainException` for a chain
/// failure). A Java exception already pending (a JNI call that failed,
/// e.g. out of memory) is left as it is.
fn throw(env: &mut JNIEnv<'_>, fail: &Fail) {
    if env.exception_check().unwrap_or(true) {
        return;
    }
    let (code, msg) = (fail.code(), fail.message());
    if new_exception(env, code, &msg, chain_failure(fail)).is_err()
        && !env.exception_check().unwrap_or(true)
    {
        // The exception classes are missing (a broken class path): say
        // what happened anyway.
        let _ = env.throw_new(
            "java/lang/RuntimeException",
            format!("yizhengtong error {code}: {msg}"),
        );
    }
}

fn new_exception(
    env: &mut JNIEnv<'_>,
    code: i32,
    msg: &str,
    chain: Option<(i32, i32)>,
) -> ::jni::errors::Result<()> {
    let jmsg = env.new_string(msg)?;
    let obj = match chain {
        Some((index, check)) => env.new_object(
            "cn/yizhengtong/ChainException",
            "(ILjava/lang/String;II)V",
            &[
                JValue::Int(code),
                JValue::Object(&jmsg),
                JValue::Int(index),
                JValue::Int(check),
            ],
        )?,
        None => env.new_object(
            "cn/yizhengtong/YztException",
            "(ILjava/lang/String;)V",
            &[JValue::Int(code), JValue::Object(&jmsg)],
        )?,
    };
    env.throw(JThrowable::from(obj))
}

// ---- inputs -------------------------------------------------------------------

/// Copy a Java byte array (`null` refused). The copy is wiped when dropped:
/// inputs include keys, passwords and PINs.
pub(crate) fn bytes_in(env: &JNIEnv<'_>, a: &JByteArray<'_>, what: &str) -> R<Zeroizing<Vec<u8>>> {
    if a.as_raw().is_null() {
        return fail(YZT_NULL_POINTER, format!("{what} is null"));
    }
    let len = env.get_array_length(a)?;
    let len = usize::try_from(len).map_err(|_| {
        Fail::Code(
            YZT_INVALID_ARGUMENT,
            format!("{what}: negative length {len}"),
        )
    })?;
    let mut v = Zeroizing::new(vec![0u8; len]);
    // SAFETY: u8 and jbyte (i8) have the same size and alignment; the
    // slice covers exactly the vector's `len` initialised bytes, and the
    // vector is not used otherwise while the slice lives.
    let buf = unsafe { std::slice::from_raw_parts_mut(v.as_mut_ptr().cast::<jbyte>(), len) };
    env.get_byte_array_region(a, 0, buf)?;
    Ok(v)
}

/// Like [`bytes_in`], but `null` means absent.
pub(crate) fn opt_bytes_in(
    env: &JNIEnv<'_>,
    a: &JByteArray<'_>,
    what: &str,
) -> R<Option<Zeroizing<Vec<u8>>>> {
    if a.as_raw().is_null() {
        return Ok(None);
    }
    bytes_in(env, a, what).map(Some)
}

/// A string passed as UTF-8 bytes (a PIN): checked as the C exports check
/// theirs.
pub(crate) fn utf8<'a>(b: &'a [u8], what: &str) -> R<&'a str> {
    std::str::from_utf8(b)
        .map_err(|e| Fail::Code(YZT_INVALID_UTF8, format!("{what} is not UTF-8: {e}")))
}

/// A Java `int` where the C function takes an unsigned count.
pub(crate) fn u32_in(v: jint, what: &str) -> R<u32> {
    u32::try_from(v)
        .map_err(|_| Fail::Code(YZT_INVALID_ARGUMENT, format!("{what} {v} is negative")))
}

/// Borrow the value behind a handle held by Java.
///
/// # Safety
/// `h` must be 0 or a live handle made by [`jput`] (of any type), not
/// freed during `'a`.
pub(crate) unsafe fn jget<'a, H: Handle>(h: jlong, what: &str) -> R<&'a H::Inner> {
    // SAFETY: forwarded from the caller; a jlong holds a pointer on every
    // platform the JVM runs on (64-bit or 32-bit).
    unsafe { get::<H>(h as usize as *const H, what) }
}

/// Borrow the values behind a Java `long[]` of handles (`null` = none; a 0
/// element is refused with `YZT_NULL_POINTER`, a handle of another type
/// with `YZT_WRONG_HANDLE`).
///
/// # Safety
/// Each element must be 0 or a live handle, not freed during `'a`.
pub(crate) unsafe fn handles_in<'a, H: Handle>(
    env: &JNIEnv<'_>,
    a: &JLongArray<'_>,
    what: &str,
) -> R<Vec<&'a H::Inner>> {
    if a.as_raw().is_null() {
        return Ok(Vec::new());
    }
    let len = usize::try_from(env.get_array_length(a)?).unwrap_or(0);
    let mut hs = vec![0 as jlong; len];
    env.get_long_array_region(a, 0, &mut hs)?;
    hs.iter()
        .enumerate()
        // SAFETY: each element is 0 or a live handle (the caller's promise).
        .map(|(i, h)| unsafe { jget::<H>(*h, &format!("{what}[{i}]")) })
        .collect()
}

// ---- outputs ------------------------------------------------------------------

/// A new handle for Java.
pub(crate) fn jput<H: Handle>(value: H::Inner) -> jlong {
    new_handle::<H>(value) as usize as jlong
}

/// Free a handle held by Java; the result code (not thrown: the Java
/// cleaner calls this). 0 is accepted; a handle of another type is refused
/// with `YZT_WRONG_HANDLE` and nothing is freed.
///
/// # Safety
/// `h` must be 0 or a live handle that no other thread uses, not used
/// again.
pub(crate) unsafe fn jfree<H: Handle>(h: jlong) -> jint {
    // SAFETY: forwarded from the caller.
    guard(|| unsafe { free::<H>(h as usize as *mut H) })
}

/// A new Java byte array holding `data`.
pub(crate) fn bytes_out(env: &JNIEnv<'_>, data: &[u8]) -> R<::jni::sys::jbyteArray> {
    if i32::try_from(data.len()).is_err() {
        return fail(
            YZT_INVALID_ARGUMENT,
            format!(
                "an output of {} bytes does not fit a Java array",
                data.len()
            ),
        );
    }
    Ok(env.byte_array_from_slice(data)?.into_raw())
}

/// A new Java string.
pub(crate) fn string_out(env: &JNIEnv<'_>, s: &str) -> R<jstring> {
    Ok(env.new_string(s)?.into_raw())
}

/// A Java boolean.
pub(crate) fn jbool(b: bool) -> jboolean {
    if b {
        ::jni::sys::JNI_TRUE
    } else {
        ::jni::sys::JNI_FALSE
    }
}

/// The answer of a verification: `true` when it verified, `false` for the
/// one code that means "well-formed but false" (`mismatch`), else the
/// failure (thrown).
pub(crate) fn answer(r: R<()>, mismatch: i32) -> R<jboolean> {
    match r {
        Ok(()) => Ok(jbool(true)),
        Err(f) if f.code() == mismatch => Ok(jbool(false)),
        Err(f) => Err(f),
    }
}

// ---- the library ----------------------------------------------------------------

/// `static native String version()`: the binding's version.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_version<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        string_out(env, env!("CARGO_PKG_VERSION"))
    })
}

/// `static native String resultMessage(int code)`: a result code's fixed
/// description; `YZT_UNKNOWN_VALUE` for a number that is not a code.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_resultMessage<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    code: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        let Some(m) = result_message(code) else {
            return unknown("result code", code);
        };
        string_out(env, m)
    })
}

/// `static native int[] resultCodes()`: every result code, in order.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_resultCodes<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jintArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        let codes: Vec<jint> = RESULT_MESSAGES.iter().map(|(c, _)| *c).collect();
        let len = i32::try_from(codes.len()).unwrap_or(0);
        let a = env.new_int_array(len)?;
        env.set_int_array_region(&a, 0, &codes)?;
        Ok(a.into_raw())
    })
}

/// `static native void selftestPanic()`: panics inside the library, so
/// that tests see the boundary turn it into `YZT_PANIC`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_selftestPanic<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) {
    jcall(&mut env, (), |_| panic!("selftestPanic was called"))
}

#[cfg(test)]
mod tests {
    use ::jni::sys::{JNI_FALSE, JNI_TRUE};
    use yizhengtong::Error;

    use super::*;
    use crate::keys::{YztPrivateKey, YztPublicKey};

    #[test]
    fn a_false_verification_is_false_and_unusable_input_a_failure() {
        let mismatch = || Err(Fail::Sdk(Error::SignatureMismatch));
        assert_eq!(answer(Ok(()), YZT_SIGNATURE_MISMATCH).ok(), Some(JNI_TRUE));
        assert_eq!(
            answer(mismatch(), YZT_SIGNATURE_MISMATCH).ok(),
            Some(JNI_FALSE)
        );
        let malformed = answer(Err(Fail::Code(YZT_MALFORMED, "bad DER".into())), 1);
        assert_eq!(malformed.map_err(|f| f.code()).err(), Some(YZT_MALFORMED));
        // Only the code named is "false": an HMAC check answers false for
        // AUTHENTICATION_FAILED, and a signature mismatch there is a failure.
        let hmac = answer(mismatch(), YZT_AUTHENTICATION_FAILED);
        assert_eq!(
            hmac.map_err(|f| f.code()).err(),
            Some(YZT_SIGNATURE_MISMATCH)
        );
    }

    #[test]
    fn java_ints_and_utf8_are_checked_like_c_arguments() {
        assert_eq!(u32_in(5, "n").ok(), Some(5));
        assert_eq!(
            u32_in(-1, "n").err().map(|f| f.code()),
            Some(YZT_INVALID_ARGUMENT)
        );
        assert_eq!(utf8("测试".as_bytes(), "s").ok(), Some("测试"));
        let bad = utf8(b"\xc3\x28", "pin").err();
        assert_eq!(bad.as_ref().map(Fail::code), Some(YZT_INVALID_UTF8));
        assert!(bad.map(|f| f.message()).unwrap_or_default().contains("pin"));
    }

    #[test]
    fn jni_errors_become_result_codes() {
        use ::jni::errors::Error as E;
        assert_eq!(Fail::from(E::NullPtr("arg")).code(), YZT_NULL_POINTER);
        assert_eq!(Fail::from(E::NullDeref("arg")).code(), YZT_NULL_POINTER);
        assert_eq!(Fail::from(E::JavaException).code(), YZT_OTHER);
    }

    #[test]
    fn a_handle_survives_the_trip_through_a_java_long() {
        let key = crate::keys::generate_private();
        let h = jput::<YztPublicKey>(key.public_key());
        // SAFETY: h is live until freed at the end; 0 is NULL.
        unsafe {
            let pk = jget::<YztPublicKey>(h, "key").map_err(|f| f.message());
            assert_eq!(pk.copied(), Ok(key.public_key()));
            let wrong = jget::<YztPrivateKey>(h, "key").err().map(|f| f.code());
            assert_eq!(wrong, Some(YZT_WRONG_HANDLE));
            let null = jget::<YztPublicKey>(0, "key").err().map(|f| f.code());
            assert_eq!(null, Some(YZT_NULL_POINTER));
            assert_eq!(jfree::<YztPrivateKey>(h), YZT_WRONG_HANDLE);
            assert_eq!(jfree::<YztPublicKey>(0), YZT_OK);
            assert_eq!(jfree::<YztPublicKey>(h), YZT_OK);
        }
    }

    #[test]
    fn a_panic_message_says_what_panicked() {
        let payload: Box<dyn std::any::Any + Send> = Box::new("boom");
        assert_eq!(
            panic_message(payload.as_ref()),
            "internal error (panic): boom"
        );
    }
}
