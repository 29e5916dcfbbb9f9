//! Seal management (manual §7, §10): the seals of enterprises and people,
//! collecting, replacing with review, handwritten signatures, and grants of
//! enterprise seals to members for date ranges.
//!
//! Rules:
//! * enterprise seals are collected, replaced and granted by the
//!   enterprise's administrator; personal seals and handwritten signatures
//!   by their owner;
//! * a replacement needs a reason (1 to 500 characters) and a new image and
//!   is reviewed; the old seal stays in force until the replacement is
//!   approved, then it is replaced for good;
//! * a member may stamp with an enterprise seal only under a grant that is
//!   not cancelled and whose range includes the day (first and last day
//!   inclusive); the administrator needs no grant; a removed member's
//!   grants stop working with the membership;
//! * nobody stamps with a replaced seal or one past its validity.
//!
//! State is pure data with time passed in; a storage backend persists it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::make::{ImageType, SealKind};
use crate::error::{Error, Result};
use crate::time::Date;

/// Longest replacement reason, in characters.
pub const MAX_REASON_CHARS: usize = 500;

/// Who owns a seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SealOwner {
    /// An enterprise, by unified social credit code.
    Enterprise(String),
    /// A person, by user id.
    Person(String),
}

/// The state of a managed seal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SealState {
    /// In force.
    Active,
    /// In force, with a replacement waiting for review.
    ReplacementPending {
        /// Why.
        reason: String,
        /// The new image.
        new_image: Vec<u8>,
    },
    /// Replaced by another seal.
    Replaced {
        /// The seal that replaced it.
        by: u64,
    },
}

impl SealState {
    fn name(&self) -> &'static str {
        match self {
            SealState::Active => "active",
            SealState::ReplacementPending { .. } => "awaiting replacement review",
            SealState::Replaced { .. } => "replaced",
        }
    }
}

/// A seal as the management side knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManagedSeal {
    /// Id.
    pub id: u64,
    /// Owner.
    pub owner: SealOwner,
    /// Kind code (see [`SealKind`]).
    pub kind: u32,
    /// Name.
    pub name: String,
    /// The image.
    pub image: Vec<u8>,
    /// Last day of validity.
    pub valid_until: Date,
    /// State.
    pub state: SealState,
}

/// A grant of an enterprise seal to a member for a date range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Id.
    pub id: u64,
    /// The seal.
    pub seal: u64,
    /// The member.
    pub member: String,
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
    /// Cancelled?
    pub cancelled: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Members {
    admin: String,
    members: BTreeSet<String>,
}

/// The seals, memberships and grants.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealBook {
    enterprises: BTreeMap<String, Members>,
    seals: BTreeMap<u64, ManagedSeal>,
    grants: BTreeMap<u64, Grant>,
    next_id: u64,
}

fn forbidden(actor: &str, action: &'static str, reason: impl Into<String>) -> Error {
    Error::Forbidden {
        actor: actor.to_string(),
        action,
        reason: reason.into(),
    }
}

impl SealBook {
    /// An empty book.
    pub fn new() -> Self {
        Self::default()
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Record an enterprise and its administrator.
    pub fn add_enterprise(&mut self, credit_code: &str, admin: &str) -> Result<()> {
        let code = crate::ids::validate_credit_code(credit_code)?;
        if self.enterprises.contains_key(&code) {
            return Err(Error::InvalidState {
                entity: "enterprise",
                state: "already registered".into(),
                action: "register",
            });
        }
        self.enterprises.insert(
            code,
            Members {
                admin: admin.to_string(),
                members: BTreeSet::new(),
            },
        );
        Ok(())
    }

    fn enterprise(&self, code: &str) -> Result<&Members> {
        self.enterprises.get(code).ok_or_else(|| Error::NotFound {
            what: "enterprise",
            key: code.to_string(),
        })
    }

    fn require_admin(&self, actor: &str, code: &str, action: &'static str) -> Result<()> {
        if self.enterprise(code)?.admin == actor {
            Ok(())
        } else {
            Err(forbidden(
                actor,
                action,
                format!("only the administrator of {code} may"),
            ))
        }
    }

    /// Mirror an enterprise's administrator and members as the workflow
    /// layer keeps them (registering the enterprise when new): grants of
    /// users no longer members stop working.
    pub fn sync_enterprise<'a>(
        &mut self,
        credit_code: &str,
        admin: &str,
        members: impl IntoIterator<Item = &'a String>,
    ) {
        self.enterprises.insert(
            credit_code.to_string(),
            Members {
                admin: admin.to_string(),
                members: members.into_iter().cloned().collect(),
            },
        );
    }

    /// The administrator adds a member.
    pub fn add_member(&mut self, actor: &str, code: &str, member: &str) -> Result<()> {
        self.require_admin(actor, code, "add members")?;
        if let Some(e) = self.enterprises.get_mut(code) {
            e.members.insert(member.to_string());
        }
        Ok(())
    }

