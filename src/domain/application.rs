//! Applications that need a review and/or a payment before they take
//! effect (§4 claim, §5 join, §6 certificates, §7 seals): an application
//! completes when its audit (if any) is approved and its order (if any) is
//! paid, in either order; a returned audit ends it.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::enterprise::EnterpriseData;
use super::{DateRange, invalid_state};
use crate::cert::{CertUsage, Medium};
use crate::error::Result;

/// How a user asks to join (§5.1, §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JoinVia {
    /// Verified the administrator's name and phone digits.
    Verification,
    /// Applied with a reason.
    Application {
        /// Why (1 to 500 characters).
        reason: String,
    },
}

/// Whose certificate or seal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Holder {
    /// The applicant as a person.
    Person,
    /// An enterprise the applicant belongs to (credit code).
    Enterprise(String),
}

/// What is applied for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationKind {
    /// Claim an enterprise (§4).
    Claim {
        /// The enterprise's data.
        data: EnterpriseData,
    },
    /// Join an enterprise (§5).
    Join {
        /// Credit code.
        enterprise: String,
        /// How.
        via: JoinVia,
        /// Seal kinds wanted (kind codes).
        seals: Vec<u32>,
        /// The usage period asked.
        period: DateRange,
    },
    /// A certificate (§6).
    Certificate {
        /// Whose.
        holder: Holder,
        /// Mobile or USB key.
        medium: Medium,
        /// Signing or login.
        usage: CertUsage,
    },
    /// A seal (§7).
    Seal {
        /// Whose.
        holder: Holder,
        /// Kind code.
        kind: u32,
        /// The seal's name.
        name: String,
    },
}

impl ApplicationKind {
    /// Name.
    pub fn name(&self) -> &'static str {
        match self {
            ApplicationKind::Claim { .. } => "enterprise claim",
            ApplicationKind::Join { .. } => "join request",
            ApplicationKind::Certificate { .. } => "certificate application",
            ApplicationKind::Seal { .. } => "seal application",
        }
    }
}

/// Where an application is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApplicationState {
    /// Waiting for review and/or payment.
    Open,
    /// Took effect (for certificates and seals: ready to download or
    /// collect).
    Completed {
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
    },
    /// The certificate was downloaded / the seal collected.
    Used {
        /// What came of it (a serial, a seal id).
        result: String,
    },
    /// Returned by the reviewer.
    Returned,
}

impl ApplicationState {
    /// Name.
    pub fn name(&self) -> &'static str {
        match self {
            ApplicationState::Open => "open",
            ApplicationState::Completed { .. } => "completed",
            ApplicationState::Used { .. } => "used",
            ApplicationState::Returned => "returned",
        }
    }
}

/// An application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Id.
    pub id: String,
    /// Who applied.
    pub user: String,
    /// What for.
    pub kind: ApplicationKind,
    /// The trading platform chosen.
    pub platform: String,
    /// Its audit, when reviewed.
    pub audit: Option<String>,
    /// Its order, when paid for.
    pub order: Option<String>,
    /// The audit approved (or none needed).
    pub approved: bool,
    /// The order paid (or none needed).
    pub paid: bool,
    /// State.
    pub state: ApplicationState,
    /// Submitted.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub created: SystemTime,
}

impl Application {
    /// A new open application.
    pub fn new(
        id: String,
        user: String,
        kind: ApplicationKind,
        platform: String,
        audit: Option<String>,
        order: Option<String>,
        now: SystemTime,
    ) -> Self {
        Self {
            id,
            user,
            kind,
            platform,
            approved: audit.is_none(),
            paid: order.is_none(),
            audit,
            order,
            state: ApplicationState::Open,
            created: now,
        }
    }

    fn step(&mut self, now: SystemTime) -> bool {
        if self.approved && self.paid {
            self.state = ApplicationState::Completed { at: now };
            true
        } else {
            false
        }
    }

    /// Its audit was approved; true when that completed it.
    pub fn approved(&mut self, now: SystemTime) -> Result<bool> {
        if self.state != ApplicationState::Open || self.approved {
            return Err(invalid_state(
                self.kind.name(),
                self.state.name(),
                "approve",
            ));
        }
        self.approved = true;
        Ok(self.step(now))
    }

    /// Its order was paid; true when that completed it.
    pub fn paid(&mut self, now: SystemTime) -> Result<bool> {
        if self.state != ApplicationState::Open || self.paid {
            return Err(invalid_state(
                self.kind.name(),
                self.state.name(),
                "record the payment of",
            ));
        }
        self.paid = true;
        Ok(self.step(now))
    }

    /// Its audit was returned.
    pub fn returned(&mut self) -> Result<()> {
        if self.state != ApplicationState::Open {
            return Err(invalid_state(self.kind.name(), self.state.name(), "return"));
        }
        self.state = ApplicationState::Returned;
        Ok(())
    }

    /// A completed certificate or seal application is used up.
    pub fn use_up(&mut self, result: String) -> Result<()> {
        if !matches!(self.state, ApplicationState::Completed { .. }) {
            return Err(invalid_state(self.kind.name(), self.state.name(), "use"));
        }
        self.state = ApplicationState::Used { result };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(audit: bool, order: bool) -> Application {
        Application::new(
            "P1".into(),
            "U1".into(),
            ApplicationKind::Certificate {
                holder: Holder::Person,
                medium: Medium::Mobile,
                usage: CertUsage::Sign,
            },
            "C1100005553".into(),
            audit.then(|| "A1".into()),
            order.then(|| "RL1".into()),
            SystemTime::UNIX_EPOCH,
        )
    }

    #[test]
    fn completes_when_approved_and_paid_in_either_order() {
        let t = SystemTime::UNIX_EPOCH;
        let mut a = app(true, true);
        assert!(!a.approved(t).unwrap());
        assert!(a.approved(t).is_err(), "approved twice");
        assert!(a.paid(t).unwrap());
        let mut b = app(true, true);
        assert!(!b.paid(t).unwrap());
        assert!(b.approved(t).unwrap());
        assert!(b.paid(t).is_err(), "completed");
        // No review needed: payment completes it.
        let mut c = app(false, true);
        assert!(c.paid(t).unwrap());
        c.use_up("serial".into()).unwrap();
        assert!(c.use_up("again".into()).is_err());
        // Returned ends it.
        let mut d = app(true, true);
        d.returned().unwrap();
        assert!(d.approved(t).is_err() && d.paid(t).is_err() && d.returned().is_err());
    }
}
