//! A [`KeyContainer`] kept in a file, opened so that the PIN's attempt
//! limit holds across threads, processes and crashes.
//!
//! Every attempt on the file `NAME`:
//!
//! 1. takes the exclusive lock of its sibling `NAME.lock` (a
//!    [`FileLock`]; the container file itself is replaced on every write,
//!    so it cannot carry the lock), waiting while another thread or process
//!    holds it;
//! 2. reads the container and counts the attempt as a wrong PIN
//!    ([`KeyContainer::begin_attempt`]);
//! 3. writes it back atomically and durably ([`write_atomic`]: a unique
//!    temporary file, flushed, renamed over, the directory flushed);
//! 4. only then runs the slow PBKDF2 derivation and tries the PIN;
//! 5. on the right PIN writes the container again with the count reset.
//!
//! So twelve attempts at once against a limit of six get six tries between
//! them, and a process killed during the derivation (step 4) leaves its
//! attempt counted: killing the app when the PIN turns out wrong saves
//! nothing. A right PIN whose reset cannot be written is reported as the
//! write's error, and its attempt stays counted.
//!
//! # What the lock does not do
//!
//! The lock is advisory and the counter lives in the file: code that
//! bypasses this type, or a person who restores an older copy of the file,
//! gets the old count back, and whoever copies the file can guess offline
//! (see [the container's docs](super::container)). Against that, keep the
//! file where only the app can reach it; the remedy that does not depend on
//! the file is two-party signing, which this SDK does not implement yet.

use std::path::{Path, PathBuf};

use rand_core::CryptoRng;

use super::container::{KeyContainer, confirmed_pin};
use super::keys::PrivateKey;
use crate::durable::{FileLock, write_atomic};
use crate::error::{Error, Result};

/// A PIN container at a path (see the module docs).
#[derive(Debug, Clone)]
pub struct ContainerFile {
    path: PathBuf,
}

