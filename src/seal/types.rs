//! The ASN.1 of electronic seals and signatures, versions 1 (GM/T
//! 0031-2014), 4 (GB/T 38540-2020) and 5 (ofdrw's v4 plus a seal time
//! stamp), parsed tolerantly and encoded as strict DER.
//!
//! ```text
//! SES_Header       ::= SEQUENCE { ID IA5String ("ES"), version INTEGER, Vid IA5String }
//! SES_ESPropertyInfo (v4/v5) ::= SEQUENCE { type INTEGER, name UTF8String,
//!                      certListType INTEGER, certList SES_CertList,
//!                      createDate GeneralizedTime, validStart GeneralizedTime, validEnd GeneralizedTime }
//! SES_ESPropertyInfo (v1) ::= SEQUENCE { type INTEGER, name UTF8String,
//!                      certList SEQUENCE OF OCTET STRING,
//!                      createDate UTCTime, validStart UTCTime, validEnd UTCTime }
//! SES_CertList     ::= CHOICE { certs SEQUENCE OF OCTET STRING,
//!                      certDigestList SEQUENCE OF SEQUENCE { type PrintableString, value OCTET STRING } }
//! SES_ESPictrueInfo ::= SEQUENCE { type IA5String, data OCTET STRING, width INTEGER, height INTEGER }
//! ExtData          ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
//! SES_SealInfo     ::= SEQUENCE { header, esID IA5String, property, picture, extDatas SEQUENCE OF ExtData OPTIONAL }
//! SES_Seal (v4/v5) ::= SEQUENCE { eSealInfo, cert OCTET STRING, signAlgID OID, signedValue BIT STRING,
//!                      timeStamp [0] EXPLICIT BIT STRING OPTIONAL -- v5 }
//! SESeal (v1)      ::= SEQUENCE { esealInfo, signInfo SEQUENCE { cert OCTET STRING, signatureAlgorithm OID, signData BIT STRING } }
//! TBS_Sign (v4/v5) ::= SEQUENCE { version INTEGER, eseal SES_Seal, timeInfo GeneralizedTime,
//!                      dataHash BIT STRING, propertyInfo IA5String, extDatas OPTIONAL }
//! TBS_Sign (v1)    ::= SEQUENCE { version INTEGER, eseal SESeal, timeInfo BIT STRING,
//!                      dataHash BIT STRING, propertyInfo IA5String, cert OCTET STRING, signatureAlgorithm OID }
//! SES_Signature (v4/v5) ::= SEQUENCE { toSign TBS_Sign, cert OCTET STRING, signatureAlgID OID,
//!                      signature BIT STRING, timeStamp [0] BIT STRING OPTIONAL }
//! SES_Signature (v1) ::= SEQUENCE { toSign TBS_Sign, signature BIT STRING }
//! ```
//!
//! What the maker signs: v4/v5, the `SES_SealInfo` bytes as stored; v1,
//! `DER(SEQUENCE { SES_SealInfo, cert, signatureAlgorithm })`. What the
//! signer signs: the `TBS_Sign` bytes as stored. Parsing keeps those exact
//! bytes and tolerates what real files contain: `critical FALSE` written
//! out, OCTET STRING where BIT STRING is specified (and the reverse),
//! extDatas tagged `[0]` or untagged, UTCTime or GeneralizedTime, DER or
//! raw `r‖s` signature values.

use std::time::SystemTime;

use der::Encode;
use der::asn1::ObjectIdentifier;

pub(crate) use crate::asn1::time_der;
use crate::asn1::{self, Reader, parse_time};
use crate::error::{Error, Result};

const TAG_BOOLEAN: u8 = 0x01;
const TAG_BIT_STRING: u8 = 0x03;
const TAG_UTF8: u8 = 0x0c;
const TAG_PRINTABLE: u8 = 0x13;
const TAG_IA5: u8 = 0x16;

/// Seal format versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SealVersion {
    /// GM/T 0031-2014.
    V1,
    /// GB/T 38540-2020.
    V4,
    /// v4 with a seal time stamp (ofdrw's extension).
    V5,
}

impl SealVersion {
    /// The header version number.
    pub fn number(self) -> u32 {
        match self {
            SealVersion::V1 => 1,
            SealVersion::V4 => 4,
            SealVersion::V5 => 5,
        }
    }

