//! QR authorisation: the platform's verifier over the in-memory store
//! (issue a challenge, verify the app's response, quotas and the scan
//! report), and the app's side (decode and authenticate a challenge
//! against a platform registry, answer it).

use std::ffi::c_char;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use yizhengtong::qr::{
    Action, ActionInput, Challenge, Identity, MemoryQrStore, Outcome, PlatformEntry,
    PlatformRegistry, QrStore, QuotaKey, Request, ScanView, Verification, Verifier, VerifierConfig,
    display_text, holder_of, respond, scan,
};

use yizhengtong::cert::{Certificate, Crl};
use yizhengtong::crypto::{PrivateKey, PublicKey};
use yizhengtong::seal::Seal;
use zeroize::Zeroizing;

use crate::bytes::{YztBytes, put_bytes};
use crate::cert::{YztCertificate, YztCrl, handles_in};
use crate::common::*;
use crate::keys::{YztPrivateKey, YztPublicKey};
use crate::seal::YztSeal;

/// A QR challenge, as issued by a verifier or decoded from QR text.
/// Immutable; thread-safe. Free with `yzt_qr_challenge_free`.
pub struct YztQrChallenge {
    _opaque: [u8; 0],
}

handle!(YztQrChallenge, Challenge, 0x797a_7451_7243_686c);

/// The in-memory QR store: pending and used transactions (so a replay is
/// told apart), the quotas (packages) charged per authorisation, the scan
/// report. Thread-safe (one internal lock). A verifier keeps its own
/// reference, so the handle may be freed while verifiers made with it
/// live. Free with `yzt_qr_store_free`.
pub struct YztQrStore {
    _opaque: [u8; 0],
}

handle!(YztQrStore, Arc<MemoryQrStore>, 0x797a_7451_7253_746f);

/// A platform's QR verifier: issues challenges and verifies responses
/// (refusing replays, stale, misdirected and tampered responses, checking
/// the signer's chain, charging the holder's quota once). Thread-safe:
/// share one handle between threads. Free with `yzt_qr_verifier_free`.
pub struct YztQrVerifier {
    _opaque: [u8; 0],
}

handle!(
    YztQrVerifier,
    Verifier<Arc<MemoryQrStore>>,
    0x797a_7451_7256_6572
);

/// The result of verifying one response: accepted or the refusal's
/// reason, and on acceptance the verified certificate, the uses left and
/// what the action hands over. Immutable; thread-safe. Free with
/// `yzt_qr_verification_free` (which wipes a decrypted document key).
pub struct YztQrVerification {
    _opaque: [u8; 0],
}

handle!(YztQrVerification, Verification, 0x797a_7451_7252_6573);

/// The app's list of the platforms it recognises (never taken from a QR
/// code). Thread-safe (adding takes an internal lock). Free with
/// `yzt_qr_registry_free`.
pub struct YztQrRegistry {
    _opaque: [u8; 0],
}

handle!(
    YztQrRegistry,
    Mutex<PlatformRegistry>,
    0x797a_7451_7252_6567
);

/// A challenge the app scanned and authenticated, with what the phone
/// shows. Immutable; thread-safe. Free with `yzt_qr_scan_free`.
pub struct YztQrScan {
    _opaque: [u8; 0],
}

handle!(YztQrScan, (Challenge, ScanView), 0x797a_7451_7253_636e);

/// Action: log in (授权登录). The numbers are the wire codes.
pub const YZT_QR_LOGIN: i32 = 1;
/// Action: stamp a document with a seal (授权签章).
pub const YZT_QR_SEAL: i32 = 2;
/// Action: hand over the encryption certificate (授权加密).
pub const YZT_QR_ENCRYPT: i32 = 3;
/// Action: decrypt a document key (授权解密).
pub const YZT_QR_DECRYPT: i32 = 4;
/// Action: sign a file (授权文件签名).
pub const YZT_QR_FILE_SIGN: i32 = 5;
/// Action: sign a message (授权消息签名).
pub const YZT_QR_MSG_SIGN: i32 = 6;

/// Challenge text field: the QR text (what the QR code encodes).
pub const YZT_QR_TEXT: i32 = 0;
/// Challenge text field: the platform's system code.
pub const YZT_QR_PLATFORM_CODE: i32 = 1;
/// Challenge text field: the transaction id, hex.
pub const YZT_QR_TRANSACTION: i32 = 2;
/// Challenge text field: the callback host responses go to.
pub const YZT_QR_CALLBACK_HOST: i32 = 3;
/// Challenge text field: the action's name (`login`, `seal`, ...).
pub const YZT_QR_ACTION_NAME: i32 = 4;
/// Challenge text field: the digest, hex (`YZT_ABSENT` for actions without one).
pub const YZT_QR_DIGEST_HEX: i32 = 5;

/// Challenge integer field: the action (`YZT_QR_LOGIN` ...).
pub const YZT_QR_ACTION: i32 = 0;
/// Challenge integer field: issued at (Unix seconds).
pub const YZT_QR_ISSUED_AT: i32 = 1;
/// Challenge integer field: expires at (Unix seconds).
pub const YZT_QR_EXPIRES_AT: i32 = 2;

/// Quota institution: the CA's package (login, encrypt, decrypt, signatures).
pub const YZT_QR_INSTITUTION_CA: i32 = 0;
/// Quota institution: the seal maker's package (stamping).
pub const YZT_QR_INSTITUTION_SEAL: i32 = 1;

