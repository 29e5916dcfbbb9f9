//! The PIN-protected key container: create, unlock, change the PIN,
//! serialise.

use std::ffi::c_char;
use std::sync::Mutex;

use yizhengtong::crypto::container::{DEFAULT_MAX_ATTEMPTS, DEFAULT_PIN_ITERATIONS};
use yizhengtong::crypto::{ContainerParams, KeyContainer, PrivateKey, PublicKey};

use crate::bytes::{YztBytes, put_bytes};
use crate::common::*;
use crate::keys::{YztPrivateKey, YztPublicKey};

/// A private key sealed under a six-digit PIN, with a retry counter.
/// Mutable (a wrong PIN counts); thread-safe: each call takes the
/// handle's lock for its whole duration, so attempts on one handle take
/// turns and together get at most the limit. Persist it with
/// `yzt_container_to_bytes` after every unlock attempt. The count lives in
/// the handle and in what you persist: two handles read from the same
/// bytes count separately, a crash before you persist loses the attempt,
/// and a restored older copy brings its older count back; keep one handle
/// per container. Free with `yzt_container_free`.
pub struct YztContainer {
    _opaque: [u8; 0],
}

handle!(YztContainer, Mutex<KeyContainer>, 0x797a_7443_6f6e_7461);

/// Lock a container, recovering from a panic in another call (an attempt
/// is counted before its PIN is tried and reset only on success, so a
/// panic in between leaves it counted).
pub(crate) fn lock(c: &Mutex<KeyContainer>) -> std::sync::MutexGuard<'_, KeyContainer> {
    c.lock().unwrap_or_else(|p| p.into_inner())
}

// ---- the bodies, shared by the C exports and the JNI entry points ----------

/// Seal `key` under `pin` (entered twice); 0 picks the default iterations
/// and attempts.
pub(crate) fn create(
    key: &PrivateKey,
    pin: &str,
    confirm: &str,
    iterations: u32,
    max_attempts: u32,
) -> R<Mutex<KeyContainer>> {
    let params = ContainerParams {
        iterations: if iterations == 0 {
            DEFAULT_PIN_ITERATIONS
        } else {
            iterations
        },
        max_attempts: if max_attempts == 0 {
            DEFAULT_MAX_ATTEMPTS
        } else {
            max_attempts
        },
    };
    let c = KeyContainer::create(key, pin, confirm, params, &mut rand::rng())?;
    Ok(Mutex::new(c))
}

/// Read a serialised container.
pub(crate) fn from_bytes(data: &[u8]) -> R<Mutex<KeyContainer>> {
    Ok(Mutex::new(KeyContainer::from_bytes(data)?))
}

/// Serialise a container with its current retry count.
pub(crate) fn to_bytes(c: &Mutex<KeyContainer>) -> Vec<u8> {
    lock(c).to_bytes()
}

/// Open a container with `pin` (a wrong PIN counts). The handle's lock is
/// held through the derivation: concurrent attempts take turns.
pub(crate) fn unlock(c: &Mutex<KeyContainer>, pin: &str) -> R<PrivateKey> {
    Ok(lock(c).unlock(pin)?)
}

/// Change the PIN (the old one counted like an unlock).
pub(crate) fn change_pin(c: &Mutex<KeyContainer>, old: &str, new: &str, confirm: &str) -> R<()> {
    lock(c).change_pin(old, new, confirm, &mut rand::rng())?;
    Ok(())
}

/// Wrong PINs still allowed.
pub(crate) fn remaining_attempts(c: &Mutex<KeyContainer>) -> u32 {
    lock(c).remaining_attempts()
}

/// The sealed key's public key.
pub(crate) fn public_key(c: &Mutex<KeyContainer>) -> PublicKey {
    *lock(c).public_key()
}

// ---- the C exports ------------------------------------------------------------

