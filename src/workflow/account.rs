//! Accounts, logins, sessions and devices, real-name verification,
//! bindings, deletion and the account appeal (§1–§3, §15.12, §18).

use std::sync::Mutex;
use std::time::SystemTime;

use super::{Services, Tx};
use crate::crypto::{DEFAULT_USER_ID, Signature, sm3};
use crate::domain::account::{
    Account, Device, FaceChallenge, FaceVerdict, IdCard, NONCE_PREFIX, Provider, RealName,
    SMS_RESEND_INTERVAL, Session, SmsCode, sms_hash,
};
use crate::domain::audit::{Audit, AuditDetail, AuditKind, AuditState};
use crate::domain::content::{LogKind, Module};
use crate::domain::enterprise::Enterprise;
use crate::domain::holding::{CaRecords, CertHolding};
use crate::domain::{invalid_state, mobile, text};
use crate::error::{Error, Result};
use crate::store::{Store, StoreExt, Versioned};
use crate::time::Date;

/// What the phone sends for a face check: the video's face (here, any
/// bytes the verifier compares) and the number it heard read aloud.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaceSample {
    /// The face (a template or frame).
    pub face: Vec<u8>,
    /// The digits read aloud, as recognised.
    pub spoken: String,
}

/// Face matching, an external service.
pub trait FaceVerifier: Send + Sync {
    /// Does `sample` show the holder of `card` reading `digits`?
    fn verify(&self, card: &IdCard, digits: &str, sample: &FaceSample) -> FaceVerdict;
}

/// The deterministic reference verifier: the "face" of a card holder is
/// SM3 of `face:` + ID number + name; a sample passes when its face is
/// that and it spoke the challenge's digits.
#[derive(Debug, Default, Clone, Copy)]
pub struct ReferenceFaceVerifier;

impl ReferenceFaceVerifier {
    /// The face of the holder of `card`.
    pub fn face_of(card: &IdCard) -> Vec<u8> {
        sm3(format!("face:{}{}", card.id_number, card.name).as_bytes()).to_vec()
    }

    /// A genuine sample of the holder reading `digits`.
    pub fn genuine(card: &IdCard, digits: &str) -> FaceSample {
        FaceSample {
            face: Self::face_of(card),
            spoken: digits.into(),
        }
    }
}

impl FaceVerifier for ReferenceFaceVerifier {
    fn verify(&self, card: &IdCard, digits: &str, sample: &FaceSample) -> FaceVerdict {
        if sample.spoken.trim() != digits {
            FaceVerdict::Fail("the number read aloud is not the one shown".into())
        } else if sample.face != Self::face_of(card) {
            FaceVerdict::Fail("the face does not match the ID card holder".into())
        } else {
            FaceVerdict::Pass
        }
    }
}

/// SMS delivery, an external service.
pub trait SmsGateway: Send + Sync {
    /// Send `text` to `phone`.
    fn send(&self, phone: &str, text: &str) -> Result<()>;
}

/// The reference gateway: keeps what was sent.
#[derive(Debug, Default)]
pub struct MemorySms {
    sent: Mutex<Vec<(String, String)>>,
}

impl MemorySms {
    /// Every message sent, oldest first.
    pub fn sent(&self) -> Vec<(String, String)> {
        self.sent.lock().map(|g| g.clone()).unwrap_or_default()
    }

    /// The last 6-digit code sent to `phone`.
    pub fn last_code(&self, phone: &str) -> Option<String> {
        self.sent()
            .into_iter()
            .rev()
            .find(|(p, _)| p == phone)
            .and_then(|(_, t)| {
                t.split(|c: char| !c.is_ascii_digit())
                    .find(|w| w.len() == 6)
                    .map(str::to_string)
            })
    }
}

impl SmsGateway for MemorySms {
    fn send(&self, phone: &str, text: &str) -> Result<()> {
        self.sent
            .lock()
            .map_err(|_| Error::Store("SMS outbox poisoned".into()))?
            .push((phone.into(), text.into()));
        Ok(())
    }
}

/// How a user logs in (recorded on the session).
const LOGIN_SMS: &str = "sms";
const LOGIN_CERT: &str = "certificate";

