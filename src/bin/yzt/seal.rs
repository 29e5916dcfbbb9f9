//! `yzt seal`: make, show, stamp and verify electronic seals.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Subcommand;
use serde_json::json;
use yizhengtong::Error;
use yizhengtong::cert::{Certificate, Crl};
use yizhengtong::crypto::{PrivateKey, sm3};
use yizhengtong::seal::{
    CertList, ImageType, Seal, SealKind, SealRequest, SealSignature, SealVerifyOptions,
    SealVersion, StampRequest, key_signer, make_seal, stamp, verify_signature,
};
use yizhengtong::time::{format_rfc3339, parse_rfc3339};

use crate::{Failure, read, write};

#[derive(Subcommand)]
pub enum SealCommand {
    /// Make a seal: an image bound to holder certificates, signed by the maker.
    Make {
        /// The maker's private key.
        #[arg(long)]
        maker_key: PathBuf,
        /// The maker's certificate.
        #[arg(long)]
        maker_cert: PathBuf,
        /// A holder certificate (repeatable).
        #[arg(long = "holder-cert", required = true)]
        holder_certs: Vec<PathBuf>,
        /// The image (PNG, JPEG, GIF, BMP, SVG or OFD; detected from its bytes).
        #[arg(long)]
        image: PathBuf,
        /// The seal's name.
        #[arg(long)]
        name: String,
        /// company, personal, finance, contract, legal-person, legal-person-signature, handwritten.
        #[arg(long)]
        kind: String,
        /// Width in millimetres.
        #[arg(long)]
        width_mm: u32,
        /// Height in millimetres.
        #[arg(long)]
        height_mm: u32,
        /// Format version: 1, 4 (default) or 5.
        #[arg(long, default_value = "4")]
        version: String,
        /// Validity in days from now.
        #[arg(long, default_value_t = 1095)]
        days: u32,
        /// The seal id (esID); default: derived from the image and time.
        #[arg(long)]
        es_id: Option<String>,
        /// The maker's vendor id.
        #[arg(long, default_value = "YZT")]
        vendor_id: String,
        /// Where to write the seal.
        #[arg(long)]
        out: PathBuf,
    },
    /// Show a seal or a signed value as JSON.
    Show {
        /// A seal (.esl) or a signature (SignedValue.dat).
        file: PathBuf,
        /// Write the picture to this file.
        #[arg(long)]
        image_out: Option<PathBuf>,
    },
    /// Stamp a document: an SES_Signature over SM3 of the file.
    Stamp {
        /// The seal.
        #[arg(long)]
        seal: PathBuf,
        /// The signer's private key.
        #[arg(long)]
        key: PathBuf,
        /// The signer's certificate (must be in the seal's list).
        #[arg(long)]
        cert: PathBuf,
        /// The document.
        #[arg(long = "in")]
        input: PathBuf,
        /// The protected range (ASCII), e.g. /Doc_0/Signs/Sign_0/Signature.xml.
        #[arg(long)]
        property: String,
        /// The signing time (RFC 3339; default now).
        #[arg(long)]
        at: Option<String>,
        /// Where to write the signature.
        #[arg(long)]
        out: PathBuf,
    },
    /// Verify a signed value; prints the step report (exit 1 when a check fails).
    Verify {
        /// The signature (SignedValue.dat).
        #[arg(long)]
        signed: PathBuf,
        /// The signed document, for the digest check.
        #[arg(long)]
        data: Option<PathBuf>,
        /// A trust anchor for the maker's and signer's chains (repeatable).
        #[arg(long = "ca")]
        anchors: Vec<PathBuf>,
        /// A CRL for the chains (repeatable).
        #[arg(long = "crl")]
        crls: Vec<PathBuf>,
    },
}

fn certs_of(list: &CertList) -> serde_json::Value {
    match list {
        CertList::Certificates(certs) => json!(
            certs
                .iter()
                .map(|c| match Certificate::from_der(c) {
                    Ok(cert) => json!({"subject": cert.subject(), "serial": cert.serial_hex()}),
                    Err(e) => json!({"error": e.to_string()}),
                })
                .collect::<Vec<_>>()
        ),
        CertList::Digests(ds) => json!(ds
            .iter()
            .map(|(alg, d)| json!({"digest_algorithm": alg, "digest": yizhengtong::hex::encode(d)}))
            .collect::<Vec<_>>()),
    }
}

fn seal_json(s: &Seal) -> serde_json::Value {
    let p = &s.info.property;
    let kind = SealKind::from_code(p.seal_type);
    let detected = ImageType::detect(&s.info.picture.data)
        .map(|t| t.type_string())
        .ok();
    let maker = Certificate::from_der(&s.maker_cert).ok();
    json!({
        "version": s.version.number(),
        "vendor_id": s.info.header.vid,
        "es_id": s.info.es_id,
        "name": p.name,
        "kind": {"code": p.seal_type, "name": kind.name(), "label": kind.label_zh()},
        "created": format_rfc3339(p.create_date),
        "valid_start": format_rfc3339(p.valid_start),
        "valid_end": format_rfc3339(p.valid_end),
        "image": {
            "type": s.info.picture.kind,
            "detected": detected,
            "bytes": s.info.picture.data.len(),
            "width_mm": s.info.picture.width_mm,
            "height_mm": s.info.picture.height_mm,
        },
        "certificates": certs_of(&p.cert_list),
        "maker": maker.map(|m| json!({"subject": m.subject(), "serial": m.serial_hex()})),
        "ext_datas": s.info.ext_datas.iter().map(|e| json!({"oid": e.oid.to_string(), "critical": e.critical})).collect::<Vec<_>>(),
        "time_stamp": s.time_stamp.is_some(),
    })
}