/// Seal `key` under `pin` entered twice (`pin`, `confirm`: NUL-terminated,
/// six ASCII digits). `iterations` of PBKDF2-HMAC-SM3 (0 for the default
/// 100,000; else 1,000 to 10,000,000) and `max_attempts` wrong PINs before
/// it locks (0 for the default 6; else 1 to 100). `*out` receives a new
/// handle the caller owns.
///
/// # Safety
/// `key` NULL or a live handle; `pin`, `confirm` NULL or NUL-terminated;
/// `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_create(
    key: *const YztPrivateKey,
    pin: *const c_char,
    confirm: *const c_char,
    iterations: u32,
    max_attempts: u32,
    out: *mut *mut YztContainer,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, key, pin, confirm) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztPrivateKey>(key, "key")?,
                str_in(pin, "pin")?,
                str_in(confirm, "confirm")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztContainer>(out, create(key, pin, confirm, iterations, max_attempts)?);
        Ok(())
    })
}

/// Read a serialised container (every field checked). `*out` receives a
/// new handle the caller owns.
///
/// # Safety
/// `data` valid for `len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_from_bytes(
    data: *const u8,
    len: usize,
    out: *mut *mut YztContainer,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data) = unsafe { (out_ref(out, "out")?, bytes_in(data, len, "data")?) };
        *out = std::ptr::null_mut();
        put::<YztContainer>(out, from_bytes(data)?);
        Ok(())
    })
}

/// Serialise the container (with its current retry count) into a new
/// bytes handle `*out` owned by the caller.
///
/// # Safety
/// `container` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_to_bytes(
    container: *const YztContainer,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, c) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztContainer>(container, "container")?,
            )
        };
        *out = std::ptr::null_mut();
        put_bytes(out, to_bytes(c));
        Ok(())
    })
}

/// Open the container with `pin`. On success `*out` receives the private
/// key as a new handle the caller owns, and the retry count is reset. A
/// wrong PIN gives `YZT_WRONG_PIN` and counts against the limit; a locked
/// container gives `YZT_CONTAINER_LOCKED`; a PIN that is not six digits
/// gives `YZT_PIN_FORMAT` without counting.
///
/// # Safety
/// `container` NULL or a live handle; `pin` NULL or NUL-terminated; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_unlock(
    container: *const YztContainer,
    pin: *const c_char,
    out: *mut *mut YztPrivateKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, c, pin) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztContainer>(container, "container")?,
                str_in(pin, "pin")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztPrivateKey>(out, unlock(c, pin)?);
        Ok(())
    })
}

/// Change the PIN: `old_pin` (counted like an unlock), `new_pin` entered
/// twice. Re-seals under a fresh salt and nonce.
///
/// # Safety
/// `container` NULL or a live handle; the PINs NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_change_pin(
    container: *const YztContainer,
    old_pin: *const c_char,
    new_pin: *const c_char,
    confirm: *const c_char,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (c, old, new, confirm) = unsafe {
            (
                get::<YztContainer>(container, "container")?,
                str_in(old_pin, "old_pin")?,
                str_in(new_pin, "new_pin")?,
                str_in(confirm, "confirm")?,
            )
        };
        change_pin(c, old, new, confirm)
    })
}

/// Wrong PINs still allowed before the container locks (0 when locked),
/// into `*out`.
///
/// # Safety
/// `container` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_remaining_attempts(
    container: *const YztContainer,
    out: *mut u32,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, c) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztContainer>(container, "container")?,
            )
        };
        *out = remaining_attempts(c);
        Ok(())
    })
}

/// The public key of the sealed key (readable without the PIN), as a new
/// handle `*out` owned by the caller.
///
/// # Safety
/// `container` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_public_key(
    container: *const YztContainer,
    out: *mut *mut YztPublicKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, c) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztContainer>(container, "container")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztPublicKey>(out, public_key(c));
        Ok(())
    })
}

/// Free a container handle (NULL accepted).
///
/// # Safety
/// `container` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_container_free(container: *mut YztContainer) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(container) })
}
