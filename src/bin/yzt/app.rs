//! `yzt app`: the phone simulator. A holder's keys (in PIN containers),
//! certificates and seals in an app directory (`qr::wallet`); scanning a
//! QR code against the app's platform registry, answering it and
//! submitting the answer to the platform's service.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand};
use serde_json::json;
use yizhengtong::Error;
use yizhengtong::cert::Certificate;
use yizhengtong::cert::dir::CaDirectory;
use yizhengtong::crypto::container::ContainerParams;
use yizhengtong::qr::challenge::QR_PREFIX;
use yizhengtong::qr::wallet::{AppDirectory, HolderSetup, IdentityKind, submit_url};
use yizhengtong::qr::{Action, ActionInput, respond, scan};

use crate::cert::CaPassword;
use crate::{Failure, read, write};

/// How long a submission may take.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(10);
/// The protected range stamped when `--property` is not given (`stamp`
/// refuses an empty one).
const DEFAULT_PROPERTY: &str = "/Doc_0/Signs/Sign_0/Signature.xml";

#[derive(Subcommand)]
pub enum AppCommand {
    /// Set up a holder in a new app directory: keys in PIN containers,
    /// certificates issued by a CA directory, seals; prints a JSON summary.
    Init(InitArgs),
    /// Trust a platform: add it to the registry, or replace it.
    Trust(TrustArgs),
    /// Scan a QR code: show what the phone shows, answer with the PIN,
    /// write or submit the response (exit 1 when the service refuses it).
    Scan(ScanArgs),
}

#[derive(Args)]
pub struct InitArgs {
    /// The app directory to create.
    #[arg(long)]
    dir: PathBuf,
    /// The CA directory that issues the certificates.
    #[arg(long)]
    ca_dir: PathBuf,
    #[command(flatten)]
    password: CaPassword,
    /// The person's real name.
    #[arg(long)]
    name: String,
    /// The person's ID number.
    #[arg(long)]
    id_number: String,
    /// The account's mobile number (the app user).
    #[arg(long)]
    mobile: String,
    /// The PIN of every key container (six digits).
    #[arg(long)]
    pin: String,
    /// The enterprise the holder acts for.
    #[arg(long, requires = "credit_code")]
    enterprise_name: Option<String>,
    /// The enterprise's unified social credit code.
    #[arg(long, requires = "enterprise_name")]
    credit_code: Option<String>,
    /// Validity of the certificates and seals in days.
    #[arg(long, default_value_t = 365)]
    days: u32,
}

#[derive(Args)]
pub struct TrustArgs {
    /// The app directory.
    #[arg(long)]
    dir: PathBuf,
    /// The platform's system code (a letter and 10 digits).
    #[arg(long)]
    code: String,
    /// The platform's name, as the app shows it.
    #[arg(long)]
    name: String,
    /// The certificate that signs the platform's QR codes (PEM or DER).
    #[arg(long)]
    cert: PathBuf,
    /// A host (name or name:port) the app may submit responses to (repeatable).
    #[arg(long = "host", required = true)]
    hosts: Vec<String>,
}

#[derive(Args)]
pub struct ScanArgs {
    /// The QR text (YZT1.…), or @FILE to read it from a file.
    text: String,
    /// The app directory.
    #[arg(long)]
    dir: PathBuf,
    /// The PIN.
    #[arg(long)]
    pin: String,
    /// Which identity answers: personal or enterprise.
    #[arg(long, default_value = "personal")]
    identity: String,
    /// Submit the response to the platform's service at this URL
    /// (http://HOST or http://HOST:PORT, or the full …/response URL).
    #[arg(long)]
    submit: Option<String>,
    /// Write the response (DER) to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The document, for seal and file_sign.
    #[arg(long)]
    document: Option<PathBuf>,
    /// The message, for msg_sign.
    #[arg(long)]
    message: Option<PathBuf>,
    /// The envelope (SM2 ciphertext of the document key), for decrypt.
    #[arg(long)]
    envelope: Option<PathBuf>,
    /// file_sign with the GM/T 0010 object identifiers.
    #[arg(long)]
    gmt0010: bool,
    /// The protected range, for seal.
    #[arg(long, default_value = DEFAULT_PROPERTY)]
    property: String,
    /// The phone's clock, Unix seconds (default now).
    #[arg(long)]
    at: Option<u64>,
}

pub fn run(cmd: AppCommand) -> Result<(), Failure> {
    match cmd {
        AppCommand::Init(a) => init(a)?,
        AppCommand::Trust(a) => trust(a)?,
        AppCommand::Scan(a) => return scan_cmd(a),
    }
    Ok(())
}

fn init(a: InitArgs) -> Result<(), Error> {
    let app = AppDirectory::new(&a.dir);
    let member = yizhengtong::domain::mobile("--mobile", &a.mobile)?;
    let ca_dir = CaDirectory::new(&a.ca_dir);
    let mut ca = ca_dir.open(a.password.get()?.as_bytes())?;
    let setup = HolderSetup {
        member: &member,
        name: &a.name,
        id_number: &a.id_number,
        enterprise: a.enterprise_name.as_deref().zip(a.credit_code.as_deref()),
        pin: &a.pin,
        days: a.days,
        container: ContainerParams::default(),
    };
    let profile = app.create(&mut ca, &setup, SystemTime::now(), &mut rand::rng())?;
    ca_dir.save(&ca)?;
    println!(
        "{}",
        json!({
            "app_dir": a.dir,
            "profile": yizhengtong::qr::wallet::PROFILE_FILE,
            "member": profile.member,
            "identities": profile.identities,
            "maker_cert": profile.maker_cert,
        })
    );
    Ok(())
}

