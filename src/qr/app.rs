//! The phone's side: read a QR code, authenticate it against the platform
//! registry, show what is asked, and answer for the chosen identity.

use std::collections::HashMap;
use std::time::SystemTime;

use rand_core::CryptoRng;
use serde::Serialize;

use super::challenge::{Action, Challenge};
use super::names::{validate_callback_host, validate_platform_name};
use super::response::{Response, Statement};
use crate::cert::{Certificate, cms};
use crate::crypto::{CiphertextFormat, DEFAULT_USER_ID, PrivateKey, sm3};
use crate::error::{Error, Result};
use crate::seal::{Seal, StampRequest, stamp};

/// What the app knows of a trading platform (shipped with the app or
/// fetched from the CA): never taken from a QR code.
#[derive(Debug, Clone)]
pub struct PlatformEntry {
    /// System code.
    pub code: String,
    /// Name shown to the user.
    pub name: String,
    /// The certificate whose key signs the platform's challenges.
    pub certificate: Certificate,
    /// Hosts the app may submit responses to.
    pub callback_hosts: Vec<String>,
}

/// The platforms the app recognises.
#[derive(Debug, Clone, Default)]
pub struct PlatformRegistry {
    platforms: HashMap<String, PlatformEntry>,
}

impl PlatformRegistry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add or replace a platform. Refuses a code that is not a letter and
    /// ten digits, a name the phone could not show as written
    /// ([`validate_platform_name`]: empty, too long, control, bidirectional
    /// or invisible characters, white space at either end), no callback
    /// host, and a host that is not a plain `host[:port]`
    /// ([`validate_callback_host`]).
    pub fn add(&mut self, entry: PlatformEntry) -> Result<()> {
        super::challenge::validate_platform_code(&entry.code)?;
        validate_platform_name(&entry.name)?;
        if entry.callback_hosts.is_empty() {
            return Err(Error::param(
                "callback hosts",
                "give at least one host[:port]",
            ));
        }
        for h in &entry.callback_hosts {
            validate_callback_host(h)?;
        }
        self.platforms.insert(entry.code.clone(), entry);
        Ok(())
    }

    /// A platform by code.
    pub fn get(&self, code: &str) -> Option<&PlatformEntry> {
        self.platforms.get(code)
    }
}

/// What the phone shows before the user authorises.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanView {
    /// The platform's system code.
    pub platform_code: String,
    /// The platform's name, from the registry.
    pub platform_name: String,
    /// The action.
    pub action: Action,
    /// The action as the app labels it.
    pub action_label: &'static str,
    /// The digest of the document/message, hex, if any.
    pub digest: Option<String>,
    /// Seconds left at scan time.
    pub expires_in: u64,
    /// Where the response goes.
    pub callback_host: String,
}

/// Read and authenticate QR text at the phone's time `now`: the platform
/// must be in the registry, its signature must verify with the registry's
/// certificate, the callback host must be one the registry allows, and the
/// challenge must not have expired.
pub fn scan(
    text: &str,
    registry: &PlatformRegistry,
    now: SystemTime,
) -> Result<(Challenge, ScanView)> {
    let c = Challenge::from_text(text)?;
    let p = registry
        .get(&c.platform_code)
        .ok_or_else(|| Error::NotFound {
            what: "trading platform",
            key: c.platform_code.clone(),
        })?;
    c.verify(p.certificate.public_key())
        .map_err(|_| Error::Forbidden {
            actor: c.platform_code.clone(),
            action: "issue this QR code",
            reason: "the platform's signature does not verify: forged or altered".into(),
        })?;
    if !p.callback_hosts.contains(&c.callback_host) {
        return Err(Error::Forbidden {
            actor: c.platform_code.clone(),
            action: "send responses to this host",
            reason: format!("{} is not a registered callback host", c.callback_host),
        });
    }
    if c.is_expired(now) {
        return Err(Error::InvalidState {
            entity: "QR code",
            state: "expired".into(),
            action: "authorise",
        });
    }
    let now_s = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let view = ScanView {
        platform_code: c.platform_code.clone(),
        platform_name: p.name.clone(),
        action: c.action,
        action_label: c.action.label_zh(),
        digest: c.digest.map(|d| crate::hex::encode(&d)),
        expires_in: c.expires_at.saturating_sub(now_s),
        callback_host: c.callback_host.clone(),
    };
    Ok((c, view))
}

/// The identity the user picked, with its keys unlocked by the PIN.
pub struct Identity<'a> {
    /// The app user (account) who authorises.
    pub member: &'a str,
    /// The enterprise (credit code) when acting for one.
    pub enterprise: Option<&'a str>,
    /// The signing (or login) certificate; it signs the statement.
    pub signing_cert: &'a Certificate,
    /// Its key.
    pub signing_key: &'a PrivateKey,
    /// The encryption certificate, for `encrypt` and `decrypt`.
    pub encryption_cert: Option<&'a Certificate>,
    /// Its key, for `decrypt`.
    pub encryption_key: Option<&'a PrivateKey>,
}

