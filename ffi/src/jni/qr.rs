//! `cn.yizhengtong.QrChallenge`, `QrStore`, `QrVerifier`,
//! `QrVerification`, `QrRegistry` and `QrScan`: over the bodies of
//! `crate::qr`. Strings arrive as UTF-8 byte arrays (checked like C
//! strings); a value the C functions report as `YZT_ABSENT` is `null`, -1
//! or 0 here, as each entry says.

use ::jni::JNIEnv;
use ::jni::objects::{JByteArray, JClass, JLongArray, JObjectArray};
use ::jni::sys::{jboolean, jbyteArray, jint, jlong, jstring};

use super::*;
use crate::cert::{YztCertificate, YztCrl};
use crate::keys::{YztPrivateKey, YztPublicKey};
use crate::qr::{
    self, Answer, YztQrChallenge, YztQrRegistry, YztQrScan, YztQrStore, YztQrVerification,
    YztQrVerifier,
};
use crate::seal::YztSeal;

/// A string passed as UTF-8 bytes (`null` refused).
fn text_in(env: &JNIEnv<'_>, a: &JByteArray<'_>, what: &str) -> R<String> {
    let b = bytes_in(env, a, what)?;
    Ok(utf8(&b, what)?.to_owned())
}

/// Like [`text_in`], `null` meaning absent.
fn opt_text_in(env: &JNIEnv<'_>, a: &JByteArray<'_>, what: &str) -> R<Option<String>> {
    if a.as_raw().is_null() {
        return Ok(None);
    }
    text_in(env, a, what).map(Some)
}

/// `Ok(None)` for a `YZT_ABSENT` failure.
fn absent_as_none<T>(r: R<T>) -> R<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(f) if f.code() == YZT_ABSENT => Ok(None),
        Err(f) => Err(f),
    }
}

/// An optional string out: `null` when absent.
fn opt_string_out(env: &JNIEnv<'_>, r: R<String>) -> R<jstring> {
    match absent_as_none(r)? {
        Some(s) => string_out(env, &s),
        None => Ok(std::ptr::null_mut()),
    }
}

/// A count from Java (`long`) where C takes a `uint64_t`.
fn u64_in(v: jlong, what: &str) -> R<u64> {
    u64::try_from(v)
        .map_err(|_| Fail::Code(YZT_INVALID_ARGUMENT, format!("{what} {v} is negative")))
}

/// A count to Java (`long`), never negative.
fn u64_out(v: u64) -> jlong {
    jlong::try_from(v).unwrap_or(jlong::MAX)
}

// ---- challenges -----------------------------------------------------------

/// `long qrChallengeDecode(byte[] text)`: without checking the signature.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrChallengeDecode<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    text: JByteArray<'l>,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let text = text_in(env, &text, "text")?;
        Ok(jput::<YztQrChallenge>(qr::challenge_decode(&text)?))
    })
}

/// `boolean qrChallengeVerify(long challenge, long platformKey)`: false for
/// a forged or altered code (`YZT_SIGNATURE_MISMATCH`).
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrChallengeVerify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    challenge: jlong,
    platform_key: jlong,
) -> jboolean {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handles alive (module docs).
        let (c, k) = unsafe {
            (
                jget::<YztQrChallenge>(challenge, "challenge")?,
                jget::<YztPublicKey>(platform_key, "platformKey")?,
            )
        };
        answer(qr::challenge_verify(c, k), YZT_SIGNATURE_MISMATCH)
    })
}

/// `String qrChallengeText(long challenge, int field)`: `null` when absent
/// (the digest of an action without one).
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrChallengeText<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    challenge: jlong,
    field: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztQrChallenge>(challenge, "challenge") }?;
        opt_string_out(env, qr::challenge_text(c, field))
    })
}

/// `long qrChallengeInt(long challenge, int field)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrChallengeInt<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    challenge: jlong,
    field: jint,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztQrChallenge>(challenge, "challenge") }?;
        qr::challenge_int(c, field)
    })
}

/// `String qrChallengeSvg(long challenge)`: the QR code as SVG.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrChallengeSvg<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    challenge: jlong,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztQrChallenge>(challenge, "challenge") }?;
        string_out(env, &qr::challenge_svg(c)?)
    })
}

/// `int qrChallengeFree(long challenge)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrChallengeFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    challenge: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztQrChallenge>(challenge) }
}

// ---- the store --------------------------------------------------------------

