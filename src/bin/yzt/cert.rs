//! `yzt ca`, `yzt cert` and `yzt crl`: a CA in a directory, issuing,
//! showing and verifying certificates, lifecycle changes and CRLs.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use serde_json::json;
use yizhengtong::Error;
use yizhengtong::cert::dir::CaDirectory;
use yizhengtong::cert::{
    CaConfig, CertUsage, Certificate, CertificateAuthority, CertificateDetail, Crl,
    EndEntityRequest, Holder, HolderKind, IntendedUse, Medium, RevocationReason, VerifyOptions,
    parse_dn, verify_chain,
};
use yizhengtong::crypto::{PrivateKey, PublicKey};
use yizhengtong::time::{format_rfc3339, parse_rfc3339};

use crate::{Failure, read, write};

/// Where the CA key's password comes from.
#[derive(Args)]
pub struct CaPassword {
    /// Environment variable holding the CA key's password.
    #[arg(long, value_name = "VAR", default_value = "YZT_CA_PASSWORD")]
    password_env: String,
}

impl CaPassword {
    pub(crate) fn get(&self) -> Result<zeroize::Zeroizing<String>, Error> {
        std::env::var(&self.password_env)
            .map(zeroize::Zeroizing::new)
            .map_err(|_| {
                Error::param(
                    "--password-env",
                    format!(
                        "set {} to the CA key's password (the key is never stored in plain text)",
                        self.password_env
                    ),
                )
            })
    }
}

#[derive(Subcommand)]
pub enum CaCommand {
    /// Create a CA in a directory: a self-signed root, or with --issuer-dir
    /// an intermediate (issuing) CA signed by that CA.
    Init {
        /// Subject, e.g. "C=CN,O=Example Trust,CN=Example SM2 Root".
        #[arg(long)]
        subject: String,
        /// Directory to create.
        #[arg(long)]
        out_dir: PathBuf,
        /// Validity in days (default: 3650 for a root; for an issuing CA,
        /// until its issuer's certificate ends).
        #[arg(long)]
        days: Option<u32>,
        /// CRL distribution point URI written into the certificates it issues.
        #[arg(long)]
        crl_url: Option<String>,
        /// Make an intermediate CA signed by the CA in this directory.
        #[arg(long)]
        issuer_dir: Option<PathBuf>,
        /// pathLenConstraint of an intermediate CA.
        #[arg(long)]
        path_len: Option<u8>,
        #[command(flatten)]
        password: CaPassword,
    },
}

#[derive(Subcommand)]
pub enum CertCommand {
    /// Issue an end-entity certificate.
    Issue(IssueArgs),
    /// Show a certificate as JSON.
    Show {
        /// Certificate (PEM or DER).
        cert: PathBuf,
    },
    /// Verify a certificate chain against trust anchors.
    Verify(VerifyArgs),
    /// Revoke a certificate.
    Revoke(ChangeArgs),
    /// Freeze a certificate (certificateHold).
    Freeze(ChangeArgs),
    /// Unfreeze a frozen certificate.
    Unfreeze(ChangeArgs),
    /// The status of a certificate by serial, as a platform would query it.
    Status(ChangeArgs),
}

#[derive(Args)]
pub struct IssueArgs {
    /// The CA directory.
    #[arg(long)]
    ca_dir: PathBuf,
    #[command(flatten)]
    password: CaPassword,
    /// The holder's public key (SPKI PEM/DER or a raw point).
    #[arg(long = "pub")]
    public: PathBuf,
    /// personal or enterprise.
    #[arg(long)]
    kind: String,
    /// sign, encrypt or login.
    #[arg(long, default_value = "sign")]
    usage: String,
    /// mobile or usb-key.
    #[arg(long, default_value = "mobile")]
    medium: String,
    /// The person's or enterprise's name.
    #[arg(long)]
    name: String,
    /// ID number (personal) or unified social credit code (enterprise).
    #[arg(long)]
    id_number: String,
    /// Validity in days (the package term).
    #[arg(long)]
    days: u32,
    /// Start of validity (RFC 3339; default now).
    #[arg(long)]
    not_before: Option<String>,
    /// Where to write the certificate (PEM).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// A trust anchor (repeatable).
    #[arg(long = "ca", required = true)]
    anchors: Vec<PathBuf>,
    /// A CRL to consult (repeatable).
    #[arg(long = "crl")]
    crls: Vec<PathBuf>,
    /// Verify at this time (RFC 3339; default now).
    #[arg(long)]
    at: Option<String>,
    /// The intended use: any, sign or encrypt.
    #[arg(long, default_value = "any")]
    usage: String,
    /// The certificate, then any intermediates (files may hold several).
    #[arg(required = true)]
    certs: Vec<PathBuf>,
}