/// Verification text field: the refusal's detail (empty when accepted).
pub const YZT_QR_DETAIL: i32 = 0;
/// Verification text field: the reason's name (`ok`, `already_used`, ...).
pub const YZT_QR_REASON_NAME: i32 = 1;
/// Verification text field: the platforms' JSON answer.
pub const YZT_QR_ANSWER_JSON: i32 = 2;
/// Verification text field: the transaction id, hex (`YZT_ABSENT` when
/// the response could not be read).
pub const YZT_QR_VERIFIED_TRANSACTION: i32 = 3;

/// Scan text field: the platform's name, from the registry.
pub const YZT_QR_PLATFORM_NAME: i32 = 0;
/// Scan text field: the action as the app labels it (授权登录, ...).
pub const YZT_QR_ACTION_LABEL: i32 = 1;
/// Scan text field: the text the phone displays (its SM3 is signed into
/// the response, so the platform can tell a misdirected code).
pub const YZT_QR_DISPLAY_TEXT: i32 = 2;

/// A response is at most this many bytes (a stamped seal with its image
/// dominates).
pub const YZT_QR_MAX_RESPONSE_LEN: usize = yizhengtong::qr::response::MAX_RESPONSE_BYTES;

fn action_in(code: i32) -> R<Action> {
    match u8::try_from(code)
        .ok()
        .and_then(|c| Action::from_code(c).ok())
    {
        Some(a) => Ok(a),
        None => unknown("QR action", code),
    }
}

fn institution_in(code: i32) -> R<&'static str> {
    match code {
        YZT_QR_INSTITUTION_CA => Ok("ca"),
        YZT_QR_INSTITUTION_SEAL => Ok("seal"),
        other => unknown("quota institution", other),
    }
}

fn digest_in(data: &[u8], what: &str) -> R<[u8; 32]> {
    data.try_into().map_err(|_| {
        Fail::Code(
            YZT_INVALID_LENGTH,
            format!("{what}: an SM3 digest is 32 bytes, got {}", data.len()),
        )
    })
}

// ---- the bodies, shared by the C exports and the JNI entry points ----------

/// Decode QR text without checking the signature.
pub(crate) fn challenge_decode(text: &str) -> R<Challenge> {
    Ok(Challenge::from_text(text)?)
}

/// Check the platform's signature: a `SignatureMismatch` error when it
/// does not verify.
pub(crate) fn challenge_verify(c: &Challenge, platform_key: &PublicKey) -> R<()> {
    c.verify(platform_key)?;
    Ok(())
}

/// A text field of a challenge (`YZT_QR_TEXT` ... `YZT_QR_DIGEST_HEX`).
pub(crate) fn challenge_text(c: &Challenge, field: i32) -> R<String> {
    Ok(match field {
        YZT_QR_TEXT => c.to_text(),
        YZT_QR_PLATFORM_CODE => c.platform_code.clone(),
        YZT_QR_TRANSACTION => c.transaction_hex(),
        YZT_QR_CALLBACK_HOST => c.callback_host.clone(),
        YZT_QR_ACTION_NAME => c.action.name().to_string(),
        YZT_QR_DIGEST_HEX => match &c.digest {
            Some(d) => yizhengtong::hex::encode(d),
            None => return fail(YZT_ABSENT, "this action carries no digest"),
        },
        other => return unknown("QR challenge text field", other),
    })
}

/// An integer field of a challenge (`YZT_QR_ACTION`, `YZT_QR_ISSUED_AT`,
/// `YZT_QR_EXPIRES_AT`).
pub(crate) fn challenge_int(c: &Challenge, field: i32) -> R<i64> {
    let secs = |t: u64| i64::try_from(t).unwrap_or(i64::MAX);
    Ok(match field {
        YZT_QR_ACTION => i64::from(c.action.code()),
        YZT_QR_ISSUED_AT => secs(c.issued_at),
        YZT_QR_EXPIRES_AT => secs(c.expires_at),
        other => return unknown("QR challenge integer field", other),
    })
}

/// The challenge's QR code as SVG.
pub(crate) fn challenge_svg(c: &Challenge) -> R<String> {
    Ok(c.to_svg()?)
}

/// A new, empty in-memory store.
pub(crate) fn store_new() -> Arc<MemoryQrStore> {
    Arc::new(MemoryQrStore::new())
}

/// The key of a holder's package on a platform with an institution.
pub(crate) fn quota_key(holder: &str, platform: &str, institution: i32) -> R<QuotaKey> {
    if holder.is_empty() {
        return fail(YZT_INVALID_PARAMETER, "holder is empty");
    }
    yizhengtong::qr::validate_platform_code(platform)?;
    Ok(QuotaKey {
        holder: holder.to_string(),
        platform: platform.to_string(),
        institution: institution_in(institution)?,
    })
}

/// Set a package's uses left.
pub(crate) fn store_set_quota(s: &MemoryQrStore, key: &QuotaKey, uses: u64) -> R<()> {
    s.set_quota(key, uses)?;
    Ok(())
}

/// A package's uses left; `YZT_ABSENT` when none was opened.
pub(crate) fn store_quota(s: &MemoryQrStore, key: &QuotaKey) -> R<u64> {
    match s.quota(key)? {
        Some(n) => Ok(n),
        None => fail(YZT_ABSENT, "no package opened for this holder"),
    }
}

/// The scan report as a JSON array.
pub(crate) fn store_records_json(s: &MemoryQrStore) -> R<Vec<u8>> {
    serde_json::to_vec(&s.records()?)
        .map_err(|e| Fail::Code(YZT_OTHER, format!("scan report: {e}")))
}