/// `long qrStoreNew()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrStoreNew<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jlong {
    jcall(&mut env, 0, |_| Ok(jput::<YztQrStore>(qr::store_new())))
}

/// `void qrStoreSetQuota(long store, byte[] holder, byte[] platform, int
/// institution, long uses)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrStoreSetQuota<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    store: jlong,
    holder: JByteArray<'l>,
    platform: JByteArray<'l>,
    institution: jint,
    uses: jlong,
) {
    jcall(&mut env, (), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztQrStore>(store, "store") }?;
        let holder = text_in(env, &holder, "holder")?;
        let platform = text_in(env, &platform, "platform")?;
        let key = qr::quota_key(&holder, &platform, institution)?;
        qr::store_set_quota(s, &key, u64_in(uses, "uses")?)
    })
}

/// `long qrStoreQuota(long store, byte[] holder, byte[] platform, int
/// institution)`: the uses left, -1 when no package was opened.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrStoreQuota<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    store: jlong,
    holder: JByteArray<'l>,
    platform: JByteArray<'l>,
    institution: jint,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztQrStore>(store, "store") }?;
        let holder = text_in(env, &holder, "holder")?;
        let platform = text_in(env, &platform, "platform")?;
        let key = qr::quota_key(&holder, &platform, institution)?;
        Ok(absent_as_none(qr::store_quota(s, &key))?.map_or(-1, u64_out))
    })
}

/// `byte[] qrStoreRecordsJson(long store)`: the scan report.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrStoreRecordsJson<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    store: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztQrStore>(store, "store") }?;
        bytes_out(env, &qr::store_records_json(s)?)
    })
}

/// `int qrStoreFree(long store)`: verifiers made with it keep it alive.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrStoreFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    store: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztQrStore>(store) }
}

/// `String qrHolder(long cert)`: the holder a certificate's quota is kept
/// under.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrHolder<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    cert: jlong,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let c = unsafe { jget::<YztCertificate>(cert, "cert") }?;
        string_out(env, &yizhengtong::qr::holder_of(c))
    })
}

// ---- the verifier ---------------------------------------------------------

/// `long qrVerifierNew(byte[] platformCode, byte[] platformName, byte[]
/// callbackHost, long platformKey, long[] anchors, long[] intermediates,
/// long[] crls, int lifetimeSecs, long store)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerifierNew<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    platform_code: JByteArray<'l>,
    platform_name: JByteArray<'l>,
    callback_host: JByteArray<'l>,
    platform_key: jlong,
    anchors: JLongArray<'l>,
    intermediates: JLongArray<'l>,
    crls: JLongArray<'l>,
    lifetime_secs: jint,
    store: jlong,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let code = text_in(env, &platform_code, "platformCode")?;
        let name = text_in(env, &platform_name, "platformName")?;
        let host = text_in(env, &callback_host, "callbackHost")?;
        // SAFETY: the Java wrapper holds every handle alive (module docs).
        let (key, anchors, inter, crls, store) = unsafe {
            (
                jget::<YztPrivateKey>(platform_key, "platformKey")?,
                handles_in::<YztCertificate>(env, &anchors, "anchors")?,
                handles_in::<YztCertificate>(env, &intermediates, "intermediates")?,
                handles_in::<YztCrl>(env, &crls, "crls")?,
                jget::<YztQrStore>(store, "store")?,
            )
        };
        let v = qr::verifier_new(
            &code,
            &name,
            &host,
            key,
            &anchors,
            &inter,
            &crls,
            u32_in(lifetime_secs, "lifetimeSecs")?,
            store,
        )?;
        Ok(jput::<YztQrVerifier>(v))
    })
}

/// `long qrVerifierIssue(long verifier, int action, byte[] data, long now)`:
/// `data` `null` for the actions that take none.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerifierIssue<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verifier: jlong,
    action: jint,
    data: JByteArray<'l>,
    now: jlong,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerifier>(verifier, "verifier") }?;
        let data = opt_bytes_in(env, &data, "data")?;
        let c = qr::verifier_issue(v, action, data.as_deref().map(Vec::as_slice), now)?;
        Ok(jput::<YztQrChallenge>(c))
    })
}

