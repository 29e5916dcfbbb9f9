//! Accounts (§1, §2, §15.12), real-name verification (§3), sessions and
//! devices (§15.12.2), third-party bindings (§15.12.4), deletion
//! (§15.12.5) and the privacy agreement (§15.11).

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{forbidden, invalid_state, text};
use crate::error::{Error, Result};
use crate::time::Date;

/// Login devices remembered per account (oldest dropped first).
pub const MAX_DEVICES: usize = 50;
/// Wrong SMS codes before the code is void.
pub const MAX_SMS_ATTEMPTS: u32 = 5;
/// How long an SMS code is valid.
pub const SMS_CODE_LIFETIME: Duration = Duration::from_secs(300);
/// Least time between two SMS codes to one number.
pub const SMS_RESEND_INTERVAL: Duration = Duration::from_secs(60);
/// How long a face-check challenge number may be read.
pub const FACE_CHALLENGE_LIFETIME: Duration = Duration::from_secs(120);
/// Failed face checks before the ID card must be confirmed again.
pub const MAX_FACE_ATTEMPTS: u32 = 3;

/// Sex as printed on the ID card.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// 男.
    Male,
    /// 女.
    Female,
}

/// The fields of a resident ID card, as parsed from its photos and
/// confirmed by the user (§3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdCard {
    /// Name.
    pub name: String,
    /// ID number (GB 11643).
    pub id_number: String,
    /// Sex.
    pub sex: Sex,
    /// Birth date.
    pub birth: Date,
    /// Ethnicity (民族).
    pub ethnicity: String,
    /// Address.
    pub address: String,
    /// Issuing office (签发机关).
    pub issuer: String,
    /// First day of validity.
    pub valid_from: Date,
    /// Last day of validity; `None` for a long-term card (长期).
    pub valid_to: Option<Date>,
}

impl IdCard {
    /// Check every field: lengths, the GB 11643 check digit, and that the
    /// sex and birth date agree with the number, the card is valid on
    /// `today`.
    pub fn validate(mut self, today: Date) -> Result<Self> {
        self.name = text("name", &self.name, 2, 30)?;
        self.id_number = crate::ids::validate_id_number(&self.id_number)?;
        self.ethnicity = text("ethnicity", &self.ethnicity, 1, 10)?;
        self.address = text("address", &self.address, 5, 100)?;
        self.issuer = text("issuing office", &self.issuer, 2, 50)?;
        let digits = self.id_number.as_bytes();
        let sex = if (digits[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        if sex != self.sex {
            return Err(Error::param("sex", "does not agree with the ID number"));
        }
        let birth = format!(
            "{}-{}-{}",
            &self.id_number[6..10],
            &self.id_number[10..12],
            &self.id_number[12..14]
        );
        if birth != self.birth.to_string() {
            return Err(Error::param(
                "birth date",
                format!("{} does not agree with the ID number ({birth})", self.birth),
            ));
        }
        if self.valid_from > today {
            return Err(Error::param("validity", "the card is not valid yet"));
        }
        if let Some(to) = self.valid_to {
            if to < self.valid_from {
                return Err(Error::param("validity", "ends before it starts"));
            }
            if to < today {
                return Err(Error::param(
                    "validity",
                    format!("the card expired on {to}"),
                ));
            }
        }
        Ok(self)
    }
}

/// The read-aloud number of a face check (§3.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaceChallenge {
    /// Four digits to read aloud.
    pub digits: String,
    /// Until when.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub expires: SystemTime,
}

/// What the face verifier decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FaceVerdict {
    /// The face matches the ID card holder and the spoken number.
    Pass,
    /// It does not; why.
    Fail(String),
}

/// Real-name verification: ID card → confirmation → face check (§3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RealName {
    /// Nothing submitted.
    Unverified,
    /// The card's fields are shown to the user for confirmation.
    Submitted {
        /// The parsed card.
        card: IdCard,
    },
    /// Confirmed; the face check is running.
    FaceCheck {
        /// The card.
        card: IdCard,
        /// The number to read.
        challenge: FaceChallenge,
        /// Failed attempts so far.
        failures: u32,
    },
    /// Verified.
    Verified {
        /// The card.
        card: IdCard,
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
    },
}

