//! `cn.yizhengtong.PrivateKey`/`PublicKey` signatures and encryption,
//! `Verifier`, `Sm3`, `Sm4`: over the bodies of `crate::crypto`.

use ::jni::JNIEnv;
use ::jni::objects::{JByteArray, JClass};
use ::jni::sys::{jboolean, jbyteArray, jint, jlong};

use super::*;
use crate::crypto::{self, Sm4Args, YztSm3, YztVerifier};
use crate::keys::{YztPrivateKey, YztPublicKey};

/// The user ID: `null` means the default `1234567812345678`.
fn id_in(env: &JNIEnv<'_>, id: &JByteArray<'_>) -> R<Option<Zeroizing<Vec<u8>>>> {
    opt_bytes_in(env, id, "userId")
}

/// `byte[] sign(long key, byte[] userId, byte[] msg, int format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sign<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    user_id: JByteArray<'l>,
    msg: JByteArray<'l>,
    format: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPrivateKey>(key, "key") }?;
        let id = id_in(env, &user_id)?;
        let msg = bytes_in(env, &msg, "msg")?;
        let sig = crypto::sign(
            key,
            crypto::user_id_or_default(id.as_deref().map(Vec::as_slice)),
            &msg,
            format,
        )?;
        bytes_out(env, &sig)
    })
}

/// `boolean verify(long key, byte[] userId, byte[] msg, byte[] sig, int
/// format)`: false for `YZT_SIGNATURE_MISMATCH`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_verify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    user_id: JByteArray<'l>,
    msg: JByteArray<'l>,
    sig: JByteArray<'l>,
    format: jint,
) -> jboolean {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPublicKey>(key, "key") }?;
        let id = id_in(env, &user_id)?;
        let msg = bytes_in(env, &msg, "msg")?;
        let sig = bytes_in(env, &sig, "sig")?;
        let id = crypto::user_id_or_default(id.as_deref().map(Vec::as_slice));
        answer(
            crypto::verify(key, id, &msg, &sig, format),
            YZT_SIGNATURE_MISMATCH,
        )
    })
}

/// `byte[] messageDigest(long key, byte[] userId, byte[] msg)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_messageDigest<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    user_id: JByteArray<'l>,
    msg: JByteArray<'l>,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPublicKey>(key, "key") }?;
        let id = id_in(env, &user_id)?;
        let msg = bytes_in(env, &msg, "msg")?;
        let id = crypto::user_id_or_default(id.as_deref().map(Vec::as_slice));
        bytes_out(env, &crypto::message_digest_of(key, id, &msg)?)
    })
}

/// `byte[] signDigest(long key, byte[] digest, int format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_signDigest<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    digest: JByteArray<'l>,
    format: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPrivateKey>(key, "key") }?;
        let digest = bytes_in(env, &digest, "digest")?;
        bytes_out(env, &crypto::sign_digest(key, &digest, format)?)
    })
}

/// `boolean verifyDigest(long key, byte[] digest, byte[] sig, int format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_verifyDigest<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    digest: JByteArray<'l>,
    sig: JByteArray<'l>,
    format: jint,
) -> jboolean {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPublicKey>(key, "key") }?;
        let digest = bytes_in(env, &digest, "digest")?;
        let sig = bytes_in(env, &sig, "sig")?;
        answer(
            crypto::verify_digest(key, &digest, &sig, format),
            YZT_SIGNATURE_MISMATCH,
        )
    })
}

/// `long verifierNew(long key, byte[] userId)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_verifierNew<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    user_id: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPublicKey>(key, "key") }?;
        let id = id_in(env, &user_id)?;
        let id = crypto::user_id_or_default(id.as_deref().map(Vec::as_slice));
        Ok(jput::<YztVerifier>(crypto::verifier_new(key, id)?))
    })
}

/// `boolean verifierVerify(long verifier, byte[] msg, byte[] sig, int
/// format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_verifierVerify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verifier: jlong,
    msg: JByteArray<'l>,
    sig: JByteArray<'l>,
    format: jint,
) -> jboolean {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztVerifier>(verifier, "verifier") }?;
        let msg = bytes_in(env, &msg, "msg")?;
        let sig = bytes_in(env, &sig, "sig")?;
        answer(
            crypto::verifier_verify(v, &msg, &sig, format),
            YZT_SIGNATURE_MISMATCH,
        )
    })
}

/// `int verifierFree(long verifier)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_verifierFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    verifier: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztVerifier>(verifier) }
}