fn trust(a: TrustArgs) -> Result<(), Error> {
    let app = AppDirectory::new(&a.dir);
    let mut profile = app.load()?;
    let cert = Certificate::from_any(&read(&a.cert)?)?;
    profile.trust(&a.code, &a.name, &cert, &a.hosts)?;
    app.save(&profile)?;
    println!(
        "{}",
        json!({"code": a.code, "name": a.name, "certificate": cert.serial_hex(), "hosts": a.hosts, "platforms": profile.platforms.len()})
    );
    Ok(())
}

fn needed(path: &Option<PathBuf>, flag: &'static str, action: Action) -> Result<Vec<u8>, Error> {
    match path {
        Some(p) => read(p),
        None => Err(Error::param(
            flag,
            format!("the {} action needs it", action.name()),
        )),
    }
}

fn scan_cmd(a: ScanArgs) -> Result<(), Failure> {
    let text = match a.text.strip_prefix('@') {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| Error::param("TEXT", format!("{file}: {e}")))?,
        None => a.text.clone(),
    };
    if !text.trim().starts_with(QR_PREFIX) {
        return Err(Error::param("TEXT", format!("QR text starts with {QR_PREFIX}")).into());
    }
    let now = match a.at {
        Some(s) => UNIX_EPOCH + Duration::from_secs(s),
        None => SystemTime::now(),
    };
    let kind: IdentityKind = a.identity.parse()?;
    let app = AppDirectory::new(&a.dir);
    let profile = app.load()?;
    let registry = profile.registry()?;
    let (challenge, view) = scan(&text, &registry, now)?;
    let record = profile.identity(kind)?;
    // Refuse a submit URL before the PIN is spent on a response.
    let url = a
        .submit
        .as_deref()
        .map(|u| submit_url(u, &challenge, &registry))
        .transpose()?;
    println!(
        "{}",
        json!({
            "platform": view.platform_name,
            "platform_code": view.platform_code,
            "action": challenge.action.name(),
            "action_label": view.action_label,
            "digest": view.digest,
            "expires_in": view.expires_in,
            "callback_host": view.callback_host,
            "transaction": challenge.transaction_hex(),
            "identity": {
                "kind": kind.name(),
                "name": record.name,
                "enterprise": (kind == IdentityKind::Enterprise).then_some(&record.id_number),
                "certificate": record.signing_serial,
            },
        })
    );

    // Tell the platform's page that the code was scanned, as a real app
    // does when it shows the request (the page then reads 已扫码). Best
    // effort: the answer still goes to the service if this fails.
    if let Some(scanned) = url.as_deref().and_then(|u| u.strip_suffix("/response")) {
        let scanned = format!("{scanned}/scanned");
        let failure =
            match yizhengtong::serve::client::post_json(&scanned, &json!({}), SUBMIT_TIMEOUT) {
                Ok(r) if r.status == 200 => None,
                Ok(r) => Some(format!("HTTP {}", r.status)),
                Err(e) => Some(e.to_string()),
            };
        if let Some(e) = failure {
            eprintln!(
                "{}",
                json!({"warning": format!("could not tell {scanned} of the scan: {e}")})
            );
        }
    }

    // The action's material first: a usage error should not need the PIN.
    let action = challenge.action;
    let data = match action {
        Action::Seal | Action::FileSign => needed(&a.document, "--document", action)?,
        Action::MsgSign => needed(&a.message, "--message", action)?,
        Action::Decrypt => needed(&a.envelope, "--envelope", action)?,
        Action::Login | Action::Encrypt => Vec::new(),
    };
    let unlocked = app.unlock(&profile, kind, &a.pin, action == Action::Decrypt)?;
    let input = match action {
        Action::Login => ActionInput::Login,
        Action::Encrypt => ActionInput::Encrypt,
        Action::Decrypt => ActionInput::Decrypt { envelope: &data },
        Action::Seal => ActionInput::Seal {
            seal: &unlocked.seal,
            document: &data,
            property: &a.property,
        },
        Action::FileSign => ActionInput::FileSign {
            file: &data,
            gmt0010: a.gmt0010,
        },
        Action::MsgSign => ActionInput::MsgSign { message: &data },
    };
    let response = respond(
        &challenge,
        &view,
        &unlocked.identity(),
        input,
        now,
        &mut rand::rng(),
    )?;
    let der = response.to_der();
    if let Some(p) = &a.out {
        write(p, &der)?;
    }
    let Some(url) = url else {
        let mut out = json!({"transaction": challenge.transaction_hex(), "bytes": der.len()});
        match &a.out {
            Some(p) => out["out"] = json!(p),
            None => out["response"] = json!(response.to_base64()),
        }
        println!("{out}");
        return Ok(());
    };
    let answer = yizhengtong::serve::client::post_json(
        &url,
        &json!({"response": response.to_base64()}),
        SUBMIT_TIMEOUT,
    )?;
    let body = answer.json().map_err(|e| {
        Error::param(
            "--submit",
            format!("{url} answered HTTP {}: {e}", answer.status),
        )
    })?;
    // The service's answer as it came, not re-serialised.
    println!("{}", String::from_utf8_lossy(&answer.body).trim());
    match body["data"]["verifySignatureResult"].as_bool() {
        Some(true) => Ok(()),
        Some(false) => Err(Failure::False),
        None => Err(Error::param(
            "--submit",
            format!(
                "{url} answered HTTP {} without data.verifySignatureResult",
                answer.status
            ),
        )
        .into()),
    }
}