    /// The administrator removes a member (their grants stop working).
    pub fn remove_member(&mut self, actor: &str, code: &str, member: &str) -> Result<()> {
        self.require_admin(actor, code, "remove members")?;
        let removed = self
            .enterprises
            .get_mut(code)
            .map(|e| e.members.remove(member))
            .unwrap_or(false);
        if removed {
            Ok(())
        } else {
            Err(Error::NotFound {
                what: "member",
                key: member.to_string(),
            })
        }
    }

    /// The seal `id`.
    pub fn seal(&self, id: u64) -> Result<&ManagedSeal> {
        self.seals.get(&id).ok_or_else(|| Error::NotFound {
            what: "seal",
            key: id.to_string(),
        })
    }

    /// The seals of an owner, in id order.
    pub fn seals_of(&self, owner: &SealOwner) -> Vec<&ManagedSeal> {
        self.seals.values().filter(|s| &s.owner == owner).collect()
    }

    /// The grants of a seal.
    pub fn grants_of(&self, seal: u64) -> Vec<&Grant> {
        self.grants.values().filter(|g| g.seal == seal).collect()
    }

    fn may_manage(&self, actor: &str, owner: &SealOwner, action: &'static str) -> Result<()> {
        match owner {
            SealOwner::Enterprise(code) => self.require_admin(actor, code, action),
            SealOwner::Person(p) if p == actor => Ok(()),
            SealOwner::Person(_) => Err(forbidden(
                actor,
                action,
                "a personal seal is managed only by its owner",
            )),
        }
    }

    /// Collect (采集) a seal: record its image. Enterprise kinds belong to
    /// an enterprise, personal kinds to a person.
    pub fn collect(
        &mut self,
        actor: &str,
        owner: SealOwner,
        kind: SealKind,
        name: &str,
        image: Vec<u8>,
        valid_until: Date,
    ) -> Result<u64> {
        match (&owner, kind.is_personal()) {
            (SealOwner::Enterprise(_), true) => {
                return Err(Error::param(
                    "seal kind",
                    format!("{} is a personal kind", kind.name()),
                ));
            }
            (SealOwner::Person(_), false) => {
                return Err(Error::param(
                    "seal kind",
                    format!("{} is an enterprise kind", kind.name()),
                ));
            }
            _ => {}
        }
        self.may_manage(actor, &owner, "collect seals")?;
        ImageType::detect(&image)?;
        let chars = name.chars().count();
        if chars == 0 || chars > 100 {
            return Err(Error::length("seal name", "1 to 100 characters", chars));
        }
        let id = self.id();
        self.seals.insert(
            id,
            ManagedSeal {
                id,
                owner,
                kind: kind.code(),
                name: name.to_string(),
                image,
                valid_until,
                state: SealState::Active,
            },
        );
        Ok(id)
    }

    /// Capture a person's handwritten signature.
    pub fn capture_handwritten(
        &mut self,
        user: &str,
        name: &str,
        image: Vec<u8>,
        valid_until: Date,
    ) -> Result<u64> {
        self.collect(
            user,
            SealOwner::Person(user.to_string()),
            SealKind::HandwrittenSignature,
            name,
            image,
            valid_until,
        )
    }

    /// Ask to replace a seal (reason and new image); it stays in force
    /// until the replacement is approved.
    pub fn request_replacement(
        &mut self,
        actor: &str,
        seal: u64,
        reason: &str,
        new_image: Vec<u8>,
    ) -> Result<()> {
        let s = self.seal(seal)?.clone();
        self.may_manage(actor, &s.owner, "replace seals")?;
        let chars = reason.trim().chars().count();
        if chars == 0 || chars > MAX_REASON_CHARS {
            return Err(Error::length(
                "replacement reason",
                format!("1 to {MAX_REASON_CHARS} characters"),
                chars,
            ));
        }
        ImageType::detect(&new_image)?;
        if s.state != SealState::Active {
            return Err(Error::InvalidState {
                entity: "seal",
                state: s.state.name().into(),
                action: "request a replacement of",
            });
        }
        if let Some(m) = self.seals.get_mut(&seal) {
            m.state = SealState::ReplacementPending {
                reason: reason.trim().to_string(),
                new_image,
            };
        }
        Ok(())
    }

    /// Review: approve a pending replacement. The old seal is replaced; the
    /// new one (same owner, kind, name and validity) is returned.
    pub fn approve_replacement(&mut self, seal: u64) -> Result<u64> {
        let s = self.seal(seal)?.clone();
        let SealState::ReplacementPending { new_image, .. } = s.state else {
            return Err(Error::InvalidState {
                entity: "seal",
                state: s.state.name().into(),
                action: "approve a replacement of",
            });
        };
        let id = self.id();
        self.seals.insert(
            id,
            ManagedSeal {
                id,
                image: new_image,
                state: SealState::Active,
                ..s
            },
        );
        if let Some(m) = self.seals.get_mut(&seal) {
            m.state = SealState::Replaced { by: id };
        }
        Ok(id)
    }