/// The action's material, fetched by the app from the platform.
pub enum ActionInput<'a> {
    /// Nothing: log in.
    Login,
    /// Stamp the document with this seal (the grant is checked by the
    /// caller, in the workflow layer).
    Seal {
        /// The seal.
        seal: &'a Seal,
        /// The document; its SM3 must equal the challenge's digest.
        document: &'a [u8],
        /// The protected range.
        property: &'a str,
    },
    /// Hand over the encryption certificate.
    Encrypt,
    /// Decrypt the envelope (an SM2 ciphertext of the document key to the
    /// user's encryption certificate); its SM3 must equal the digest.
    Decrypt {
        /// The envelope.
        envelope: &'a [u8],
    },
    /// Sign the file; its SM3 must equal the digest.
    FileSign {
        /// The file.
        file: &'a [u8],
        /// Use the GM/T 0010 object identifiers.
        gmt0010: bool,
    },
    /// Sign the message; its SM3 must equal the digest.
    MsgSign {
        /// The message.
        message: &'a [u8],
    },
}

fn check_digest(challenge: &Challenge, data: &[u8], what: &'static str) -> Result<[u8; 32]> {
    let d = sm3(data);
    if challenge.digest == Some(d) {
        Ok(d)
    } else {
        Err(Error::param(
            what,
            "its SM3 is not the digest in the QR code: not what the platform asked to sign",
        ))
    }
}

/// Answer `challenge` (as returned by [`scan`]) for `identity`.
pub fn respond<R: CryptoRng + ?Sized>(
    challenge: &Challenge,
    view: &ScanView,
    identity: &Identity<'_>,
    input: ActionInput<'_>,
    now: SystemTime,
    rng: &mut R,
) -> Result<Response> {
    if identity.signing_key.public_key() != *identity.signing_cert.public_key() {
        return Err(Error::KeyMismatch);
    }
    let payload: Option<Vec<u8>> = match (challenge.action, input) {
        (Action::Login, ActionInput::Login) => None,
        (
            Action::Seal,
            ActionInput::Seal {
                seal,
                document,
                property,
            },
        ) => {
            let digest = check_digest(challenge, document, "document")?;
            let key = identity.signing_key;
            let req = StampRequest {
                seal,
                signer_cert: identity.signing_cert,
                data_hash: digest,
                property,
                time: now,
                ext_datas: Vec::new(),
                time_stamp: None,
            };
            Some(stamp(&req, |tbs| key.sign(DEFAULT_USER_ID, tbs, rng))?.raw)
        }
        (Action::Encrypt, ActionInput::Encrypt) => {
            let cert = identity
                .encryption_cert
                .ok_or_else(|| Error::param("identity", "no encryption certificate"))?;
            Some(cert.der().to_vec())
        }
        (Action::Decrypt, ActionInput::Decrypt { envelope }) => {
            check_digest(challenge, envelope, "envelope")?;
            let key = identity
                .encryption_key
                .ok_or_else(|| Error::param("identity", "no encryption key"))?;
            let ephemeral = challenge.ephemeral_key.ok_or_else(|| {
                Error::malformed("QR challenge", "decrypt without an ephemeral key")
            })?;
            let document_key = key.decrypt(envelope)?;
            Some(ephemeral.encrypt_to(&document_key, CiphertextFormat::Asn1, rng)?)
        }
        (Action::FileSign, ActionInput::FileSign { file, gmt0010 }) => {
            let digest = check_digest(challenge, file, "file")?;
            Some(cms::sign_detached(
                &digest,
                identity.signing_key,
                identity.signing_cert,
                now,
                gmt0010,
                rng,
            )?)
        }
        (Action::MsgSign, ActionInput::MsgSign { message }) => {
            check_digest(challenge, message, "message")?;
            Some(
                identity
                    .signing_key
                    .sign(DEFAULT_USER_ID, message, rng)?
                    .to_der(),
            )
        }
        (action, _) => {
            return Err(Error::param(
                "action input",
                format!("does not fit the action {}", action.name()),
            ));
        }
    };
    let statement = Statement::for_challenge(
        challenge,
        identity.signing_cert.serial(),
        now,
        &view.platform_name,
        identity.member,
        identity.enterprise,
        payload.as_deref(),
    );
    let statement_raw = statement.to_der()?;
    let signature = identity
        .signing_key
        .sign(DEFAULT_USER_ID, &statement_raw, rng)?
        .to_der();
    Ok(Response {
        statement,
        statement_raw,
        certificate: identity.signing_cert.der().to_vec(),
        signature,
        payload,
    })
}