/// A platform's verifier over `store` (see `yzt_qr_verifier_new`).
pub(crate) fn verifier_new(
    code: &str,
    name: &str,
    host: &str,
    key: &PrivateKey,
    anchors: &[&Certificate],
    intermediates: &[&Certificate],
    crls: &[&Crl],
    lifetime_secs: u32,
    store: &Arc<MemoryQrStore>,
) -> R<Verifier<Arc<MemoryQrStore>>> {
    if anchors.is_empty() {
        return fail(
            YZT_INVALID_ARGUMENT,
            "anchors: a verifier needs at least one trusted CA",
        );
    }
    if lifetime_secs > 3600 {
        return fail(
            YZT_INVALID_PARAMETER,
            format!("lifetime_secs: {lifetime_secs}; at most 3600"),
        );
    }
    let mut config = VerifierConfig::new(
        code,
        name,
        host,
        key.clone(),
        anchors.iter().map(|c| (*c).clone()).collect(),
    );
    config.intermediates = intermediates.iter().map(|c| (*c).clone()).collect();
    config.crls = crls.iter().map(|c| (*c).clone()).collect();
    if lifetime_secs > 0 {
        config.lifetime = Duration::from_secs(u64::from(lifetime_secs));
    }
    // The challenge issuer checks the host; check it now so a bad
    // configuration fails here and not at the first QR code.
    Ok(Verifier::new(config, Arc::clone(store))?)
}

/// Issue a challenge for `action` with the action's `data` at Unix `now`.
pub(crate) fn verifier_issue(
    v: &Verifier<Arc<MemoryQrStore>>,
    action: i32,
    data: Option<&[u8]>,
    now: i64,
) -> R<Challenge> {
    let action = action_in(action)?;
    let needs = |what: &str| {
        Fail::Code(
            YZT_INVALID_ARGUMENT,
            format!("data: {} needs {what}", action.name()),
        )
    };
    let request = match (action, data) {
        (Action::Login, None) => Request::Login,
        (Action::Encrypt, None) => Request::Encrypt,
        (Action::Login | Action::Encrypt, Some(_)) => {
            return fail(
                YZT_INVALID_ARGUMENT,
                format!("data: {} takes none", action.name()),
            );
        }
        (Action::Seal, Some(d)) => Request::Seal {
            digest: digest_in(d, "data")?,
        },
        (Action::FileSign, Some(d)) => Request::FileSign {
            digest: digest_in(d, "data")?,
        },
        (Action::Decrypt, Some(envelope)) => Request::Decrypt { envelope },
        (Action::MsgSign, Some(message)) => Request::MsgSign { message },
        (Action::Seal | Action::FileSign, None) => return Err(needs("the 32-byte SM3")),
        (Action::Decrypt, None) => return Err(needs("the envelope")),
        (Action::MsgSign, None) => return Err(needs("the message")),
    };
    Ok(v.issue(request, time_in(now)?, &mut rand::rng())?)
}

/// Verify an app's response at Unix `now` (accepted or refused).
pub(crate) fn verifier_verify(
    v: &Verifier<Arc<MemoryQrStore>>,
    response: &[u8],
    now: i64,
) -> R<Verification> {
    Ok(v.verify(response, time_in(now)?))
}

/// Accepted, and the reason code.
pub(crate) fn verification_result(v: &Verification) -> (bool, i32) {
    (v.accepted(), i32::from(v.reason.code()))
}

/// A text field of a verification (`YZT_QR_DETAIL` ...
/// `YZT_QR_VERIFIED_TRANSACTION`).
pub(crate) fn verification_text(v: &Verification, field: i32) -> R<String> {
    Ok(match field {
        YZT_QR_DETAIL => {
            if v.accepted() {
                String::new()
            } else {
                v.detail.clone()
            }
        }
        YZT_QR_REASON_NAME => v.reason.name(),
        YZT_QR_ANSWER_JSON => v.answer_json(),
        YZT_QR_VERIFIED_TRANSACTION => match &v.transaction {
            Some(t) => t.clone(),
            None => return fail(YZT_ABSENT, "the response could not be read"),
        },
        other => return unknown("QR verification text field", other),
    })
}

/// The uses left after the charge; `YZT_ABSENT` when refused.
pub(crate) fn verification_remaining(v: &Verification) -> R<u64> {
    match v.remaining {
        Some(n) => Ok(n),
        None => fail(YZT_ABSENT, "refused: nothing was charged"),
    }
}

/// The verified signer's certificate; `YZT_ABSENT` when refused.
pub(crate) fn verification_certificate(v: &Verification) -> R<Certificate> {
    match &v.certificate {
        Some(c) if v.accepted() => Ok(c.clone()),
        _ => fail(YZT_ABSENT, "refused: no verified certificate"),
    }
}

/// What an accepted authorisation hands over, and the action (wire code)
/// it came from; `YZT_ABSENT` for a login and a refusal. Wiped when
/// dropped: a decrypt hands over a document key.
pub(crate) fn verification_outcome(v: &Verification) -> R<(i32, Zeroizing<Vec<u8>>)> {
    let (a, data) = match &v.outcome {
        Some(Outcome::Seal(s)) => (Action::Seal, s.raw.clone()),
        Some(Outcome::EncryptionCertificate(c)) => (Action::Encrypt, c.der().to_vec()),
        Some(Outcome::DocumentKey(k)) => (Action::Decrypt, k.to_vec()),
        Some(Outcome::FileSignature(s)) => (Action::FileSign, s.clone()),
        Some(Outcome::MessageSignature(s)) => (Action::MsgSign, s.clone()),
        Some(Outcome::Login) => {
            return fail(YZT_ABSENT, "a login hands over nothing but the certificate");
        }
        None => return fail(YZT_ABSENT, "refused: nothing is handed over"),
    };
    Ok((i32::from(a.code()), Zeroizing::new(data)))
}

/// A new, empty platform registry.
pub(crate) fn registry_new() -> Mutex<PlatformRegistry> {
    Mutex::new(PlatformRegistry::new())
}