impl RealName {
    /// The state's name.
    pub fn name(&self) -> &'static str {
        match self {
            RealName::Unverified => "unverified",
            RealName::Submitted { .. } => "awaiting confirmation",
            RealName::FaceCheck { .. } => "awaiting the face check",
            RealName::Verified { .. } => "verified",
        }
    }

    /// The verified card, if verified.
    pub fn verified(&self) -> Option<&IdCard> {
        match self {
            RealName::Verified { card, .. } => Some(card),
            _ => None,
        }
    }

    /// Submit (or replace, 更换身份证) the ID card; not once verified.
    pub fn submit(&mut self, card: IdCard, today: Date) -> Result<()> {
        if matches!(self, RealName::Verified { .. }) {
            return Err(invalid_state(
                "real-name verification",
                self.name(),
                "submit an ID card to",
            ));
        }
        *self = RealName::Submitted {
            card: card.validate(today)?,
        };
        Ok(())
    }

    /// Confirm the fields and start the face check with `digits`.
    pub fn confirm(&mut self, digits: String, now: SystemTime) -> Result<&FaceChallenge> {
        let RealName::Submitted { card } = self else {
            return Err(invalid_state(
                "real-name verification",
                self.name(),
                "confirm",
            ));
        };
        *self = RealName::FaceCheck {
            card: card.clone(),
            challenge: FaceChallenge {
                digits,
                expires: now + FACE_CHALLENGE_LIFETIME,
            },
            failures: 0,
        };
        match self {
            RealName::FaceCheck { challenge, .. } => Ok(challenge),
            _ => Err(invalid_state(
                "real-name verification",
                "changed",
                "confirm",
            )),
        }
    }

    /// Record the face verifier's verdict. A pass verifies; a fail counts,
    /// and after [`MAX_FACE_ATTEMPTS`] the card must be confirmed again.
    /// An expired challenge is refused without consulting the verdict.
    pub fn face_result(&mut self, verdict: FaceVerdict, now: SystemTime) -> Result<()> {
        let RealName::FaceCheck {
            card,
            challenge,
            failures,
        } = self
        else {
            return Err(invalid_state(
                "real-name verification",
                self.name(),
                "run a face check on",
            ));
        };
        if now > challenge.expires {
            let card = card.clone();
            *self = RealName::Submitted { card };
            return Err(invalid_state(
                "face check",
                "expired (confirm the card again for a new number)",
                "complete",
            ));
        }
        match verdict {
            FaceVerdict::Pass => {
                *self = RealName::Verified {
                    card: card.clone(),
                    at: now,
                };
                Ok(())
            }
            FaceVerdict::Fail(why) => {
                *failures += 1;
                if *failures >= MAX_FACE_ATTEMPTS {
                    let card = card.clone();
                    *self = RealName::Submitted { card };
                }
                Err(Error::Forbidden {
                    actor: "face check".into(),
                    action: "verify the holder",
                    reason: why,
                })
            }
        }
    }
}

/// A third-party login provider (§1, §15.12.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Provider {
    /// WeChat.
    WeChat,
    /// Alipay.
    Alipay,
}

impl Provider {
    /// Name.
    pub fn name(self) -> &'static str {
        match self {
            Provider::WeChat => "wechat",
            Provider::Alipay => "alipay",
        }
    }
}

/// A bound third-party account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binding {
    /// Provider.
    pub provider: Provider,
    /// The provider's account id (openid).
    pub external_id: String,
    /// When bound.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
}

/// A device that logged in (§15.12.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Model, e.g. `xiaomi-2211133C-15`.
    pub model: String,
    /// When.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
}

/// The privacy agreement version a user accepted (§1, §15.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Version.
    pub version: u32,
    /// When.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub at: SystemTime,
}

/// An account's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountState {
    /// In use.
    Active,
    /// Deleted (§15.12.5): can only appeal (§2).
    Deleted {
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
    },
}

/// A user account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Id (`U` + number).
    pub id: String,
    /// Mobile number.
    pub phone: String,
    /// State.
    pub state: AccountState,
    /// Real-name verification.
    pub real_name: RealName,
    /// Bound third-party accounts.
    pub bindings: Vec<Binding>,
    /// Devices that logged in, newest last.
    pub devices: Vec<Device>,
    /// The privacy agreement accepted.
    pub consent: Option<Consent>,
    /// Registered.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub created: SystemTime,
}