impl<S: Store> Services<S> {
    /// Send a 6-digit login code to `phone` (at most one a minute).
    pub fn request_sms_code(&self, phone: &str) -> Result<()> {
        let phone = mobile("phone", phone)?;
        let code = self.random_digits(6)?;
        self.atomically(|tx| {
            let old: Option<Versioned<SmsCode>> = tx.store.try_load(&phone)?;
            if let Some(o) = &old
                && tx.now < o.sent + SMS_RESEND_INTERVAL
            {
                return Err(invalid_state(
                    "SMS code",
                    "sent less than a minute ago",
                    "resend",
                ));
            }
            let row = SmsCode {
                phone: phone.clone(),
                code_hash: sms_hash(&phone, &code),
                sent: tx.now,
                attempts: 0,
                spent: false,
            };
            let mut v = old.unwrap_or_else(|| Versioned::new(row.clone()));
            v.value = row;
            tx.save(&v)
        })?;
        self.sms.send(
            &phone,
            &format!("【中标一证通】验证码 {code}，5分钟内有效，请勿告知他人。"),
        )
    }

    fn open_session(
        tx: &mut Tx<'_, S>,
        account: &mut Versioned<Account>,
        device: &str,
        method: &str,
        token: &str,
    ) -> Result<Session> {
        let session = Session {
            token: token.into(),
            user: account.id.clone(),
            device: device.trim().into(),
            method: method.into(),
            started: tx.now,
            ended: None,
        };
        tx.save(account)?;
        tx.insert(&session)?;
        tx.log(
            &account.id,
            LogKind::Login,
            format!("登录（{method}） 设备 {}", device.trim()),
        )?;
        Ok(session)
    }

    /// Log in with the SMS code (§1), registering a new number. The
    /// current privacy agreement must be accepted (`accept`), now or before.
    pub fn login_sms(
        &self,
        phone: &str,
        code: &str,
        device: &str,
        accept: Option<u32>,
    ) -> Result<Session> {
        let phone = mobile("phone", phone)?;
        let token = self.random_hex(16)?;
        let privacy = self.config.desk.privacy_version;
        // Everything but the code is checked first, so that a refused login
        // keeps the code.
        let existing = self
            .store
            .find_by::<Account>("phone", &phone)?
            .into_iter()
            .next();
        match &existing {
            Some(a) => a.check_login(device, privacy, accept, self.now())?,
            None => Account::new(String::new(), phone.clone(), self.now()).check_login(
                device,
                privacy,
                accept,
                self.now(),
            )?,
        }
        self.spend_code(&phone, code)?;
        let new_id = match existing {
            Some(_) => String::new(),
            None => self.id("account", "U")?,
        };
        self.atomically(|tx| {
            // One account per number, however many first logins race.
            tx.lock(format!("phone:{phone}"))?;
            let found = tx
                .store
                .find_by::<Account>("phone", &phone)?
                .into_iter()
                .next();
            let mut a = match found {
                Some(a) => a,
                None if new_id.is_empty() => {
                    return Err(Error::Conflict {
                        what: "accounts",
                        key: "the number's account went away".into(),
                    });
                }
                None => Versioned::new(Account::new(new_id.clone(), phone.clone(), tx.now)),
            };
            a.login(device, privacy, accept, tx.now)?;
            Self::open_session(tx, &mut a, device, LOGIN_SMS, &token)
        })
    }

    /// Check a one-time code (SMS code or login nonce) and spend it. A
    /// wrong try is counted in its own commit, so that it is remembered
    /// although the login fails; a refusal that changes nothing writes
    /// nothing.
    fn spend_code(&self, key: &str, code: &str) -> Result<()> {
        let what = if key.starts_with(NONCE_PREFIX) {
            "login nonce for"
        } else {
            "SMS code for"
        };
        self.atomically(|tx| {
            let mut row: Versioned<SmsCode> = tx.store.load(what, key)?;
            let before = row.value.clone();
            let r = row.check(code, tx.now);
            if row.value != before {
                tx.save(&row)?;
            }
            Ok(r)
        })?
    }

    /// A one-time nonce for logging in with the login certificate (ID
    /// number + the 6-digit certificate PIN that unlocks its key on the
    /// phone, §1). The phone signs `yzt-login:<id>:<nonce>`.
    pub fn certificate_login_nonce(&self, id_number: &str) -> Result<String> {
        let id = crate::ids::validate_id_number(id_number)?;
        let nonce = self.random_hex(16)?;
        let key = format!("{NONCE_PREFIX}{id}");
        self.atomically(|tx| {
            let row = SmsCode {
                phone: key.clone(),
                code_hash: sms_hash(&key, &nonce),
                sent: tx.now,
                attempts: 0,
                spent: false,
            };
            let mut v = tx
                .store
                .try_load(&key)?
                .unwrap_or_else(|| Versioned::new(row.clone()));
            v.value = row;
            tx.save(&v)
        })?;
        Ok(nonce)
    }

