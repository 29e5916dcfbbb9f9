//! The one error type of the SDK.
//!
//! Every variant says *what* went wrong and, where it matters, *where*
//! (which field, which check). Variants are never removed or renumbered in
//! meaning; new ones may be added, so the enum is `#[non_exhaustive]`.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Everything that can go wrong in the SDK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Structurally malformed input: bad DER, bad PEM, trailing bytes.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being decoded (e.g. "PKCS#8 private key").
        what: &'static str,
        /// Why it was refused.
        detail: String,
    },
    /// A length that does not fit what the format allows.
    #[error("wrong length for {what}: expected {expected}, got {actual}")]
    InvalidLength {
        /// The field.
        what: &'static str,
        /// What is allowed, in words (e.g. "32 bytes").
        expected: String,
        /// What was given.
        actual: usize,
    },
    /// An algorithm identifier or curve that this SDK does not handle.
    #[error("unsupported {what}: {oid}")]
    UnsupportedAlgorithm {
        /// Which field carried it (e.g. "key algorithm", "PBKDF2 PRF").
        what: &'static str,
        /// The OID or name found.
        oid: String,
    },
    /// A point whose coordinates do not satisfy the SM2 curve equation,
    /// or an x coordinate with no point on the curve.
    #[error("public key point is not on the SM2 curve")]
    PointNotOnCurve,
    /// The point at infinity where a real point is required.
    #[error("public key is the point at infinity")]
    PointAtInfinity,
    /// A point encoding that is neither compressed nor uncompressed SEC1.
    #[error("invalid point encoding: {0}")]
    InvalidPointEncoding(String),
    /// A private scalar outside [1, n-2] (SM2 needs 1 + d invertible).
    #[error("private key scalar is out of range [1, n-2]")]
    ScalarOutOfRange,
    /// The public key stored beside a private key does not belong to it.
    #[error("the public key stored with the private key does not match it")]
    KeyMismatch,
    /// A signature component outside [1, n-1].
    #[error("signature component {component} is out of range [1, n-1]")]
    SignatureOutOfRange {
        /// "r" or "s".
        component: &'static str,
    },
    /// A well-formed signature that does not verify.
    #[error("signature does not verify")]
    SignatureMismatch,
    /// The SM2 user ID is longer than ENTL (16 bits of length in bits) allows.
    #[error("SM2 user ID is {len} bytes; at most 8191 bytes are allowed")]
    UserIdTooLong {
        /// Length given, in bytes.
        len: usize,
    },
    /// SM2 encryption of nothing is refused (the KDF output would be empty).
    #[error("plaintext is empty; SM2 encryption needs at least one byte")]
    EmptyPlaintext,
    /// SM2 decryption failed its integrity check.
    #[error("SM2 decryption failed: {0}")]
    DecryptionFailed(&'static str),
    /// A symmetric padding that does not check out.
    #[error("invalid PKCS#7 padding")]
    InvalidPadding,
    /// An AEAD tag that does not verify (wrong key, nonce, AAD or tampering).
    #[error("authentication tag mismatch: wrong key, nonce or associated data, or tampered data")]
    AuthenticationFailed,
    /// An encrypted private key that does not open with this password.
    #[error("wrong password, or the encrypted key is corrupted")]
    WrongPassword,
    /// A parameter outside what the SDK accepts.
    #[error("invalid parameter {name}: {reason}")]
    InvalidParameter {
        /// The parameter.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A PIN that is not exactly six ASCII digits.
    #[error("PIN must be exactly 6 digits")]
    PinFormat,
    /// The PIN and its confirmation differ.
    #[error("the two PIN entries do not match")]
    PinConfirmationMismatch,
    /// A wrong PIN; `remaining` tries are left before the container locks.
    #[error("wrong PIN, {remaining} tries left")]
    WrongPin {
        /// Attempts left before the container locks.
        remaining: u32,
    },
    /// The container is locked after too many wrong PINs.
    #[error("key container is locked after too many wrong PINs")]
    ContainerLocked,
    /// A certificate in a chain failed a check.
    #[error("certificate {index} ({subject}) failed {check}: {detail}")]
    Certificate {
        /// Position in the chain: 0 is the certificate being verified.
        index: usize,
        /// The certificate's subject.
        subject: String,
        /// Which check failed.
        check: CertCheck,
        /// Details.
        detail: String,
    },
    /// A CRL that cannot be used (bad signature, wrong issuer, stale).
    #[error("CRL refused: {0}")]
    Crl(String),
    /// An action that the object's current state does not allow.
    #[error("cannot {action} a {entity} that is {state}")]
    InvalidState {
        /// What kind of object (e.g. "certificate").
        entity: &'static str,
        /// Its current state.
        state: String,
        /// What was attempted.
        action: &'static str,
    },
    /// The actor may not do this.
    #[error("{actor} may not {action}: {reason}")]
    Forbidden {
        /// Who tried.
        actor: String,
        /// What.
        action: &'static str,
        /// Why not.
        reason: String,
    },
    /// Something looked up by key does not exist.
    #[error("{what} {key} not found")]
    NotFound {
        /// What kind of object.
        what: &'static str,
        /// The key that was looked up.
        key: String,
    },
    /// A concurrent change got there first: a row read for this change has
    /// been written since, or a key to insert exists. Nothing was changed;
    /// run the operation again on fresh data.
    #[error("conflict on {what} {key}: changed concurrently, nothing was written")]
    Conflict {
        /// The table.
        what: &'static str,
        /// The row's key.
        key: String,
    },
    /// The storage backend failed (unreachable, corrupt row); nothing was
    /// changed.
    #[error("storage failed: {0}")]
    Store(String),
    /// A bound was reached (too many codes waiting, too many requests);
    /// nothing was changed: try again later.
    #[error("{what}: the limit of {limit} is reached; try again later")]
    LimitReached {
        /// What is bounded.
        what: &'static str,
        /// The bound.
        limit: u64,
    },
}

/// The checks of certificate chain verification, named in
/// [`Error::Certificate`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CertCheck {
    /// The certificate could not be parsed.
    Parse,
    /// No issuer among the intermediates and trust anchors.
    IssuerNotFound,
    /// The chain ends at a self-issued certificate that is not a trust anchor.
    UntrustedRoot,
    /// The issuer's signature does not verify over the TBS bytes.
    Signature,
    /// The signature algorithm is not SM2 with SM3.
    SignatureAlgorithm,
    /// The validity period has not started.
    NotYetValid,
    /// The validity period is over.
    Expired,
    /// An issuer without basicConstraints cA = TRUE.
    NotCa,
    /// More CA certificates below an issuer than its pathLenConstraint allows.
    PathLength,
    /// keyUsage does not allow the use (keyCertSign for issuers, the
    /// intended use for the end entity).
    KeyUsage,
    /// The certificate is revoked.
    Revoked,
    /// The certificate is on hold (frozen).
    Frozen,
    /// Revocation status was required but could not be established.
    RevocationUnknown,
    /// A critical extension this verifier does not understand.
    UnknownCriticalExtension,
    /// The chain is longer than allowed.
    ChainTooLong,
}