impl Account {
    /// A new account for a mobile number.
    pub fn new(id: String, phone: String, now: SystemTime) -> Self {
        Self {
            id,
            phone,
            state: AccountState::Active,
            real_name: RealName::Unverified,
            bindings: Vec::new(),
            devices: Vec::new(),
            consent: None,
            created: now,
        }
    }

    /// Refuse anything but an appeal on a deleted account.
    pub fn require_active(&self, action: &'static str) -> Result<()> {
        match self.state {
            AccountState::Active => Ok(()),
            AccountState::Deleted { .. } => Err(forbidden(
                &self.id,
                action,
                "the account is deleted; only an account appeal is possible",
            )),
        }
    }

    /// Refuse until real-name verification is done (§3: before anything else).
    pub fn require_verified(&self, action: &'static str) -> Result<&IdCard> {
        self.require_active(action)?;
        self.real_name.verified().ok_or_else(|| {
            forbidden(
                &self.id,
                action,
                format!("real-name verification is {}", self.real_name.name()),
            )
        })
    }

    /// The verified name, or the phone when not verified.
    pub fn display_name(&self) -> String {
        self.real_name
            .verified()
            .map(|c| c.name.clone())
            .unwrap_or_else(|| super::mask_mobile(&self.phone))
    }

    /// A login: the current privacy agreement must be accepted (now or
    /// before); the device is remembered.
    pub fn login(
        &mut self,
        device: &str,
        current_privacy: u32,
        accepted: Option<u32>,
        now: SystemTime,
    ) -> Result<()> {
        self.require_active("log in")?;
        let device = text("device model", device, 1, 64)?;
        match (accepted, &self.consent) {
            (Some(v), _) if v == current_privacy => {
                self.consent = Some(Consent {
                    version: v,
                    at: now,
                });
            }
            (Some(v), _) => {
                return Err(Error::param(
                    "privacy agreement",
                    format!("version {v} accepted, but the current one is {current_privacy}"),
                ));
            }
            (None, Some(c)) if c.version == current_privacy => {}
            (None, _) => {
                return Err(forbidden(
                    &self.id,
                    "log in",
                    format!("privacy agreement version {current_privacy} must be accepted first"),
                ));
            }
        }
        self.devices.push(Device {
            model: device,
            at: now,
        });
        if self.devices.len() > MAX_DEVICES {
            self.devices.remove(0);
        }
        Ok(())
    }

    /// Would [`Account::login`] succeed? (Checked before a one-time code is
    /// spent, so that a refused login keeps the code.)
    pub fn check_login(
        &self,
        device: &str,
        current_privacy: u32,
        accepted: Option<u32>,
        now: SystemTime,
    ) -> Result<()> {
        self.clone().login(device, current_privacy, accepted, now)
    }

    /// Bind a third-party account; one per provider.
    pub fn bind(&mut self, provider: Provider, external_id: &str, now: SystemTime) -> Result<()> {
        self.require_active("bind a third-party account")?;
        let external_id = text("third-party account id", external_id, 1, 128)?;
        if self.bindings.iter().any(|b| b.provider == provider) {
            return Err(invalid_state(
                "account",
                format!("already bound to {}", provider.name()),
                "bind",
            ));
        }
        self.bindings.push(Binding {
            provider,
            external_id,
            at: now,
        });
        Ok(())
    }

    /// Unbind a provider.
    pub fn unbind(&mut self, provider: Provider) -> Result<Binding> {
        self.require_active("unbind a third-party account")?;
        let i = self
            .bindings
            .iter()
            .position(|b| b.provider == provider)
            .ok_or_else(|| {
                invalid_state(
                    "account",
                    format!("not bound to {}", provider.name()),
                    "unbind",
                )
            })?;
        Ok(self.bindings.remove(i))
    }

