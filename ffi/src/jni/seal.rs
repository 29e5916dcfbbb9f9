//! `cn.yizhengtong.Seal`, `SealSignature` and `Report`: over the bodies of
//! `crate::seal`. A verification returns a report handle, which the Java
//! wrapper reads into a plain `Report` object and frees at once.

use ::jni::JNIEnv;
use ::jni::objects::{JByteArray, JClass, JLongArray};
use ::jni::sys::{jboolean, jbyteArray, jint, jlong, jstring};

use super::*;
use crate::cert::{YztCertificate, YztCrl};
use crate::seal::{self, Trust, YztReport, YztSeal, YztSealSignature};

/// The trust arguments of a verification.
///
/// # Safety
/// Each element of the arrays is 0 or a live handle, not freed during the
/// call.
unsafe fn trust_in(
    env: &JNIEnv<'_>,
    anchors: &JLongArray<'_>,
    intermediates: &JLongArray<'_>,
    crls: &JLongArray<'_>,
) -> R<Trust> {
    // SAFETY: forwarded from the caller.
    unsafe {
        Ok(Trust::new(
            &handles_in::<YztCertificate>(env, anchors, "anchors")?,
            &handles_in::<YztCertificate>(env, intermediates, "intermediates")?,
            &handles_in::<YztCrl>(env, crls, "crls")?,
        ))
    }
}

/// `long sealParse(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealParse<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        Ok(jput::<YztSeal>(seal::seal_parse(&data)?))
    })
}

/// `String sealText(long seal, int field)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealText<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    s: jlong,
    field: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztSeal>(s, "seal") }?;
        string_out(env, seal::seal_text(s, field)?)
    })
}

/// `long sealInt(long seal, int field)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealInt<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    s: jlong,
    field: jint,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztSeal>(s, "seal") }?;
        seal::seal_int(s, field)
    })
}

/// `byte[] sealBytes(long seal, int field)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealBytes<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    s: jlong,
    field: jint,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztSeal>(s, "seal") }?;
        bytes_out(env, seal::seal_bytes(s, field)?)
    })
}

/// `int sealFree(long seal)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    s: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztSeal>(s) }
}

/// `long sealSignatureParse(byte[] data)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealSignatureParse<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    data: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let data = bytes_in(env, &data, "data")?;
        Ok(jput::<YztSealSignature>(seal::seal_signature_parse(&data)?))
    })
}

/// `long sealSignatureSeal(long sig)`: the seal inside, a new handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealSignatureSeal<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    sig: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztSealSignature>(sig, "sig") }?;
        Ok(jput::<YztSeal>(seal::seal_signature_seal(s).0))
    })
}

/// `long sealSignatureTime(long sig)`: the signing time, Unix seconds.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealSignatureTime<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    sig: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztSealSignature>(sig, "sig") }?;
        Ok(seal::signing_time(s))
    })
}

/// `byte[] sealSignatureSignerCert(long sig)`: the signer's certificate
/// (DER).
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealSignatureSignerCert<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    sig: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztSealSignature>(sig, "sig") }?;
        bytes_out(env, &s.signer_cert)
    })
}

/// `int sealSignatureFree(long sig)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealSignatureFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    sig: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztSealSignature>(sig) }
}

/// `long sealVerify(long seal, long at, long[] anchors, long[]
/// intermediates, long[] crls)`: a report handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealVerify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    s: jlong,
    at: jlong,
    anchors: JLongArray<'l>,
    intermediates: JLongArray<'l>,
    crls: JLongArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds every handle alive (module docs).
        let (s, trust) = unsafe {
            (
                jget::<YztSeal>(s, "seal")?,
                trust_in(env, &anchors, &intermediates, &crls)?,
            )
        };
        Ok(jput::<YztReport>(seal::seal_verify(s, at, &trust)?))
    })
}

/// `long sealSignatureVerify(long sig, byte[] document, long[] anchors,
/// long[] intermediates, long[] crls)`: a report handle; a `null` document
/// skips the digest step.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_sealSignatureVerify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    sig: jlong,
    document: JByteArray<'l>,
    anchors: JLongArray<'l>,
    intermediates: JLongArray<'l>,
    crls: JLongArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds every handle alive (module docs).
        let (s, trust) = unsafe {
            (
                jget::<YztSealSignature>(sig, "sig")?,
                trust_in(env, &anchors, &intermediates, &crls)?,
            )
        };
        let doc = opt_bytes_in(env, &document, "document")?;
        let report = seal::seal_signature_verify(s, doc.as_deref().map(Vec::as_slice), &trust);
        Ok(jput::<YztReport>(report))
    })
}

/// `boolean reportValid(long report)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_reportValid<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    r: jlong,
) -> jboolean {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let r = unsafe { jget::<YztReport>(r, "report") }?;
        Ok(jbool(r.valid))
    })
}

/// `int reportSteps(long report)`: the number of steps.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_reportSteps<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    r: jlong,
) -> jint {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let r = unsafe { jget::<YztReport>(r, "report") }?;
        Ok(jint::try_from(r.steps.len()).unwrap_or(jint::MAX))
    })
}

/// Step `index` of a report (a negative index is out of range).
fn step(r: jlong, index: jint) -> R<(i32, &'static str, String)> {
    // SAFETY: the Java wrapper holds the handle alive (module docs).
    let r = unsafe { jget::<YztReport>(r, "report") }?;
    let i = usize::try_from(index)
        .map_err(|_| Fail::Code(YZT_OUT_OF_RANGE, format!("step {index} is negative")))?;
    let (status, name, detail) = seal::report_step(r, i)?;
    Ok((status, name, detail.to_owned()))
}

/// `int reportStepStatus(long report, int index)`: `YZT_STEP_*`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_reportStepStatus<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    r: jlong,
    index: jint,
) -> jint {
    jcall(&mut env, 0, |_| Ok(step(r, index)?.0))
}

/// `String reportStepName(long report, int index)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_reportStepName<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    r: jlong,
    index: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        string_out(env, step(r, index)?.1)
    })
}

/// `String reportStepDetail(long report, int index)`: empty when it passed.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_reportStepDetail<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    r: jlong,
    index: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        string_out(env, &step(r, index)?.2)
    })
}

/// `byte[] reportJson(long report)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_reportJson<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    r: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let r = unsafe { jget::<YztReport>(r, "report") }?;
        bytes_out(env, &seal::report_json(r)?)
    })
}

/// `int reportFree(long report)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_reportFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    r: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztReport>(r) }
}
