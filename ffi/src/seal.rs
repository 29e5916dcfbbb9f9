//! Electronic seals and seal signatures: parse, show (getters), verify
//! into a step report.

use std::ffi::c_char;

use yizhengtong::seal::{
    Seal, SealSignature, SealVerifyOptions, StepStatus, VerifyReport, verify_seal, verify_signature,
};

use yizhengtong::cert::{Certificate, Crl};

use crate::bytes::{YztBytes, put_bytes};
use crate::cert::{YztCertificate, YztCrl, handles_in};
use crate::common::*;

/// A parsed electronic seal (`SES_Seal`, v1, v4 or v5), the signed
/// bytes kept. Immutable; thread-safe. Free with `yzt_seal_free`.
pub struct YztSeal {
    _opaque: [u8; 0],
}

handle!(YztSeal, Seal, 0x797a_7453_6561_6c20);

/// A parsed seal signature (`SES_Signature`). Immutable; thread-safe.
/// Free with `yzt_seal_signature_free`.
pub struct YztSealSignature {
    _opaque: [u8; 0],
}

handle!(YztSealSignature, SealSignature, 0x797a_7453_6967_6e64);

/// A verification report: whether the seal or signature is valid and
/// each step that ran (name, status, detail). Immutable; thread-safe.
/// Free with `yzt_report_free`.
pub struct YztReport {
    _opaque: [u8; 0],
}

handle!(YztReport, VerifyReport, 0x797a_7452_6570_6f72);

/// Seal text field: the seal's ID (`esID`).
pub const YZT_SEAL_ID: i32 = 0;
/// Seal text field: the seal's name.
pub const YZT_SEAL_NAME: i32 = 1;
/// Seal text field: the picture type (e.g. `png`).
pub const YZT_SEAL_PICTURE_TYPE: i32 = 2;
/// Seal text field: the header's vendor ID (`vid`).
pub const YZT_SEAL_VENDOR_ID: i32 = 3;

/// Seal integer field: the format version (1, 4 or 5).
pub const YZT_SEAL_VERSION: i32 = 0;
/// Seal integer field: the seal type (1 official, 2 personal, ...).
pub const YZT_SEAL_TYPE: i32 = 1;
/// Seal integer field: created at (Unix seconds).
pub const YZT_SEAL_CREATED: i32 = 2;
/// Seal integer field: valid from (Unix seconds).
pub const YZT_SEAL_VALID_START: i32 = 3;
/// Seal integer field: valid until (Unix seconds).
pub const YZT_SEAL_VALID_END: i32 = 4;
/// Seal integer field: picture width in mm.
pub const YZT_SEAL_PICTURE_WIDTH_MM: i32 = 5;
/// Seal integer field: picture height in mm.
pub const YZT_SEAL_PICTURE_HEIGHT_MM: i32 = 6;

/// Seal binary field: the picture's bytes.
pub const YZT_SEAL_PICTURE: i32 = 0;
/// Seal binary field: the maker's certificate (DER).
pub const YZT_SEAL_MAKER_CERT: i32 = 1;
/// Seal binary field: the whole seal's DER as received.
pub const YZT_SEAL_DER: i32 = 2;

/// Report step status: the check passed.
pub const YZT_STEP_PASSED: i32 = 0;
/// Report step status: the check failed (the detail says why).
pub const YZT_STEP_FAILED: i32 = 1;
/// Report step status: the check was not run (the detail says why).
pub const YZT_STEP_SKIPPED: i32 = 2;

// ---- the bodies, shared by the C exports and the JNI entry points ----------

/// Parse a seal (`.esl` DER).
pub(crate) fn seal_parse(data: &[u8]) -> R<Seal> {
    Ok(Seal::from_der(data)?)
}

/// A text field of a seal (`YZT_SEAL_ID` ... `YZT_SEAL_VENDOR_ID`).
pub(crate) fn seal_text(s: &Seal, field: i32) -> R<&str> {
    Ok(match field {
        YZT_SEAL_ID => &s.info.es_id,
        YZT_SEAL_NAME => &s.info.property.name,
        YZT_SEAL_PICTURE_TYPE => &s.info.picture.kind,
        YZT_SEAL_VENDOR_ID => &s.info.header.vid,
        other => return unknown("seal text field", other),
    })
}

/// An integer field of a seal (`YZT_SEAL_VERSION` ...; times in Unix
/// seconds).
pub(crate) fn seal_int(s: &Seal, field: i32) -> R<i64> {
    let p = &s.info.property;
    Ok(match field {
        YZT_SEAL_VERSION => i64::from(s.version.number()),
        YZT_SEAL_TYPE => i64::from(p.seal_type),
        YZT_SEAL_CREATED => time_out(p.create_date),
        YZT_SEAL_VALID_START => time_out(p.valid_start),
        YZT_SEAL_VALID_END => time_out(p.valid_end),
        YZT_SEAL_PICTURE_WIDTH_MM => i64::from(s.info.picture.width_mm),
        YZT_SEAL_PICTURE_HEIGHT_MM => i64::from(s.info.picture.height_mm),
        other => return unknown("seal integer field", other),
    })
}

