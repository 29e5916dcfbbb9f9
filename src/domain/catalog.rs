//! What is sold where (§4, §12): regions, trading platforms, and the
//! packages of CA and seal institutions on each platform.

use serde::{Deserialize, Serialize};

use super::Cents;

/// A region (province) with its trading platforms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// System code, e.g. `C1100005553`.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region, e.g. `新疆维吾尔自治区`.
    pub region: String,
    /// The CA institutions it recognises (互认).
    pub trusted_cas: Vec<String>,
}

/// CA institution or seal institution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum InstitutionKind {
    /// CA机构: certificates; charged for login, signatures, encryption.
    Ca,
    /// 印章机构: seals; charged for stamping.
    Seal,
}

impl InstitutionKind {
    /// The quota's institution name ([`crate::qr::QuotaKey::institution`]).
    pub fn quota_name(self) -> &'static str {
        match self {
            InstitutionKind::Ca => "ca",
            InstitutionKind::Seal => "seal",
        }
    }
}

/// Who a package is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HolderKind {
    /// An enterprise.
    Enterprise,
    /// A person.
    Person,
}

/// What a package does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PackageKind {
    /// 新办: a new certificate or seal, or a new platform.
    New,
    /// 延期: an extension.
    Extension,
}

/// A package on sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Id.
    pub id: String,
    /// The platform's code.
    pub platform: String,
    /// CA or seal institution.
    pub institution: InstitutionKind,
    /// The institution's name, e.g. `新疆CA`.
    pub institution_name: String,
    /// For enterprises or persons.
    pub holder: HolderKind,
    /// New or extension.
    pub kind: PackageKind,
    /// Name, e.g. `新疆维吾尔自治区交易平台企业移动证书新办-1年`.
    pub name: String,
    /// Term in months.
    pub term_months: u32,
    /// Price of one.
    pub price: Cents,
    /// Authorisations one buys (added to the quota).
    pub uses: u64,
}