/// `byte[] encrypt(long key, byte[] plaintext, int format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_encrypt<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    plaintext: JByteArray<'l>,
    format: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPublicKey>(key, "key") }?;
        let pt = bytes_in(env, &plaintext, "plaintext")?;
        bytes_out(env, &crypto::encrypt(key, &pt, format)?)
    })
}

/// `byte[] decrypt(long key, byte[] ciphertext, int format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_decrypt<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    ciphertext: JByteArray<'l>,
    format: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPrivateKey>(key, "key") }?;
        let ct = bytes_in(env, &ciphertext, "ciphertext")?;
        bytes_out(env, &crypto::decrypt(key, &ct, format)?)
    })
}

/// `byte[] sm3(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sm3<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        let data = bytes_in(env, &data, "data")?;
        bytes_out(env, &yizhengtong::crypto::sm3(&data))
    })
}

/// `long sm3New()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sm3New<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jlong {
    jcall(&mut env, 0, |_| {
        Ok(jput::<YztSm3>(std::sync::Mutex::new(
            yizhengtong::crypto::Sm3::new(),
        )))
    })
}

/// `void sm3Update(long ctx, byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sm3Update<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    ctx: jlong,
    data: JByteArray<'l>,
) {
    jcall(&mut env, (), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let ctx = unsafe { jget::<YztSm3>(ctx, "ctx") }?;
        let data = bytes_in(env, &data, "data")?;
        crypto::sm3_update(ctx, &data);
        Ok(())
    })
}

/// `byte[] sm3Finalize(long ctx)`: the digest; the context is reset.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sm3Finalize<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    ctx: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let ctx = unsafe { jget::<YztSm3>(ctx, "ctx") }?;
        bytes_out(env, &crypto::sm3_finalize(ctx))
    })
}

/// `int sm3Free(long ctx)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sm3Free<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    ctx: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztSm3>(ctx) }
}

/// `byte[] hmacSm3(byte[] key, byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_hmacSm3<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: JByteArray<'l>,
    data: JByteArray<'l>,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        let key = bytes_in(env, &key, "key")?;
        let data = bytes_in(env, &data, "data")?;
        bytes_out(env, &yizhengtong::crypto::hmac_sm3(&key, &data))
    })
}

/// `boolean hmacSm3Verify(byte[] key, byte[] data, byte[] tag)`: false for
/// `YZT_AUTHENTICATION_FAILED`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_hmacSm3Verify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: JByteArray<'l>,
    data: JByteArray<'l>,
    tag: JByteArray<'l>,
) -> jboolean {
    jcall(&mut env, 0, |env| {
        let key = bytes_in(env, &key, "key")?;
        let data = bytes_in(env, &data, "data")?;
        let tag = bytes_in(env, &tag, "tag")?;
        answer(
            crypto::hmac_sm3_verify(&key, &data, &tag),
            YZT_AUTHENTICATION_FAILED,
        )
    })
}

/// `byte[] pbkdf2HmacSm3(byte[] password, byte[] salt, int iterations, int
/// length)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_pbkdf2HmacSm3<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    password: JByteArray<'l>,
    salt: JByteArray<'l>,
    iterations: jint,
    length: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        let password = bytes_in(env, &password, "password")?;
        let salt = bytes_in(env, &salt, "salt")?;
        let iterations = u32_in(iterations, "iterations")?;
        let length = u32_in(length, "length")? as usize;
        bytes_out(env, &crypto::pbkdf2(&password, &salt, iterations, length)?)
    })
}

/// `byte[] sm4(boolean encrypt, int mode, byte[] key, byte[] iv, byte[] aad,
/// int padding, byte[] data)`: `iv` and `aad` may be `null` for none.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sm4<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    encrypt: jboolean,
    mode: jint,
    key: JByteArray<'l>,
    iv: JByteArray<'l>,
    aad: JByteArray<'l>,
    padding: jint,
    data: JByteArray<'l>,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        let key = bytes_in(env, &key, "key")?;
        let iv = opt_bytes_in(env, &iv, "iv")?;
        let aad = opt_bytes_in(env, &aad, "aad")?;
        let data = bytes_in(env, &data, "data")?;
        let args = Sm4Args {
            mode,
            key: &key,
            iv: iv.as_deref().map_or(&[], Vec::as_slice),
            aad: aad.as_deref().map(Vec::as_slice),
            padding,
            data: &data,
        };
        let out = Zeroizing::new(crypto::sm4_run(&args, encrypt != 0)?);
        bytes_out(env, &out)
    })
}
