//! The platform's challenge: what the QR code carries.
//!
//! # Encoding (version 1)
//!
//! The QR text is `YZT1.` followed by the unpadded base64url of these
//! bytes (all integers big-endian):
//!
//! ```text
//! version        u8 = 1
//! platform code  11 bytes ASCII  (e.g. "C1100005553")
//! transaction id 16 bytes (random)
//! action         u8  (1 login, 2 seal, 3 encrypt, 4 decrypt, 5 file_sign, 6 msg_sign)
//! nonce          16 bytes (random)
//! issued at      u64 (Unix seconds, platform clock)
//! expires at     u64 (Unix seconds)
//! callback host  u8 length (1..=253) + ASCII host[:port]
//! digest         u8 flag (0 or 1) + 32 bytes SM3 when 1
//!                 (seal, file_sign, msg_sign: of the document or message; decrypt: of the envelope)
//! ephemeral key  u8 flag (0 or 1) + 33 bytes compressed SM2 point when 1 (decrypt only)
//! signature      64 bytes raw r‖s: the platform's SM2 signature (default user ID)
//!                 over "YZT-QR-CHALLENGE-V1" ‖ all the bytes above
//! ```
//!
//! A typical login challenge is about 200 characters of text; one with a
//! digest and an ephemeral key about 290. Decoding is strict: exact
//! lengths, flags 0 or 1, the fields each action requires and no others,
//! and nothing after the signature.

use std::time::{Duration, SystemTime};

use base64ct::{Base64UrlUnpadded, Encoding};
use rand_core::CryptoRng;

use crate::crypto::{DEFAULT_USER_ID, PrivateKey, PublicKey, Signature};
use crate::error::{Error, Result};

/// Prefix of the QR text.
pub const QR_PREFIX: &str = "YZT1.";
/// Domain separation for the platform's signature.
const SIGNING_CONTEXT: &[u8] = b"YZT-QR-CHALLENGE-V1";
/// Default lifetime of a challenge.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(120);
/// Longest QR text accepted.
pub const MAX_QR_TEXT: usize = 1024;

/// What the user is asked to authorise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Log in to the platform (授权登录).
    Login,
    /// Stamp a document with a seal (授权签章).
    Seal,
    /// Hand over the encryption certificate (授权加密).
    Encrypt,
    /// Decrypt a document key (授权解密).
    Decrypt,
    /// Sign a file (授权文件签名).
    FileSign,
    /// Sign a message (授权消息签名).
    MsgSign,
}

impl Action {
    /// Every action.
    pub const ALL: [Action; 6] = [
        Action::Login,
        Action::Seal,
        Action::Encrypt,
        Action::Decrypt,
        Action::FileSign,
        Action::MsgSign,
    ];

    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            Action::Login => 1,
            Action::Seal => 2,
            Action::Encrypt => 3,
            Action::Decrypt => 4,
            Action::FileSign => 5,
            Action::MsgSign => 6,
        }
    }

    /// From the wire code.
    pub fn from_code(c: u8) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.code() == c)
            .ok_or_else(|| Error::malformed("QR challenge", format!("unknown action {c}")))
    }

    /// The name used in JSON and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Seal => "seal",
            Action::Encrypt => "encrypt",
            Action::Decrypt => "decrypt",
            Action::FileSign => "file_sign",
            Action::MsgSign => "msg_sign",
        }
    }

    /// What the app shows (授权登录, …).
    pub fn label_zh(self) -> &'static str {
        match self {
            Action::Login => "授权登录",
            Action::Seal => "授权签章",
            Action::Encrypt => "授权加密",
            Action::Decrypt => "授权解密",
            Action::FileSign => "授权文件签名",
            Action::MsgSign => "授权消息签名",
        }
    }

    /// True when the challenge carries a digest for this action.
    pub fn needs_digest(self) -> bool {
        matches!(
            self,
            Action::Seal | Action::FileSign | Action::MsgSign | Action::Decrypt
        )
    }

    /// True when the challenge carries an ephemeral platform key.
    pub fn needs_ephemeral_key(self) -> bool {
        self == Action::Decrypt
    }
}

impl std::str::FromStr for Action {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| {
                Error::param(
                    "action",
                    format!("{s:?}; expected login, seal, encrypt, decrypt, file_sign or msg_sign"),
                )
            })
    }
}

/// Validate a platform system code: 11 characters, an upper-case letter
/// then 10 digits (e.g. `C1100005553`).
pub fn validate_platform_code(code: &str) -> Result<()> {
    let b = code.as_bytes();
    if b.len() != 11 || !b[0].is_ascii_uppercase() || !b[1..].iter().all(u8::is_ascii_digit) {
        return Err(Error::param(
            "platform code",
            format!("{code:?} is not a letter and 10 digits"),
        ));
    }
    Ok(())
}

