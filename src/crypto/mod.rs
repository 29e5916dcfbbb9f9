//! The cryptographic core: SM2 keys, signatures and encryption, SM3,
//! HMAC-SM3, PBKDF2, SM4 modes, encrypted PKCS#8 and the PIN container.
//!
//! Secrets ([`PrivateKey`], [`Pin`], derived keys, decrypted plaintext)
//! zeroize on drop and print as `[redacted]`, as do the working copies
//! made from them: scalars and shared points in [`sign`] and [`encrypt`],
//! cipher key schedules in [`sm4`], hash and HMAC states in [`hash`]
//! (each module says what its crates cannot wipe). Randomness is always a
//! parameter (`&mut impl CryptoRng`), so tests can be deterministic;
//! signing nonces are hedged (RFC 6979 over HMAC-SM3, mixed with the RNG's
//! bytes: see [`sign`]).

pub mod container;
pub mod container_file;
pub mod curve;
pub mod encrypt;
pub mod hash;
pub mod keys;
mod nonce;
pub mod pkcs8enc;
pub mod sign;
pub mod sm4;

pub use container::{ContainerParams, KeyContainer, Pin, PinAttempt};
pub use container_file::ContainerFile;
pub use encrypt::{Ciphertext, CiphertextFormat};
pub use hash::{HmacSm3, Sm3, Sm3Digest, hex_digest, hmac_sm3, pbkdf2_hmac_sm3, sm3};
pub use keys::{PrivateKey, PublicKey};
pub use pkcs8enc::{Pbes2Cipher, Pbes2Params, Pbes2Prf};
pub use sign::{DEFAULT_USER_ID, Signature, SignatureFormat};