    /// From a header version number.
    pub fn from_number(n: u32) -> Result<Self> {
        match n {
            1 => Ok(SealVersion::V1),
            4 => Ok(SealVersion::V4),
            5 => Ok(SealVersion::V5),
            other => Err(Error::UnsupportedAlgorithm {
                what: "seal version",
                oid: other.to_string(),
            }),
        }
    }
}

impl std::str::FromStr for SealVersion {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        s.trim_start_matches(['v', 'V'])
            .parse::<u32>()
            .map_err(|_| Error::param("version", format!("{s:?}; expected 1, 4 or 5")))
            .and_then(Self::from_number)
    }
}

/// `SES_Header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealHeader {
    /// Always "ES".
    pub id: String,
    /// The version number.
    pub version: u32,
    /// The vendor id.
    pub vid: String,
}

/// The certificates a seal is bound to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertList {
    /// DER certificates.
    Certificates(Vec<Vec<u8>>),
    /// Digests: (algorithm name, digest of the certificate DER).
    Digests(Vec<(String, Vec<u8>)>),
}

/// `SES_ESPropertyInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyInfo {
    /// The seal type code (see [`super::SealKind`]).
    pub seal_type: u32,
    /// The seal's name.
    pub name: String,
    /// The certificates of the holders.
    pub cert_list: CertList,
    /// Made on.
    pub create_date: SystemTime,
    /// Valid from.
    pub valid_start: SystemTime,
    /// Valid until.
    pub valid_end: SystemTime,
}

/// `SES_ESPictrueInfo` (sic).
#[derive(Clone, PartialEq, Eq)]
pub struct Picture {
    /// Type string as stored (e.g. "PNG", "ofd").
    pub kind: String,
    /// The image bytes.
    pub data: Vec<u8>,
    /// Width in millimetres.
    pub width_mm: u32,
    /// Height in millimetres.
    pub height_mm: u32,
}

impl std::fmt::Debug for Picture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Picture")
            .field("kind", &self.kind)
            .field("bytes", &self.data.len())
            .field("width_mm", &self.width_mm)
            .field("height_mm", &self.height_mm)
            .finish()
    }
}

/// `ExtData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtData {
    /// Extension OID.
    pub oid: ObjectIdentifier,
    /// Critical flag.
    pub critical: bool,
    /// Value.
    pub value: Vec<u8>,
}

/// `SES_SealInfo` with the exact bytes it was read from (or encoded to).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealInfo {
    /// Header.
    pub header: SealHeader,
    /// Seal id.
    pub es_id: String,
    /// Properties.
    pub property: PropertyInfo,
    /// The image.
    pub picture: Picture,
    /// Extension data.
    pub ext_datas: Vec<ExtData>,
    /// The DER as stored.
    pub raw: Vec<u8>,
}

/// An electronic seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seal {
    /// Format version (from the header).
    pub version: SealVersion,
    /// The seal information.
    pub info: SealInfo,
    /// The maker's certificate (DER).
    pub maker_cert: Vec<u8>,
    /// The maker's signature algorithm.
    pub sign_alg: ObjectIdentifier,
    /// The maker's signature value (DER or raw r‖s as stored).
    pub signature: Vec<u8>,
    /// v5 seal time stamp (the `[0]` element as stored), if any.
    pub time_stamp: Option<Vec<u8>>,
    /// The bytes the maker signed.
    pub signed_bytes: Vec<u8>,
    /// The whole seal as stored.
    pub raw: Vec<u8>,
}

/// An electronic signature (a stamping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealSignature {
    /// Format version (from the seal inside).
    pub version: SealVersion,
    /// `TBS_Sign.version`.
    pub tbs_version: u32,
    /// The seal used.
    pub seal: Seal,
    /// When it was signed.
    pub time: SystemTime,
    /// SM3 of the document (or of what the property designates).
    pub data_hash: Vec<u8>,
    /// What was signed (the protected range), e.g. a path in an OFD.
    pub property: String,
    /// Extension data of `TBS_Sign`.
    pub ext_datas: Vec<ExtData>,
    /// The signer's certificate (DER).
    pub signer_cert: Vec<u8>,
    /// Signature algorithm.
    pub sign_alg: ObjectIdentifier,
    /// Signature value (DER or raw r‖s as stored).
    pub signature: Vec<u8>,
    /// Time stamp, if any (the `[0]` element as stored).
    pub time_stamp: Option<Vec<u8>>,
    /// The `TBS_Sign` bytes as stored.
    pub tbs_raw: Vec<u8>,
    /// The whole signature as stored.
    pub raw: Vec<u8>,
}