#[derive(Args)]
pub struct ChangeArgs {
    /// The CA directory.
    #[arg(long)]
    ca_dir: PathBuf,
    #[command(flatten)]
    password: CaPassword,
    /// Serial number (hex).
    #[arg(long)]
    serial: String,
    /// Revocation reason (RFC 5280 name, e.g. keyCompromise, superseded).
    #[arg(long, default_value = "unspecified")]
    reason: String,
    /// When (RFC 3339; default now).
    #[arg(long)]
    at: Option<String>,
}

#[derive(Args)]
pub struct CrlArgs {
    /// The CA directory.
    #[arg(long)]
    ca_dir: PathBuf,
    #[command(flatten)]
    password: CaPassword,
    /// Where to write the CRL (PEM).
    #[arg(long)]
    out: PathBuf,
    /// Days until nextUpdate.
    #[arg(long, default_value_t = 7)]
    days: u32,
    /// thisUpdate (RFC 3339; default now).
    #[arg(long)]
    at: Option<String>,
}

fn time_or_now(t: &Option<String>) -> Result<SystemTime, Error> {
    match t {
        Some(s) => parse_rfc3339(s),
        None => Ok(SystemTime::now()),
    }
}

pub fn ca(cmd: CaCommand) -> Result<(), Failure> {
    let mut rng = rand::rng();
    match cmd {
        CaCommand::Init {
            subject,
            out_dir,
            days,
            crl_url,
            issuer_dir,
            path_len,
            password,
        } => {
            let pw = password.get()?;
            let name = parse_dn(&subject)?;
            let key = PrivateKey::generate(&mut rng);
            let config = CaConfig {
                crl_url,
                ..CaConfig::default()
            };
            let now = SystemTime::now();
            let (ca, chain) = match issuer_dir {
                None => (
                    CertificateAuthority::create_root(
                        key,
                        name,
                        now,
                        days.unwrap_or(3650),
                        config,
                        &mut rng,
                    )?,
                    Vec::new(),
                ),
                Some(dir) => {
                    let parent_dir = CaDirectory::new(dir);
                    let parent = parent_dir.open(pw.as_bytes())?;
                    // By default the issuing CA ends with its issuer (whole
                    // days that fit), so it is always inside it.
                    let days = match days {
                        Some(d) => d,
                        None => {
                            let left = parent
                                .authority()
                                .certificate()
                                .not_after()
                                .duration_since(now)
                                .map(|d| d.as_secs() / 86_400)
                                .unwrap_or(0);
                            u32::try_from(left).unwrap_or(u32::MAX)
                        }
                    };
                    let cert = parent.authority().issue_ca(
                        &key.public_key(),
                        name,
                        now,
                        days,
                        path_len,
                        &mut rng,
                    )?;
                    let mut chain = vec![parent.authority().certificate().clone()];
                    chain.extend(parent_dir.chain()?);
                    (CertificateAuthority::from_parts(key, cert, config)?, chain)
                }
            };
            CaDirectory::new(&out_dir).create(&ca, &chain, pw.as_bytes(), &mut rng)?;
            println!(
                "{}",
                json!({"ca_dir": out_dir, "subject": ca.certificate().subject(), "serial": ca.certificate().serial_hex()})
            );
        }
    }
    Ok(())
}

pub fn cert(cmd: CertCommand) -> Result<(), Failure> {
    let mut rng = rand::rng();
    match cmd {
        CertCommand::Issue(a) => {
            let dir = CaDirectory::new(&a.ca_dir);
            let mut ca = dir.open(a.password.get()?.as_bytes())?;
            let holder = match a.kind.parse::<HolderKind>()? {
                HolderKind::Personal => Holder::person(&a.name, &a.id_number)?,
                HolderKind::Enterprise => Holder::enterprise(&a.name, &a.id_number)?,
            };
            let req = EndEntityRequest {
                holder,
                usage: a.usage.parse::<CertUsage>()?,
                medium: a.medium.parse::<Medium>()?,
                public_key: PublicKey::from_any(&read(&a.public)?)?,
                not_before: time_or_now(&a.not_before)?,
                days: a.days,
            };
            let cert = ca.issue(&req, SystemTime::now(), &mut rng)?;
            dir.save(&ca)?;
            write(&a.out, cert.to_pem().as_bytes())?;
            println!(
                "{}",
                json!({"serial": cert.serial_hex(), "subject": cert.subject()})
            );
        }
        CertCommand::Show { cert } => {
            let c = Certificate::from_any(&read(&cert)?)?;
            println!(
                "{}",
                serde_json::to_string_pretty(&view(&c)?).unwrap_or_default()
            );
        }
        CertCommand::Verify(a) => return verify(a),
        CertCommand::Revoke(a) => change(a, "revoke")?,
        CertCommand::Freeze(a) => change(a, "freeze")?,
        CertCommand::Unfreeze(a) => change(a, "unfreeze")?,
        CertCommand::Status(a) => {
            let ca = CaDirectory::new(&a.ca_dir).open(a.password.get()?.as_bytes())?;
            let answer = ca.status(&a.serial, time_or_now(&a.at)?)?;
            println!("{}", serde_json::to_string(&answer).unwrap_or_default());
        }
    }
    Ok(())
}