/// The number of callback hosts a registry entry takes: 1 to 1024.
pub(crate) fn registry_check_hosts(n: usize) -> R<()> {
    if n == 0 {
        return fail(YZT_INVALID_ARGUMENT, "hosts: at least one callback host");
    }
    if n > 1024 {
        return fail(
            YZT_INVALID_ARGUMENT,
            format!("hosts: {n} hosts; at most 1024"),
        );
    }
    Ok(())
}

/// Add (or replace) a platform in a registry.
pub(crate) fn registry_add(
    reg: &Mutex<PlatformRegistry>,
    code: &str,
    name: &str,
    cert: &Certificate,
    callback_hosts: Vec<String>,
) -> R<()> {
    registry_check_hosts(callback_hosts.len())?;
    let entry = PlatformEntry {
        code: code.to_string(),
        name: name.to_string(),
        certificate: cert.clone(),
        callback_hosts,
    };
    reg.lock().unwrap_or_else(|p| p.into_inner()).add(entry)?;
    Ok(())
}

/// Scan QR text at the phone's Unix `now` against the registry.
pub(crate) fn scan_text_in(
    text: &str,
    reg: &Mutex<PlatformRegistry>,
    now: i64,
) -> R<(Challenge, ScanView)> {
    let reg = reg.lock().unwrap_or_else(|p| p.into_inner());
    Ok(scan(text, &reg, time_in(now)?)?)
}

/// A text field of a scan (`YZT_QR_PLATFORM_NAME` ... `YZT_QR_DISPLAY_TEXT`).
pub(crate) fn scan_text(s: &(Challenge, ScanView), field: i32) -> R<String> {
    let (c, view) = s;
    Ok(match field {
        YZT_QR_PLATFORM_NAME => view.platform_name.clone(),
        YZT_QR_ACTION_LABEL => view.action_label.to_string(),
        YZT_QR_DISPLAY_TEXT => display_text(c, &view.platform_name),
        other => return unknown("QR scan text field", other),
    })
}

/// What the app answers with (see `yzt_qr_respond`).
pub(crate) struct Answer<'a> {
    pub(crate) member: &'a str,
    pub(crate) enterprise: Option<&'a str>,
    pub(crate) signing_cert: &'a Certificate,
    pub(crate) signing_key: &'a PrivateKey,
    pub(crate) encryption_cert: Option<&'a Certificate>,
    pub(crate) encryption_key: Option<&'a PrivateKey>,
    pub(crate) data: Option<&'a [u8]>,
    pub(crate) seal: Option<&'a Seal>,
    pub(crate) property: Option<&'a str>,
    pub(crate) gmt0010: bool,
}

/// Answer a scanned challenge at the phone's Unix `now`: the response DER.
pub(crate) fn respond_to(s: &(Challenge, ScanView), a: &Answer<'_>, now: i64) -> R<Vec<u8>> {
    let (challenge, view) = s;
    let data_for = |what: &str| {
        a.data.ok_or_else(|| {
            Fail::Code(
                YZT_INVALID_ARGUMENT,
                format!("data: {} needs the {what}", challenge.action.name()),
            )
        })
    };
    let input = match challenge.action {
        Action::Login => ActionInput::Login,
        Action::Encrypt => ActionInput::Encrypt,
        Action::Seal => ActionInput::Seal {
            seal: a.seal.ok_or_else(|| {
                Fail::Code(
                    YZT_NULL_POINTER,
                    "seal is NULL; stamping needs the seal".into(),
                )
            })?,
            document: data_for("document")?,
            property: a.property.unwrap_or(""),
        },
        Action::Decrypt => ActionInput::Decrypt {
            envelope: data_for("envelope")?,
        },
        Action::FileSign => ActionInput::FileSign {
            file: data_for("file")?,
            gmt0010: a.gmt0010,
        },
        Action::MsgSign => ActionInput::MsgSign {
            message: data_for("message")?,
        },
    };
    if matches!(challenge.action, Action::Login | Action::Encrypt) && a.data.is_some() {
        return fail(
            YZT_INVALID_ARGUMENT,
            format!("data: {} takes none", challenge.action.name()),
        );
    }
    let identity = Identity {
        member: a.member,
        enterprise: a.enterprise,
        signing_cert: a.signing_cert,
        signing_key: a.signing_key,
        encryption_cert: a.encryption_cert,
        encryption_key: a.encryption_key,
    };
    let response = respond(
        challenge,
        view,
        &identity,
        input,
        time_in(now)?,
        &mut rand::rng(),
    )?;
    Ok(response.to_der())
}

// ---- challenges -----------------------------------------------------------

/// Decode QR text into a challenge **without** checking the platform's
/// signature (see `yzt_qr_challenge_verify`, or `yzt_qr_scan` on the app's
/// side). `*out` receives a new handle the caller owns.
///
/// # Safety
/// `text` NULL or NUL-terminated; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_challenge_decode(
    text: *const c_char,
    out: *mut *mut YztQrChallenge,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, text) = unsafe { (out_ref(out, "out")?, str_in(text, "text")?) };
        *out = std::ptr::null_mut();
        put::<YztQrChallenge>(out, challenge_decode(text)?);
        Ok(())
    })
}

/// Check the platform's signature on a challenge with its public key:
/// `YZT_OK`, or `YZT_SIGNATURE_MISMATCH` for a forged or altered code.
///
/// # Safety
/// Handles NULL or live.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_challenge_verify(
    challenge: *const YztQrChallenge,
    platform_key: *const YztPublicKey,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (c, k) = unsafe {
            (
                get::<YztQrChallenge>(challenge, "challenge")?,
                get::<YztPublicKey>(platform_key, "platform_key")?,
            )
        };
        challenge_verify(c, k)
    })
}

