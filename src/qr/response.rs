//! The app's response: a signed statement of what the user authorised,
//! with the action's payload.
//!
//! ```text
//! Statement ::= SEQUENCE {
//!     version      INTEGER (1),
//!     action       INTEGER (the challenge's action code),
//!     platformCode PrintableString (11),
//!     transaction  OCTET STRING (16),
//!     nonce        OCTET STRING (16),
//!     digest       OCTET STRING (32, or empty when the action has none),
//!     certSerial   OCTET STRING (the signer certificate's serial),
//!     appTime      GeneralizedTime,
//!     member       UTF8String (the app user who authorised),
//!     enterprise   UTF8String (credit code when acting for an enterprise, else empty),
//!     displayHash  OCTET STRING (32: SM3 of what the phone displayed),
//!     payloadHash  OCTET STRING (32: SM3 of the payload, or of nothing) }
//! Response ::= SEQUENCE {
//!     statement    Statement,
//!     certificate  OCTET STRING (the signer's certificate, DER),
//!     signature    OCTET STRING (SM2 over the statement DER, default user ID),
//!     payload      [0] OCTET STRING OPTIONAL }
//! ```
//!
//! Payloads: `seal` an `SES_Signature`; `encrypt` the user's encryption
//! certificate; `decrypt` the document key encrypted to the platform's
//! ephemeral key (ASN.1 SM2 ciphertext); `file_sign` a detached CMS
//! `SignedData`; `msg_sign` a DER SM2 signature over the message; `login`
//! none. Transported as base64 in JSON or as raw bytes.

use std::time::SystemTime;

use crate::asn1::{self, Reader};
use crate::crypto::sm3;
use crate::error::{Error, Result};

use super::challenge::{Action, Challenge};

/// Largest response accepted (a seal signature with its image dominates).
pub const MAX_RESPONSE_BYTES: usize = 2 << 20;

/// The signed statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The action.
    pub action: Action,
    /// The platform code.
    pub platform_code: String,
    /// The transaction id.
    pub transaction_id: [u8; 16],
    /// The nonce.
    pub nonce: [u8; 16],
    /// The challenge's digest, if any.
    pub digest: Option<[u8; 32]>,
    /// Serial of the certificate that signs the statement.
    pub cert_serial: Vec<u8>,
    /// The app's clock.
    pub app_time: SystemTime,
    /// The app user who authorised (for the scan report).
    pub member: String,
    /// The enterprise (credit code) the user acted for, if any.
    pub enterprise: Option<String>,
    /// SM3 of what the phone displayed.
    pub display_hash: [u8; 32],
    /// SM3 of the payload (of the empty string when none).
    pub payload_hash: [u8; 32],
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The statement.
    pub statement: Statement,
    /// The statement's DER as received (what was signed).
    pub statement_raw: Vec<u8>,
    /// The signer's certificate (DER).
    pub certificate: Vec<u8>,
    /// The signature over the statement (DER).
    pub signature: Vec<u8>,
    /// The action's payload.
    pub payload: Option<Vec<u8>>,
}

/// What the phone displays for a challenge, canonically, so that both
/// sides hash the same text: the platform's name (from the registry, never
/// from the QR), its code, the action and the digest.
pub fn display_text(challenge: &Challenge, platform_name: &str) -> String {
    format!(
        "平台:{platform_name}\n系统编码:{}\n操作:{}\n摘要:{}\n",
        challenge.platform_code,
        challenge.action.label_zh(),
        challenge
            .digest
            .map(|d| crate::hex::encode(&d))
            .unwrap_or_else(|| "-".into())
    )
}

impl Statement {
    /// The statement for `challenge`.
    pub fn for_challenge(
        challenge: &Challenge,
        cert_serial: &[u8],
        app_time: SystemTime,
        platform_name: &str,
        member: &str,
        enterprise: Option<&str>,
        payload: Option<&[u8]>,
    ) -> Self {
        Self {
            action: challenge.action,
            platform_code: challenge.platform_code.clone(),
            transaction_id: challenge.transaction_id,
            nonce: challenge.nonce,
            digest: challenge.digest,
            cert_serial: cert_serial.to_vec(),
            app_time,
            member: member.to_string(),
            enterprise: enterprise.map(str::to_string),
            display_hash: sm3(display_text(challenge, platform_name).as_bytes()),
            payload_hash: sm3(payload.unwrap_or_default()),
        }
    }

    /// DER.
    pub fn to_der(&self) -> Result<Vec<u8>> {
        let os = |b: &[u8]| asn1::tlv(asn1::TAG_OCTET_STRING, b);
        Ok(asn1::tlv(
            asn1::TAG_SEQUENCE,
            &[
                asn1::uint(&[1]),
                asn1::uint(&[self.action.code()]),
                asn1::tlv(0x13, self.platform_code.as_bytes()),
                os(&self.transaction_id),
                os(&self.nonce),
                os(self.digest.as_ref().map(|d| &d[..]).unwrap_or_default()),
                os(&self.cert_serial),
                asn1::time_der(self.app_time, false)?,
                asn1::tlv(0x0c, self.member.as_bytes()),
                asn1::tlv(
                    0x0c,
                    self.enterprise.as_deref().unwrap_or_default().as_bytes(),
                ),
                os(&self.display_hash),
                os(&self.payload_hash),
            ]
            .concat(),
        ))
    }