pub(crate) fn validate_host(host: &str) -> Result<()> {
    let ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if ok {
        Ok(())
    } else {
        Err(Error::param(
            "callback host",
            format!("{host:?} is not a host[:port]"),
        ))
    }
}

/// A challenge, as issued or decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The platform's system code.
    pub platform_code: String,
    /// The transaction id.
    pub transaction_id: [u8; 16],
    /// The action.
    pub action: Action,
    /// The nonce.
    pub nonce: [u8; 16],
    /// Issued at (Unix seconds).
    pub issued_at: u64,
    /// Expires at (Unix seconds).
    pub expires_at: u64,
    /// Where the app submits its response.
    pub callback_host: String,
    /// SM3 of the document, message or envelope, for the actions that have one.
    pub digest: Option<[u8; 32]>,
    /// The platform's ephemeral key for `decrypt`.
    pub ephemeral_key: Option<PublicKey>,
    /// The platform's signature.
    pub signature: Signature,
}

/// What a platform puts in a new challenge.
#[derive(Debug, Clone)]
pub struct ChallengeParams {
    /// The platform's system code.
    pub platform_code: String,
    /// The action.
    pub action: Action,
    /// The callback host.
    pub callback_host: String,
    /// SM3 of the document/message/envelope, when the action needs one.
    pub digest: Option<[u8; 32]>,
    /// The ephemeral public key for `decrypt`.
    pub ephemeral_key: Option<PublicKey>,
    /// Issued at.
    pub now: SystemTime,
    /// Lifetime (default 120 s).
    pub lifetime: Duration,
}

fn unix(t: SystemTime) -> Result<u64> {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .map_err(|_| Error::param("time", "before 1970"))
}

impl Challenge {
    /// Make and sign a challenge with the platform's key.
    pub fn issue<R: CryptoRng + ?Sized>(
        p: &ChallengeParams,
        platform_key: &PrivateKey,
        rng: &mut R,
    ) -> Result<Self> {
        validate_platform_code(&p.platform_code)?;
        validate_host(&p.callback_host)?;
        if p.action.needs_digest() != p.digest.is_some() {
            return Err(Error::param(
                "digest",
                format!(
                    "{} {} a digest",
                    p.action.name(),
                    if p.action.needs_digest() {
                        "needs"
                    } else {
                        "takes no"
                    }
                ),
            ));
        }
        if p.action.needs_ephemeral_key() != p.ephemeral_key.is_some() {
            return Err(Error::param(
                "ephemeral key",
                "only and always with decrypt",
            ));
        }
        if p.lifetime.is_zero() || p.lifetime > Duration::from_secs(3600) {
            return Err(Error::param("lifetime", "1 s to 1 hour"));
        }
        let mut transaction_id = [0u8; 16];
        let mut nonce = [0u8; 16];
        rng.fill_bytes(&mut transaction_id);
        rng.fill_bytes(&mut nonce);
        let issued_at = unix(p.now)?;
        let mut c = Self {
            platform_code: p.platform_code.clone(),
            transaction_id,
            action: p.action,
            nonce,
            issued_at,
            expires_at: issued_at + p.lifetime.as_secs(),
            callback_host: p.callback_host.clone(),
            digest: p.digest,
            ephemeral_key: p.ephemeral_key,
            signature: Signature::from_components([1; 32], [1; 32])?,
        };
        c.signature = platform_key.sign(DEFAULT_USER_ID, &c.signed_bytes(), rng)?;
        Ok(c)
    }

    /// The bytes before the signature.
    fn body(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(220);
        b.push(1);
        b.extend_from_slice(self.platform_code.as_bytes());
        b.extend_from_slice(&self.transaction_id);
        b.push(self.action.code());
        b.extend_from_slice(&self.nonce);
        b.extend_from_slice(&self.issued_at.to_be_bytes());
        b.extend_from_slice(&self.expires_at.to_be_bytes());
        b.push(self.callback_host.len() as u8);
        b.extend_from_slice(self.callback_host.as_bytes());
        match &self.digest {
            Some(d) => {
                b.push(1);
                b.extend_from_slice(d);
            }
            None => b.push(0),
        }
        match &self.ephemeral_key {
            Some(k) => {
                b.push(1);
                b.extend_from_slice(&k.to_sec1_bytes(true));
            }
            None => b.push(0),
        }
        b
    }

    /// What the platform signed.
    pub fn signed_bytes(&self) -> Vec<u8> {
        [SIGNING_CONTEXT, &self.body()].concat()
    }

    /// The canonical binary encoding.
    pub fn to_bytes(&self) -> Vec<u8> {
        [self.body(), self.signature.to_raw().to_vec()].concat()
    }

    /// The QR text.
    pub fn to_text(&self) -> String {
        format!(
            "{QR_PREFIX}{}",
            Base64UrlUnpadded::encode_string(&self.to_bytes())
        )
    }

