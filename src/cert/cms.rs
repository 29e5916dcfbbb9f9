//! Detached CMS `SignedData` (RFC 5652) with SM2/SM3, for file
//! signatures: signed attributes contentType, signingTime and
//! messageDigest (the SM3 of the file), one signer, its certificate
//! included. Object identifiers are the PKCS#7 ones by default, or those
//! of GM/T 0010 on request.
//!
//! Verification parses what was received and checks the signature over
//! the signed attributes exactly as received (re-tagged as a SET, as the
//! standard says), never over a re-encoding.

use std::time::SystemTime;

use der::Encode;
use der::asn1::ObjectIdentifier;
use rand_core::CryptoRng;

use super::certificate::Certificate;
use crate::asn1::{self, Reader};
use crate::crypto::curve::OID_SM3;
use crate::crypto::{DEFAULT_USER_ID, PrivateKey, Signature};
use crate::error::{Error, Result};

const OID_PKCS7_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const OID_PKCS7_SIGNED: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const OID_GMT_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.6.1.4.2.1");
const OID_GMT_SIGNED: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.6.1.4.2.2");
const OID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const OID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const OID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// SM2 signature (GM/T 0006 `sm2-1`), what GM/T 0010 names as the signer's algorithm.
const OID_SM2_SIGN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.156.10197.1.301.1");

fn oid(o: &ObjectIdentifier) -> Vec<u8> {
    o.to_der().unwrap_or_default()
}

fn alg(o: &ObjectIdentifier) -> Vec<u8> {
    asn1::tlv(asn1::TAG_SEQUENCE, &oid(o))
}

fn attribute(kind: &ObjectIdentifier, value: Vec<u8>) -> Vec<u8> {
    asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[oid(kind), asn1::tlv(0x31, &value)].concat(),
    )
}

/// A verified detached signature.
#[derive(Debug, Clone)]
pub struct CmsSignature {
    /// The signer's certificate.
    pub signer: Certificate,
    /// The signing time, if signed.
    pub signing_time: Option<SystemTime>,
    /// True when the GM/T 0010 object identifiers were used.
    pub gmt0010: bool,
}

/// Sign the SM3 `digest` of a file: a detached `ContentInfo` DER.
pub fn sign_detached<R: CryptoRng + ?Sized>(
    digest: &[u8; 32],
    key: &PrivateKey,
    cert: &Certificate,
    time: SystemTime,
    gmt0010: bool,
    rng: &mut R,
) -> Result<Vec<u8>> {
    if key.public_key() != *cert.public_key() {
        return Err(Error::KeyMismatch);
    }
    let (data_oid, signed_oid) = if gmt0010 {
        (OID_GMT_DATA, OID_GMT_SIGNED)
    } else {
        (OID_PKCS7_DATA, OID_PKCS7_SIGNED)
    };
    let t = asn1::time_der(time, true)?;
    let mut attrs = [
        attribute(&OID_CONTENT_TYPE, oid(&data_oid)),
        attribute(&OID_SIGNING_TIME, t),
        attribute(
            &OID_MESSAGE_DIGEST,
            asn1::tlv(asn1::TAG_OCTET_STRING, digest),
        ),
    ];
    attrs.sort(); // DER: SET OF in ascending order of encodings
    let attrs = attrs.concat();
    let to_sign = asn1::tlv(0x31, &attrs);
    let sig = key.sign(DEFAULT_USER_ID, &to_sign, rng)?.to_der();
    let sid = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[cert.issuer_der(), asn1::uint(cert.serial())].concat(),
    );
    let signer_info = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[
            asn1::uint(&[1]),
            sid,
            alg(&OID_SM3),
            asn1::tlv(0xa0, &attrs),
            alg(&OID_SM2_SIGN),
            asn1::tlv(asn1::TAG_OCTET_STRING, &sig),
        ]
        .concat(),
    );
    let signed_data = asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[
            asn1::uint(&[1]),
            asn1::tlv(0x31, &alg(&OID_SM3)),
            asn1::tlv(asn1::TAG_SEQUENCE, &oid(&data_oid)),
            asn1::tlv(0xa0, cert.der()),
            asn1::tlv(0x31, &signer_info),
        ]
        .concat(),
    );
    Ok(asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[oid(&signed_oid), asn1::tlv(0xa0, &signed_data)].concat(),
    ))
}

fn read_oid(r: &mut Reader<'_>) -> Result<ObjectIdentifier> {
    ObjectIdentifier::from_bytes(r.expect(asn1::TAG_OID)?.rest())
        .map_err(|e| Error::malformed("CMS", e))
}