/// A binary field of a seal (`YZT_SEAL_PICTURE`, `YZT_SEAL_MAKER_CERT`,
/// `YZT_SEAL_DER`).
pub(crate) fn seal_bytes(s: &Seal, field: i32) -> R<&[u8]> {
    Ok(match field {
        YZT_SEAL_PICTURE => &s.info.picture.data,
        YZT_SEAL_MAKER_CERT => &s.maker_cert,
        YZT_SEAL_DER => &s.raw,
        other => return unknown("seal binary field", other),
    })
}

/// Parse a seal signature (`SignedValue.dat`).
pub(crate) fn seal_signature_parse(data: &[u8]) -> R<SealSignature> {
    Ok(SealSignature::from_der(data)?)
}

/// The signing time of a seal signature (Unix seconds).
pub(crate) fn signing_time(s: &SealSignature) -> i64 {
    time_out(s.time)
}

/// The seal inside a signature and the signing time (Unix seconds).
pub(crate) fn seal_signature_seal(s: &SealSignature) -> (Seal, i64) {
    (s.seal.clone(), signing_time(s))
}

/// Verify a seal on its own at Unix time `at`.
pub(crate) fn seal_verify(s: &Seal, at: i64, trust: &Trust) -> R<VerifyReport> {
    Ok(verify_seal(s, time_in(at)?, &trust.options()))
}

/// Verify a seal signature, over `document` when given.
pub(crate) fn seal_signature_verify(
    s: &SealSignature,
    document: Option<&[u8]>,
    trust: &Trust,
) -> VerifyReport {
    verify_signature(s, document, &trust.options())
}

/// Step `index` of a report: status (`YZT_STEP_*`), name, detail (empty
/// when it passed); `YZT_OUT_OF_RANGE` past the end.
pub(crate) fn report_step(r: &VerifyReport, index: usize) -> R<(i32, &'static str, &str)> {
    let Some(step) = r.steps.get(index) else {
        return fail(
            YZT_OUT_OF_RANGE,
            format!("step {index} of a report with {} steps", r.steps.len()),
        );
    };
    Ok(match &step.status {
        StepStatus::Passed => (YZT_STEP_PASSED, step.step, ""),
        StepStatus::Failed(d) => (YZT_STEP_FAILED, step.step, d.as_str()),
        StepStatus::Skipped(d) => (YZT_STEP_SKIPPED, step.step, d.as_str()),
    })
}

/// The report as JSON (its serde form).
pub(crate) fn report_json(r: &VerifyReport) -> R<Vec<u8>> {
    serde_json::to_vec(r).map_err(|e| Fail::Code(YZT_OTHER, format!("report JSON: {e}")))
}

// ---- the C exports ------------------------------------------------------------

/// Parse a seal (`.esl` DER; v1, v4 or v5 detected). `*out` receives a new
/// handle the caller owns.
///
/// # Safety
/// `data` valid for `len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut YztSeal,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data) = unsafe { (out_ref(out, "out")?, bytes_in(data, len, "data")?) };
        *out = std::ptr::null_mut();
        put::<YztSeal>(out, seal_parse(data)?);
        Ok(())
    })
}

/// A text field of a seal (`YZT_SEAL_ID` ... `YZT_SEAL_VENDOR_ID`) into the
/// caller's buffer, NUL terminated (`*out_len` counts the NUL).
///
/// # Safety
/// `seal` NULL or a live handle; `buf` valid for `cap` bytes; `out_len`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_text(
    seal: *const YztSeal,
    field: i32,
    buf: *mut c_char,
    cap: usize,
    out_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let s = unsafe { get::<YztSeal>(seal, "seal") }?;
        let v = seal_text(s, field)?;
        // SAFETY: the caller's buffer promise.
        unsafe { write_str(v, buf, cap, out_len) }
    })
}

/// An integer field of a seal (`YZT_SEAL_VERSION` ...
/// `YZT_SEAL_PICTURE_HEIGHT_MM`; times in Unix seconds) into `*out`.
///
/// # Safety
/// `seal` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_int(seal: *const YztSeal, field: i32, out: *mut i64) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (s, out) = unsafe { (get::<YztSeal>(seal, "seal")?, out_ref(out, "out")?) };
        *out = seal_int(s, field)?;
        Ok(())
    })
}

