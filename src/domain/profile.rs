//! Mailing addresses (§15.2) and invoice titles (§15.3). Each user has at
//! most one default of each; the workflow keeps that true in one commit.

use serde::{Deserialize, Serialize};

use super::{email, mobile, text};
use crate::error::Result;

/// A mailing address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// Id.
    pub id: String,
    /// Whose.
    pub user: String,
    /// 收货人.
    pub recipient: String,
    /// 联系电话.
    pub phone: String,
    /// 所在地区, e.g. `新疆维吾尔自治区 乌鲁木齐市 天山区`.
    pub region: String,
    /// 详细地址.
    pub detail: String,
    /// The default.
    pub default: bool,
}

/// What a user enters for an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressInput {
    /// Recipient.
    pub recipient: String,
    /// Phone.
    pub phone: String,
    /// Region.
    pub region: String,
    /// Detail.
    pub detail: String,
    /// Make it the default.
    pub default: bool,
}

impl AddressInput {
    /// Validate into an address.
    pub fn validate(self, id: String, user: String) -> Result<Address> {
        Ok(Address {
            id,
            user,
            recipient: text("recipient", &self.recipient, 1, 30)?,
            phone: mobile("recipient phone", &self.phone)?,
            region: text("region", &self.region, 2, 60)?,
            detail: text("address detail", &self.detail, 2, 120)?,
            default: self.default,
        })
    }
}

/// Enterprise or personal title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TitleKind {
    /// An enterprise title with its credit code.
    Enterprise {
        /// Credit code (GB 32100).
        credit_code: String,
    },
    /// A personal title.
    Personal,
}

/// An invoice title (发票抬头).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTitle {
    /// Id.
    pub id: String,
    /// Whose.
    pub user: String,
    /// Kind.
    pub kind: TitleKind,
    /// 抬头名称.
    pub name: String,
    /// 电子邮箱 (required).
    pub email: String,
    /// 联系电话.
    pub phone: Option<String>,
    /// 公司地址.
    pub company_address: Option<String>,
    /// 开户银行.
    pub bank: Option<String>,
    /// 银行账号.
    pub account: Option<String>,
    /// The default.
    pub default: bool,
}

/// What a user enters for a title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceTitleInput {
    /// Kind.
    pub kind: TitleKind,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone.
    pub phone: Option<String>,
    /// Company address.
    pub company_address: Option<String>,
    /// Bank.
    pub bank: Option<String>,
    /// Account number.
    pub account: Option<String>,
    /// Make it the default.
    pub default: bool,
}

fn optional(field: &'static str, v: Option<String>, max: usize) -> Result<Option<String>> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(Some(text(field, &s, 1, max)?)),
        _ => Ok(None),
    }
}

impl InvoiceTitleInput {
    /// Validate into a title.
    pub fn validate(self, id: String, user: String) -> Result<InvoiceTitle> {
        let kind = match self.kind {
            TitleKind::Enterprise { credit_code } => TitleKind::Enterprise {
                credit_code: crate::ids::validate_credit_code(&credit_code)?,
            },
            TitleKind::Personal => TitleKind::Personal,
        };
        let account = optional("bank account", self.account, 40)?;
        if let Some(a) = &account
            && !a.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(crate::Error::param("bank account", "digits only"));
        }
        Ok(InvoiceTitle {
            id,
            user,
            kind,
            name: text("title name", &self.name, 2, 100)?,
            email: email("email", &self.email)?,
            phone: self
                .phone
                .filter(|p| !p.trim().is_empty())
                .map(|p| mobile("title phone", &p))
                .transpose()?,
            company_address: optional("company address", self.company_address, 120)?,
            bank: optional("bank", self.bank, 60)?,
            account,
            default: self.default,
        })
    }
}

impl InvoiceTitle {
    /// Does the title match a search (name or credit code contains it)?
    pub fn matches(&self, query: &str) -> bool {
        let q = query.trim();
        self.name.contains(q)
            || matches!(&self.kind, TitleKind::Enterprise { credit_code } if credit_code.contains(q))
    }
}
