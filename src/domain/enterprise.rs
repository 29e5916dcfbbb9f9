//! Enterprises (§4, §5, §8, §15.7): claimed by a verified user who becomes
//! their administrator; members join by verification or application;
//! the administrator manages members, hands over administration, changes
//! the enterprise's data under review, deregisters it; a deregistered
//! enterprise comes back by appeal.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{Document, forbidden, invalid_state, last_four, mobile, text};
use crate::error::{Error, Result};

/// 企业单位 or 事业单位.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnterpriseKind {
    /// 企业单位.
    Enterprise,
    /// 事业单位.
    PublicInstitution,
}

/// The legal representative.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalRep {
    /// Name.
    pub name: String,
    /// ID number (GB 11643).
    pub id_number: String,
    /// Mobile number.
    pub phone: String,
}

/// What a claim, a change or an appeal submits about an enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnterpriseData {
    /// Kind.
    pub kind: EnterpriseKind,
    /// Name.
    pub name: String,
    /// Unified social credit code (GB 32100).
    pub credit_code: String,
    /// Legal representative.
    pub legal: LegalRep,
    /// The business licence.
    pub licence: Document,
    /// The signed authorisation letter (授权委托书).
    pub letter: Document,
}

impl EnterpriseData {
    /// Validate every field (the error names it).
    pub fn validate(mut self) -> Result<Self> {
        self.name = text("enterprise name", &self.name, 2, 100)?;
        self.credit_code = crate::ids::validate_credit_code(&self.credit_code)?;
        self.legal.name = text("legal representative", &self.legal.name, 2, 30)?;
        self.legal.id_number = crate::ids::validate_id_number(&self.legal.id_number)?;
        self.legal.phone = mobile("legal representative phone", &self.legal.phone)?;
        Ok(self)
    }
}

/// A member.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// Joined.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub joined: SystemTime,
}

/// An enterprise's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EnterpriseState {
    /// In use.
    Active,
    /// Deregistered by its administrator (unbound from every account).
    Deregistered {
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
        /// Who administered it.
        former_admin: String,
    },
}

/// An enterprise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enterprise {
    /// Its data (the credit code is the key).
    pub data: EnterpriseData,
    /// The administrator (user id); empty while deregistered.
    pub admin: String,
    /// The administrator's name and phone, shown for join-by-verification.
    pub admin_name: String,
    /// The administrator's phone.
    pub admin_phone: String,
    /// Members by user id, the administrator included.
    pub members: BTreeMap<String, Member>,
    /// State.
    pub state: EnterpriseState,
    /// A change of data under review (its audit id).
    pub pending_change: Option<String>,
    /// Registered.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub created: SystemTime,
}

impl Enterprise {
    /// A claimed enterprise, administered by `admin`.
    pub fn claimed(data: EnterpriseData, admin: (&str, &str, &str), now: SystemTime) -> Self {
        let mut members = BTreeMap::new();
        members.insert(admin.0.to_string(), Member { joined: now });
        Self {
            data,
            admin: admin.0.into(),
            admin_name: admin.1.into(),
            admin_phone: admin.2.into(),
            members,
            state: EnterpriseState::Active,
            pending_change: None,
            created: now,
        }
    }

    /// The credit code.
    pub fn code(&self) -> &str {
        &self.data.credit_code
    }

