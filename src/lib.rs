//! # yizhengtong
//!
//! A pure-Rust SDK for China's mobile digital certificates (移动数字证书):
//! SM2 signatures with user IDs, SM2 encryption, SM3, SM4 and the key
//! formats peers exchange, interoperable byte for byte with OpenSSL and
//! GmSSL.
//!
//! ```
//! use yizhengtong::crypto::{PrivateKey, Signature, DEFAULT_USER_ID};
//!
//! let mut rng = rand::rng();
//! let key = PrivateKey::generate(&mut rng);
//! let sig = key.sign(DEFAULT_USER_ID, b"tender.pdf digest", &mut rng)?;
//! let der = sig.to_der();                      // what OpenSSL reads
//!
//! // verifying handles public data only: the fast variable-time engine
//! use yizhengtong::verify::verify;
//! let public = key.public_key();
//! verify(&public, DEFAULT_USER_ID, b"tender.pdf digest", &Signature::from_der(&der)?)?;
//! assert!(verify(&public, DEFAULT_USER_ID, b"tampered", &sig).unwrap_err().is_signature_mismatch());
//! # Ok::<(), yizhengtong::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod asn1;
pub mod cert;
pub mod crypto;
pub mod domain;
pub mod durable;
pub mod error;
pub mod hex;
pub mod ids;
pub mod pem;
pub mod qr;
pub mod seal;
#[cfg(feature = "serve")]
pub mod serve;
pub mod store;
pub mod time;
pub mod verify;
pub mod workflow;

pub use error::{Error, Result};

/// The README's examples run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
