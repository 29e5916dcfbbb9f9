//! The PIN-protected key container: what the phone stores.
//!
//! A private key is sealed with SM4-GCM under a key derived from a 6-digit
//! PIN by PBKDF2-HMAC-SM3 with a per-container 16-byte random salt and a
//! stated iteration count ([`DEFAULT_PIN_ITERATIONS`] unless chosen).
//! The PIN is set on first use by entering it twice; a retry counter locks
//! the container after [`DEFAULT_MAX_ATTEMPTS`] wrong PINs in a row (a
//! right PIN resets it).
//!
//! # Counting before trying
//!
//! An attempt is counted as a wrong PIN *before* the PIN is tried
//! ([`KeyContainer::begin_attempt`]) and the count is reset only when the
//! PIN proves right ([`PinAttempt::finish`]). Whoever keeps the container
//! persists it in between, so that neither a crash during the slow
//! derivation nor several attempts at once can try more PINs than the
//! limit: [`super::container_file::ContainerFile`] does this for a
//! container in a file, under a file lock, writing it atomically and
//! durably. [`KeyContainer::unlock`] does both steps in memory, for
//! callers that persist afterwards.
//!
//! # What the PIN protects against, and what it does not
//!
//! * **Online guessing** (someone holding the phone, going through the
//!   app): after `max_attempts` wrong PINs the container refuses to open,
//!   even with the right PIN. Through
//!   [`ContainerFile`](super::container_file::ContainerFile) this holds
//!   across threads, processes and crashes: attempts on one file take
//!   turns, and each is on disk before its PIN is tried.
//! * **A restored old copy** of the container (a backup, a copy taken
//!   before the guessing began, or the same bytes written back) carries
//!   its old count: restoring it gives the attempts back. The counter
//!   lives in the file and nothing outside it remembers how many attempts
//!   were made; the file lock only binds code that goes through the app.
//! * **Offline guessing of a copied container** is *not* prevented. Whoever
//!   copies the bytes can reset the counter and try every PIN: a 6-digit
//!   PIN has only 10⁶ values, so the work is 10⁶ × `iterations` HMAC-SM3
//!   calls — about a day on one core at the default, far less on many.
//!   The container slows such an attacker down; only keeping the bytes out
//!   of reach (the phone's keystore, device encryption) stops one. The
//!   remedy that does not depend on the file is two-party signing (the key
//!   split between the phone and a server that counts the attempts
//!   itself), which this SDK does not implement yet.
//!
//! The header (format version, iteration count, attempt limit, salt and
//! public key) is authenticated as GCM associated data, so editing it makes
//! the right PIN fail too. The failure counter is not authenticated (it
//! must change without the PIN); lowering it only gives back online tries
//! that offline guessing has anyway.
//!
//! # Serialised form (version 1, all integers big-endian)
//!
//! ```text
//! "YZTKC" | version u8 = 1 | iterations u32 | max_attempts u32 | failed u32
//! | salt [16] | nonce [12] | public key [65] | sealed len u16 | sealed (32 + 16 tag)
//! ```

use rand_core::CryptoRng;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::hash::pbkdf2_hmac_sm3;
use super::keys::{PrivateKey, PublicKey};
use super::sm4;
use crate::error::{Error, Result};

/// PBKDF2-HMAC-SM3 iterations used when none are chosen.
pub const DEFAULT_PIN_ITERATIONS: u32 = 100_000;
/// Fewest iterations accepted.
pub const MIN_PIN_ITERATIONS: u32 = 1_000;
/// Most iterations accepted (a hostile file must not pin a CPU for hours).
pub const MAX_PIN_ITERATIONS: u32 = 10_000_000;
/// Wrong PINs in a row before the container locks, unless chosen.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;

const MAGIC: &[u8; 5] = b"YZTKC";
const VERSION: u8 = 1;

/// A 6-digit PIN. Zeroized on drop, printed as `[redacted]`.
#[derive(Clone)]
pub struct Pin(Zeroizing<[u8; 6]>);

impl Pin {
    /// Validate `text` as exactly six ASCII digits.
    pub fn new(text: &str) -> Result<Self> {
        let b = text.as_bytes();
        if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
            return Err(Error::PinFormat);
        }
        let mut arr = Zeroizing::new([0u8; 6]);
        arr.copy_from_slice(b);
        Ok(Self(arr))
    }

    fn as_bytes(&self) -> &[u8] {
        &self.0[..]
    }
}