impl std::fmt::Display for CertCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            CertCheck::Parse => "parsing",
            CertCheck::IssuerNotFound => "issuer lookup",
            CertCheck::UntrustedRoot => "trust anchor",
            CertCheck::Signature => "signature",
            CertCheck::SignatureAlgorithm => "signature algorithm",
            CertCheck::NotYetValid => "validity (not yet valid)",
            CertCheck::Expired => "validity (expired)",
            CertCheck::NotCa => "basic constraints (not a CA)",
            CertCheck::PathLength => "path length",
            CertCheck::KeyUsage => "key usage",
            CertCheck::Revoked => "revocation (revoked)",
            CertCheck::Frozen => "revocation (frozen)",
            CertCheck::RevocationUnknown => "revocation (status unknown)",
            CertCheck::UnknownCriticalExtension => "critical extensions",
            CertCheck::ChainTooLong => "chain length",
        };
        f.write_str(s)
    }
}

impl Error {
    /// Shorthand for [`Error::Malformed`].
    pub(crate) fn malformed(what: &'static str, detail: impl fmt::Display) -> Self {
        Error::Malformed {
            what,
            detail: detail.to_string(),
        }
    }

    /// Shorthand for [`Error::InvalidLength`].
    pub(crate) fn length(what: &'static str, expected: impl Into<String>, actual: usize) -> Self {
        Error::InvalidLength {
            what,
            expected: expected.into(),
            actual,
        }
    }

    /// Shorthand for [`Error::InvalidParameter`].
    pub fn param(name: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidParameter {
            name,
            reason: reason.into(),
        }
    }

    /// True when this error means "the signature is well-formed but false",
    /// as opposed to malformed input.
    pub fn is_signature_mismatch(&self) -> bool {
        matches!(self, Error::SignatureMismatch)
    }
}