// ---------------------------------------------------------------- parsing

fn text(r: &mut Reader<'_>, tags: &[u8], field: &str) -> Result<String> {
    let (tag, _, content) = r.any()?;
    if !tags.contains(&tag) {
        return Err(Error::malformed(
            "seal",
            format!("{field}: unexpected tag 0x{tag:02x}"),
        ));
    }
    String::from_utf8(content.to_vec())
        .map_err(|_| Error::malformed("seal", format!("{field} is not UTF-8")))
}

fn integer(r: &mut Reader<'_>, field: &str) -> Result<u32> {
    Ok(u32::from_be_bytes(r.uint_fixed::<4>(field)?))
}

/// OCTET STRING or BIT STRING (0 unused bits) contents.
fn bytes(r: &mut Reader<'_>, field: &str) -> Result<Vec<u8>> {
    let (tag, _, content) = r.any()?;
    match tag {
        asn1::TAG_OCTET_STRING => Ok(content.to_vec()),
        TAG_BIT_STRING => match content.split_first() {
            Some((0, rest)) => Ok(rest.to_vec()),
            _ => Err(Error::malformed(
                "seal",
                format!("{field}: BIT STRING with unused bits or empty"),
            )),
        },
        other => Err(Error::malformed(
            "seal",
            format!("{field}: expected OCTET or BIT STRING, found tag 0x{other:02x}"),
        )),
    }
}

fn oid(r: &mut Reader<'_>) -> Result<ObjectIdentifier> {
    let content = r.expect(asn1::TAG_OID)?.rest();
    ObjectIdentifier::from_bytes(content).map_err(|e| Error::malformed("seal", e))
}

/// UTCTime or GeneralizedTime, whole seconds, `Z`.
fn time(r: &mut Reader<'_>, field: &str) -> Result<SystemTime> {
    let (tag, _, content) = r.any()?;
    parse_time(tag, content)
        .map_err(|_| Error::malformed("seal", format!("{field} is not a UTC time")))
}

fn ext_datas(r: &mut Reader<'_>) -> Result<Vec<ExtData>> {
    // Untagged SEQUENCE OF, or [0] (constructed) around it / implicit.
    let (tag, _, content) = r.any()?;
    let list = match tag {
        asn1::TAG_SEQUENCE => content,
        0xa0 => {
            let mut inner = Reader::new("seal extDatas", content);
            if inner.peek_tag() == Some(asn1::TAG_SEQUENCE) {
                // [0] EXPLICIT SEQUENCE OF, or [0] IMPLICIT whose first
                // element is an ExtData SEQUENCE: tell them by looking for an OID.
                let probe = inner.clone().expect(asn1::TAG_SEQUENCE)?;
                if probe.peek_tag() == Some(asn1::TAG_OID) {
                    content
                } else {
                    inner.expect(asn1::TAG_SEQUENCE)?.rest()
                }
            } else {
                content
            }
        }
        other => {
            return Err(Error::malformed(
                "seal",
                format!("extDatas: unexpected tag 0x{other:02x}"),
            ));
        }
    };
    let mut r = Reader::new("seal extDatas", list);
    let mut out = Vec::new();
    while !r.is_empty() {
        let mut e = r.expect(asn1::TAG_SEQUENCE)?;
        let id = oid(&mut e)?;
        let mut critical = false;
        if e.peek_tag() == Some(TAG_BOOLEAN) {
            critical = matches!(e.expect(TAG_BOOLEAN)?.rest(), [b] if *b != 0);
        }
        let value = bytes(&mut e, "extnValue")?;
        e.finish()?;
        out.push(ExtData {
            oid: id,
            critical,
            value,
        });
    }
    Ok(out)
}

fn cert_list(r: &mut Reader<'_>, typed: Option<u32>) -> Result<CertList> {
    let mut list = r.expect(asn1::TAG_SEQUENCE)?;
    let digests = match typed {
        Some(2) => true,
        Some(_) => false,
        None => list.peek_tag() == Some(asn1::TAG_SEQUENCE),
    };
    if digests {
        let mut out = Vec::new();
        while !list.is_empty() {
            let mut d = list.expect(asn1::TAG_SEQUENCE)?;
            let alg = text(
                &mut d,
                &[TAG_PRINTABLE, TAG_IA5, TAG_UTF8],
                "certDigest type",
            )?;
            let value = bytes(&mut d, "certDigest value")?;
            d.finish()?;
            out.push((alg, value));
        }
        Ok(CertList::Digests(out))
    } else {
        let mut out = Vec::new();
        while !list.is_empty() {
            out.push(bytes(&mut list, "certList entry")?);
        }
        Ok(CertList::Certificates(out))
    }
}