/// Verify a detached signature against the SM3 `digest` of the file.
/// Returns the signer's certificate (its chain is for the caller to check).
pub fn verify_detached(cms: &[u8], digest: &[u8; 32]) -> Result<CmsSignature> {
    const WHAT: &str = "CMS SignedData";
    let mut outer = Reader::new(WHAT, cms);
    let mut ci = outer.expect(asn1::TAG_SEQUENCE)?;
    outer.finish()?;
    let ct = read_oid(&mut ci)?;
    let gmt0010 = match ct {
        o if o == OID_PKCS7_SIGNED => false,
        o if o == OID_GMT_SIGNED => true,
        o => {
            return Err(Error::UnsupportedAlgorithm {
                what: "CMS content type",
                oid: o.to_string(),
            });
        }
    };
    let mut explicit = ci.expect(0xa0)?;
    ci.finish()?;
    let mut sd = explicit.expect(asn1::TAG_SEQUENCE)?;
    explicit.finish()?;
    let _version = sd.uint_fixed::<1>("version")?;
    let mut digests = sd.expect(0x31)?;
    let mut d = digests.expect(asn1::TAG_SEQUENCE)?;
    if read_oid(&mut d)? != OID_SM3 {
        return Err(Error::UnsupportedAlgorithm {
            what: "CMS digest",
            oid: "not SM3".into(),
        });
    }
    let mut encap = sd.expect(asn1::TAG_SEQUENCE)?;
    let data_oid = read_oid(&mut encap)?;
    if !encap.is_empty() {
        return Err(Error::malformed(
            WHAT,
            "not detached: the content is embedded",
        ));
    }
    let mut certs = Vec::new();
    if sd.peek_tag() == Some(0xa0) {
        let mut set = sd.expect(0xa0)?;
        while !set.is_empty() {
            let (_, full, _) = set.any()?;
            certs.push(Certificate::from_der(full)?);
        }
    }
    if sd.peek_tag() == Some(0xa1) {
        sd.any()?; // CRLs: not used here
    }
    let mut infos = sd.expect(0x31)?;
    sd.finish()?;
    let mut si = infos.expect(asn1::TAG_SEQUENCE)?;
    if !infos.is_empty() {
        return Err(Error::malformed(WHAT, "more than one signer"));
    }
    let _v = si.uint_fixed::<1>("SignerInfo version")?;
    let mut sid = si.expect(asn1::TAG_SEQUENCE)?;
    let (_, issuer, _) = sid.any()?;
    let serial = sid.expect(asn1::TAG_INTEGER)?.rest();
    let serial = super::certificate::strip_leading_zeros(serial);
    let signer = certs
        .into_iter()
        .find(|c| c.issuer_der() == issuer && c.serial() == serial)
        .ok_or_else(|| Error::malformed(WHAT, "the signer's certificate is not included"))?;
    let mut da = si.expect(asn1::TAG_SEQUENCE)?;
    if read_oid(&mut da)? != OID_SM3 {
        return Err(Error::UnsupportedAlgorithm {
            what: "CMS signer digest",
            oid: "not SM3".into(),
        });
    }
    let attrs = si.expect(0xa0)?.rest();
    let mut sa = si.expect(asn1::TAG_SEQUENCE)?;
    let sig_alg = read_oid(&mut sa)?;
    if sig_alg != OID_SM2_SIGN
        && sig_alg != crate::crypto::curve::OID_SM2_WITH_SM3
        && sig_alg != crate::crypto::curve::OID_SM2
    {
        return Err(Error::UnsupportedAlgorithm {
            what: "CMS signature algorithm",
            oid: sig_alg.to_string(),
        });
    }
    let sig = Signature::from_der_or_raw(si.expect(asn1::TAG_OCTET_STRING)?.rest())?;
    // Signed attributes: content type, message digest, signing time.
    let mut a = Reader::new(WHAT, attrs);
    let (mut md, mut ctype, mut time) = (None, None, None);
    while !a.is_empty() {
        let mut attr = a.expect(asn1::TAG_SEQUENCE)?;
        let kind = read_oid(&mut attr)?;
        let mut values = attr.expect(0x31)?;
        let (tag, _, content) = values.any()?;
        if kind == OID_MESSAGE_DIGEST {
            md = Some(content.to_vec());
        } else if kind == OID_CONTENT_TYPE {
            ctype = ObjectIdentifier::from_bytes(content).ok();
        } else if kind == OID_SIGNING_TIME {
            time = asn1::parse_time(tag, content).ok();
        }
    }
    if ctype != Some(data_oid) {
        return Err(Error::malformed(
            WHAT,
            "contentType attribute does not match",
        ));
    }
    if md.as_deref() != Some(&digest[..]) {
        return Err(Error::SignatureMismatch);
    }
    let signed = asn1::tlv(0x31, attrs);
    crate::verify::verify(signer.public_key(), DEFAULT_USER_ID, &signed, &sig)?;
    Ok(CmsSignature {
        signer,
        signing_time: time,
        gmt0010,
    })
}
