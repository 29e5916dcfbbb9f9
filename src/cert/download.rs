//! The phone side of a mobile certificate: downloading it into the PIN
//! container, and the certificate detail the app shows (manual §15.5).
//!
//! One PIN (the certificate PIN, 证书口令) protects every certificate on
//! the phone. The first download sets it, entered twice; later downloads
//! must give it, and it is checked against an existing container (a wrong
//! PIN counts against that container's retry limit).

use std::time::SystemTime;

use rand_core::CryptoRng;
use serde::Serialize;

use super::certificate::Certificate;
use crate::crypto::PrivateKey;
use crate::crypto::container::{ContainerParams, KeyContainer};
use crate::error::{Error, Result};
use crate::ids::mask_id_number;

/// A downloaded certificate and its sealed key.
#[derive(Debug, Clone)]
pub struct WalletEntry {
    /// The certificate.
    pub certificate: Certificate,
    /// The private key under the PIN.
    pub container: KeyContainer,
}

/// The certificates on one phone.
#[derive(Debug, Clone, Default)]
pub struct CertificateWallet {
    entries: Vec<WalletEntry>,
}

impl CertificateWallet {
    /// An empty wallet (no PIN set yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// True once the first download has set the PIN.
    pub fn pin_is_set(&self) -> bool {
        !self.entries.is_empty()
    }

    /// The downloaded certificates.
    pub fn entries(&self) -> &[WalletEntry] {
        &self.entries
    }

    /// Download `certificate` with its private `key`. The first download
    /// needs the PIN twice (`confirm`); later ones need the PIN already
    /// set, and `confirm` must be `None`. Refuses a key that does not match
    /// the certificate and a certificate already in the wallet.
    pub fn download<R: CryptoRng + ?Sized>(
        &mut self,
        certificate: Certificate,
        key: &PrivateKey,
        pin: &str,
        confirm: Option<&str>,
        params: ContainerParams,
        rng: &mut R,
    ) -> Result<&WalletEntry> {
        if key.public_key() != *certificate.public_key() {
            return Err(Error::KeyMismatch);
        }
        if self.entries.iter().any(|e| e.certificate == certificate) {
            return Err(Error::InvalidState {
                entity: "certificate",
                state: "already downloaded".into(),
                action: "download",
            });
        }
        let container = match (self.entries.first_mut(), confirm) {
            (None, Some(confirm)) => KeyContainer::create(key, pin, confirm, params, rng)?,
            (None, None) => {
                return Err(Error::param(
                    "PIN",
                    "the first download sets the PIN: enter it twice",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(Error::param("PIN", "the PIN is already set: enter it once"));
            }
            (Some(existing), None) => {
                // Proves the PIN against a container the phone already has.
                existing.container.unlock(pin)?;
                KeyContainer::create(key, pin, pin, params, rng)?
            }
        };
        self.entries.push(WalletEntry {
            certificate,
            container,
        });
        Ok(self.entries.last().unwrap_or_else(|| unreachable!()))
    }

    /// Open the key of entry `index` with the PIN.
    pub fn unlock(&mut self, index: usize, pin: &str) -> Result<PrivateKey> {
        let entry = self.entries.get_mut(index).ok_or_else(|| Error::NotFound {
            what: "wallet entry",
            key: index.to_string(),
        })?;
        entry.container.unlock(pin)
    }
}

/// The certificate detail page (证书详情).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateDetail {
    /// 证书名称: the holder's name.
    pub name: String,
    /// 身份证号 masked (`650103*****131X`), or the credit code of an enterprise.
    pub id_number: String,
    /// 证书类型, e.g. `个人-登录证书`.
    pub cert_type: String,
    /// 有效期限, e.g. `2025-04-11 至 2030-04-11`.
    pub validity: String,
    /// 申请人.
    pub applicant: String,
    /// 颁发机构.
    pub issuer: String,
    /// 颁发时间 (date).
    pub issued_on: String,
    /// 有效时间 (date).
    pub expires_on: String,
    /// Serial, hex.
    pub serial: String,
}

/// `YYYY-MM-DD` (UTC) of a time.
pub fn date(t: SystemTime) -> String {
    let dt = der::DateTime::from_system_time(t).ok();
    match dt {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()),
        None => "-".into(),
    }
}

impl CertificateDetail {
    /// The detail of `cert` as the app shows it.
    pub fn of(cert: &Certificate) -> Result<Self> {
        let profile = cert.profile()?;
        let name = cert.common_name().unwrap_or_default();
        let id_number = match (
            cert.subject_serial_number(),
            cert.subject_organization_identifier(),
        ) {
            (Some(id), _) => mask_id_number(&id),
            (None, Some(code)) => code,
            (None, None) => String::new(),
        };
        let cert_type = profile
            .map(|p| p.type_label_zh())
            .unwrap_or_else(|| "-".into());
        let (nb, na) = (date(cert.not_before()), date(cert.not_after()));
        Ok(Self {
            applicant: name.clone(),
            name,
            id_number,
            cert_type,
            validity: format!("{nb} 至 {na}"),
            issuer: cert.issuer_display_name(),
            issued_on: nb,
            expires_on: na,
            serial: cert.serial_hex(),
        })
    }
}
