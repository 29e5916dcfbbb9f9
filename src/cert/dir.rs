//! A CA kept in a directory, as the `yzt ca` / `yzt cert` commands use it.
//!
//! | file | content |
//! |---|---|
//! | `ca.key.pem` | the CA key, encrypted PKCS#8 (PBKDF2-HMAC-SM3 + SM4-CBC), never plain |
//! | `ca.cert.pem` | the CA certificate |
//! | `chain.pem` | the certificates above it (empty for a root) |
//! | `config.json` | `{"crl_url": …}` |
//! | `state.json` | the issued certificates with their states and history, and the CRL number |
//! | `issued/SERIAL.pem` | every certificate issued |
//!
//! Writes go to a temporary file flushed and renamed into place
//! ([`crate::durable::write_atomic`]), so a crash leaves the old state or
//! the new one, never half of one.

use std::path::{Path, PathBuf};

use rand_core::CryptoRng;
use serde::{Deserialize, Serialize};

use super::certificate::Certificate;
use super::issue::{CaConfig, CertificateAuthority};
use super::lifecycle::{CaState, ManagedCa};
use crate::crypto::PrivateKey;
use crate::crypto::pkcs8enc::{self, Pbes2Params};
use crate::error::{Error, Result};

const KEY_FILE: &str = "ca.key.pem";
const CERT_FILE: &str = "ca.cert.pem";
const CHAIN_FILE: &str = "chain.pem";
const CONFIG_FILE: &str = "config.json";
const STATE_FILE: &str = "state.json";
const ISSUED_DIR: &str = "issued";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct DirConfig {
    crl_url: Option<String>,
}

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::param("file", format!("{}: {e}", path.display()))
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| io_err(path, e))
}

/// Write `data` to `path` atomically and durably: [`crate::durable::write_atomic`]
/// (a unique temporary file, flushed, renamed over, the directory flushed).
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    crate::durable::write_atomic(path, data)
}

/// A CA directory.
#[derive(Debug, Clone)]
pub struct CaDirectory {
    path: PathBuf,
}

impl CaDirectory {
    /// Refer to `path` (nothing is read yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Create the directory for `ca`, storing its key under `password`.
    /// Refuses a directory that already holds a CA, and an empty password.
    pub fn create<R: CryptoRng + ?Sized>(
        &self,
        ca: &CertificateAuthority,
        chain: &[Certificate],
        password: &[u8],
        rng: &mut R,
    ) -> Result<()> {
        if password.is_empty() {
            return Err(Error::param(
                "password",
                "the CA key must be stored encrypted: give a password",
            ));
        }
        if self.path.join(KEY_FILE).exists() {
            return Err(Error::InvalidState {
                entity: "CA directory",
                state: format!("already initialised ({})", self.path.display()),
                action: "initialise",
            });
        }
        std::fs::create_dir_all(self.path.join(ISSUED_DIR)).map_err(|e| io_err(&self.path, e))?;
        let key_pem = pkcs8enc::encrypt_pem(ca.key(), password, Pbes2Params::default(), rng)?;
        write_atomic(&self.path.join(KEY_FILE), key_pem.as_bytes())?;
        write_atomic(
            &self.path.join(CERT_FILE),
            ca.certificate().to_pem().as_bytes(),
        )?;
        let chain_pem: String = chain.iter().map(Certificate::to_pem).collect();
        write_atomic(&self.path.join(CHAIN_FILE), chain_pem.as_bytes())?;
        let config = DirConfig {
            crl_url: ca.config().crl_url.clone(),
        };
        write_atomic(&self.path.join(CONFIG_FILE), &to_json(&config)?)?;
        write_atomic(&self.path.join(STATE_FILE), &to_json(&CaState::default())?)?;
        Ok(())
    }

    /// The CA certificate (no password needed).
    pub fn certificate(&self) -> Result<Certificate> {
        Certificate::from_pem(&read(&self.path.join(CERT_FILE))?)
    }

    /// The certificates above the CA (empty for a root).
    pub fn chain(&self) -> Result<Vec<Certificate>> {
        let data = read(&self.path.join(CHAIN_FILE))?;
        if data.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        Certificate::parse_all(&data)
    }

    /// Open the CA with `password`.
    pub fn open(&self, password: &[u8]) -> Result<ManagedCa> {
        let key = pkcs8enc::decrypt_pem(&read(&self.path.join(KEY_FILE))?, password)?;
        let cert = self.certificate()?;
        let config: DirConfig = from_json(&self.path.join(CONFIG_FILE))?;
        let state: CaState = from_json(&self.path.join(STATE_FILE))?;
        let ca = CertificateAuthority::from_parts(
            key,
            cert,
            CaConfig {
                crl_url: config.crl_url,
                ..CaConfig::default()
            },
        )?;
        Ok(ManagedCa::with_state(ca, state))
    }

    /// The CA's key, for making a subordinate CA.
    pub fn key(&self, password: &[u8]) -> Result<PrivateKey> {
        pkcs8enc::decrypt_pem(&read(&self.path.join(KEY_FILE))?, password)
    }

    /// Save the state of `ca` and write out every issued certificate.
    pub fn save(&self, ca: &ManagedCa) -> Result<()> {
        for rec in ca.records() {
            let p = self
                .path
                .join(ISSUED_DIR)
                .join(format!("{}.pem", rec.serial));
            if !p.exists() {
                write_atomic(&p, rec.pem.as_bytes())?;
            }
        }
        write_atomic(&self.path.join(STATE_FILE), &to_json(&ca.state())?)
    }
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec_pretty(v).map_err(|e| Error::param("json", e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T> {
    serde_json::from_slice(&read(path)?)
        .map_err(|e| Error::malformed("CA directory file", format!("{}: {e}", path.display())))
}