fn change(a: ChangeArgs, action: &str) -> Result<(), Error> {
    let dir = CaDirectory::new(&a.ca_dir);
    let mut ca = dir.open(a.password.get()?.as_bytes())?;
    let at = time_or_now(&a.at)?;
    match action {
        "revoke" => ca.revoke(&a.serial, a.reason.parse::<RevocationReason>()?, at)?,
        "freeze" => ca.freeze(&a.serial, at)?,
        _ => ca.unfreeze(&a.serial, at)?,
    }
    dir.save(&ca)?;
    let answer = ca.status(&a.serial, at)?;
    println!("{}", serde_json::to_string(&answer).unwrap_or_default());
    Ok(())
}

pub fn crl(a: CrlArgs) -> Result<(), Failure> {
    let dir = CaDirectory::new(&a.ca_dir);
    let mut ca = dir.open(a.password.get()?.as_bytes())?;
    if a.days == 0 || a.days > 366 {
        return Err(Error::param("--days", "must be 1 to 366").into());
    }
    let der = ca.crl(
        time_or_now(&a.at)?,
        Duration::from_secs(u64::from(a.days) * 86_400),
        &mut rand::rng(),
    )?;
    dir.save(&ca)?;
    let crl = Crl::from_der(&der)?;
    write(&a.out, crl.to_pem().as_bytes())?;
    println!(
        "{}",
        json!({"crl_number": crl.number(), "entries": crl.entries().len()})
    );
    Ok(())
}

fn verify(a: VerifyArgs) -> Result<(), Failure> {
    let mut anchors = Vec::new();
    for p in &a.anchors {
        anchors.extend(Certificate::parse_all(&read(p)?)?);
    }
    let mut certs = Vec::new();
    for p in &a.certs {
        certs.extend(Certificate::parse_all(&read(p)?)?);
    }
    let (leaf, intermediates) = certs
        .split_first()
        .ok_or_else(|| Error::param("certs", "no certificate given"))?;
    let crls = a
        .crls
        .iter()
        .map(|p| Crl::from_any(&read(p)?))
        .collect::<Result<Vec<_>, _>>()?;
    let usage = match a.usage.as_str() {
        "any" => IntendedUse::Any,
        "sign" => IntendedUse::Signature,
        "encrypt" => IntendedUse::Encryption,
        other => {
            return Err(Error::param(
                "--usage",
                format!("{other:?}; expected any, sign or encrypt"),
            )
            .into());
        }
    };
    let mut opts = VerifyOptions::at(time_or_now(&a.at)?);
    opts.usage = usage;
    opts.crls = &crls;
    match verify_chain(leaf, intermediates, &anchors, &opts) {
        Ok(chain) => {
            let subjects: Vec<String> = chain
                .certificates
                .iter()
                .map(Certificate::subject)
                .collect();
            println!("{}", json!({"valid": true, "chain": subjects}));
            Ok(())
        }
        Err(Error::Certificate {
            index,
            subject,
            check,
            detail,
        }) => {
            println!(
                "{}",
                json!({"valid": false, "index": index, "subject": subject, "check": check.to_string(), "detail": detail})
            );
            Err(Failure::False)
        }
        Err(e) => Err(e.into()),
    }
}

fn view(c: &Certificate) -> Result<serde_json::Value, Error> {
    let profile = c.profile()?;
    let (ca, path_len) = match c.basic_constraints()? {
        Some((ca, p)) => (Some(ca), p),
        None => (None, None),
    };
    Ok(json!({
        "subject": c.subject(),
        "issuer": c.issuer(),
        "serial": c.serial_hex(),
        "not_before": format_rfc3339(c.not_before()),
        "not_after": format_rfc3339(c.not_after()),
        "signature_algorithm": c.signature_algorithm().to_string(),
        "public_key": yizhengtong::hex::encode(&c.public_key().to_sec1_bytes(false)),
        "ca": ca,
        "path_len": path_len,
        "key_usage": c.key_usage()?.map(|k| k.names()),
        "extended_key_usage": c.extended_key_usage()?.map(|v| v.iter().map(|o| o.to_string()).collect::<Vec<_>>()),
        "subject_key_id": c.subject_key_id()?.map(|k| yizhengtong::hex::encode(&k)),
        "authority_key_id": c.authority_key_id()?.map(|k| yizhengtong::hex::encode(&k)),
        "crl_distribution_points": c.crl_distribution_uris()?,
        "profile": profile.map(|p| json!({"holder": p.holder.name(), "usage": p.usage.name(), "medium": p.medium.name()})),
        "detail": CertificateDetail::of(c)?,
    }))
}