    /// The text the phone signs to log in with its certificate.
    pub fn certificate_login_text(id_number: &str, nonce: &str) -> String {
        format!("yzt-login:{id_number}:{nonce}")
    }

    /// Log in with the certificate: the signature (DER, user ID
    /// `1234567812345678`) over [`Self::certificate_login_text`] by a
    /// normal personal certificate of the account with this ID number.
    pub fn login_certificate(
        &self,
        id_number: &str,
        nonce: &str,
        signature: &[u8],
        device: &str,
        accept: Option<u32>,
    ) -> Result<Session> {
        let id = crate::ids::validate_id_number(id_number)?;
        let key = format!("{NONCE_PREFIX}{id}");
        self.spend_code(&key, nonce)?;
        let account = self
            .store
            .find_by::<Account>("id_number", &id)?
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound {
                what: "account with ID number",
                key: crate::ids::mask_id_number(&id),
            })?;
        let sig = Signature::from_der(signature)?;
        let text = Self::certificate_login_text(&id, nonce);
        let ca: Option<Versioned<CaRecords>> = self.store.try_load("ca")?;
        let now = self.now();
        let ok = self
            .store
            .find_by::<CertHolding>("holder", &id)?
            .into_iter()
            .filter(|h| h.user == account.id)
            .filter(|h| {
                ca.as_ref()
                    .and_then(|c| c.state.records.get(&h.serial))
                    .is_some_and(|r| r.user_status(now) == crate::cert::UserStatus::Normal)
            })
            .any(|h| {
                crate::cert::Certificate::from_der(&h.der)
                    .and_then(|c| {
                        crate::verify::verify(
                            c.public_key(),
                            DEFAULT_USER_ID,
                            text.as_bytes(),
                            &sig,
                        )
                    })
                    .is_ok()
            });
        if !ok {
            return Err(Error::SignatureMismatch);
        }
        let token = self.random_hex(16)?;
        let privacy = self.config.desk.privacy_version;
        let uid = account.id.clone();
        self.atomically(|tx| {
            let mut a: Versioned<Account> = tx.store.load("account", &uid)?;
            a.login(device, privacy, accept, tx.now)?;
            Self::open_session(tx, &mut a, device, LOGIN_CERT, &token)
        })
    }

    /// Log in with a bound WeChat or Alipay account (§1).
    pub fn login_third_party(
        &self,
        provider: Provider,
        external_id: &str,
        device: &str,
        accept: Option<u32>,
    ) -> Result<Session> {
        let key = format!("{}:{}", provider.name(), external_id.trim());
        let token = self.random_hex(16)?;
        let privacy = self.config.desk.privacy_version;
        self.atomically(|tx| {
            let mut a = tx
                .store
                .find_by::<Account>("binding", &key)?
                .into_iter()
                .next()
                .ok_or_else(|| Error::NotFound {
                    what: "bound account",
                    key: key.clone(),
                })?;
            a.login(device, privacy, accept, tx.now)?;
            Self::open_session(tx, &mut a, device, provider.name(), &token)
        })
    }

    /// Bind a third-party account (§15.12.4); one account per external id.
    pub fn bind(&self, user: &str, provider: Provider, external_id: &str) -> Result<()> {
        let key = format!("{}:{}", provider.name(), external_id.trim());
        self.atomically(|tx| {
            tx.lock(format!("binding:{key}"))?;
            if let Some(other) = tx
                .store
                .find_by::<Account>("binding", &key)?
                .into_iter()
                .next()
            {
                return Err(invalid_state(
                    "third-party account",
                    if other.id == user {
                        "bound to this account".to_string()
                    } else {
                        "bound to another account".to_string()
                    },
                    "bind",
                ));
            }
            let mut a: Versioned<Account> = tx.store.load("account", user)?;
            a.bind(provider, external_id, tx.now)?;
            tx.save(&a)?;
            tx.log(user, LogKind::Account, format!("绑定{}", provider.name()))
        })
    }

    /// Unbind (§15.12.4).
    pub fn unbind(&self, user: &str, provider: Provider) -> Result<()> {
        self.atomically(|tx| {
            let mut a: Versioned<Account> = tx.store.load("account", user)?;
            a.unbind(provider)?;
            tx.save(&a)?;
            tx.log(user, LogKind::Account, format!("解绑{}", provider.name()))
        })
    }

    /// End a session (§18).
    pub fn logout(&self, token: &str) -> Result<()> {
        self.atomically(|tx| {
            let mut s: Versioned<Session> = tx.store.load("session", token)?;
            s.end(tx.now)?;
            tx.save(&s)?;
            let user = s.user.clone();
            tx.log(&user, LogKind::Login, format!("退出登录 设备 {}", s.device))
        })
    }

    /// The devices that logged in, newest first (§15.12.2).
    pub fn devices(&self, user: &str) -> Result<Vec<Device>> {
        let a = self.active(user, "list devices")?;
        Ok(a.devices.iter().rev().cloned().collect())
    }

    /// The live sessions.
    pub fn sessions(&self, user: &str) -> Result<Vec<Session>> {
        Ok(self
            .store
            .find_by::<Session>("user", user)?
            .into_iter()
            .filter(|s| s.ended.is_none())
            .map(|s| s.value)
            .collect())
    }

    fn end_sessions(tx: &mut Tx<'_, S>, user: &str) -> Result<()> {
        for mut s in tx.store.find_by::<Session>("user", user)? {
            if s.ended.is_none() {
                s.ended = Some(tx.now);
                tx.save(&s)?;
            }
        }
        Ok(())
    }

    /// The account as the "my" page shows it.
    pub fn profile(&self, user: &str) -> Result<Account> {
        Ok(self.active(user, "view the account")?.value)
    }

    /// Submit the ID card's fields (§3.1); also to replace the card.
    pub fn submit_id_card(&self, user: &str, card: IdCard) -> Result<()> {
        self.atomically(|tx| {
            let mut a: Versioned<Account> = tx.store.load("account", user)?;
            a.require_active("verify the real name")?;
            let today = Date::from_time(tx.now);
            a.real_name.submit(card.clone(), today)?;
            tx.save(&a)
        })
    }

    /// Confirm the fields; returns the number to read aloud (§3.2). An ID
    /// number verified on another account is refused.
    pub fn confirm_id_card(&self, user: &str) -> Result<FaceChallenge> {
        let digits = self.random_digits(4)?;
        self.atomically(|tx| {
            let mut a: Versioned<Account> = tx.store.load("account", user)?;
            a.require_active("verify the real name")?;
            if let RealName::Submitted { card } = &a.real_name {
                tx.lock(format!("id:{}", card.id_number))?;
            }
            if let RealName::Submitted { card } = &a.real_name
                && let Some(other) = tx
                    .store
                    .find_by::<Account>("id_number", &card.id_number)?
                    .into_iter()
                    .next()
                && other.id != user
            {
                return Err(invalid_state(
                    "ID number",
                    "verified on another account (appeal that account instead)",
                    "verify",
                ));
            }
            let c = a.real_name.confirm(digits.clone(), tx.now)?.clone();
            tx.save(&a)?;
            Ok(c)
        })
    }

    /// Run the face check through the verifier (§3.2).
    pub fn face_check(&self, user: &str, sample: &FaceSample) -> Result<()> {
        // A failed check is counted (committed) and then reported.
        self.atomically(|tx| {
            let mut a: Versioned<Account> = tx.store.load("account", user)?;
            a.require_active("verify the real name")?;
            let verdict = match &a.real_name {
                RealName::FaceCheck {
                    card, challenge, ..
                } => self.face.verify(card, &challenge.digits, sample),
                other => {
                    return Err(invalid_state(
                        "real-name verification",
                        other.name(),
                        "run a face check on",
                    ));
                }
            };
            let r = a.real_name.face_result(verdict, tx.now);
            if let Some(card) = a.real_name.verified() {
                // One verified account per ID number, however many race.
                tx.lock(format!("id:{}", card.id_number))?;
                if tx
                    .store
                    .find_by::<Account>("id_number", &card.id_number)?
                    .into_iter()
                    .any(|o| o.id != user)
                {
                    return Err(invalid_state(
                        "ID number",
                        "verified on another account (appeal that account instead)",
                        "verify",
                    ));
                }
            }
            tx.save(&a)?;
            if r.is_ok() {
                tx.log(user, LogKind::RealName, "实名认证成功")?;
                tx.message(
                    user,
                    Module::Account,
                    user,
                    "实名认证成功",
                    "您已完成实名认证",
                )?;
            }
            Ok(r)
        })?
    }

    /// Delete the account (§15.12.5): refused while it administers an
    /// enterprise. Its mobile certificates are revoked, its memberships,
    /// bindings, devices, sessions, logs and messages go; the sealed name
    /// and ID number stay for an appeal.
    pub fn delete_account(&self, user: &str) -> Result<()> {
        self.atomically(|tx| {
            let mut a: Versioned<Account> = tx.store.load("account", user)?;
            let administers: Vec<String> = tx
                .store
                .find_by::<Enterprise>("admin", user)?
                .into_iter()
                .map(|e| e.data.name.clone())
                .collect();
            a.delete(&administers, tx.now)?;
            tx.save(&a)?;
            for mut e in tx.store.find_by::<Enterprise>("member", user)? {
                e.members.remove(user);
                tx.save(&e)?;
            }
            let holdings = tx.store.find_by::<CertHolding>("user", user)?;
            if !holdings.is_empty() {
                let mut ca: Versioned<CaRecords> = tx.store.load("CA records", "ca")?;
                for h in &holdings {
                    if h.medium != crate::cert::Medium::Mobile {
                        continue;
                    }
                    if let Some(r) = ca.state.records.get_mut(&h.serial)
                        && !matches!(r.state, crate::cert::CertState::Revoked { .. })
                    {
                        r.revoke(crate::cert::RevocationReason::CessationOfOperation, tx.now)?;
                    }
                }
                tx.save(&ca)?;
            }
            Self::end_sessions(tx, user)?;
            for l in tx
                .store
                .find_by::<crate::domain::content::LogEntry>("user", user)?
            {
                tx.changes.delete(&l);
            }
            for m in tx
                .store
                .find_by::<crate::domain::content::Message>("user", user)?
            {
                tx.changes.delete(&m);
            }
            Ok(())
        })
    }

    /// Appeal a deleted, real-name verified account (§2): ID number and
    /// real name → a back-office review. Needs no login.
    pub fn appeal_account(&self, id_number: &str, name: &str) -> Result<String> {
        let id = crate::ids::validate_id_number(id_number)?;
        let name = text("real name", name, 2, 30)?;
        let audit_id = self.id("audit", "A")?;
        self.atomically(|tx| {
            tx.lock(format!("account-appeal:{id}"))?;
            let a = tx
                .store
                .find_by::<Account>("id_number", &id)?
                .into_iter()
                .find(|a| a.state != crate::domain::account::AccountState::Active)
                .ok_or_else(|| Error::NotFound {
                    what: "deleted account with ID number",
                    key: crate::ids::mask_id_number(&id),
                })?;
            a.check_appeal(&id, &name)?;
            let pending = tx
                .store
                .find_by::<Audit>("applicant", &a.id)?
                .into_iter()
                .any(|x| x.kind == AuditKind::AccountAppeal && x.state == AuditState::Pending);
            if pending {
                return Err(invalid_state("account", "under appeal", "appeal"));
            }
            tx.insert(&Audit {
                id: audit_id.clone(),
                kind: AuditKind::AccountAppeal,
                applicant: a.id.clone(),
                applicant_name: name.clone(),
                enterprise: None,
                subject: a.id.clone(),
                created: tx.now,
                detail: AuditDetail::default(),
                enterprise_data: None,
                state: AuditState::Pending,
            })?;
            Ok(audit_id.clone())
        })
    }

    /// Restore an appealed account (called by the approval of its audit).
    pub(super) fn restore_account(tx: &mut Tx<'_, S>, user: &str) -> Result<()> {
        let mut a: Versioned<Account> = tx.store.load("account", user)?;
        a.restore()?;
        tx.save(&a)?;
        Self::end_sessions(tx, user)?;
        tx.log(user, LogKind::Account, "账户申诉通过，账户已恢复")
    }

    /// The verified card of an active user.
    pub(super) fn card_of(
        &self,
        user: &str,
        action: &'static str,
    ) -> Result<(Versioned<Account>, IdCard)> {
        let a = self.verified(user, action)?;
        let card = a
            .real_name
            .verified()
            .cloned()
            .ok_or_else(|| invalid_state("account", "unverified", action))?;
        Ok((a, card))
    }
}

/// The time as the app prints it.
pub(super) fn stamp(t: SystemTime) -> String {
    crate::time::format_rfc3339(t)
        .replace('T', " ")
        .trim_end_matches('Z')
        .to_string()
}