pub fn run(cmd: SealCommand) -> Result<(), Failure> {
    let mut rng = rand::rng();
    match cmd {
        SealCommand::Make {
            maker_key,
            maker_cert,
            holder_certs,
            image,
            name,
            kind,
            width_mm,
            height_mm,
            version,
            days,
            es_id,
            vendor_id,
            out,
        } => {
            let key = PrivateKey::from_any(&read(&maker_key)?)?;
            let cert = Certificate::from_any(&read(&maker_cert)?)?;
            let holders = holder_certs
                .iter()
                .map(|p| Certificate::from_any(&read(p)?))
                .collect::<Result<Vec<_>, Error>>()?;
            let image = read(&image)?;
            let now = SystemTime::now();
            let es_id = es_id.unwrap_or_else(|| {
                let mut seed = image.clone();
                seed.extend_from_slice(format_rfc3339(now).as_bytes());
                yizhengtong::hex::encode(&sm3(&seed)[..16])
            });
            if days == 0 || days > 36_600 {
                return Err(Error::param("--days", "must be 1 to 36600").into());
            }
            let req = SealRequest {
                version: version.parse::<SealVersion>()?,
                kind: kind.parse::<SealKind>()?,
                name,
                es_id,
                vendor_id,
                image,
                width_mm,
                height_mm,
                holder_certs: holders,
                created: now,
                valid_start: now,
                valid_end: now + Duration::from_secs(u64::from(days) * 86_400),
                ext_datas: Vec::new(),
                time_stamp: None,
            };
            let seal = make_seal(&req, &key, &cert, &mut rng)?;
            write(&out, &seal.raw)?;
            println!(
                "{}",
                json!({"es_id": seal.info.es_id, "version": seal.version.number(), "bytes": seal.raw.len()})
            );
        }
        SealCommand::Show { file, image_out } => {
            let data = read(&file)?;
            let (value, seal) = match Seal::from_der(&data) {
                Ok(seal) => (json!({"seal": seal_json(&seal)}), seal),
                Err(seal_err) => match SealSignature::from_der(&data) {
                    Ok(sig) => {
                        let signer = Certificate::from_der(&sig.signer_cert).ok();
                        (
                            json!({
                                "signature": {
                                    "version": sig.tbs_version,
                                    "time": format_rfc3339(sig.time),
                                    "data_hash": yizhengtong::hex::encode(&sig.data_hash),
                                    "property": sig.property,
                                    "signer": signer.map(|c| json!({"subject": c.subject(), "serial": c.serial_hex()})),
                                    "time_stamp": sig.time_stamp.is_some(),
                                },
                                "seal": seal_json(&sig.seal),
                            }),
                            sig.seal,
                        )
                    }
                    Err(_) => return Err(seal_err.into()),
                },
            };
            if let Some(p) = image_out {
                write(&p, &seal.info.picture.data)?;
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            );
        }
        SealCommand::Stamp {
            seal,
            key,
            cert,
            input,
            property,
            at,
            out,
        } => {
            let seal = Seal::from_der(&read(&seal)?)?;
            let key = PrivateKey::from_any(&read(&key)?)?;
            let cert = Certificate::from_any(&read(&cert)?)?;
            let req = StampRequest {
                seal: &seal,
                signer_cert: &cert,
                data_hash: sm3(&read(&input)?),
                property: &property,
                time: match at {
                    Some(s) => parse_rfc3339(&s)?,
                    None => SystemTime::now(),
                },
                ext_datas: Vec::new(),
                time_stamp: None,
            };
            let sig = stamp(&req, key_signer(&key, &mut rng))?;
            write(&out, &sig.raw)?;
            println!(
                "{}",
                json!({"time": format_rfc3339(sig.time), "bytes": sig.raw.len()})
            );
        }
        SealCommand::Verify {
            signed,
            data,
            anchors,
            crls,
        } => {
            let sig = SealSignature::from_der(&read(&signed)?)?;
            let mut trust = Vec::new();
            for p in &anchors {
                trust.extend(Certificate::parse_all(&read(p)?)?);
            }
            let crls = crls
                .iter()
                .map(|p| Crl::from_any(&read(p)?))
                .collect::<Result<Vec<_>, _>>()?;
            let doc = match &data {
                Some(p) => Some(read(p)?),
                None => None,
            };
            let opts = SealVerifyOptions {
                anchors: &trust,
                crls: &crls,
                ..Default::default()
            };
            let report = verify_signature(&sig, doc.as_deref(), &opts);
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
            if !report.valid {
                return Err(Failure::False);
            }
        }
    }
    Ok(())
}