/// A text field of a challenge (`YZT_QR_TEXT` ... `YZT_QR_DIGEST_HEX`)
/// into the caller's buffer, NUL terminated (`*out_len` counts the NUL).
///
/// # Safety
/// `challenge` NULL or a live handle; `buf` valid for `cap` bytes;
/// `out_len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_challenge_text(
    challenge: *const YztQrChallenge,
    field: i32,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let c = unsafe { get::<YztQrChallenge>(challenge, "challenge") }?;
        let v = challenge_text(c, field)?;
        // SAFETY: the caller's pointer promises.
        unsafe { write_str(&v, buf, cap, out_len) }
    })
}

/// An integer field of a challenge (`YZT_QR_ACTION`, `YZT_QR_ISSUED_AT`,
/// `YZT_QR_EXPIRES_AT`).
///
/// # Safety
/// `challenge` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_challenge_int(
    challenge: *const YztQrChallenge,
    field: i32,
    out: *mut i64,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (c, out) = unsafe {
            (
                get::<YztQrChallenge>(challenge, "challenge")?,
                out_ref(out, "out")?,
            )
        };
        *out = challenge_int(c, field)?;
        Ok(())
    })
}

/// The challenge's QR code as an SVG image (UTF-8) in a new bytes handle
/// the caller owns.
///
/// # Safety
/// `challenge` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_challenge_svg(
    challenge: *const YztQrChallenge,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, c) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztQrChallenge>(challenge, "challenge")?,
            )
        };
        *out = std::ptr::null_mut();
        put_bytes(out, challenge_svg(c)?.into_bytes());
        Ok(())
    })
}

/// Free a challenge handle (NULL is accepted).
///
/// # Safety
/// `challenge` NULL or a live handle not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_challenge_free(challenge: *mut YztQrChallenge) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(challenge) })
}

// ---- the store ------------------------------------------------------------

/// A new, empty in-memory QR store. `*out` receives a new handle the
/// caller owns.
///
/// # Safety
/// `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_store_new(out: *mut *mut YztQrStore) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let out = unsafe { out_ref(out, "out") }?;
        *out = std::ptr::null_mut();
        put::<YztQrStore>(out, store_new());
        Ok(())
    })
}

/// # Safety
/// `holder` and `platform` NULL or NUL-terminated.
unsafe fn quota_key_in(
    holder: *const c_char,
    platform: *const c_char,
    institution: i32,
) -> R<QuotaKey> {
    // SAFETY: the caller's pointer promises.
    let (holder, platform) = unsafe { (str_in(holder, "holder")?, str_in(platform, "platform")?) };
    quota_key(holder, platform, institution)
}

/// Open or top up a holder's package on a platform: set its uses left.
/// `holder` is the certificate holder's ID number or credit code (see
/// `yzt_qr_holder`), `platform` the platform's system code, `institution`
/// `YZT_QR_INSTITUTION_CA` or `YZT_QR_INSTITUTION_SEAL`.
///
/// # Safety
/// `store` NULL or a live handle; strings NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_store_set_quota(
    store: *const YztQrStore,
    holder: *const c_char,
    platform: *const c_char,
    institution: i32,
    uses: u64,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (s, key) = unsafe {
            (
                get::<YztQrStore>(store, "store")?,
                quota_key_in(holder, platform, institution)?,
            )
        };
        store_set_quota(s, &key, uses)
    })
}

/// The uses left in a package; `YZT_ABSENT` when none was opened.
///
/// # Safety
/// `store` NULL or a live handle; strings NULL or NUL-terminated; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_store_quota(
    store: *const YztQrStore,
    holder: *const c_char,
    platform: *const c_char,
    institution: i32,
    out: *mut u64,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (s, key, out) = unsafe {
            (
                get::<YztQrStore>(store, "store")?,
                quota_key_in(holder, platform, institution)?,
                out_ref(out, "out")?,
            )
        };
        *out = store_quota(s, &key)?;
        Ok(())
    })
}

/// The scan report (every accepted authorisation, oldest first) as a JSON
/// array in a new bytes handle the caller owns.
///
/// # Safety
/// `store` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_store_records_json(
    store: *const YztQrStore,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, s) = unsafe { (out_ref(out, "out")?, get::<YztQrStore>(store, "store")?) };
        *out = std::ptr::null_mut();
        put_bytes(out, store_records_json(s)?);
        Ok(())
    })
}

/// Free a store handle (NULL is accepted). Verifiers made with it keep
/// the store alive.
///
/// # Safety
/// `store` NULL or a live handle not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_store_free(store: *mut YztQrStore) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(store) })
}

/// The holder a certificate's quota is kept under: its subject's serial
/// number (the ID number) or organisation identifier (the credit code),
/// into the caller's buffer, NUL terminated.
///
/// # Safety
/// `cert` NULL or a live handle; `buf` valid for `cap` bytes; `out_len`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_holder(
    cert: *const YztCertificate,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let c = unsafe { get::<YztCertificate>(cert, "cert") }?;
        // SAFETY: the caller's pointer promises.
        unsafe { write_str(&holder_of(c), buf, cap, out_len) }
    })
}

// ---- the verifier ---------------------------------------------------------

