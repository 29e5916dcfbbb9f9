//! What users hold: certificates (§9, §15.5) and seal books (§10), and the
//! CA's certificate records as one row.

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::application::Holder;
use crate::cert::{CaState, CertUsage, Medium};
use crate::seal::manage::SealBook;

/// A certificate issued to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertHolding {
    /// Serial, hex (the CA's record key).
    pub serial: String,
    /// The applicant (user id).
    pub user: String,
    /// Personal or an enterprise's.
    pub holder: Holder,
    /// The holder's ID number or credit code (the quota holder).
    pub holder_id: String,
    /// The holder's name.
    pub holder_name: String,
    /// Mobile or USB key.
    pub medium: Medium,
    /// Signing or login.
    pub usage: CertUsage,
    /// The application it came from.
    pub application: String,
    /// The trading platforms opened for it.
    pub platforms: Vec<String>,
    /// Issued.
    #[serde(with = "crate::time::serde_rfc3339")]
    pub issued: SystemTime,
    /// Its successor after an extension.
    pub superseded_by: Option<String>,
    /// The extension order awaiting payment, if any (one at a time).
    #[serde(default)]
    pub extension_order: Option<String>,
    /// DER.
    pub der: Vec<u8>,
}

/// The CA's records (one row; every issue and status change commits it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CaRecords {
    /// The records.
    pub state: CaState,
}

/// The seals of one owner (`E:` + credit code or `P:` + user id), with the
/// GB/T 38540 seal each managed seal was made as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealBookRow {
    /// `E:<credit code>` or `P:<user id>`.
    pub owner: String,
    /// The book.
    pub book: SealBook,
    /// Seal id → the made seal's DER.
    pub made: BTreeMap<u64, Vec<u8>>,
}

impl SealBookRow {
    /// The row key of an enterprise's book.
    pub fn enterprise_key(code: &str) -> String {
        format!("E:{code}")
    }

    /// The row key of a person's book.
    pub fn person_key(user: &str) -> String {
        format!("P:{user}")
    }
}