impl ConstantTimeEq for Pin {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        self.0[..].ct_eq(&other.0[..])
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

/// Choices made when a container is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContainerParams {
    /// PBKDF2-HMAC-SM3 iterations.
    pub iterations: u32,
    /// Wrong PINs in a row before the container locks (1 to 100).
    pub max_attempts: u32,
}

impl Default for ContainerParams {
    fn default() -> Self {
        Self {
            iterations: DEFAULT_PIN_ITERATIONS,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        }
    }
}

impl ContainerParams {
    fn check(&self) -> Result<()> {
        if !(MIN_PIN_ITERATIONS..=MAX_PIN_ITERATIONS).contains(&self.iterations) {
            return Err(Error::param(
                "iterations",
                format!(
                    "{} is outside {MIN_PIN_ITERATIONS} to {MAX_PIN_ITERATIONS}",
                    self.iterations
                ),
            ));
        }
        if !(1..=100).contains(&self.max_attempts) {
            return Err(Error::param(
                "max_attempts",
                format!("{} is outside 1 to 100", self.max_attempts),
            ));
        }
        Ok(())
    }
}

/// A private key sealed under a PIN, with a retry counter.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyContainer {
    iterations: u32,
    max_attempts: u32,
    failed: u32,
    salt: [u8; 16],
    nonce: [u8; 12],
    public_key: PublicKey,
    sealed: Vec<u8>,
}