    /// Review: return a pending replacement; the seal stays as it was.
    pub fn reject_replacement(&mut self, seal: u64) -> Result<()> {
        let s = self.seal(seal)?;
        if !matches!(s.state, SealState::ReplacementPending { .. }) {
            return Err(Error::InvalidState {
                entity: "seal",
                state: s.state.name().into(),
                action: "return a replacement of",
            });
        }
        if let Some(m) = self.seals.get_mut(&seal) {
            m.state = SealState::Active;
        }
        Ok(())
    }

    /// The administrator grants `seals` to `members` from `from` to `to`
    /// (inclusive), in one batch: all grants are made or none.
    pub fn grant(
        &mut self,
        actor: &str,
        code: &str,
        seals: &[u64],
        members: &[&str],
        from: Date,
        to: Date,
    ) -> Result<Vec<u64>> {
        self.require_admin(actor, code, "grant seals")?;
        if from > to {
            return Err(Error::param("date range", format!("{from} is after {to}")));
        }
        if seals.is_empty() || members.is_empty() {
            return Err(Error::param(
                "grant",
                "choose at least one seal and one member",
            ));
        }
        let ent = self.enterprise(code)?.clone();
        for id in seals {
            let s = self.seal(*id)?;
            if s.owner != SealOwner::Enterprise(code.to_string()) {
                return Err(forbidden(
                    actor,
                    "grant seals",
                    format!("seal {id} does not belong to {code}"),
                ));
            }
            if matches!(s.state, SealState::Replaced { .. }) {
                return Err(Error::InvalidState {
                    entity: "seal",
                    state: s.state.name().into(),
                    action: "grant",
                });
            }
        }
        for m in members {
            if !ent.members.contains(*m) {
                return Err(Error::NotFound {
                    what: "member",
                    key: (*m).to_string(),
                });
            }
        }
        let mut ids = Vec::new();
        for seal in seals {
            for m in members {
                let id = self.id();
                self.grants.insert(
                    id,
                    Grant {
                        id,
                        seal: *seal,
                        member: (*m).to_string(),
                        from,
                        to,
                        cancelled: false,
                    },
                );
                ids.push(id);
            }
        }
        Ok(ids)
    }

    /// The administrator cancels a grant.
    pub fn cancel_grant(&mut self, actor: &str, grant: u64) -> Result<()> {
        let g = self
            .grants
            .get(&grant)
            .ok_or_else(|| Error::NotFound {
                what: "grant",
                key: grant.to_string(),
            })?
            .clone();
        let owner = self.seal(g.seal)?.owner.clone();
        let SealOwner::Enterprise(code) = owner else {
            return Err(Error::InvalidState {
                entity: "grant",
                state: "on a personal seal".into(),
                action: "cancel",
            });
        };
        self.require_admin(actor, &code, "cancel grants")?;
        if g.cancelled {
            return Err(Error::InvalidState {
                entity: "grant",
                state: "cancelled".into(),
                action: "cancel",
            });
        }
        if let Some(m) = self.grants.get_mut(&grant) {
            m.cancelled = true;
        }
        Ok(())
    }

    /// May `user` stamp with `seal` on `day`? `Ok(())` or the reason why not.
    pub fn authorize_use(&self, user: &str, seal: u64, day: Date) -> Result<()> {
        let s = self.seal(seal)?;
        if let SealState::Replaced { by } = s.state {
            return Err(Error::InvalidState {
                entity: "seal",
                state: format!("replaced by seal {by}"),
                action: "stamp with",
            });
        }
        if day > s.valid_until {
            return Err(Error::InvalidState {
                entity: "seal",
                state: format!("expired on {}", s.valid_until),
                action: "stamp with",
            });
        }
        match &s.owner {
            SealOwner::Person(p) if p == user => Ok(()),
            SealOwner::Person(_) => Err(forbidden(
                user,
                "stamp with this seal",
                "it is another person's seal",
            )),
            SealOwner::Enterprise(code) => {
                let ent = self.enterprise(code)?;
                if ent.admin == user {
                    return Ok(());
                }
                if !ent.members.contains(user) {
                    return Err(forbidden(
                        user,
                        "stamp with this seal",
                        format!("not a member of {code}"),
                    ));
                }
                let grants: Vec<&Grant> = self
                    .grants
                    .values()
                    .filter(|g| g.seal == seal && g.member == user)
                    .collect();
                if grants
                    .iter()
                    .any(|g| !g.cancelled && g.from <= day && day <= g.to)
                {
                    Ok(())
                } else if grants.iter().any(|g| g.from <= day && day <= g.to) {
                    Err(forbidden(
                        user,
                        "stamp with this seal",
                        "the grant was cancelled",
                    ))
                } else {
                    Err(forbidden(
                        user,
                        "stamp with this seal",
                        format!("no grant covers {day}"),
                    ))
                }
            }
        }
    }
}
