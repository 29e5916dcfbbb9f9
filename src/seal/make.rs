//! Making a seal: an image bound to the holders' certificates, signed by
//! the seal-making authority (制章人).

use std::time::SystemTime;

use rand_core::CryptoRng;

use super::types::{
    CertList, ExtData, Picture, PropertyInfo, Seal, SealHeader, SealInfo, SealVersion, bit_string,
    oid_der, v1_signed_bytes,
};
use crate::asn1;
use crate::cert::Certificate;
use crate::crypto::PrivateKey;
use crate::crypto::curve::OID_SM2_WITH_SM3;
use crate::crypto::sign::DEFAULT_USER_ID;
use crate::error::{Error, Result};

/// Largest image accepted (a seal travels inside every signature).
pub const MAX_IMAGE_BYTES: usize = 1 << 20;
/// Largest side of a seal in millimetres.
pub const MAX_SIDE_MM: u32 = 200;

/// What kind of seal, and the `type` code this SDK writes for it.
///
/// GM/T 0031 names 1 = organisation seal and 2 = personal seal; GB/T 38540
/// leaves the code to the issuer. This SDK keeps 1 and 2 and numbers the
/// specialised seals from 11; other codes read from peers' seals are kept
/// as they are ([`SealKind::Other`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SealKind {
    /// 单位公章 / company seal (1).
    CompanySeal,
    /// 个人印章 / personal private seal (2).
    PersonalSeal,
    /// 财务专用章 / finance seal (11).
    FinanceSeal,
    /// 合同专用章 / contract seal (12).
    ContractSeal,
    /// 法人名章 / legal-person private seal (13).
    LegalPersonSeal,
    /// 法人签名 / legal-person signature (14).
    LegalPersonSignature,
    /// 手写签名 / handwritten signature (15).
    HandwrittenSignature,
    /// A code this SDK does not name.
    Other(u32),
}

impl SealKind {
    const NAMED: [(SealKind, u32, &'static str, &'static str); 7] = [
        (SealKind::CompanySeal, 1, "company", "单位公章"),
        (SealKind::PersonalSeal, 2, "personal", "个人印章"),
        (SealKind::FinanceSeal, 11, "finance", "财务专用章"),
        (SealKind::ContractSeal, 12, "contract", "合同专用章"),
        (SealKind::LegalPersonSeal, 13, "legal-person", "法人名章"),
        (
            SealKind::LegalPersonSignature,
            14,
            "legal-person-signature",
            "法人签名",
        ),
        (
            SealKind::HandwrittenSignature,
            15,
            "handwritten",
            "手写签名",
        ),
    ];

    /// The `type` code.
    pub fn code(self) -> u32 {
        match self {
            SealKind::Other(c) => c,
            k => Self::NAMED
                .iter()
                .find(|(n, ..)| *n == k)
                .map(|(_, c, ..)| *c)
                .unwrap_or(0),
        }
    }

    /// From a `type` code.
    pub fn from_code(code: u32) -> Self {
        Self::NAMED
            .iter()
            .find(|(_, c, ..)| *c == code)
            .map(|(k, ..)| *k)
            .unwrap_or(SealKind::Other(code))
    }

    /// The command-line name.
    pub fn name(self) -> String {
        match self {
            SealKind::Other(c) => format!("type-{c}"),
            k => Self::NAMED
                .iter()
                .find(|(n, ..)| *n == k)
                .map(|(_, _, s, _)| s.to_string())
                .unwrap_or_default(),
        }
    }

    /// The name the app shows.
    pub fn label_zh(self) -> String {
        match self {
            SealKind::Other(c) => format!("类型{c}"),
            k => Self::NAMED
                .iter()
                .find(|(n, ..)| *n == k)
                .map(|(.., z)| z.to_string())
                .unwrap_or_default(),
        }
    }

    /// True for the kinds a person (rather than an enterprise) holds.
    pub fn is_personal(self) -> bool {
        matches!(
            self,
            SealKind::PersonalSeal | SealKind::HandwrittenSignature
        )
    }
}