/// `long qrVerifierVerify(long verifier, byte[] response, long now)`: a
/// verification handle, accepted or refused.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerifierVerify<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verifier: jlong,
    response: JByteArray<'l>,
    now: jlong,
) -> jlong {
    jcall(&mut env, 0, |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerifier>(verifier, "verifier") }?;
        let response = bytes_in(env, &response, "response")?;
        Ok(jput::<YztQrVerification>(qr::verifier_verify(
            v, &response, now,
        )?))
    })
}

/// `int qrVerifierFree(long verifier)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerifierFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    verifier: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztQrVerifier>(verifier) }
}

// ---- verification results -------------------------------------------------

/// `int qrVerificationReason(long verification)`: 0 accepted, else the
/// verifier's reason code (1001 ...).
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationReason<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
) -> jint {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerification>(verification, "verification") }?;
        Ok(qr::verification_result(v).1)
    })
}

/// `boolean qrVerificationAccepted(long verification)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationAccepted<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
) -> jboolean {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerification>(verification, "verification") }?;
        Ok(jbool(qr::verification_result(v).0))
    })
}

/// `String qrVerificationText(long verification, int field)`: `null` when
/// absent (the transaction of an unreadable response).
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationText<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
    field: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerification>(verification, "verification") }?;
        opt_string_out(env, qr::verification_text(v, field))
    })
}

/// `long qrVerificationRemaining(long verification)`: the uses left after
/// the charge, -1 when refused.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationRemaining<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerification>(verification, "verification") }?;
        Ok(absent_as_none(qr::verification_remaining(v))?.map_or(-1, u64_out))
    })
}

/// `long qrVerificationCertificate(long verification)`: a certificate
/// handle, 0 when refused.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationCertificate<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerification>(verification, "verification") }?;
        Ok(absent_as_none(qr::verification_certificate(v))?.map_or(0, jput::<YztCertificate>))
    })
}

/// `byte[] qrVerificationOutcome(long verification)`: what the action hands
/// over, `null` for a login or a refusal.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationOutcome<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerification>(verification, "verification") }?;
        match absent_as_none(qr::verification_outcome(v))? {
            Some((_, data)) => bytes_out(env, &data),
            None => Ok(std::ptr::null_mut()),
        }
    })
}

/// `int qrVerificationOutcomeAction(long verification)`: the action (wire
/// code) the outcome came from, 0 when there is none.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationOutcomeAction<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
) -> jint {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let v = unsafe { jget::<YztQrVerification>(verification, "verification") }?;
        Ok(absent_as_none(qr::verification_outcome(v))?.map_or(0, |(a, _)| a))
    })
}

/// `int qrVerificationFree(long verification)`: wipes a document key.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrVerificationFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    verification: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztQrVerification>(verification) }
}

// ---- the app's side -------------------------------------------------------

/// `long qrRegistryNew()`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrRegistryNew<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
) -> jlong {
    jcall(&mut env, 0, |_| {
        Ok(jput::<YztQrRegistry>(qr::registry_new()))
    })
}

/// `void qrRegistryAdd(long registry, byte[] code, byte[] name, long
/// certificate, byte[][] hosts)`: the hosts as UTF-8, 1 to 1024 of them.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrRegistryAdd<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    registry: jlong,
    code: JByteArray<'l>,
    name: JByteArray<'l>,
    certificate: jlong,
    hosts: JObjectArray<'l>,
) {
    jcall(&mut env, (), |env| {
        // SAFETY: the Java wrapper holds the handles alive (module docs).
        let (reg, cert) = unsafe {
            (
                jget::<YztQrRegistry>(registry, "registry")?,
                jget::<YztCertificate>(certificate, "certificate")?,
            )
        };
        let code = text_in(env, &code, "code")?;
        let name = text_in(env, &name, "name")?;
        if hosts.as_raw().is_null() {
            return fail(YZT_NULL_POINTER, "hosts is null");
        }
        let n = usize::try_from(env.get_array_length(&hosts)?).unwrap_or(0);
        qr::registry_check_hosts(n)?;
        let mut callback_hosts = Vec::with_capacity(n);
        for i in 0..n {
            let what = format!("hosts[{i}]");
            let index = jint::try_from(i).unwrap_or(jint::MAX);
            let element = JByteArray::from(env.get_object_array_element(&hosts, index)?);
            let host = text_in(env, &element, &what);
            // Up to 1024 elements: do not pile up local references.
            env.delete_local_ref(element)?;
            callback_hosts.push(host?);
        }
        qr::registry_add(reg, &code, &name, cert, callback_hosts)
    })
}