impl std::fmt::Debug for KeyContainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyContainer")
            .field("public_key", &self.public_key)
            .field("iterations", &self.iterations)
            .field("failed", &self.failed)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl KeyContainer {
    /// Seal `key` under a new PIN entered twice (`pin`, `confirm`). Refuses
    /// a PIN that is not six digits or a confirmation that differs.
    pub fn create<R: CryptoRng + ?Sized>(
        key: &PrivateKey,
        pin: &str,
        confirm: &str,
        params: ContainerParams,
        rng: &mut R,
    ) -> Result<Self> {
        params.check()?;
        let pin = confirmed_pin(pin, confirm)?;
        let mut c = Self {
            iterations: params.iterations,
            max_attempts: params.max_attempts,
            failed: 0,
            salt: [0; 16],
            nonce: [0; 12],
            public_key: key.public_key(),
            sealed: Vec::new(),
        };
        c.seal(key, &pin, rng)?;
        Ok(c)
    }

    fn seal<R: CryptoRng + ?Sized>(
        &mut self,
        key: &PrivateKey,
        pin: &Pin,
        rng: &mut R,
    ) -> Result<()> {
        // Into a copy, so that a failure leaves the container as it was
        // (not a new salt beside the old sealed key).
        let mut next = self.clone();
        rng.fill_bytes(&mut next.salt);
        rng.fill_bytes(&mut next.nonce);
        let kek = next.derive(pin)?;
        next.sealed = sm4::gcm_encrypt(&kek[..], &next.nonce, &next.aad(), &key.to_bytes()[..])?;
        *self = next;
        Ok(())
    }

    fn derive(&self, pin: &Pin) -> Result<Zeroizing<[u8; 16]>> {
        let mut kek = Zeroizing::new([0u8; 16]);
        pbkdf2_hmac_sm3(pin.as_bytes(), &self.salt, self.iterations, &mut kek[..])?;
        Ok(kek)
    }

    fn aad(&self) -> Vec<u8> {
        let mut a = Vec::with_capacity(5 + 1 + 8 + 16 + 65);
        a.extend_from_slice(MAGIC);
        a.push(VERSION);
        a.extend_from_slice(&self.iterations.to_be_bytes());
        a.extend_from_slice(&self.max_attempts.to_be_bytes());
        a.extend_from_slice(&self.salt);
        a.extend_from_slice(&self.public_key.to_sec1_bytes(false));
        a
    }

    /// Open with `pin`: [`Self::begin_attempt`] then [`PinAttempt::finish`].
    /// A wrong PIN counts against the limit (persist the container
    /// afterwards); the right one resets the count. A locked container
    /// refuses every PIN. A container kept in a file is better opened with
    /// [`super::container_file::ContainerFile::unlock`], which persists the
    /// attempt before the PIN is tried.
    pub fn unlock(&mut self, pin: &str) -> Result<PrivateKey> {
        self.begin_attempt(pin)?.finish()
    }

    /// Start an unlock attempt with `pin`, counting it as a wrong PIN
    /// until [`PinAttempt::finish`] proves it right. Persist
    /// [`PinAttempt::counted`] before finishing: then a crash, a kill or a
    /// power loss during the slow key derivation leaves the attempt
    /// counted, and several processes holding the file's lock in turn
    /// cannot try more PINs than the limit allows.
    ///
    /// Refuses a locked container ([`Error::ContainerLocked`]) and a PIN
    /// that is not six digits ([`Error::PinFormat`], not counted: it
    /// cannot be the right one, and the app should have caught it).
    pub fn begin_attempt(&mut self, pin: &str) -> Result<PinAttempt<'_>> {
        if self.is_locked() {
            return Err(Error::ContainerLocked);
        }
        let pin = Pin::new(pin)?;
        self.failed = self.failed.saturating_add(1);
        Ok(PinAttempt {
            container: self,
            pin,
        })
    }

    /// Try the counted attempt: derive the key-encryption key and open
    /// the sealed key. Only success changes the container (the count is
    /// reset).
    fn try_counted(&mut self, pin: &Pin) -> Result<PrivateKey> {
        let kek = self.derive(pin)?;
        match sm4::gcm_decrypt(&kek[..], &self.nonce, &self.aad(), &self.sealed) {
            Ok(d) => {
                let d: &[u8; 32] = d[..]
                    .try_into()
                    .map_err(|_| Error::malformed("key container", "sealed key is not 32 bytes"))?;
                let key = PrivateKey::from_bytes(d)?;
                if key.public_key() != self.public_key {
                    return Err(Error::KeyMismatch);
                }
                self.failed = 0;
                Ok(key)
            }
            Err(Error::AuthenticationFailed) => Err(Error::WrongPin {
                remaining: self.remaining_attempts(),
            }),
            Err(e) => Err(e),
        }
    }

    /// Change the PIN: the old PIN (counted like [`Self::unlock`]) and the
    /// new one entered twice. Re-seals under a fresh salt and nonce.
    pub fn change_pin<R: CryptoRng + ?Sized>(
        &mut self,
        old_pin: &str,
        new_pin: &str,
        confirm: &str,
        rng: &mut R,
    ) -> Result<()> {
        // Check the new PIN first, so a typo does not cost an attempt.
        let new_pin = confirmed_pin(new_pin, confirm)?;
        let key = self.unlock(old_pin)?;
        self.seal(&key, &new_pin, rng)
    }

    /// Re-seal the key an attempt just opened under `new_pin` (entered
    /// twice), with a fresh salt and nonce; the count stays reset. Refuses
    /// a key that is not this container's.
    pub(crate) fn reseal<R: CryptoRng + ?Sized>(
        &mut self,
        key: &PrivateKey,
        new_pin: &Pin,
        rng: &mut R,
    ) -> Result<()> {
        if key.public_key() != self.public_key {
            return Err(Error::KeyMismatch);
        }
        self.seal(key, new_pin, rng)
    }

    /// True after `max_attempts` wrong PINs in a row.
    pub fn is_locked(&self) -> bool {
        self.failed >= self.max_attempts
    }

    /// Wrong PINs still allowed before the container locks.
    pub fn remaining_attempts(&self) -> u32 {
        self.max_attempts.saturating_sub(self.failed)
    }

    /// The public key of the sealed private key (readable without the PIN).
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// The PBKDF2 iteration count of this container.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// Wrong PINs in a row before the container locks.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Attempts counted as wrong since the last right PIN (an attempt
    /// under way counts).
    pub fn failed_attempts(&self) -> u32 {
        self.failed
    }

    /// Serialise (see the module docs for the layout).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(128 + self.sealed.len());
        out.extend_from_slice(MAGIC);
        out.push(VERSION);
        out.extend_from_slice(&self.iterations.to_be_bytes());
        out.extend_from_slice(&self.max_attempts.to_be_bytes());
        out.extend_from_slice(&self.failed.to_be_bytes());
        out.extend_from_slice(&self.salt);
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.public_key.to_sec1_bytes(false));
        // sealed is always 48 bytes; the length field keeps the format open.
        out.extend_from_slice(
            &u16::try_from(self.sealed.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.sealed);
        out
    }

    /// Parse the serialised form, checking every field.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "key container";
        let mut r = crate::asn1::ByteCursor::new(WHAT, bytes);
        if r.take(5)? != MAGIC {
            return Err(Error::malformed(
                WHAT,
                "bad magic (not a yizhengtong key container)",
            ));
        }
        let version = r.take(1)?[0];
        if version != VERSION {
            return Err(Error::malformed(
                WHAT,
                format!("unsupported version {version}"),
            ));
        }
        let iterations = u32::from_be_bytes(r.array()?);
        let max_attempts = u32::from_be_bytes(r.array()?);
        let failed = u32::from_be_bytes(r.array()?);
        ContainerParams {
            iterations,
            max_attempts,
        }
        .check()?;
        let salt: [u8; 16] = r.array()?;
        let nonce: [u8; 12] = r.array()?;
        let public_key = PublicKey::from_sec1_bytes(r.take(65)?)?;
        let len = usize::from(u16::from_be_bytes(r.array()?));
        if len != 32 + sm4::AEAD_TAG_LEN {
            return Err(Error::length("sealed key", "48 bytes", len));
        }
        let sealed = r.take(len)?.to_vec();
        if r.remaining() != 0 {
            return Err(Error::malformed(
                WHAT,
                format!("{} trailing bytes", r.remaining()),
            ));
        }
        Ok(Self {
            iterations,
            max_attempts,
            failed,
            salt,
            nonce,
            public_key,
            sealed,
        })
    }
}