fn parse_seal_info(raw: &[u8]) -> Result<SealInfo> {
    let mut outer = Reader::new("SES_SealInfo", raw);
    let mut r = outer.expect(asn1::TAG_SEQUENCE)?;
    outer.finish()?;
    let mut h = r.expect(asn1::TAG_SEQUENCE)?;
    let header = SealHeader {
        id: text(&mut h, &[TAG_IA5, TAG_PRINTABLE, TAG_UTF8], "header ID")?,
        version: integer(&mut h, "header version")?,
        vid: text(&mut h, &[TAG_IA5, TAG_PRINTABLE, TAG_UTF8], "header Vid")?,
    };
    h.finish()?;
    if header.id != "ES" {
        return Err(Error::malformed(
            "SES_SealInfo",
            format!("header ID is {:?}, not \"ES\"", header.id),
        ));
    }
    let es_id = text(&mut r, &[TAG_IA5, TAG_PRINTABLE, TAG_UTF8], "esID")?;
    let mut p = r.expect(asn1::TAG_SEQUENCE)?;
    let seal_type = integer(&mut p, "type")?;
    let name = text(&mut p, &[TAG_UTF8, TAG_IA5, TAG_PRINTABLE, 0x1e], "name")?;
    let typed = if p.peek_tag() == Some(asn1::TAG_INTEGER) {
        Some(integer(&mut p, "certListType")?)
    } else {
        None
    };
    let cert_list = cert_list(&mut p, typed)?;
    let property = PropertyInfo {
        seal_type,
        name,
        cert_list,
        create_date: time(&mut p, "createDate")?,
        valid_start: time(&mut p, "validStart")?,
        valid_end: time(&mut p, "validEnd")?,
    };
    p.finish()?;
    let mut pic = r.expect(asn1::TAG_SEQUENCE)?;
    let picture = Picture {
        kind: text(
            &mut pic,
            &[TAG_IA5, TAG_PRINTABLE, TAG_UTF8],
            "picture type",
        )?,
        data: bytes(&mut pic, "picture data")?,
        width_mm: integer(&mut pic, "picture width")?,
        height_mm: integer(&mut pic, "picture height")?,
    };
    pic.finish()?;
    let ext = if r.is_empty() {
        Vec::new()
    } else {
        ext_datas(&mut r)?
    };
    r.finish()?;
    Ok(SealInfo {
        header,
        es_id,
        property,
        picture,
        ext_datas: ext,
        raw: raw.to_vec(),
    })
}

/// `DER(SEQUENCE { sealInfo, cert OCTET STRING, alg OID })`, what a v1
/// maker signs.
pub(crate) fn v1_signed_bytes(
    seal_info_raw: &[u8],
    cert: &[u8],
    alg: &ObjectIdentifier,
) -> Vec<u8> {
    asn1::tlv(
        asn1::TAG_SEQUENCE,
        &[
            seal_info_raw.to_vec(),
            asn1::tlv(asn1::TAG_OCTET_STRING, cert),
            oid_der(alg),
        ]
        .concat(),
    )
}

pub(crate) fn oid_der(o: &ObjectIdentifier) -> Vec<u8> {
    o.to_der().unwrap_or_default()
}

impl Seal {
    /// Parse a seal (`.esl`), detecting the version from the header.
    pub fn from_der(raw: &[u8]) -> Result<Self> {
        let mut outer = Reader::new("seal", raw);
        let mut r = outer.expect(asn1::TAG_SEQUENCE)?;
        outer.finish()?;
        let (tag, info_raw, _) = r.any()?;
        if tag != asn1::TAG_SEQUENCE {
            return Err(Error::malformed("seal", "SES_SealInfo is not a SEQUENCE"));
        }
        let info = parse_seal_info(info_raw)?;
        let version = SealVersion::from_number(info.header.version)?;
        let (maker_cert, sign_alg, signature, time_stamp, signed_bytes) =
            if version == SealVersion::V1 {
                let mut s = r.expect(asn1::TAG_SEQUENCE)?;
                let cert = bytes(&mut s, "signInfo cert")?;
                let alg = oid(&mut s)?;
                let sig = bytes(&mut s, "signData")?;
                s.finish()?;
                let signed = v1_signed_bytes(info_raw, &cert, &alg);
                (cert, alg, sig, None, signed)
            } else {
                let cert = bytes(&mut r, "cert")?;
                let alg = oid(&mut r)?;
                let sig = bytes(&mut r, "signedValue")?;
                let ts = if r.is_empty() {
                    None
                } else {
                    let (tag, full, _) = r.any()?;
                    if tag & 0x1f != 0 || tag & 0xc0 != 0x80 {
                        return Err(Error::malformed(
                            "seal",
                            format!("unexpected element 0x{tag:02x} after signedValue"),
                        ));
                    }
                    Some(full.to_vec())
                };
                (cert, alg, sig, ts, info_raw.to_vec())
            };
        r.finish()?;
        Ok(Self {
            version,
            info,
            maker_cert,
            sign_alg,
            signature,
            time_stamp,
            signed_bytes,
            raw: raw.to_vec(),
        })
    }
}

