//! `yzt`: the yizhengtong command-line tool.
//!
//! Exit codes: 0 success, 1 a verification answered false, 2 a usage or
//! input error (one line on stderr).

#[cfg(feature = "serve")]
mod app;
mod bench;
mod cert;
mod demo;
mod qr;
mod seal;
#[cfg(feature = "serve")]
mod serve;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use yizhengtong::Error;
use yizhengtong::crypto::{CiphertextFormat, PrivateKey, PublicKey, Signature, SignatureFormat};

#[derive(Parser)]
#[command(
    name = "yzt",
    version,
    about = "SM2 certificates, seals and QR authorisations for mobile digital certificates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate keys and derive public keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Sign a file with an SM2 private key (ZA with the user ID, SM3).
    Sign(SignArgs),
    /// Verify an SM2 signature; prints the platforms' JSON answer.
    Verify(VerifyArgs),
    /// Encrypt a file to an SM2 public key or certificate.
    Encrypt(EncryptArgs),
    /// Decrypt an SM2 ciphertext (format detected).
    Decrypt(DecryptArgs),
    /// Print SM3 digests like sha256sum: `HEX  FILE`.
    Sm3 {
        /// Files to hash.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Create certificate authorities.
    #[command(subcommand)]
    Ca(cert::CaCommand),
    /// Issue, show, verify, revoke, freeze and unfreeze certificates.
    #[command(subcommand)]
    Cert(cert::CertCommand),
    /// Make the next CRL of a CA directory.
    Crl(cert::CrlArgs),
    /// Decode and render QR authorisation challenges.
    #[command(subcommand)]
    Qr(qr::QrCommand),
    /// Make, show, stamp and verify electronic seals.
    #[command(subcommand)]
    Seal(seal::SealCommand),
    /// Measure an operation; prints one JSON object per run.
    Bench(bench::BenchArgs),
    /// Run a short tour of the SDK.
    Demo,
    /// The PostgreSQL backend's schema (build with `--features postgres`).
    #[cfg(feature = "postgres")]
    #[command(subcommand)]
    Db(DbCommand),
    /// Run the HTTP verification service with its QR login page (build
    /// with `--features serve`).
    #[cfg(feature = "serve")]
    Serve(serve::ServeArgs),
    /// The phone simulator: a holder's keys, certificates and seals; scan a
    /// QR code, sign and submit the answer (build with `--features serve`).
    #[cfg(feature = "serve")]
    #[command(subcommand)]
    App(app::AppCommand),
}