/// A platform's verifier. `platform_code` is its 11-character system
/// code, `platform_name` its name as the apps' registry shows it,
/// `callback_host` where apps submit responses (`host[:port]`),
/// `platform_key` the key that signs its challenges (copied). The signers'
/// certificates must chain to one of `anchors` (through `intermediates`),
/// and are checked against `crls`. `lifetime_secs` is how long a challenge
/// lives (0 for the default 120 s; at most 3600). `store` is shared, not
/// copied. `*out` receives a new handle the caller owns.
/// `YZT_INVALID_PARAMETER` for a bad code, lifetime, name or host (the
/// name and host are checked as `yzt_qr_registry_add` checks them).
///
/// # Safety
/// Strings NULL or NUL-terminated; handles NULL or live; arrays valid for
/// their counts (NULL when the count is 0); `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verifier_new(
    platform_code: *const c_char,
    platform_name: *const c_char,
    callback_host: *const c_char,
    platform_key: *const YztPrivateKey,
    anchors: *const *const YztCertificate,
    anchors_len: usize,
    intermediates: *const *const YztCertificate,
    intermediates_len: usize,
    crls: *const *const YztCrl,
    crls_len: usize,
    lifetime_secs: u32,
    store: *const YztQrStore,
    out: *mut *mut YztQrVerifier,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, code, name, host, key, anchors, inter, crls, store) = unsafe {
            (
                out_ref(out, "out")?,
                str_in(platform_code, "platform_code")?,
                str_in(platform_name, "platform_name")?,
                str_in(callback_host, "callback_host")?,
                get::<YztPrivateKey>(platform_key, "platform_key")?,
                handles_in::<YztCertificate>(anchors, anchors_len, "anchors")?,
                handles_in::<YztCertificate>(intermediates, intermediates_len, "intermediates")?,
                handles_in::<YztCrl>(crls, crls_len, "crls")?,
                get::<YztQrStore>(store, "store")?,
            )
        };
        *out = std::ptr::null_mut();
        let v = verifier_new(
            code,
            name,
            host,
            key,
            &anchors,
            &inter,
            &crls,
            lifetime_secs,
            store,
        )?;
        put::<YztQrVerifier>(out, v);
        Ok(())
    })
}

/// Issue a challenge for `action` at Unix time `now` and keep it pending
/// in the store. `data` depends on the action: none (NULL, 0) for
/// `YZT_QR_LOGIN` and `YZT_QR_ENCRYPT`; the document's or file's 32-byte
/// SM3 for `YZT_QR_SEAL` and `YZT_QR_FILE_SIGN`; the envelope (the
/// document key encrypted to the user's encryption certificate) for
/// `YZT_QR_DECRYPT`; the message (at most 64 KiB) for `YZT_QR_MSG_SIGN`.
/// `*out` receives a new challenge handle the caller owns.
///
/// # Safety
/// `verifier` NULL or a live handle; `data` valid for `len` bytes; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verifier_issue(
    verifier: *const YztQrVerifier,
    action: i32,
    data: *const u8,
    len: usize,
    now: i64,
    out: *mut *mut YztQrChallenge,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, v, data) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztQrVerifier>(verifier, "verifier")?,
                opt_bytes_in(data, len, "data")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztQrChallenge>(out, verifier_issue(v, action, data, now)?);
        Ok(())
    })
}

/// Verify an app's response (DER, as the app submitted it) at Unix time
/// `now`. The call succeeds (`YZT_OK`) whenever a verification was made,
/// accepted or refused: `*out` receives a new handle the caller owns; read
/// it with `yzt_qr_verification_*`. A response is consumed by its first
/// verification, so a second one is refused as a replay.
///
/// # Safety
/// `verifier` NULL or a live handle; `response` valid for `len` bytes;
/// `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verifier_verify(
    verifier: *const YztQrVerifier,
    response: *const u8,
    len: usize,
    now: i64,
    out: *mut *mut YztQrVerification,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, v, response) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztQrVerifier>(verifier, "verifier")?,
                bytes_in(response, len, "response")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztQrVerification>(out, verifier_verify(v, response, now)?);
        Ok(())
    })
}

/// Free a verifier handle (NULL is accepted).
///
/// # Safety
/// `verifier` NULL or a live handle not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verifier_free(verifier: *mut YztQrVerifier) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(verifier) })
}

// ---- verification results -------------------------------------------------

/// `*accepted` = 1 when the response was accepted, else 0; `*reason` (may
/// be NULL) = the reason code: 0 accepted, 1001 malformed, 1002 wrong
/// platform, 1003 unknown transaction, 1004 already used (a replay), 1005
/// wrong action, 1006 wrong digest, 1007 wrong nonce, 1008 expired, 1009
/// misdirected, 1010 untrusted certificate, 1011 certificate expired, 1012
/// frozen, 1013 revoked, 1014 wrong key usage, 1015 bad signature, 1016 bad
/// payload, 1017 quota not opened, 1018 quota exhausted, 1019 store
/// unavailable. The codes are the verifier's, stable like the result codes.
///
/// # Safety
/// `verification` NULL or a live handle; `accepted` valid for a write;
/// `reason` NULL or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verification_result(
    verification: *const YztQrVerification,
    accepted: *mut i32,
    reason: *mut i32,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (v, a) = unsafe {
            (
                get::<YztQrVerification>(verification, "verification")?,
                out_ref(accepted, "accepted")?,
            )
        };
        let (accepted, code) = verification_result(v);
        *a = i32::from(accepted);
        // SAFETY: optional out-pointer, valid for a write when non-null.
        if let Some(r) = unsafe { reason.as_mut() } {
            *r = code;
        }
        Ok(())
    })
}

/// A text field of a verification (`YZT_QR_DETAIL`, `YZT_QR_REASON_NAME`,
/// `YZT_QR_ANSWER_JSON`, `YZT_QR_VERIFIED_TRANSACTION`) into the caller's
/// buffer, NUL terminated (`*out_len` counts the NUL).
///
/// # Safety
/// `verification` NULL or a live handle; `buf` valid for `cap` bytes;
/// `out_len` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verification_text(
    verification: *const YztQrVerification,
    field: i32,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let v = unsafe { get::<YztQrVerification>(verification, "verification") }?;
        let text = verification_text(v, field)?;
        // SAFETY: the caller's pointer promises.
        unsafe { write_str(&text, buf, cap, out_len) }
    })
}

