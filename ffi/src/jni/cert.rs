//! `cn.yizhengtong.Certificate`, `Crl` and `Chain`: over the bodies of
//! `crate::cert`.

use ::jni::JNIEnv;
use ::jni::objects::{JByteArray, JClass, JLongArray};
use ::jni::sys::{jboolean, jbyteArray, jint, jlong, jlongArray, jstring};

use super::*;
use crate::cert::{self, YztCertificate, YztCrl};
use crate::keys::YztPublicKey;

/// `long certificateParse(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificateParse<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        Ok(jput::<YztCertificate>(cert::certificate_parse(&data)?))
    })
}

/// `String certificateText(long cert, int field)`: `null` when the
/// certificate has no such field (`YZT_ABSENT` in C).
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificateText<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
    field: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztCertificate>(c, "cert") }?;
        match cert::certificate_text(c, field) {
            Ok(s) => string_out(env, &s),
            Err(f) if f.code() == YZT_ABSENT => Ok(std::ptr::null_mut()),
            Err(f) => Err(f),
        }
    })
}

/// `byte[] certificateDer(long cert)`: the exact DER.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificateDer<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztCertificate>(c, "cert") }?;
        bytes_out(env, c.der())
    })
}

/// `long[] certificateValidity(long cert)`: `{notBefore, notAfter}` in Unix
/// seconds.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificateValidity<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jlongArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztCertificate>(c, "cert") }?;
        let (nb, na) = cert::certificate_validity(c);
        let a = env.new_long_array(2)?;
        env.set_long_array_region(&a, 0, &[nb, na])?;
        Ok(a.into_raw())
    })
}

/// `boolean certificateIsCa(long cert)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificateIsCa<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jboolean {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztCertificate>(c, "cert") }?;
        Ok(jbool(c.is_ca()))
    })
}

/// `int certificateKeyUsage(long cert)`: the `YZT_KU_*` bits, -1 when the
/// certificate has no keyUsage extension (`YZT_ABSENT` in C).
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificateKeyUsage<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jint {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztCertificate>(c, "cert") }?;
        match cert::certificate_key_usage(c) {
            // Seven bits: always fits.
            Ok(bits) => Ok(jint::try_from(bits).unwrap_or(jint::MAX)),
            Err(f) if f.code() == YZT_ABSENT => Ok(-1),
            Err(f) => Err(f),
        }
    })
}

/// `long certificatePublicKey(long cert)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificatePublicKey<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztCertificate>(c, "cert") }?;
        Ok(jput::<YztPublicKey>(*c.public_key()))
    })
}

/// `int certificateFree(long cert)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_certificateFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    c: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztCertificate>(c) }
}

/// `long crlParse(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_crlParse<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        Ok(jput::<YztCrl>(cert::crl_parse(&data)?))
    })
}

/// `int crlFree(long crl)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_crlFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    crl: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztCrl>(crl) }
}

/// `void chainVerify(long leaf, long[] intermediates, long[] anchors, long[]
/// crls, long at, int usage, boolean requireRevocation)`: returns when the
/// chain verifies, throws a `ChainException` (index, check) when a check
/// fails.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_chainVerify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    leaf: jlong,
    intermediates: JLongArray<'l>,
    anchors: JLongArray<'l>,
    crls: JLongArray<'l>,
    at: jlong,
    usage: jint,
    require_revocation: jboolean,
) {
    jcall(&mut env, (), |env| {
        // SAFETY: the Java wrapper holds every handle alive (module docs).
        let (leaf, inter, anch, crls) = unsafe {
            (
                jget::<YztCertificate>(leaf, "leaf")?,
                handles_in::<YztCertificate>(env, &intermediates, "intermediates")?,
                handles_in::<YztCertificate>(env, &anchors, "anchors")?,
                handles_in::<YztCrl>(env, &crls, "crls")?,
            )
        };
        cert::chain_verify(
            leaf,
            &inter,
            &anch,
            &crls,
            at,
            usage,
            require_revocation != 0,
        )
    })
}