/// `yzt db`.
#[cfg(feature = "postgres")]
#[derive(Subcommand)]
enum DbCommand {
    /// Create or migrate the schema; prints the version now.
    Migrate {
        /// `postgres://user[:password]@host[:port]/database`
        #[arg(long)]
        url: String,
        /// A schema to use instead of `public`.
        #[arg(long)]
        schema: Option<String>,
    },
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Generate an SM2 private key (PKCS#8 PEM).
    Gen {
        /// Where to write the key.
        #[arg(long)]
        out: PathBuf,
        /// Encrypt the key (PBKDF2-HMAC-SM3 + SM4-CBC) with the password in this environment variable.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
    /// Write the public key of a private key (SPKI PEM).
    Pub {
        /// The private key (PKCS#8 or SEC1, PEM or DER).
        #[arg(long = "in")]
        input: PathBuf,
        /// Where to write the public key.
        #[arg(long)]
        out: PathBuf,
        /// Password of an encrypted key, from this environment variable.
        #[arg(long, value_name = "VAR")]
        password_env: Option<String>,
    },
}

#[derive(Args)]
struct IdArgs {
    /// SM2 user ID as text (default 1234567812345678).
    #[arg(long, conflicts_with = "id_hex")]
    id: Option<String>,
    /// SM2 user ID as hex bytes.
    #[arg(long, value_name = "HEX")]
    id_hex: Option<String>,
}

impl IdArgs {
    fn bytes(&self) -> Result<Vec<u8>, Error> {
        match (&self.id, &self.id_hex) {
            (Some(t), _) => Ok(t.as_bytes().to_vec()),
            (None, Some(h)) => yizhengtong::hex::decode(h),
            (None, None) => Ok(yizhengtong::crypto::DEFAULT_USER_ID.to_vec()),
        }
    }
}

#[derive(Args)]
struct SignArgs {
    /// Private key (PKCS#8 or SEC1, PEM or DER).
    #[arg(long)]
    key: PathBuf,
    /// Password of an encrypted key, from this environment variable.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    #[command(flatten)]
    id: IdArgs,
    /// Write raw r‖s (64 bytes) instead of DER.
    #[arg(long)]
    raw: bool,
    /// File to sign.
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the signature.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct PeerKey {
    /// Public key (SPKI PEM/DER, or a raw point).
    #[arg(long = "pub")]
    public: Option<PathBuf>,
    /// Certificate (PEM or DER) whose key to use.
    #[arg(long)]
    cert: Option<PathBuf>,
}

impl PeerKey {
    fn load(&self) -> Result<PublicKey, Error> {
        match (&self.public, &self.cert) {
            (Some(p), _) => PublicKey::from_any(&read(p)?),
            (None, Some(c)) => yizhengtong::cert::certificate_public_key(&read(c)?),
            (None, None) => Err(Error::param("--pub/--cert", "one is required")),
        }
    }
}

#[derive(Args)]
struct VerifyArgs {
    #[command(flatten)]
    key: PeerKey,
    #[command(flatten)]
    id: IdArgs,
    /// The signature is raw r‖s instead of DER.
    #[arg(long)]
    raw: bool,
    /// Signature file.
    #[arg(long)]
    sig: PathBuf,
    /// Signed file.
    #[arg(long = "in")]
    input: PathBuf,
}

#[derive(Args)]
struct EncryptArgs {
    #[command(flatten)]
    key: PeerKey,
    /// Ciphertext format: asn1 (default), c1c3c2, c1c2c3, c1c3c2-noprefix, c1c2c3-noprefix.
    #[arg(long, default_value = "asn1")]
    format: String,
    /// File to encrypt.
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the ciphertext.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
struct DecryptArgs {
    /// Private key (PKCS#8 or SEC1, PEM or DER).
    #[arg(long)]
    key: PathBuf,
    /// Password of an encrypted key, from this environment variable.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// Ciphertext file.
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the plaintext.
    #[arg(long)]
    out: PathBuf,
}

/// What went wrong, for the exit code.
pub(crate) enum Failure {
    /// A verification answered false (exit 1).
    False,
    /// A usage or input error (exit 2).
    Error(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e.to_string())
    }
}

pub(crate) fn read(path: &Path) -> Result<Vec<u8>, Error> {
    std::fs::read(path).map_err(|e| Error::param("file", format!("{}: {e}", path.display())))
}

pub(crate) fn write(path: &Path, data: &[u8]) -> Result<(), Error> {
    std::fs::write(path, data).map_err(|e| Error::param("file", format!("{}: {e}", path.display())))
}

fn password(var: &Option<String>) -> Result<Option<zeroize::Zeroizing<String>>, Error> {
    match var {
        None => Ok(None),
        Some(name) => std::env::var(name)
            .map(|v| Some(zeroize::Zeroizing::new(v)))
            .map_err(|_| {
                Error::param(
                    "--password-env",
                    format!("environment variable {name} is not set"),
                )
            }),
    }
}

fn load_private(path: &Path, password_env: &Option<String>) -> Result<PrivateKey, Error> {
    let data = read(path)?;
    match password(password_env)? {
        Some(p) => PrivateKey::from_any_with_password(&data, p.as_bytes()),
        None => PrivateKey::from_any(&data),
    }
}

/// The platforms' JSON answer to a signature verification.
fn verify_answer(ok: bool) -> String {
    format!(
        r#"{{"code":200,"success":true,"data":{{"verifySignatureResult":{ok}}},"msg":"","errorCode":""}}"#
    )
}

fn run(cli: Cli) -> Result<(), Failure> {
    let mut rng = rand::rng();
    match cli.command {
        Command::Key(KeyCommand::Gen { out, password_env }) => {
            let key = PrivateKey::generate(&mut rng);
            match password(&password_env)? {
                Some(p) => {
                    let pem = yizhengtong::crypto::pkcs8enc::encrypt_pem(
                        &key,
                        p.as_bytes(),
                        Default::default(),
                        &mut rng,
                    )?;
                    write(&out, pem.as_bytes())?;
                }
                None => write(&out, key.to_pkcs8_pem().as_bytes())?,
            }
        }
        Command::Key(KeyCommand::Pub {
            input,
            out,
            password_env,
        }) => {
            let key = load_private(&input, &password_env)?;
            write(&out, key.public_key().to_spki_pem().as_bytes())?;
        }
        Command::Sign(a) => {
            let key = load_private(&a.key, &a.password_env)?;
            let msg = read(&a.input)?;
            let sig = key.sign(&a.id.bytes()?, &msg, &mut rng)?;
            let format = if a.raw {
                SignatureFormat::Raw
            } else {
                SignatureFormat::Der
            };
            write(&a.out, &sig.to_bytes(format))?;
        }
        Command::Verify(a) => {
            let public = a.key.load()?;
            let format = if a.raw {
                SignatureFormat::Raw
            } else {
                SignatureFormat::Der
            };
            let sig = Signature::from_bytes(&read(&a.sig)?, format)?;
            let msg = read(&a.input)?;
            match yizhengtong::verify::verify(&public, &a.id.bytes()?, &msg, &sig) {
                Ok(()) => println!("{}", verify_answer(true)),
                Err(e) if e.is_signature_mismatch() => {
                    println!("{}", verify_answer(false));
                    return Err(Failure::False);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Encrypt(a) => {
            let public = a.key.load()?;
            let format: CiphertextFormat = a.format.parse()?;
            let ct = public.encrypt_to(&read(&a.input)?, format, &mut rng)?;
            write(&a.out, &ct)?;
        }
        Command::Decrypt(a) => {
            let key = load_private(&a.key, &a.password_env)?;
            let plain = key.decrypt(&read(&a.input)?)?;
            write(&a.out, &plain)?;
        }
        Command::Sm3 { files } => {
            for f in files {
                let digest = sm3_file(&f)?;
                println!("{}  {}", yizhengtong::hex::encode(&digest), f.display());
            }
        }
        Command::Ca(c) => cert::ca(c)?,
        Command::Cert(c) => cert::cert(c)?,
        Command::Crl(a) => cert::crl(a)?,
        Command::Seal(c) => seal::run(c)?,
        Command::Qr(c) => qr::run(c)?,
        Command::Bench(a) => bench::run(a)?,
        Command::Demo => demo::run()?,
        #[cfg(feature = "serve")]
        Command::Serve(a) => serve::run(a)?,
        #[cfg(feature = "serve")]
        Command::App(c) => app::run(c)?,
        #[cfg(feature = "postgres")]
        Command::Db(DbCommand::Migrate { url, schema }) => {
            use yizhengtong::store::postgres::{PgOptions, PgStore, redact_url};
            let options = PgOptions {
                schema,
                ..PgOptions::default()
            };
            let v = PgStore::migrate(&url, &options)?;
            println!("{}: schema version {v}", redact_url(&url));
        }
    }
    Ok(())
}

fn sm3_file(path: &Path) -> Result<[u8; 32], Error> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| Error::param("file", format!("{}: {e}", path.display())))?;
    let mut h = yizhengtong::crypto::Sm3::new();
    std::io::copy(&mut file, &mut h)
        .map_err(|e| Error::param("file", format!("{}: {e}", path.display())))?;
    Ok(h.finalize())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::False) => ExitCode::from(1),
        Err(Failure::Error(msg)) => {
            eprintln!("yzt: {msg}");
            ExitCode::from(2)
        }
    }
}
