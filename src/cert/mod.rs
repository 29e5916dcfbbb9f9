//! SM2 X.509 certificates: profiles, issuance, parsing, chain
//! verification, status and lifecycle, CRLs, and the phone-side download
//! into the PIN container.
//!
//! Every signature is checked over the exact bytes that were signed (the
//! TBS of a certificate or CRL as received), never over a re-encoding.

pub mod certificate;
pub mod chain;
pub mod cms;
pub mod crl;
pub mod dir;
pub mod download;
pub mod issue;
pub mod lifecycle;
pub mod profile;

pub use certificate::{Certificate, KeyUsageBits, PEM_CERTIFICATE};
pub use chain::{
    IntendedUse, RevocationStatus, StatusSource, VerifiedChain, VerifyOptions, verify_chain,
};
pub use crl::{Crl, CrlEntry, RevocationReason};
pub use download::{CertificateDetail, CertificateWallet};
pub use issue::{CaConfig, CertificateAuthority, EndEntityRequest};
pub use lifecycle::{CaState, CertRecord, CertState, ManagedCa, StatusAnswer, UserStatus};
pub use profile::{CertProfile, CertUsage, Holder, HolderKind, Medium, parse_dn};

use crate::crypto::PublicKey;
use crate::error::Result;

/// The SM2 public key a certificate (PEM or DER) certifies.
pub fn certificate_public_key(data: &[u8]) -> Result<PublicKey> {
    Ok(*Certificate::from_any(data)?.public_key())
}
