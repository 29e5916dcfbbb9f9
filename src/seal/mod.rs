//! Electronic seals (GB/T 38540-2020, GM/T 0031-2014): the ASN.1 of seals
//! and signatures in versions 1, 4 and 5, making seals, stamping
//! documents, verifying with a step report, and managing seals and their
//! grants to enterprise members.

pub mod make;
pub mod manage;
pub mod stamp;
pub mod types;
pub mod verify;

pub use make::{ImageType, SealKind, SealRequest, make_seal};
pub use stamp::{StampRequest, key_signer, seal_lists_certificate, stamp};
pub use types::{
    CertList, ExtData, Picture, PropertyInfo, Seal, SealHeader, SealInfo, SealSignature,
    SealVersion,
};
pub use verify::{
    SealVerifyOptions, Step, StepStatus, VerifyReport, verify_seal, verify_signature,
};
