//! `cn.yizhengtong.Container`: over the bodies of `crate::container`.

use ::jni::JNIEnv;
use ::jni::objects::{JByteArray, JClass};
use ::jni::sys::{jbyteArray, jint, jlong};

use super::*;
use crate::container::{self, YztContainer};
use crate::keys::{YztPrivateKey, YztPublicKey};

/// `long containerCreate(long key, byte[] pin, byte[] confirm, int
/// iterations, int maxAttempts)`: the PINs as UTF-8.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerCreate<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    key: jlong,
    pin: JByteArray<'l>,
    confirm: JByteArray<'l>,
    iterations: jint,
    max_attempts: jint,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let key = unsafe { jget::<YztPrivateKey>(key, "key") }?;
        let pin = bytes_in(env, &pin, "pin")?;
        let confirm = bytes_in(env, &confirm, "confirm")?;
        let c = container::create(
            key,
            utf8(&pin, "pin")?,
            utf8(&confirm, "confirm")?,
            u32_in(iterations, "iterations")?,
            u32_in(max_attempts, "maxAttempts")?,
        )?;
        Ok(jput::<YztContainer>(c))
    })
}

/// `long containerFromBytes(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerFromBytes<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        Ok(jput::<YztContainer>(container::from_bytes(&data)?))
    })
}

/// `byte[] containerToBytes(long container)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerToBytes<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztContainer>(c, "container") }?;
        bytes_out(env, &container::to_bytes(c))
    })
}

/// `long containerUnlock(long container, byte[] pin)`: the private key.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerUnlock<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
    pin: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztContainer>(c, "container") }?;
        let pin = bytes_in(env, &pin, "pin")?;
        let key = container::unlock(c, utf8(&pin, "pin")?)?;
        Ok(jput::<YztPrivateKey>(key))
    })
}

/// `void containerChangePin(long container, byte[] oldPin, byte[] newPin,
/// byte[] confirm)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerChangePin<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
    old_pin: JByteArray<'l>,
    new_pin: JByteArray<'l>,
    confirm: JByteArray<'l>,
) {
    jcall(&mut env, (), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztContainer>(c, "container") }?;
        let old = bytes_in(env, &old_pin, "oldPin")?;
        let new = bytes_in(env, &new_pin, "newPin")?;
        let confirm = bytes_in(env, &confirm, "confirm")?;
        container::change_pin(
            c,
            utf8(&old, "oldPin")?,
            utf8(&new, "newPin")?,
            utf8(&confirm, "confirm")?,
        )
    })
}

/// `int containerRemainingAttempts(long container)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerRemainingAttempts<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jint {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztContainer>(c, "container") }?;
        Ok(jint::try_from(container::remaining_attempts(c)).unwrap_or(jint::MAX))
    })
}

/// `long containerPublicKey(long container)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerPublicKey<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztContainer>(c, "container") }?;
        Ok(jput::<YztPublicKey>(container::public_key(c)))
    })
}

/// `int containerFree(long container)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_containerFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztContainer>(c) }
}