impl SealSignature {
    /// Parse a signature (`SignedValue.dat`), detecting the version from the
    /// seal inside.
    pub fn from_der(raw: &[u8]) -> Result<Self> {
        let mut outer = Reader::new("seal signature", raw);
        let mut r = outer.expect(asn1::TAG_SEQUENCE)?;
        outer.finish()?;
        let (tag, tbs_raw, tbs_content) = r.any()?;
        if tag != asn1::TAG_SEQUENCE {
            return Err(Error::malformed(
                "seal signature",
                "TBS_Sign is not a SEQUENCE",
            ));
        }
        let mut t = Reader::new("TBS_Sign", tbs_content);
        let tbs_version = integer(&mut t, "TBS_Sign version")?;
        let (tag, seal_raw, _) = t.any()?;
        if tag != asn1::TAG_SEQUENCE {
            return Err(Error::malformed("TBS_Sign", "eseal is not a SEQUENCE"));
        }
        let seal = Seal::from_der(seal_raw)?;
        let (ttag, _, tcontent) = t.any()?;
        let time = match ttag {
            asn1::TAG_UTC_TIME | asn1::TAG_GENERALIZED_TIME => parse_time(ttag, tcontent)?,
            // v1: a BIT STRING (or OCTET STRING) holding a time, either as
            // a DER time or as its digits.
            TAG_BIT_STRING | asn1::TAG_OCTET_STRING => {
                let body = if ttag == TAG_BIT_STRING {
                    tcontent.get(1..).unwrap_or_default()
                } else {
                    tcontent
                };
                let mut inner = Reader::new("timeInfo", body);
                match inner.any() {
                    Ok((tg @ (asn1::TAG_UTC_TIME | asn1::TAG_GENERALIZED_TIME), _, c))
                        if inner.is_empty() =>
                    {
                        parse_time(tg, c)?
                    }
                    _ => parse_time(asn1::TAG_GENERALIZED_TIME, body)?,
                }
            }
            other => {
                return Err(Error::malformed(
                    "TBS_Sign",
                    format!("timeInfo: unexpected tag 0x{other:02x}"),
                ));
            }
        };
        let data_hash = bytes(&mut t, "dataHash")?;
        let property = text(&mut t, &[TAG_IA5, TAG_PRINTABLE, TAG_UTF8], "propertyInfo")?;
        let version = seal.version;
        let (signer_cert, sign_alg, signature, ext, time_stamp);
        if version == SealVersion::V1 {
            signer_cert = bytes(&mut t, "TBS_Sign cert")?;
            sign_alg = oid(&mut t)?;
            ext = if t.is_empty() {
                Vec::new()
            } else {
                ext_datas(&mut t)?
            };
            t.finish()?;
            signature = bytes(&mut r, "signature")?;
            time_stamp = None;
        } else {
            ext = if t.is_empty() {
                Vec::new()
            } else {
                ext_datas(&mut t)?
            };
            t.finish()?;
            signer_cert = bytes(&mut r, "cert")?;
            sign_alg = oid(&mut r)?;
            signature = bytes(&mut r, "signature")?;
            time_stamp = if r.is_empty() {
                None
            } else {
                let (tag, full, _) = r.any()?;
                if tag & 0xc0 != 0x80 || tag & 0x1f != 0 {
                    return Err(Error::malformed(
                        "seal signature",
                        format!("unexpected element 0x{tag:02x} after signature"),
                    ));
                }
                Some(full.to_vec())
            };
        }
        r.finish()?;
        Ok(Self {
            version,
            tbs_version,
            seal,
            time,
            data_hash,
            property,
            ext_datas: ext,
            signer_cert,
            sign_alg,
            signature,
            time_stamp,
            tbs_raw: tbs_raw.to_vec(),
            raw: raw.to_vec(),
        })
    }
}