    fn from_der(raw: &[u8]) -> Result<Self> {
        const WHAT: &str = "QR statement";
        let mut outer = Reader::new(WHAT, raw);
        let mut r = outer.expect(asn1::TAG_SEQUENCE)?;
        outer.finish()?;
        if r.uint_fixed::<1>("version")? != [1] {
            return Err(Error::malformed(WHAT, "unsupported version"));
        }
        let action = Action::from_code(r.uint_fixed::<1>("action")?[0])?;
        let code = String::from_utf8(r.expect(0x13)?.rest().to_vec())
            .map_err(|_| Error::malformed(WHAT, "platform code"))?;
        let fixed = |r: &mut Reader<'_>, what: &'static str, n: usize| -> Result<Vec<u8>> {
            let b = r.expect(asn1::TAG_OCTET_STRING)?.rest();
            if b.len() == n {
                Ok(b.to_vec())
            } else {
                Err(Error::length(what, format!("{n} bytes"), b.len()))
            }
        };
        let mut tid = [0u8; 16];
        tid.copy_from_slice(&fixed(&mut r, "transaction id", 16)?);
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&fixed(&mut r, "nonce", 16)?);
        let d = r.expect(asn1::TAG_OCTET_STRING)?.rest();
        let digest = match d.len() {
            0 => None,
            32 => {
                let mut a = [0u8; 32];
                a.copy_from_slice(d);
                Some(a)
            }
            n => return Err(Error::length("statement digest", "0 or 32 bytes", n)),
        };
        let serial = r.expect(asn1::TAG_OCTET_STRING)?.rest().to_vec();
        if serial.is_empty() || serial.len() > 21 {
            return Err(Error::length(
                "certificate serial",
                "1 to 21 bytes",
                serial.len(),
            ));
        }
        let (tag, _, t) = r.any()?;
        let app_time = asn1::parse_time(tag, t)?;
        let utf8 = |r: &mut Reader<'_>, what: &'static str| -> Result<String> {
            let b = r.expect(0x0c)?.rest();
            if b.len() > 256 {
                return Err(Error::length(what, "at most 256 bytes", b.len()));
            }
            String::from_utf8(b.to_vec())
                .map_err(|_| Error::malformed(WHAT, format!("{what} is not UTF-8")))
        };
        let member = utf8(&mut r, "member")?;
        let enterprise = Some(utf8(&mut r, "enterprise")?).filter(|e| !e.is_empty());
        let mut display_hash = [0u8; 32];
        display_hash.copy_from_slice(&fixed(&mut r, "display hash", 32)?);
        let mut payload_hash = [0u8; 32];
        payload_hash.copy_from_slice(&fixed(&mut r, "payload hash", 32)?);
        r.finish()?;
        Ok(Self {
            action,
            platform_code: code,
            transaction_id: tid,
            nonce,
            digest,
            cert_serial: serial,
            app_time,
            member,
            enterprise,
            display_hash,
            payload_hash,
        })
    }
}

impl Response {
    /// DER.
    pub fn to_der(&self) -> Vec<u8> {
        let mut parts = vec![
            self.statement_raw.clone(),
            asn1::tlv(asn1::TAG_OCTET_STRING, &self.certificate),
            asn1::tlv(asn1::TAG_OCTET_STRING, &self.signature),
        ];
        if let Some(p) = &self.payload {
            parts.push(asn1::tlv(0x80, p));
        }
        asn1::tlv(asn1::TAG_SEQUENCE, &parts.concat())
    }

    /// Parse DER strictly.
    pub fn from_der(raw: &[u8]) -> Result<Self> {
        const WHAT: &str = "QR response";
        if raw.len() > MAX_RESPONSE_BYTES {
            return Err(Error::length(
                WHAT,
                format!("at most {MAX_RESPONSE_BYTES} bytes"),
                raw.len(),
            ));
        }
        let mut outer = Reader::new(WHAT, raw);
        let mut r = outer.expect(asn1::TAG_SEQUENCE)?;
        outer.finish()?;
        let (tag, statement_raw, _) = r.any()?;
        if tag != asn1::TAG_SEQUENCE {
            return Err(Error::malformed(WHAT, "statement is not a SEQUENCE"));
        }
        let statement = Statement::from_der(statement_raw)?;
        let certificate = r.expect(asn1::TAG_OCTET_STRING)?.rest().to_vec();
        let signature = r.expect(asn1::TAG_OCTET_STRING)?.rest().to_vec();
        let payload = if r.peek_tag() == Some(0x80) {
            Some(r.expect(0x80)?.rest().to_vec())
        } else {
            None
        };
        r.finish()?;
        let resp = Self {
            statement,
            statement_raw: statement_raw.to_vec(),
            certificate,
            signature,
            payload,
        };
        if resp.to_der() != raw {
            return Err(Error::malformed(WHAT, "not in canonical form"));
        }
        Ok(resp)
    }

    /// Base64 (standard, padded) of the DER, for JSON transport.
    pub fn to_base64(&self) -> String {
        use base64ct::Encoding;
        base64ct::Base64::encode_string(&self.to_der())
    }

    /// From base64 of the DER.
    pub fn from_base64(text: &str) -> Result<Self> {
        use base64ct::Encoding;
        if text.len() > MAX_RESPONSE_BYTES * 4 / 3 + 4 {
            return Err(Error::length(
                "QR response",
                "at most 2 MiB",
                text.len() * 3 / 4,
            ));
        }
        let raw = base64ct::Base64::decode_vec(text.trim())
            .map_err(|_| Error::malformed("QR response", "not base64"))?;
        Self::from_der(&raw)
    }
}