impl std::str::FromStr for SealKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::NAMED
            .iter()
            .find(|(_, _, n, _)| *n == s)
            .map(|(k, ..)| *k)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::NAMED.iter().map(|(_, _, n, _)| *n).collect();
                Error::param(
                    "seal kind",
                    format!("{s:?}; expected one of {}", names.join(", ")),
                )
            })
    }
}

/// Image formats, detected from the bytes (never from a file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageType {
    /// PNG.
    Png,
    /// JPEG.
    Jpeg,
    /// GIF.
    Gif,
    /// BMP.
    Bmp,
    /// SVG (XML text with an `<svg` element).
    Svg,
    /// OFD (a ZIP package with `OFD.xml`), as vector stamps are shipped.
    Ofd,
}

impl ImageType {
    /// Detect the format of `data`.
    pub fn detect(data: &[u8]) -> Result<Self> {
        if data.starts_with(b"\x89PNG\r\n\x1a\n") {
            Ok(ImageType::Png)
        } else if data.starts_with(&[0xff, 0xd8, 0xff]) {
            Ok(ImageType::Jpeg)
        } else if data.starts_with(b"GIF87a") || data.starts_with(b"GIF89a") {
            Ok(ImageType::Gif)
        } else if data.starts_with(b"BM") && data.len() > 26 {
            Ok(ImageType::Bmp)
        } else if data.starts_with(b"PK\x03\x04") {
            if data.windows(7).any(|w| w == b"OFD.xml") {
                Ok(ImageType::Ofd)
            } else {
                Err(Error::param(
                    "image",
                    "a ZIP file without OFD.xml is not an OFD stamp",
                ))
            }
        } else {
            let head = String::from_utf8_lossy(&data[..data.len().min(4096)]).to_ascii_lowercase();
            let t = head.trim_start_matches('\u{feff}').trim_start();
            if (t.starts_with("<?xml") || t.starts_with("<svg") || t.starts_with("<!--"))
                && t.contains("<svg")
            {
                Ok(ImageType::Svg)
            } else {
                Err(Error::param("image", "not PNG, JPEG, GIF, BMP, SVG or OFD"))
            }
        }
    }

    /// The type string written into the seal.
    pub fn type_string(self) -> &'static str {
        match self {
            ImageType::Png => "PNG",
            ImageType::Jpeg => "JPG",
            ImageType::Gif => "GIF",
            ImageType::Bmp => "BMP",
            ImageType::Svg => "SVG",
            ImageType::Ofd => "OFD",
        }
    }

    /// A file extension for writing the image out.
    pub fn extension(self) -> &'static str {
        match self {
            ImageType::Png => "png",
            ImageType::Jpeg => "jpg",
            ImageType::Gif => "gif",
            ImageType::Bmp => "bmp",
            ImageType::Svg => "svg",
            ImageType::Ofd => "ofd",
        }
    }
}

/// What a seal is made of.
#[derive(Debug, Clone)]
pub struct SealRequest {
    /// Format version (v4 by default).
    pub version: SealVersion,
    /// The kind.
    pub kind: SealKind,
    /// The seal's name (e.g. the enterprise's name and the seal's use).
    pub name: String,
    /// The seal's id (esID), unique at the maker.
    pub es_id: String,
    /// The maker's vendor id (Vid).
    pub vendor_id: String,
    /// The image.
    pub image: Vec<u8>,
    /// Width in millimetres.
    pub width_mm: u32,
    /// Height in millimetres.
    pub height_mm: u32,
    /// The holders' certificates the seal is bound to (at least one).
    pub holder_certs: Vec<Certificate>,
    /// Made on.
    pub created: SystemTime,
    /// Valid from.
    pub valid_start: SystemTime,
    /// Valid until.
    pub valid_end: SystemTime,
    /// Extension data.
    pub ext_datas: Vec<ExtData>,
    /// v5 only: a time stamp to carry (the BIT STRING content).
    pub time_stamp: Option<Vec<u8>>,
}