    /// Decode QR text (no signature check: see [`Self::verify`]).
    pub fn from_text(text: &str) -> Result<Self> {
        const WHAT: &str = "QR challenge";
        let t = text.trim();
        if t.len() > MAX_QR_TEXT {
            return Err(Error::length(
                WHAT,
                format!("at most {MAX_QR_TEXT} characters"),
                t.len(),
            ));
        }
        let b64 = t
            .strip_prefix(QR_PREFIX)
            .ok_or_else(|| Error::malformed(WHAT, format!("does not start with {QR_PREFIX}")))?;
        let bytes = Base64UrlUnpadded::decode_vec(b64)
            .map_err(|_| Error::malformed(WHAT, "not base64url"))?;
        let c = Self::from_bytes(&bytes)?;
        if c.to_text() != t {
            return Err(Error::malformed(WHAT, "not in canonical form"));
        }
        Ok(c)
    }

    /// Decode the binary form.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "QR challenge";
        let mut r = crate::asn1::ByteCursor::new(WHAT, bytes);
        let version = r.u8()?;
        if version != 1 {
            return Err(Error::malformed(
                WHAT,
                format!("unsupported version {version}"),
            ));
        }
        let code = String::from_utf8(r.take(11)?.to_vec())
            .map_err(|_| Error::malformed(WHAT, "platform code"))?;
        validate_platform_code(&code).map_err(|e| Error::malformed(WHAT, e))?;
        let transaction_id: [u8; 16] = r.array()?;
        let action = Action::from_code(r.u8()?)?;
        let nonce: [u8; 16] = r.array()?;
        let issued_at = u64::from_be_bytes(r.array()?);
        let expires_at = u64::from_be_bytes(r.array()?);
        if expires_at <= issued_at {
            return Err(Error::malformed(WHAT, "expires before it is issued"));
        }
        let host_len = usize::from(r.u8()?);
        let callback_host = String::from_utf8(r.take(host_len)?.to_vec())
            .map_err(|_| Error::malformed(WHAT, "callback host"))?;
        validate_host(&callback_host).map_err(|e| Error::malformed(WHAT, e))?;
        let digest = match r.u8()? {
            0 => None,
            1 => Some(r.array::<32>()?),
            f => return Err(Error::malformed(WHAT, format!("digest flag {f}"))),
        };
        let ephemeral_key = match r.u8()? {
            0 => None,
            1 => Some(PublicKey::from_sec1_bytes(r.take(33)?)?),
            f => return Err(Error::malformed(WHAT, format!("ephemeral key flag {f}"))),
        };
        if action.needs_digest() != digest.is_some()
            || action.needs_ephemeral_key() != ephemeral_key.is_some()
        {
            return Err(Error::malformed(
                WHAT,
                format!("fields do not fit the action {}", action.name()),
            ));
        }
        let signature = Signature::from_raw(r.take(64)?)?;
        if r.remaining() != 0 {
            return Err(Error::malformed(
                WHAT,
                format!("{} trailing bytes", r.remaining()),
            ));
        }
        Ok(Self {
            platform_code: code,
            transaction_id,
            action,
            nonce,
            issued_at,
            expires_at,
            callback_host,
            digest,
            ephemeral_key,
            signature,
        })
    }

    /// Check the platform's signature with its public key.
    pub fn verify(&self, platform_key: &PublicKey) -> Result<()> {
        crate::verify::verify(
            platform_key,
            DEFAULT_USER_ID,
            &self.signed_bytes(),
            &self.signature,
        )
    }

    /// The transaction id as hex.
    pub fn transaction_hex(&self) -> String {
        crate::hex::encode(&self.transaction_id)
    }

    /// True when the challenge has expired at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        unix(now).map(|n| n >= self.expires_at).unwrap_or(true)
    }

    /// The QR code of the text as SVG.
    pub fn to_svg(&self) -> Result<String> {
        let code = qrcode::QrCode::with_error_correction_level(
            self.to_text().as_bytes(),
            qrcode::EcLevel::M,
        )
        .map_err(|e| Error::param("QR code", e.to_string()))?;
        Ok(code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build())
    }

    /// The QR code of the text for a terminal (two rows per line).
    pub fn to_terminal(&self) -> Result<String> {
        let code = qrcode::QrCode::with_error_correction_level(
            self.to_text().as_bytes(),
            qrcode::EcLevel::M,
        )
        .map_err(|e| Error::param("QR code", e.to_string()))?;
        Ok(code
            .render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build())
    }

    /// The QR code of the text as a PNG image (`scale` pixels a module).
    pub fn to_png(&self, scale: u32) -> Result<Vec<u8>> {
        let code = qrcode::QrCode::with_error_correction_level(
            self.to_text().as_bytes(),
            qrcode::EcLevel::M,
        )
        .map_err(|e| Error::param("QR code", e.to_string()))?;
        let width = code.width();
        let colors = code.to_colors();
        super::png::grayscale(width, &colors, scale.clamp(1, 32), 4)
    }
}
