//! Audits (§11): the requests someone must approve or return. Join,
//! seal-use and leave requests go to the enterprise's administrator; the
//! rest (claims, first certificate applications, seals, replacements,
//! enterprise changes and appeals, account appeals) to the CA's back
//! office.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{DateRange, invalid_state, reason};
use crate::error::Result;

/// The reviewer index value of back-office audits.
pub const BACK_OFFICE: &str = "back-office";

/// What is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditKind {
    /// Join an enterprise (administrator).
    JoinEnterprise,
    /// Permission to use seals (administrator).
    SealUse,
    /// Leave an enterprise (administrator).
    LeaveEnterprise,
    /// Claim an enterprise (back office).
    EnterpriseClaim,
    /// A first certificate application (back office).
    CertificateApplication,
    /// A seal application (back office).
    SealApplication,
    /// A seal replacement (back office).
    SealReplacement,
    /// A change of enterprise data (back office).
    EnterpriseChange,
    /// An appeal for a deregistered enterprise (back office).
    EnterpriseAppeal,
    /// An appeal for a deleted account (back office).
    AccountAppeal,
}

impl AuditKind {
    /// The administrator reviews it (else the back office).
    pub fn by_administrator(self) -> bool {
        matches!(
            self,
            AuditKind::JoinEnterprise | AuditKind::SealUse | AuditKind::LeaveEnterprise
        )
    }

    /// The label the app shows.
    pub fn label_zh(self) -> &'static str {
        match self {
            AuditKind::JoinEnterprise => "加入企业",
            AuditKind::SealUse => "用章权限",
            AuditKind::LeaveEnterprise => "退出企业",
            AuditKind::EnterpriseClaim => "企业认领",
            AuditKind::CertificateApplication => "证书申请",
            AuditKind::SealApplication => "印章办理",
            AuditKind::SealReplacement => "印章替换",
            AuditKind::EnterpriseChange => "企业变更",
            AuditKind::EnterpriseAppeal => "企业账号申诉",
            AuditKind::AccountAppeal => "账户申诉",
        }
    }
}

/// Why a request is returned (驳回类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReturnKind {
    /// Information missing or wrong.
    IncompleteInformation,
    /// Documents unreadable or not matching.
    DocumentsInvalid,
    /// Not entitled (not an employee, not the holder…).
    NotEligible,
    /// Asked twice.
    Duplicate,
    /// Something else (the text says what).
    Other,
}

/// The state of an audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditState {
    /// 待审核.
    Pending,
    /// 已审核 (approved).
    Approved {
        /// By.
        by: String,
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
    },
    /// 已退回.
    Returned {
        /// By.
        by: String,
        /// When.
        #[serde(with = "crate::time::serde_rfc3339")]
        at: SystemTime,
        /// The reason type.
        kind: ReturnKind,
        /// The description (1 to 500 characters).
        text: String,
    },
}

impl AuditState {
    /// The state's name.
    pub fn name(&self) -> &'static str {
        match self {
            AuditState::Pending => "pending",
            AuditState::Approved { .. } => "approved",
            AuditState::Returned { .. } => "returned",
        }
    }
}

/// What the detail page shows (§11).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditDetail {
    /// Enterprise name.
    pub enterprise_name: Option<String>,
    /// Credit code.
    pub credit_code: Option<String>,
    /// Region.
    pub region: Option<String>,
    /// Trading platform.
    pub platform: Option<String>,
    /// CA institution.
    pub ca: Option<String>,
    /// Package name.
    pub package: Option<String>,
    /// Quantity.
    pub quantity: Option<u32>,
    /// Seals requested (kind labels).
    pub seals: Vec<String>,
    /// Usage period requested.
    pub period: Option<DateRange>,
    /// The applicant's reason or explanation.
    pub reason: Option<String>,
}

/// A request to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Audit {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: AuditKind,
    /// Who asked (user id).
    pub applicant: String,
    /// The applicant's name.
    pub applicant_name: String,
    /// The enterprise concerned (its administrator reviews the
    /// administrator kinds).
    pub enterprise: Option<String>,
    /// What it is about (an application, a seal, an account…).
    pub subject: String,
    /// Asked.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub created: SystemTime,
    /// Details.
    pub detail: AuditDetail,
    /// The enterprise data a change or an appeal submits.
    pub enterprise_data: Option<super::enterprise::EnterpriseData>,
    /// State.
    pub state: AuditState,
}

impl Audit {
    /// Approve; only a pending audit.
    pub fn approve(&mut self, by: &str, at: SystemTime) -> Result<()> {
        if self.state != AuditState::Pending {
            return Err(invalid_state("audit", self.state.name(), "approve"));
        }
        self.state = AuditState::Approved { by: by.into(), at };
        Ok(())
    }

    /// Return with a reason type and a description of 1 to 500 characters.
    pub fn return_(
        &mut self,
        by: &str,
        kind: ReturnKind,
        text: &str,
        at: SystemTime,
    ) -> Result<()> {
        let text = reason("return reason", text)?;
        if self.state != AuditState::Pending {
            return Err(invalid_state("audit", self.state.name(), "return"));
        }
        self.state = AuditState::Returned {
            by: by.into(),
            at,
            kind,
            text,
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decided_once_with_a_reason() {
        let t = SystemTime::UNIX_EPOCH;
        let mut a = Audit {
            id: "A1".into(),
            kind: AuditKind::JoinEnterprise,
            applicant: "U2".into(),
            applicant_name: "宋世奇".into(),
            enterprise: Some("91650100MA1GGA2L0C".into()),
            subject: "P1".into(),
            created: t,
            detail: AuditDetail::default(),
            enterprise_data: None,
            state: AuditState::Pending,
        };
        assert!(a.kind.by_administrator());
        assert!(!AuditKind::EnterpriseClaim.by_administrator());
        assert!(
            a.return_("U1", ReturnKind::Other, "", t).is_err(),
            "empty reason"
        );
        assert!(
            a.return_("U1", ReturnKind::Other, &"字".repeat(501), t)
                .is_err()
        );
        assert_eq!(a.state, AuditState::Pending);
        a.approve("U1", t).unwrap();
        let e = a.approve("U1", t).unwrap_err();
        assert!(e.to_string().contains("approved"), "{e}");
        assert!(a.return_("U1", ReturnKind::Other, "迟了", t).is_err());
    }
}