/// `int qrRegistryFree(long registry)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrRegistryFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    registry: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztQrRegistry>(registry) }
}

/// `long qrScan(byte[] text, long registry, long now)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrScan<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    text: JByteArray<'l>,
    registry: jlong,
    now: jlong,
) -> jlong {
    jcall(&mut env, 0, |env| {
        let text = text_in(env, &text, "text")?;
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let reg = unsafe { jget::<YztQrRegistry>(registry, "registry") }?;
        Ok(jput::<YztQrScan>(qr::scan_text_in(&text, reg, now)?))
    })
}

/// `String qrScanText(long scan, int field)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrScanText<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    scan: jlong,
    field: jint,
) -> jstring {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let s = unsafe { jget::<YztQrScan>(scan, "scan") }?;
        string_out(env, &qr::scan_text(s, field)?)
    })
}

/// `long qrScanChallenge(long scan)`: the scanned challenge, a new handle.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrScanChallenge<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    scan: jlong,
) -> jlong {
    jcall(&mut env, 0, |_| {
        // SAFETY: the Java wrapper holds the handle alive (module docs).
        let (c, _) = unsafe { jget::<YztQrScan>(scan, "scan") }?;
        Ok(jput::<YztQrChallenge>(c.clone()))
    })
}

/// `int qrScanFree(long scan)`.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrScanFree<'l>(
    _env: JNIEnv<'l>,
    _class: JClass<'l>,
    scan: jlong,
) -> jint {
    // SAFETY: the Java wrapper frees each handle once, after its last use.
    unsafe { jfree::<YztQrScan>(scan) }
}

/// An optional handle: 0 is absent.
///
/// # Safety
/// `h` 0 or a live handle, not freed during `'a`.
unsafe fn opt_handle<'a, H: Handle>(h: jlong, what: &str) -> R<Option<&'a H::Inner>> {
    if h == 0 {
        return Ok(None);
    }
    // SAFETY: forwarded from the caller.
    unsafe { jget::<H>(h, what) }.map(Some)
}

/// `byte[] qrRespond(long scan, byte[] member, byte[] enterprise, long
/// signingCert, long signingKey, long encryptionCert, long encryptionKey,
/// byte[] data, long seal, byte[] property, boolean gmt0010, long now)`:
/// the response DER. `enterprise`, `data`, `property` may be `null` and
/// the encryption certificate, its key and the seal 0, as in C.
#[unsafe(no_mangle)]
pub extern "system" fn Java_cn_yizhengtong_Native_qrRespond<'l>(
    mut env: JNIEnv<'l>,
    _class: JClass<'l>,
    scan: jlong,
    member: JByteArray<'l>,
    enterprise: JByteArray<'l>,
    signing_cert: jlong,
    signing_key: jlong,
    encryption_cert: jlong,
    encryption_key: jlong,
    data: JByteArray<'l>,
    seal: jlong,
    property: JByteArray<'l>,
    gmt0010: jboolean,
    now: jlong,
) -> jbyteArray {
    jcall(&mut env, std::ptr::null_mut(), |env| {
        // SAFETY: the Java wrapper holds every handle alive (module docs).
        let (scanned, cert, key, enc_cert, enc_key, seal) = unsafe {
            (
                jget::<YztQrScan>(scan, "scan")?,
                jget::<YztCertificate>(signing_cert, "signingCert")?,
                jget::<YztPrivateKey>(signing_key, "signingKey")?,
                opt_handle::<YztCertificate>(encryption_cert, "encryptionCert")?,
                opt_handle::<YztPrivateKey>(encryption_key, "encryptionKey")?,
                opt_handle::<YztSeal>(seal, "seal")?,
            )
        };
        let member = text_in(env, &member, "member")?;
        let enterprise = opt_text_in(env, &enterprise, "enterprise")?;
        let data = opt_bytes_in(env, &data, "data")?;
        let property = opt_text_in(env, &property, "property")?;
        let a = Answer {
            member: &member,
            enterprise: enterprise.as_deref(),
            signing_cert: cert,
            signing_key: key,
            encryption_cert: enc_cert,
            encryption_key: enc_key,
            data: data.as_deref().map(Vec::as_slice),
            seal,
            property: property.as_deref(),
            gmt0010: gmt0010 != 0,
        };
        bytes_out(env, &qr::respond_to(scanned, &a, now)?)
    })
}
