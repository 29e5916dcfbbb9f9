//! Stamping: an `SES_Signature` over a document digest and a property
//! string, made by a signer whose certificate is in the seal's list.
//!
//! The signature itself comes from a callback over the exact `TBS_Sign`
//! bytes, so a PIN container, a USB key or a remote service can sign.

use std::time::SystemTime;

use super::types::{
    ExtData, Seal, SealSignature, SealVersion, bit_string, ext_datas_der, ia5, int, oid_der,
    time_der,
};
use crate::asn1;
use crate::cert::Certificate;
use crate::crypto::curve::OID_SM2_WITH_SM3;
use crate::crypto::{PrivateKey, Signature, sm3};
use crate::error::{Error, Result};

/// What a stamping covers.
#[derive(Debug, Clone)]
pub struct StampRequest<'a> {
    /// The seal to stamp with.
    pub seal: &'a Seal,
    /// The signer's certificate; must be in the seal's certificate list.
    pub signer_cert: &'a Certificate,
    /// SM3 of the protected data.
    pub data_hash: [u8; 32],
    /// The protected range (e.g. `/Doc_0/Signs/Sign_0/Signature.xml`), ASCII.
    pub property: &'a str,
    /// The signing time.
    pub time: SystemTime,
    /// Extension data of `TBS_Sign`.
    pub ext_datas: Vec<ExtData>,
    /// A time stamp to carry (v4/v5: the `[0]` BIT STRING content).
    pub time_stamp: Option<Vec<u8>>,
}

/// True when `cert` is in the seal's certificate list (by bytes, or by a
/// SM3 digest entry).
pub fn seal_lists_certificate(seal: &Seal, cert_der: &[u8]) -> bool {
    match &seal.info.property.cert_list {
        super::CertList::Certificates(certs) => certs.iter().any(|c| c == cert_der),
        super::CertList::Digests(ds) => {
            let digest = sm3(cert_der);
            ds.iter()
                .any(|(alg, d)| alg.eq_ignore_ascii_case("SM3") && d.as_slice() == digest)
        }
    }
}

/// Stamp: build `TBS_Sign`, have `sign` sign its bytes, assemble the
/// `SES_Signature`. Refuses a signer not in the seal's list, a time outside
/// the seal's validity, and a non-ASCII property.
pub fn stamp(
    req: &StampRequest<'_>,
    sign: impl FnOnce(&[u8]) -> Result<Signature>,
) -> Result<SealSignature> {
    let seal = req.seal;
    if !seal_lists_certificate(seal, req.signer_cert.der()) {
        return Err(Error::param(
            "signer certificate",
            format!(
                "{} is not in the seal's certificate list",
                req.signer_cert.subject()
            ),
        ));
    }
    let p = &seal.info.property;
    if req.time < p.valid_start || req.time > p.valid_end {
        return Err(Error::InvalidState {
            entity: "seal",
            state: "outside its validity period".into(),
            action: "stamp with",
        });
    }
    if req.property.is_empty() || req.property.len() > 1024 {
        return Err(Error::length(
            "property",
            "1 to 1024 characters",
            req.property.len(),
        ));
    }
    let v1 = seal.version == SealVersion::V1;
    let mut tbs = vec![int(seal.version.number()), seal.raw.clone()];
    if v1 {
        let t = time_der(req.time, false)?;
        tbs.push(bit_string(&t));
    } else {
        tbs.push(time_der(req.time, false)?);
    }
    tbs.push(bit_string(&req.data_hash));
    tbs.push(ia5(req.property, "property")?);
    if v1 {
        tbs.push(asn1::tlv(asn1::TAG_OCTET_STRING, req.signer_cert.der()));
        tbs.push(oid_der(&OID_SM2_WITH_SM3));
    }
    if !req.ext_datas.is_empty() {
        tbs.push(ext_datas_der(&req.ext_datas));
    }
    let tbs_der = asn1::tlv(asn1::TAG_SEQUENCE, &tbs.concat());
    let sig = sign(&tbs_der)?.to_der();
    let body = if v1 {
        if req.time_stamp.is_some() {
            return Err(Error::param(
                "time stamp",
                "version 1 signatures carry no time stamp",
            ));
        }
        [tbs_der, bit_string(&sig)].concat()
    } else {
        let mut parts = vec![
            tbs_der,
            asn1::tlv(asn1::TAG_OCTET_STRING, req.signer_cert.der()),
            oid_der(&OID_SM2_WITH_SM3),
            bit_string(&sig),
        ];
        if let Some(ts) = &req.time_stamp {
            parts.push(asn1::tlv(0xa0, &bit_string(ts)));
        }
        parts.concat()
    };
    SealSignature::from_der(&asn1::tlv(asn1::TAG_SEQUENCE, &body))
}

/// A signer callback for a private key in memory, with the default ID.
pub fn key_signer<'k, R: rand_core::CryptoRng + ?Sized>(
    key: &'k PrivateKey,
    rng: &'k mut R,
) -> impl FnOnce(&[u8]) -> Result<Signature> + 'k {
    move |tbs: &[u8]| key.sign(crate::crypto::DEFAULT_USER_ID, tbs, rng)
}