/// An unlock attempt under way, from [`KeyContainer::begin_attempt`]: the
/// container already counts it as a wrong PIN. Persist [`Self::counted`],
/// then [`Self::finish`]. Dropped unfinished, the attempt stays counted.
#[must_use = "the attempt is counted but the PIN is not tried until finish()"]
pub struct PinAttempt<'a> {
    container: &'a mut KeyContainer,
    pin: Pin,
}

impl PinAttempt<'_> {
    /// The container with this attempt counted, as it must be persisted
    /// before [`Self::finish`].
    pub fn counted(&self) -> &KeyContainer {
        self.container
    }

    /// Try the PIN (the slow PBKDF2 derivation). The right PIN gives the
    /// key and resets the container's count (persist it again); a wrong
    /// one gives [`Error::WrongPin`] with the tries left, and the count
    /// stays as [`Self::counted`] showed it. Any other failure (a sealed
    /// key that does not belong to the public key) also stays counted.
    pub fn finish(self) -> Result<PrivateKey> {
        self.container.try_counted(&self.pin)
    }
}

impl std::fmt::Debug for PinAttempt<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PinAttempt")
            .field("container", &self.container)
            .field("pin", &self.pin)
            .finish()
    }
}

pub(crate) fn confirmed_pin(pin: &str, confirm: &str) -> Result<Pin> {
    let pin = Pin::new(pin)?;
    let confirm = Pin::new(confirm)?;
    if bool::from(pin.ct_eq(&confirm)) {
        Ok(pin)
    } else {
        Err(Error::PinConfirmationMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PIN: &str = "135790";
    const WRONG: &str = "000000";

    #[test]
    fn an_attempt_is_counted_before_the_pin_is_tried() {
        let mut rng = rand::rng();
        let key = PrivateKey::generate(&mut rng);
        let params = ContainerParams {
            iterations: MIN_PIN_ITERATIONS,
            max_attempts: 2,
        };
        let mut c = KeyContainer::create(&key, PIN, PIN, params, &mut rng).unwrap();
        assert_eq!(c.max_attempts(), 2);

        // What is persisted before the derivation already counts the attempt.
        let attempt = c.begin_attempt(PIN).unwrap();
        let persisted = KeyContainer::from_bytes(&attempt.counted().to_bytes()).unwrap();
        assert_eq!(persisted.failed_attempts(), 1);
        assert_eq!(persisted.remaining_attempts(), 1);
        // Abandoned (the app was killed): it stays counted.
        drop(attempt);
        assert_eq!(c.failed_attempts(), 1);

        // The last attempt is persisted as locking the container, and the
        // right PIN then opens it and resets the count.
        let attempt = c.begin_attempt(PIN).unwrap();
        assert!(attempt.counted().is_locked());
        assert_eq!(attempt.finish().unwrap(), key);
        assert_eq!(c.failed_attempts(), 0);

        // A wrong PIN: counted at the start, told at the end.
        let attempt = c.begin_attempt(WRONG).unwrap();
        assert_eq!(attempt.counted().failed_attempts(), 1);
        assert_eq!(attempt.finish(), Err(Error::WrongPin { remaining: 1 }));
        assert_eq!(c.failed_attempts(), 1);

        // A malformed PIN is not counted; a locked container counts nothing.
        assert_eq!(c.begin_attempt("12345").unwrap_err(), Error::PinFormat);
        assert_eq!(c.failed_attempts(), 1);
        assert_eq!(c.unlock(WRONG), Err(Error::WrongPin { remaining: 0 }));
        assert_eq!(c.begin_attempt(PIN).unwrap_err(), Error::ContainerLocked);
        assert_eq!(c.failed_attempts(), 2);
    }
}