impl ContainerFile {
    /// Refer to the container file `path` (nothing is read yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The container file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file beside it: the container's name with `.lock` added.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn lock(&self) -> Result<FileLock> {
        FileLock::acquire(&self.lock_path())
    }

    fn read(&self) -> Result<KeyContainer> {
        let data = std::fs::read(&self.path)
            .map_err(|e| Error::param("file", format!("{}: {e}", self.path.display())))?;
        KeyContainer::from_bytes(&data)
    }

    /// Read the container (with its current count). Waits for an attempt
    /// under way, so the count read is not one about to change.
    pub fn load(&self) -> Result<KeyContainer> {
        let _lock = self.lock()?;
        self.read()
    }

    /// Write `container` to the file, replacing it atomically and durably,
    /// under the lock.
    pub fn save(&self, container: &KeyContainer) -> Result<()> {
        let _lock = self.lock()?;
        write_atomic(&self.path, &container.to_bytes())
    }

    /// Open the key with `pin` (see the module docs for the steps). A
    /// wrong PIN gives [`Error::WrongPin`] with the tries left, a locked
    /// container [`Error::ContainerLocked`], a PIN that is not six digits
    /// [`Error::PinFormat`] (not counted, nothing written).
    pub fn unlock(&self, pin: &str) -> Result<PrivateKey> {
        self.attempt(pin, &mut || {}, |_, key| Ok(key))
    }

    /// Change the PIN: `old_pin` is an attempt like [`Self::unlock`];
    /// `new_pin` entered twice (`confirm`) is checked first, so a typo in
    /// it costs no attempt. The key is re-sealed under a fresh salt and
    /// nonce and written back.
    pub fn change_pin<R: CryptoRng + ?Sized>(
        &self,
        old_pin: &str,
        new_pin: &str,
        confirm: &str,
        rng: &mut R,
    ) -> Result<()> {
        let new_pin = confirmed_pin(new_pin, confirm)?;
        self.attempt(old_pin, &mut || {}, |c, key| c.reseal(&key, &new_pin, rng))
    }

    /// One attempt: lock, read, count and write, call `counted` (tests
    /// look at the file there), try the PIN, and on success let `then`
    /// finish with the key before the container is written again.
    pub(crate) fn attempt<T>(
        &self,
        pin: &str,
        counted: &mut dyn FnMut(),
        then: impl FnOnce(&mut KeyContainer, PrivateKey) -> Result<T>,
    ) -> Result<T> {
        let _lock = self.lock()?;
        let mut container = self.read()?;
        let attempt = container.begin_attempt(pin)?;
        write_atomic(&self.path, &attempt.counted().to_bytes())?;
        counted();
        // A wrong PIN's count is already on disk: nothing more to write.
        let key = attempt.finish()?;
        let out = then(&mut container, key)?;
        write_atomic(&self.path, &container.to_bytes())?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::ContainerParams;
    use crate::crypto::container::MIN_PIN_ITERATIONS;

    const PIN: &str = "135790";
    const WRONG: &str = "000000";

    use crate::durable::test_dirs::{names, temp_dir};

    fn file(dir: &Path, iterations: u32) -> (PrivateKey, ContainerFile) {
        let mut rng = rand::rng();
        let key = PrivateKey::generate(&mut rng);
        let params = ContainerParams {
            iterations,
            max_attempts: 3,
        };
        let c = KeyContainer::create(&key, PIN, PIN, params, &mut rng).unwrap();
        let f = ContainerFile::new(dir.join("personal.sign.key"));
        f.save(&c).unwrap();
        (key, f)
    }

    #[test]
    fn the_attempt_is_on_disk_and_locked_before_the_pin_is_tried() {
        let dir = temp_dir("before");
        let (key, f) = file(&dir, MIN_PIN_ITERATIONS);
        assert_eq!(f.lock_path(), dir.join("personal.sign.key.lock"));
        for (pin, failed_then) in [(WRONG, 1), (PIN, 2)] {
            let mut seen = None;
            let r = f.attempt(
                pin,
                &mut || {
                    // As another process would see it, were this one killed now.
                    let on_disk = KeyContainer::from_bytes(&std::fs::read(f.path()).unwrap());
                    seen = Some(on_disk.unwrap().failed_attempts());
                    // And no other attempt can start meanwhile.
                    let other = std::fs::File::options()
                        .write(true)
                        .open(f.lock_path())
                        .unwrap();
                    assert!(matches!(
                        other.try_lock(),
                        Err(std::fs::TryLockError::WouldBlock)
                    ));
                },
                |_, k| Ok(k),
            );
            assert_eq!(seen, Some(failed_then), "{pin}");
            if pin == PIN {
                assert_eq!(r.unwrap(), key);
            } else {
                assert_eq!(r.unwrap_err(), Error::WrongPin { remaining: 2 });
            }
        }
        // The right PIN's reset is on disk too, and nothing else is left.
        assert_eq!(f.load().unwrap().failed_attempts(), 0);
        assert_eq!(names(&dir), ["personal.sign.key", "personal.sign.key.lock"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_abandoned_attempt_stays_counted() {
        // What a crash during the derivation leaves: the hook panics where
        // the process would have died.
        let dir = temp_dir("abandoned");
        let (key, f) = file(&dir, MIN_PIN_ITERATIONS);
        let crashed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _ = f.attempt(PIN, &mut || panic!("killed"), |_, k| Ok(k));
        }));
        assert!(crashed.is_err());
        assert_eq!(f.load().unwrap().remaining_attempts(), 2);
        // The lock went with the "process"; the right PIN still opens it.
        assert_eq!(f.unlock(PIN).unwrap(), key);
        assert_eq!(f.load().unwrap().remaining_attempts(), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refusals_that_cost_nothing_write_nothing() {
        let dir = temp_dir("refusals");
        let (_, f) = file(&dir, MIN_PIN_ITERATIONS);
        let before = std::fs::read(f.path()).unwrap();
        assert_eq!(f.unlock("12345").unwrap_err(), Error::PinFormat);
        assert_eq!(
            f.change_pin(WRONG, "111111", "111112", &mut rand::rng()),
            Err(Error::PinConfirmationMismatch)
        );
        assert_eq!(std::fs::read(f.path()).unwrap(), before);
        for remaining in [2, 1, 0] {
            assert_eq!(f.unlock(WRONG), Err(Error::WrongPin { remaining }));
        }
        let locked = std::fs::read(f.path()).unwrap();
        assert_eq!(f.unlock(PIN), Err(Error::ContainerLocked));
        assert_eq!(std::fs::read(f.path()).unwrap(), locked);
        assert!(
            ContainerFile::new(dir.join("absent.key"))
                .unlock(PIN)
                .unwrap_err()
                .to_string()
                .contains("absent.key")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn change_pin_counts_the_old_pin_and_writes_the_new_seal() {
        let dir = temp_dir("change");
        let (key, f) = file(&dir, MIN_PIN_ITERATIONS);
        let mut rng = rand::rng();
        assert_eq!(
            f.change_pin(WRONG, "111111", "111111", &mut rng),
            Err(Error::WrongPin { remaining: 2 })
        );
        f.change_pin(PIN, "111111", "111111", &mut rng).unwrap();
        assert_eq!(f.load().unwrap().failed_attempts(), 0);
        assert_eq!(f.unlock(PIN), Err(Error::WrongPin { remaining: 2 }));
        assert_eq!(f.unlock("111111").unwrap(), key);
        assert_eq!(names(&dir), ["personal.sign.key", "personal.sign.key.lock"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