    /// Delete the account (§15.12.5): refused while it administers an
    /// enterprise. Devices, bindings, consent and the ID card's details go;
    /// the verified name and ID number stay, sealed, for an appeal.
    pub fn delete(&mut self, administers: &[String], now: SystemTime) -> Result<()> {
        self.require_active("delete the account")?;
        if let Some(code) = administers.first() {
            return Err(forbidden(
                &self.id,
                "delete the account",
                format!(
                    "it administers enterprise {code}; change the administrator or deregister it first"
                ),
            ));
        }
        let kept = self.real_name.verified().map(|c| IdCard {
            address: String::new(),
            issuer: String::new(),
            ethnicity: String::new(),
            ..c.clone()
        });
        self.real_name = match kept {
            Some(card) => RealName::Verified { card, at: now },
            None => RealName::Unverified,
        };
        self.bindings.clear();
        self.devices.clear();
        self.consent = None;
        self.state = AccountState::Deleted { at: now };
        Ok(())
    }

    /// May this deleted account be appealed by someone giving these ID
    /// number and name? Only a real-name-verified, deleted account (§2).
    pub fn check_appeal(&self, id_number: &str, name: &str) -> Result<()> {
        let AccountState::Deleted { .. } = self.state else {
            return Err(invalid_state("account", "active", "appeal"));
        };
        match self.real_name.verified() {
            Some(c) if c.id_number == id_number && c.name == name.trim() => Ok(()),
            Some(_) => Err(Error::param(
                "real name",
                "does not match the ID number's account",
            )),
            None => Err(invalid_state("account", "not real-name verified", "appeal")),
        }
    }

    /// Restore the account after an approved appeal.
    pub fn restore(&mut self) -> Result<()> {
        match self.state {
            AccountState::Deleted { .. } => {
                self.state = AccountState::Active;
                Ok(())
            }
            AccountState::Active => Err(invalid_state("account", "active", "restore")),
        }
    }
}

/// A login session, bound to a device (§13 of DOMAIN).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Random token, hex.
    pub token: String,
    /// The account.
    pub user: String,
    /// The device model.
    pub device: String,
    /// How the user logged in.
    pub method: String,
    /// Started.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub started: SystemTime,
    /// Ended (logout, deletion, appeal).
    #[serde(with = "crate::time::serde_rfc3339::option")]
    pub ended: Option<SystemTime>,
}

impl Session {
    /// End the session; refuses one already ended.
    pub fn end(&mut self, now: SystemTime) -> Result<()> {
        if self.ended.is_some() {
            return Err(invalid_state("session", "ended", "end"));
        }
        self.ended = Some(now);
        Ok(())
    }
}

/// A one-time SMS login code sent to a number, kept as its SM3.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCode {
    /// The number.
    pub phone: String,
    /// SM3 of phone and code, hex.
    pub code_hash: String,
    /// Sent.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub sent: SystemTime,
    /// Wrong tries so far.
    pub attempts: u32,
    /// Used or void.
    pub spent: bool,
}

/// SM3 of a number and its code.
pub fn sms_hash(phone: &str, code: &str) -> String {
    crate::hex::encode(&crate::crypto::sm3(format!("{phone}:{code}").as_bytes()))
}

/// The key prefix of certificate-login nonces kept as one-time codes.
pub const NONCE_PREFIX: &str = "cert:";

impl SmsCode {
    /// "SMS code", or "login nonce" for a certificate-login nonce.
    pub fn what(&self) -> &'static str {
        if self.phone.starts_with(NONCE_PREFIX) {
            "login nonce"
        } else {
            "SMS code"
        }
    }

    /// Check a code; one success spends it, five failures void it, and it
    /// lapses after [`SMS_CODE_LIFETIME`].
    pub fn check(&mut self, code: &str, now: SystemTime) -> Result<()> {
        let what = self.what();
        if self.spent {
            return Err(invalid_state(what, "used or void", "log in with"));
        }
        if now > self.sent + SMS_CODE_LIFETIME {
            self.spent = true;
            return Err(invalid_state(what, "expired", "log in with"));
        }
        let given = sms_hash(&self.phone, code.trim());
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            given.as_bytes(),
            self.code_hash.as_bytes(),
        )) {
            self.spent = true;
            return Ok(());
        }
        self.attempts += 1;
        if self.attempts >= MAX_SMS_ATTEMPTS {
            self.spent = true;
        }
        Err(Error::param(
            what,
            format!(
                "wrong code, {} tries left",
                MAX_SMS_ATTEMPTS - self.attempts.min(MAX_SMS_ATTEMPTS)
            ),
        ))
    }
}