/// Make and sign a seal with the maker's key and certificate.
pub fn make_seal<R: CryptoRng + ?Sized>(
    req: &SealRequest,
    maker_key: &PrivateKey,
    maker_cert: &Certificate,
    rng: &mut R,
) -> Result<Seal> {
    if maker_key.public_key() != *maker_cert.public_key() {
        return Err(Error::KeyMismatch);
    }
    let image_type = ImageType::detect(&req.image)?;
    if req.image.len() > MAX_IMAGE_BYTES {
        return Err(Error::length(
            "seal image",
            format!("at most {MAX_IMAGE_BYTES} bytes"),
            req.image.len(),
        ));
    }
    for (field, v) in [("width_mm", req.width_mm), ("height_mm", req.height_mm)] {
        if v == 0 || v > MAX_SIDE_MM {
            return Err(Error::param(
                field,
                format!("{v} mm is outside 1 to {MAX_SIDE_MM}"),
            ));
        }
    }
    let name_chars = req.name.chars().count();
    if name_chars == 0 || name_chars > 100 {
        return Err(Error::length(
            "seal name",
            "1 to 100 characters",
            name_chars,
        ));
    }
    if req.es_id.is_empty() || req.es_id.len() > 64 || !req.es_id.is_ascii() {
        return Err(Error::param("esID", "1 to 64 ASCII characters"));
    }
    if req.holder_certs.is_empty() {
        return Err(Error::param(
            "holder certificates",
            "a seal is bound to at least one certificate",
        ));
    }
    if req.valid_end <= req.valid_start {
        return Err(Error::param(
            "validity",
            "validEnd must be after validStart",
        ));
    }
    if req.time_stamp.is_some() && req.version != SealVersion::V5 {
        return Err(Error::param(
            "time stamp",
            "only version 5 seals carry a time stamp",
        ));
    }
    let info = SealInfo {
        header: SealHeader {
            id: "ES".into(),
            version: req.version.number(),
            vid: req.vendor_id.clone(),
        },
        es_id: req.es_id.clone(),
        property: PropertyInfo {
            seal_type: req.kind.code(),
            name: req.name.clone(),
            cert_list: CertList::Certificates(
                req.holder_certs.iter().map(|c| c.der().to_vec()).collect(),
            ),
            create_date: req.created,
            valid_start: req.valid_start,
            valid_end: req.valid_end,
        },
        picture: Picture {
            kind: image_type.type_string().into(),
            data: req.image.clone(),
            width_mm: req.width_mm,
            height_mm: req.height_mm,
        },
        ext_datas: req.ext_datas.clone(),
        raw: Vec::new(),
    };
    let info_der = info.encode(req.version)?;
    let cert = maker_cert.der();
    let signed = match req.version {
        SealVersion::V1 => v1_signed_bytes(&info_der, cert, &OID_SM2_WITH_SM3),
        _ => info_der.clone(),
    };
    let sig = maker_key.sign(DEFAULT_USER_ID, &signed, rng)?.to_der();
    let body = match req.version {
        SealVersion::V1 => {
            let sign_info = asn1::tlv(
                asn1::TAG_SEQUENCE,
                &[
                    asn1::tlv(asn1::TAG_OCTET_STRING, cert),
                    oid_der(&OID_SM2_WITH_SM3),
                    bit_string(&sig),
                ]
                .concat(),
            );
            [info_der, sign_info].concat()
        }
        _ => {
            let mut parts = vec![
                info_der,
                asn1::tlv(asn1::TAG_OCTET_STRING, cert),
                oid_der(&OID_SM2_WITH_SM3),
                bit_string(&sig),
            ];
            if let Some(ts) = &req.time_stamp {
                parts.push(asn1::tlv(0xa0, &bit_string(ts)));
            }
            parts.concat()
        }
    };
    Seal::from_der(&asn1::tlv(asn1::TAG_SEQUENCE, &body))
}
