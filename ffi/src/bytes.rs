//! `YztBytes`: a variable-size output owned by the caller, wiped when freed.

use zeroize::Zeroizing;

use crate::common::*;

/// An owned byte string returned by the library (a signature, a key
/// file, a ciphertext, a plaintext). Read-only; thread-safe. Its
/// contents are wiped when it is freed with `yzt_bytes_free`.
pub struct YztBytes {
    _opaque: [u8; 0],
}

handle!(YztBytes, Zeroizing<Vec<u8>>, 0x797a_7442_7974_6573);

/// Store `data` as a new bytes handle in `*out`.
pub(crate) fn put_bytes(out: &mut *mut YztBytes, data: Vec<u8>) {
    put::<YztBytes>(out, Zeroizing::new(data));
}

/// Point `*data` at the contents of `bytes` and set `*len` to its length.
///
/// The pointer stays valid, and the contents unchanged, until `bytes` is
/// freed; the library keeps ownership (do not free `*data`). For an empty
/// value `*data` is a non-null pointer that must not be read.
///
/// # Safety
/// `bytes` must be NULL or a live handle; `data` and `len` must be valid
/// for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_bytes_data(
    bytes: *const YztBytes,
    data: *mut *const u8,
    len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: out-pointers and the handle are the caller's promise.
        let (data, len, b) = unsafe {
            (
                out_ref(data, "data")?,
                out_ref(len, "len")?,
                get::<YztBytes>(bytes, "bytes")?,
            )
        };
        *data = b.as_ptr();
        *len = b.len();
        Ok(())
    })
}

/// Copy the contents of `bytes` into the caller's buffer `out` of capacity
/// `cap`; `*out_len` is set to the length (the size needed).
///
/// # Safety
/// `bytes` must be NULL or a live handle; `out` valid for `cap` bytes;
/// `out_len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_bytes_copy(
    bytes: *const YztBytes,
    out: *mut u8,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's promise on the handle and the buffer.
        unsafe {
            let b = get::<YztBytes>(bytes, "bytes")?;
            write_out(b, out, cap, out_len)
        }
    })
}

/// Wipe and free a bytes handle. NULL is accepted (nothing happens).
/// Returns `YZT_WRONG_HANDLE` (and frees nothing) for another handle type.
///
/// # Safety
/// `bytes` must be NULL or a live handle not used by another thread, and
/// not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_bytes_free(bytes: *mut YztBytes) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(bytes) })
}