/// The uses left in the holder's package after the charge; `YZT_ABSENT`
/// when the response was refused.
///
/// # Safety
/// `verification` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verification_remaining(
    verification: *const YztQrVerification,
    out: *mut u64,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (v, out) = unsafe {
            (
                get::<YztQrVerification>(verification, "verification")?,
                out_ref(out, "out")?,
            )
        };
        *out = verification_remaining(v)?;
        Ok(())
    })
}

/// The verified signer's certificate as a new handle the caller owns;
/// `YZT_ABSENT` when the response was refused before it verified.
///
/// # Safety
/// `verification` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verification_certificate(
    verification: *const YztQrVerification,
    out: *mut *mut YztCertificate,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, v) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztQrVerification>(verification, "verification")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztCertificate>(out, verification_certificate(v)?);
        Ok(())
    })
}

/// What an accepted authorisation hands to the platform, in a new bytes
/// handle the caller owns; `*action` (may be NULL) = the action it came
/// from. By action: `YZT_QR_SEAL` the verified `SES_Signature` (DER;
/// parse it with `yzt_seal_signature_parse`), `YZT_QR_ENCRYPT` the user's
/// encryption certificate (DER), `YZT_QR_DECRYPT` the document key (a
/// secret: wiped when the bytes handle is freed), `YZT_QR_FILE_SIGN` the
/// verified detached CMS `SignedData` (DER), `YZT_QR_MSG_SIGN` the verified
/// message signature (DER). `YZT_ABSENT` for a login (it hands over
/// nothing beyond the certificate) and for a refused response.
///
/// # Safety
/// `verification` NULL or a live handle; `action` NULL or valid for a
/// write; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verification_outcome(
    verification: *const YztQrVerification,
    action: *mut i32,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, v) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztQrVerification>(verification, "verification")?,
            )
        };
        *out = std::ptr::null_mut();
        let (a, data) = verification_outcome(v)?;
        // SAFETY: optional out-pointer, valid for a write when non-null.
        if let Some(p) = unsafe { action.as_mut() } {
            *p = a;
        }
        put_bytes(out, data.to_vec());
        Ok(())
    })
}

/// Free a verification handle (NULL is accepted).
///
/// # Safety
/// `verification` NULL or a live handle not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_verification_free(verification: *mut YztQrVerification) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(verification) })
}

// ---- the app's side -------------------------------------------------------

/// A new, empty platform registry. `*out` receives a new handle the
/// caller owns.
///
/// # Safety
/// `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_registry_new(out: *mut *mut YztQrRegistry) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let out = unsafe { out_ref(out, "out") }?;
        *out = std::ptr::null_mut();
        put::<YztQrRegistry>(out, registry_new());
        Ok(())
    })
}

/// Add (or replace) a platform: its system `code`, the `name` the phone
/// shows, the `certificate` whose key signs its challenges (copied), and
/// the `hosts` (`hosts_len` NUL-terminated strings, at least one) the app
/// may submit responses to. `YZT_INVALID_ARGUMENT` for no hosts or more
/// than 1024; `YZT_INVALID_PARAMETER` for a code that is not a letter and
/// 10 digits, a name the phone could not show as written (empty, over 64
/// characters, control, bidirectional or invisible characters, white
/// space at either end) or a host that is not a plain `host[:port]` (a
/// DNS name, IPv4 or `[IPv6]`, port 1 to 65535; no scheme, user
/// information, path or white space).
///
/// # Safety
/// `registry`, `certificate` NULL or live handles; strings NULL or
/// NUL-terminated; `hosts` valid for `hosts_len` string pointers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_registry_add(
    registry: *const YztQrRegistry,
    code: *const c_char,
    name: *const c_char,
    certificate: *const YztCertificate,
    hosts: *const *const c_char,
    hosts_len: usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (reg, code, name, cert) = unsafe {
            (
                get::<YztQrRegistry>(registry, "registry")?,
                str_in(code, "code")?,
                str_in(name, "name")?,
                get::<YztCertificate>(certificate, "certificate")?,
            )
        };
        if hosts_len == 0 {
            return registry_check_hosts(0);
        }
        if hosts.is_null() {
            return fail(
                YZT_NULL_POINTER,
                format!("hosts is NULL with count {hosts_len}"),
            );
        }
        registry_check_hosts(hosts_len)?;
        // SAFETY: non-null and hosts_len (bounded above) pointers readable,
        // the caller's promise.
        let ptrs = unsafe { std::slice::from_raw_parts(hosts, hosts_len) };
        let callback_hosts = ptrs
            .iter()
            .enumerate()
            // SAFETY: each NULL or NUL-terminated (the caller's promise).
            .map(|(i, p)| unsafe { str_in(*p, &format!("hosts[{i}]")) }.map(str::to_string))
            .collect::<R<Vec<String>>>()?;
        registry_add(reg, code, name, cert, callback_hosts)
    })
}

/// Free a registry handle (NULL is accepted).
///
/// # Safety
/// `registry` NULL or a live handle not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_registry_free(registry: *mut YztQrRegistry) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(registry) })
}