// --------------------------------------------------------------- encoding

pub(crate) fn ia5(s: &str, field: &'static str) -> Result<Vec<u8>> {
    if !s.is_ascii() {
        return Err(Error::param(field, "must be ASCII (IA5String)"));
    }
    Ok(asn1::tlv(TAG_IA5, s.as_bytes()))
}

pub(crate) fn utf8(s: &str) -> Vec<u8> {
    asn1::tlv(TAG_UTF8, s.as_bytes())
}

pub(crate) fn int(v: u32) -> Vec<u8> {
    asn1::uint(&v.to_be_bytes())
}

pub(crate) fn bit_string(content: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(content.len() + 1);
    c.push(0);
    c.extend_from_slice(content);
    asn1::tlv(TAG_BIT_STRING, &c)
}

pub(crate) fn ext_datas_der(ext: &[ExtData]) -> Vec<u8> {
    let items: Vec<u8> = ext
        .iter()
        .flat_map(|e| {
            let mut c = oid_der(&e.oid);
            if e.critical {
                c.extend_from_slice(&[TAG_BOOLEAN, 1, 0xff]);
            }
            c.extend(asn1::tlv(asn1::TAG_OCTET_STRING, &e.value));
            asn1::tlv(asn1::TAG_SEQUENCE, &c)
        })
        .collect();
    asn1::tlv(asn1::TAG_SEQUENCE, &items)
}

impl SealInfo {
    /// Encode as strict DER for `version`.
    pub(crate) fn encode(&self, version: SealVersion) -> Result<Vec<u8>> {
        let v1 = version == SealVersion::V1;
        let h = &self.header;
        let header = asn1::tlv(
            asn1::TAG_SEQUENCE,
            &[
                ia5(&h.id, "header ID")?,
                int(h.version),
                ia5(&h.vid, "Vid")?,
            ]
            .concat(),
        );
        let p = &self.property;
        let list = match &p.cert_list {
            CertList::Certificates(certs) => asn1::tlv(
                asn1::TAG_SEQUENCE,
                &certs
                    .iter()
                    .flat_map(|c| asn1::tlv(asn1::TAG_OCTET_STRING, c))
                    .collect::<Vec<u8>>(),
            ),
            CertList::Digests(ds) => {
                if v1 {
                    return Err(Error::param(
                        "certList",
                        "v1 seals list certificates, not digests",
                    ));
                }
                let mut items = Vec::new();
                for (alg, d) in ds {
                    if !alg.is_ascii() {
                        return Err(Error::param("certDigest type", "must be ASCII"));
                    }
                    items.extend(asn1::tlv(
                        asn1::TAG_SEQUENCE,
                        &[
                            asn1::tlv(TAG_PRINTABLE, alg.as_bytes()),
                            asn1::tlv(asn1::TAG_OCTET_STRING, d),
                        ]
                        .concat(),
                    ));
                }
                asn1::tlv(asn1::TAG_SEQUENCE, &items)
            }
        };
        let mut prop = vec![int(p.seal_type), utf8(&p.name)];
        if !v1 {
            prop.push(int(match p.cert_list {
                CertList::Certificates(_) => 1,
                CertList::Digests(_) => 2,
            }));
        }
        prop.push(list);
        prop.push(time_der(p.create_date, v1)?);
        prop.push(time_der(p.valid_start, v1)?);
        prop.push(time_der(p.valid_end, v1)?);
        let property = asn1::tlv(asn1::TAG_SEQUENCE, &prop.concat());
        let pic = &self.picture;
        let picture = asn1::tlv(
            asn1::TAG_SEQUENCE,
            &[
                ia5(&pic.kind, "picture type")?,
                asn1::tlv(asn1::TAG_OCTET_STRING, &pic.data),
                int(pic.width_mm),
                int(pic.height_mm),
            ]
            .concat(),
        );
        let mut parts = vec![header, ia5(&self.es_id, "esID")?, property, picture];
        if !self.ext_datas.is_empty() {
            parts.push(ext_datas_der(&self.ext_datas));
        }
        Ok(asn1::tlv(asn1::TAG_SEQUENCE, &parts.concat()))
    }
}