    fn state_name(&self) -> &'static str {
        match self.state {
            EnterpriseState::Active => "active",
            EnterpriseState::Deregistered { .. } => "deregistered",
        }
    }

    /// Refuse unless active.
    pub fn require_active(&self, action: &'static str) -> Result<()> {
        match self.state {
            EnterpriseState::Active => Ok(()),
            _ => Err(invalid_state("enterprise", self.state_name(), action)),
        }
    }

    /// Refuse unless `actor` administers this active enterprise.
    pub fn require_admin(&self, actor: &str, action: &'static str) -> Result<()> {
        self.require_active(action)?;
        if self.admin == actor {
            Ok(())
        } else {
            Err(forbidden(
                actor,
                action,
                format!("only the administrator of {} may", self.data.name),
            ))
        }
    }

    /// Is `user` a member (the administrator included)?
    pub fn is_member(&self, user: &str) -> bool {
        self.members.contains_key(user)
    }

    /// Join by verification (§5.1): the administrator's name and the last
    /// four digits of the administrator's phone must match.
    pub fn verify_admin(&self, admin_name: &str, phone_last_four: &str) -> Result<()> {
        self.require_active("join")?;
        let digits = phone_last_four.trim();
        if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::param(
                "administrator phone",
                "give the last four digits",
            ));
        }
        // One answer for either mismatch: which one was wrong is not told.
        if admin_name.trim() != self.admin_name || digits != last_four(&self.admin_phone) {
            return Err(Error::param(
                "administrator name or phone",
                "the administrator's name or phone digits do not match",
            ));
        }
        Ok(())
    }

    /// Add a member (after an approved and paid join).
    pub fn add_member(&mut self, user: &str, now: SystemTime) -> Result<()> {
        self.require_active("add a member to")?;
        if self.is_member(user) {
            return Err(invalid_state("membership", "already a member", "join"));
        }
        self.members.insert(user.into(), Member { joined: now });
        Ok(())
    }

    /// The administrator removes a member (not themself).
    pub fn remove_member(&mut self, actor: &str, member: &str) -> Result<()> {
        self.require_admin(actor, "remove members")?;
        if member == self.admin {
            return Err(invalid_state(
                "membership",
                "the administrator",
                "remove (hand over administration first)",
            ));
        }
        self.members
            .remove(member)
            .map(|_| ())
            .ok_or_else(|| Error::NotFound {
                what: "member",
                key: member.into(),
            })
    }

    /// A member leaves (after an approved leave request).
    pub fn leave(&mut self, member: &str) -> Result<()> {
        self.require_active("leave")?;
        if member == self.admin {
            return Err(invalid_state("membership", "the administrator", "leave"));
        }
        self.members
            .remove(member)
            .map(|_| ())
            .ok_or_else(|| Error::NotFound {
                what: "member",
                key: member.into(),
            })
    }

    /// The administrator hands over to a member (§8).
    pub fn change_admin(&mut self, actor: &str, to: (&str, &str, &str)) -> Result<()> {
        self.require_admin(actor, "change the administrator")?;
        if to.0 == actor {
            return Err(invalid_state(
                "membership",
                "already the administrator",
                "hand over to",
            ));
        }
        if !self.is_member(to.0) {
            return Err(Error::NotFound {
                what: "member",
                key: to.0.into(),
            });
        }
        self.admin = to.0.into();
        self.admin_name = to.1.into();
        self.admin_phone = to.2.into();
        Ok(())
    }

    /// The administrator asks to change the data (reviewed).
    pub fn request_change(&mut self, actor: &str, audit: &str) -> Result<()> {
        self.require_admin(actor, "change the enterprise data")?;
        if let Some(a) = &self.pending_change {
            return Err(invalid_state(
                "enterprise",
                format!("awaiting review of change {a}"),
                "request a change of",
            ));
        }
        self.pending_change = Some(audit.into());
        Ok(())
    }

    /// The review of a change ended: apply `data` when approved. The
    /// credit code cannot change.
    pub fn finish_change(&mut self, data: Option<EnterpriseData>) -> Result<()> {
        if self.pending_change.take().is_none() {
            return Err(invalid_state(
                "enterprise",
                "without a pending change",
                "finish a change of",
            ));
        }
        if let Some(d) = data {
            if d.credit_code != self.data.credit_code {
                return Err(Error::param(
                    "credit code",
                    "an enterprise's credit code cannot change",
                ));
            }
            self.data = d;
        }
        Ok(())
    }

    /// The administrator deregisters the enterprise: it is unbound from
    /// every account (§8).
    pub fn deregister(&mut self, actor: &str, now: SystemTime) -> Result<Vec<String>> {
        self.require_admin(actor, "deregister the enterprise")?;
        let former: Vec<String> = self.members.keys().cloned().collect();
        self.members.clear();
        self.state = EnterpriseState::Deregistered {
            at: now,
            former_admin: std::mem::take(&mut self.admin),
        };
        self.pending_change = None;
        Ok(former)
    }

    /// Refuse an appeal unless deregistered (§15.7).
    pub fn check_appealable(&self) -> Result<()> {
        match self.state {
            EnterpriseState::Deregistered { .. } => Ok(()),
            _ => Err(invalid_state("enterprise", self.state_name(), "appeal")),
        }
    }

    /// An approved appeal restores it, administered by the appellant.
    pub fn restore(&mut self, admin: (&str, &str, &str), now: SystemTime) -> Result<()> {
        self.check_appealable()?;
        *self = Self {
            data: self.data.clone(),
            created: self.created,
            ..Self::claimed(self.data.clone(), admin, now)
        };
        Ok(())
    }
}

/// Search (§5): at least 5 characters of the name, at most 10 results.
pub fn check_search(query: &str) -> Result<String> {
    let q = query.trim();
    let n = q.chars().count();
    if n < super::MIN_SEARCH_CHARS {
        return Err(Error::length(
            "enterprise search",
            format!("at least {} characters", super::MIN_SEARCH_CHARS),
            n,
        ));
    }
    text("enterprise search", q, super::MIN_SEARCH_CHARS, 100)
}