/// Scan QR `text` at the phone's Unix time `now`: the platform must be in
/// the `registry`, its signature must verify with the registry's
/// certificate, the callback host must be one the registry allows, and the
/// code must not have expired (`YZT_NOT_FOUND`, `YZT_FORBIDDEN`,
/// `YZT_INVALID_STATE`). `*out` receives a new handle the caller owns.
///
/// # Safety
/// `text` NULL or NUL-terminated; `registry` NULL or a live handle; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_scan(
    text: *const c_char,
    registry: *const YztQrRegistry,
    now: i64,
    out: *mut *mut YztQrScan,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, text, reg) = unsafe {
            (
                out_ref(out, "out")?,
                str_in(text, "text")?,
                get::<YztQrRegistry>(registry, "registry")?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztQrScan>(out, scan_text_in(text, reg, now)?);
        Ok(())
    })
}

/// A text field of a scan (`YZT_QR_PLATFORM_NAME`, `YZT_QR_ACTION_LABEL`,
/// `YZT_QR_DISPLAY_TEXT`) into the caller's buffer, NUL terminated.
///
/// # Safety
/// `scan` NULL or a live handle; `buf` valid for `cap` bytes; `out_len`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_scan_text(
    scan: *const YztQrScan,
    field: i32,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let s = unsafe { get::<YztQrScan>(scan, "scan") }?;
        let text = scan_text(s, field)?;
        // SAFETY: the caller's pointer promises.
        unsafe { write_str(&text, buf, cap, out_len) }
    })
}

/// The scanned challenge as a new challenge handle the caller owns (for
/// the `yzt_qr_challenge_*` getters).
///
/// # Safety
/// `scan` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_scan_challenge(
    scan: *const YztQrScan,
    out: *mut *mut YztQrChallenge,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, (c, _)) = unsafe { (out_ref(out, "out")?, get::<YztQrScan>(scan, "scan")?) };
        *out = std::ptr::null_mut();
        put::<YztQrChallenge>(out, c.clone());
        Ok(())
    })
}

/// Free a scan handle (NULL is accepted).
///
/// # Safety
/// `scan` NULL or a live handle not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_scan_free(scan: *mut YztQrScan) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(scan) })
}

/// Answer a scanned challenge for the user who authorised it, at the
/// phone's Unix time `now`. `*out` receives the response (DER, what the
/// app submits to the callback host) in a new bytes handle the caller owns.
///
/// - `member`: the app user who authorised; `enterprise`: the credit code
///   when acting for an enterprise, else NULL.
/// - `signing_cert`, `signing_key`: the certificate that signs the
///   statement and its key (they must match: `YZT_KEY_MISMATCH`).
/// - `encryption_cert`: for `YZT_QR_ENCRYPT` and `YZT_QR_DECRYPT`;
///   `encryption_key`: for `YZT_QR_DECRYPT`; else NULL.
/// - `data`: the action's material fetched from the platform, whose SM3
///   must be the challenge's digest: the document (`YZT_QR_SEAL`), the
///   envelope (`YZT_QR_DECRYPT`), the file (`YZT_QR_FILE_SIGN`), the
///   message (`YZT_QR_MSG_SIGN`); NULL with 0 for the others.
/// - `seal` and `property` (the protected range): for `YZT_QR_SEAL` only.
/// - `gmt0010`: for `YZT_QR_FILE_SIGN`, non-zero to use the GM/T 0010
///   object identifiers in the CMS.
///
/// # Safety
/// Handles NULL or live; strings NULL or NUL-terminated; `data` valid for
/// `len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_qr_respond(
    scan: *const YztQrScan,
    member: *const c_char,
    enterprise: *const c_char,
    signing_cert: *const YztCertificate,
    signing_key: *const YztPrivateKey,
    encryption_cert: *const YztCertificate,
    encryption_key: *const YztPrivateKey,
    data: *const u8,
    len: usize,
    seal: *const YztSeal,
    property: *const c_char,
    gmt0010: i32,
    now: i64,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, scanned, member, cert, key, data) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztQrScan>(scan, "scan")?,
                str_in(member, "member")?,
                get::<YztCertificate>(signing_cert, "signing_cert")?,
                get::<YztPrivateKey>(signing_key, "signing_key")?,
                opt_bytes_in(data, len, "data")?,
            )
        };
        *out = std::ptr::null_mut();
        // SAFETY: optional handles and strings: NULL or valid (the caller's
        // promise).
        let (enterprise, enc_cert, enc_key, seal, property) = unsafe {
            (
                opt(enterprise, |p| str_in(p, "enterprise"))?,
                opt(encryption_cert, |p| {
                    get::<YztCertificate>(p, "encryption_cert")
                })?,
                opt(encryption_key, |p| {
                    get::<YztPrivateKey>(p, "encryption_key")
                })?,
                opt(seal, |p| get::<YztSeal>(p, "seal"))?,
                opt(property, |p| str_in(p, "property"))?,
            )
        };
        let answer = Answer {
            member,
            enterprise,
            signing_cert: cert,
            signing_key: key,
            encryption_cert: enc_cert,
            encryption_key: enc_key,
            data,
            seal,
            property,
            gmt0010: gmt0010 != 0,
        };
        put_bytes(out, respond_to(scanned, &answer, now)?);
        Ok(())
    })
}

/// An optional pointer argument: NULL is `None`.
///
/// # Safety
/// `read` must be sound for the non-null `p`.
unsafe fn opt<P, T>(p: *const P, read: impl FnOnce(*const P) -> R<T>) -> R<Option<T>> {
    if p.is_null() {
        Ok(None)
    } else {
        read(p).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn action_codes_match_the_wire_codes() {
        for a in Action::ALL {
            assert_eq!(action_in(i32::from(a.code())).ok(), Some(a));
        }
        assert!(action_in(0).is_err());
        assert!(action_in(7).is_err());
        assert!(action_in(-1).is_err());
        assert!(action_in(257).is_err());
    }
}
