//! `cn.yizhengtong.PrivateKey` and `PublicKey`: over the bodies of
//! `crate::keys`.

use ::jni::JNIEnv;
use ::jni::objects::{JByteArray, JClass};
use ::jni::sys::{jboolean, jbyteArray, jint, jlong};

use super::*;
use crate::keys::{self, YztPrivateKey, YztPublicKey};

/// `long privateKeyGenerate()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_privateKeyGenerate<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jlong {
    jcall(&mut env, 0, |_| {
        Ok(jput::<YztPrivateKey>(keys::generate_private()))
    })
}

/// `long privateKeyImport(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_privateKeyImport<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        Ok(jput::<YztPrivateKey>(keys::import_private(&data)?))
    })
}

/// `long privateKeyImportEncrypted(byte[] data, byte[] password)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_privateKeyImportEncrypted<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
    password: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        let password = bytes_in(env, &password, "password")?;
        Ok(jput::<YztPrivateKey>(keys::import_private_encrypted(
            &data, &password,
        )?))
    })
}

/// `byte[] privateKeyExport(long key, int format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_privateKeyExport<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    format: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPrivateKey>(key, "key") }?;
        let data = Zeroizing::new(keys::export_private(key, format)?);
        bytes_out(env, &data)
    })
}

/// `byte[] privateKeyExportEncrypted(long key, byte[] password, int scheme,
/// int iterations, boolean pem)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_privateKeyExportEncrypted<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    password: JByteArray<'l>,
    scheme: jint,
    iterations: jint,
    pem: jboolean,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPrivateKey>(key, "key") }?;
        let password = bytes_in(env, &password, "password")?;
        let iterations = u32_in(iterations, "iterations")?;
        let data = keys::export_private_encrypted(key, &password, scheme, iterations, pem != 0)?;
        bytes_out(env, &data)
    })
}

/// `long privateKeyPublicKey(long key)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_privateKeyPublicKey<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPrivateKey>(key, "key") }?;
        Ok(jput::<YztPublicKey>(key.public_key()))
    })
}

/// `int privateKeyFree(long key)`: wipes the key.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_privateKeyFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztPrivateKey>(key) }
}

/// `long publicKeyImport(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_publicKeyImport<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        Ok(jput::<YztPublicKey>(keys::import_public(&data)?))
    })
}

/// `byte[] publicKeyExport(long key, int format)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_publicKeyExport<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    format: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPublicKey>(key, "key") }?;
        bytes_out(env, &keys::export_public(key, format)?)
    })
}

/// `int publicKeyFree(long key)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_publicKeyFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztPublicKey>(key) }
}