/// A binary field of a seal (`YZT_SEAL_PICTURE`, `YZT_SEAL_MAKER_CERT`,
/// `YZT_SEAL_DER`) as a new bytes handle `*out` owned by the caller.
///
/// # Safety
/// `seal` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_bytes(
    seal: *const YztSeal,
    field: i32,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, s) = unsafe { (out_ref(out, "out")?, get::<YztSeal>(seal, "seal")?) };
        *out = std::ptr::null_mut();
        put_bytes(out, seal_bytes(s, field)?.to_vec());
        Ok(())
    })
}

/// Free a seal handle (NULL accepted).
///
/// # Safety
/// `seal` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_free(seal: *mut YztSeal) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(seal) })
}

/// Parse a seal signature (`SignedValue.dat`). `*out` receives a new handle
/// the caller owns.
///
/// # Safety
/// `data` valid for `len` bytes; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_signature_parse(
    data: *const u8,
    len: usize,
    out: *mut *mut YztSealSignature,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, data) = unsafe { (out_ref(out, "out")?, bytes_in(data, len, "data")?) };
        *out = std::ptr::null_mut();
        put::<YztSealSignature>(out, seal_signature_parse(data)?);
        Ok(())
    })
}

/// The seal inside a signature, as a new seal handle `*out` owned by the
/// caller; `*time` (may be NULL) receives the signing time (Unix seconds).
///
/// # Safety
/// `sig` NULL or a live handle; `out` valid for a write; `time` NULL or
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_signature_seal(
    sig: *const YztSealSignature,
    time: *mut i64,
    out: *mut *mut YztSeal,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, s) = unsafe { (out_ref(out, "out")?, get::<YztSealSignature>(sig, "sig")?) };
        *out = std::ptr::null_mut();
        let (seal, at) = seal_signature_seal(s);
        // SAFETY: optional out-pointer, valid for a write when non-null.
        if let Some(t) = unsafe { time.as_mut() } {
            *t = at;
        }
        put::<YztSeal>(out, seal);
        Ok(())
    })
}

/// The signer's certificate (DER) of a seal signature, as a new bytes
/// handle `*out` owned by the caller.
///
/// # Safety
/// `sig` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_signature_signer_cert(
    sig: *const YztSealSignature,
    out: *mut *mut YztBytes,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, s) = unsafe { (out_ref(out, "out")?, get::<YztSealSignature>(sig, "sig")?) };
        *out = std::ptr::null_mut();
        put_bytes(out, s.signer_cert.clone());
        Ok(())
    })
}

/// Free a seal signature handle (NULL accepted).
///
/// # Safety
/// `sig` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_signature_free(sig: *mut YztSealSignature) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(sig) })
}

/// The trust anchors, intermediates and CRLs a seal verification uses.
pub(crate) struct Trust {
    anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    crls: Vec<Crl>,
}

impl Trust {
    /// Copies of the given certificates and CRLs.
    pub(crate) fn new(
        anchors: &[&Certificate],
        intermediates: &[&Certificate],
        crls: &[&Crl],
    ) -> Self {
        Self {
            anchors: anchors.iter().map(|c| (*c).clone()).collect(),
            intermediates: intermediates.iter().map(|c| (*c).clone()).collect(),
            crls: crls.iter().map(|c| (*c).clone()).collect(),
        }
    }

    /// # Safety
    /// Each array valid for its count, each element NULL or a live handle.
    unsafe fn read(
        anchors: *const *const YztCertificate,
        anchors_len: usize,
        intermediates: *const *const YztCertificate,
        intermediates_len: usize,
        crls: *const *const YztCrl,
        crls_len: usize,
    ) -> R<Self> {
        // SAFETY: forwarded from the caller.
        unsafe {
            Ok(Self::new(
                &handles_in::<YztCertificate>(anchors, anchors_len, "anchors")?,
                &handles_in::<YztCertificate>(intermediates, intermediates_len, "intermediates")?,
                &handles_in::<YztCrl>(crls, crls_len, "crls")?,
            ))
        }
    }

    fn options(&self) -> SealVerifyOptions<'_> {
        SealVerifyOptions {
            anchors: &self.anchors,
            intermediates: &self.intermediates,
            crls: &self.crls,
            status: None,
        }
    }
}

/// Verify a seal on its own at Unix time `at`: the maker's signature, the
/// maker's chain up to `anchors` (skipped when there are none), the maker
/// certificate's validity at creation, the seal's validity at `at`.
///
/// The call succeeds (`YZT_OK`) whenever a report was made, valid or not:
/// `*out` receives a new report handle the caller owns; read it with
/// `yzt_report_*`. Arrays may be NULL when their count is 0.
///
/// # Safety
/// `seal` NULL or a live handle; arrays valid for their counts; `out`
/// valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_verify(
    seal: *const YztSeal,
    at: i64,
    anchors: *const *const YztCertificate,
    anchors_len: usize,
    intermediates: *const *const YztCertificate,
    intermediates_len: usize,
    crls: *const *const YztCrl,
    crls_len: usize,
    out: *mut *mut YztReport,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, s, trust) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztSeal>(seal, "seal")?,
                Trust::read(
                    anchors,
                    anchors_len,
                    intermediates,
                    intermediates_len,
                    crls,
                    crls_len,
                )?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztReport>(out, seal_verify(s, at, &trust)?);
        Ok(())
    })
}

/// Verify a seal signature: the document signature, the signer in the
/// seal's list, the seal, the chains (with `anchors`), validity at the
/// signing time, and the document digest when `document` is given (NULL
/// with length 0 to skip that step). `*out` receives a new report handle
/// the caller owns; the call succeeds whenever a report was made.
///
/// # Safety
/// `sig` NULL or a live handle; `document` and the arrays valid for their
/// lengths; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_seal_signature_verify(
    sig: *const YztSealSignature,
    document: *const u8,
    document_len: usize,
    anchors: *const *const YztCertificate,
    anchors_len: usize,
    intermediates: *const *const YztCertificate,
    intermediates_len: usize,
    crls: *const *const YztCrl,
    crls_len: usize,
    out: *mut *mut YztReport,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, s, doc, trust) = unsafe {
            (
                out_ref(out, "out")?,
                get::<YztSealSignature>(sig, "sig")?,
                opt_bytes_in(document, document_len, "document")?,
                Trust::read(
                    anchors,
                    anchors_len,
                    intermediates,
                    intermediates_len,
                    crls,
                    crls_len,
                )?,
            )
        };
        *out = std::ptr::null_mut();
        put::<YztReport>(out, seal_signature_verify(s, doc, &trust));
        Ok(())
    })
}

/// `*valid` = 1 when no step of the report failed, else 0; `*steps` (may be
/// NULL) = the number of steps.
///
/// # Safety
/// `report` NULL or a live handle; `valid` valid for a write; `steps` NULL
/// or valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_report_summary(
    report: *const YztReport,
    valid: *mut i32,
    steps: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (r, v) = unsafe {
            (
                get::<YztReport>(report, "report")?,
                out_ref(valid, "valid")?,
            )
        };
        *v = i32::from(r.valid);
        // SAFETY: optional out-pointer.
        if let Some(n) = unsafe { steps.as_mut() } {
            *n = r.steps.len();
        }
        Ok(())
    })
}

/// Step `index` of a report: its status (`YZT_STEP_*`) into `*status`, its
/// stable name (e.g. `seal_signature`) into `name` (NUL terminated,
/// `*name_len` counts the NUL), its detail (empty when it passed) into
/// `detail`. `name`/`name_len` and `detail`/`detail_len` may be NULL (with
/// capacity 0 for the buffer) to skip that part. An index past the end
/// gives `YZT_OUT_OF_RANGE`.
///
/// # Safety
/// `report` NULL or a live handle; buffers valid for their capacities;
/// the out-pointers NULL or valid for writes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_report_step(
    report: *const YztReport,
    index: usize,
    status: *mut i32,
    name: *mut c_char,
    name_cap: usize,
    name_len: *mut usize,
    detail: *mut c_char,
    detail_cap: usize,
    detail_len: *mut usize,
) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (r, st) = unsafe {
            (
                get::<YztReport>(report, "report")?,
                out_ref(status, "status")?,
            )
        };
        let (code, step_name, text) = report_step(r, index)?;
        *st = code;
        // Both strings are written (or sized) before an error is returned,
        // so one call can size both buffers.
        let a = if name_len.is_null() {
            Ok(())
        } else {
            // SAFETY: the caller's buffer promise.
            unsafe { write_str(step_name, name, name_cap, name_len) }
        };
        let b = if detail_len.is_null() {
            Ok(())
        } else {
            // SAFETY: the caller's buffer promise.
            unsafe { write_str(text, detail, detail_cap, detail_len) }
        };
        a.and(b)
    })
}

/// The report as JSON (`{"valid":..,"steps":[{"step":..,"status":..,
/// "detail":..}]}`, the report's serde form) in a new bytes
/// handle `*out` owned by the caller.
///
/// # Safety
/// `report` NULL or a live handle; `out` valid for a write.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_report_json(report: *const YztReport, out: *mut *mut YztBytes) -> i32 {
    guard(|| {
        // SAFETY: the caller's pointer promises.
        let (out, r) = unsafe { (out_ref(out, "out")?, get::<YztReport>(report, "report")?) };
        *out = std::ptr::null_mut();
        put_bytes(out, report_json(r)?);
        Ok(())
    })
}

/// Free a report handle (NULL accepted).
///
/// # Safety
/// `report` NULL or a live handle not in use elsewhere, not used again.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn yzt_report_free(report: *mut YztReport) -> i32 {
    // SAFETY: the caller gives the handle up.
    guard(|| unsafe { free(report) })
}
