//! Files that survive a crash: atomic, durable replacement and advisory
//! file locks, for the state the SDK keeps in plain files (the app's PIN
//! containers and profile, a CA directory).
//!
//! [`write_atomic`] replaces a file so that after a crash (`kill -9`,
//! power loss) the path holds either the old content or the new one, never
//! a mix, and once it returns the new content is on disk:
//!
//! 1. the data goes to a new temporary file in the same directory, named
//!    `.NAME.PID.RANDOM.tmp` and created exclusively, so concurrent writers
//!    (threads or processes) never share one;
//! 2. the temporary file is flushed to disk (`fsync`);
//! 3. it is renamed over `NAME` (atomic within one file system);
//! 4. the directory is flushed, so the rename itself is durable.
//!
//! When a step fails the temporary file is removed and the old file is
//! left as it was.
//!
//! [`FileLock`] holds an exclusive lock on a lock file (the standard
//! library's [`std::fs::File::lock`]: `flock` on Unix, `LockFileEx` on
//! Windows). It serialises the threads and processes that take it; it is
//! advisory, so it binds only code that asks for it.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

fn io_err(path: &Path, e: std::io::Error) -> Error {
    Error::param("file", format!("{}: {e}", path.display()))
}

/// Replace `path` with `data` atomically and durably (see the module
/// docs). The parent directory must exist.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    write_atomic_with(path, data, |_| Ok(()))
}

/// [`write_atomic`], calling `before_rename` with the temporary file's
/// path once it is written and flushed; an error from it aborts the write
/// like a failed step (tests use it to fail at the last moment).
pub(crate) fn write_atomic_with(
    path: &Path,
    data: &[u8],
    before_rename: impl FnOnce(&Path) -> std::io::Result<()>,
) -> Result<()> {
    let name = path.file_name().ok_or_else(|| {
        Error::param(
            "file",
            format!("{}: not a file name to write", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (tmp, mut file) = create_temp(&dir, &name.to_string_lossy())?;
    let written = (|| {
        file.write_all(data)?;
        file.sync_all()?;
        drop(file);
        before_rename(&tmp)?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        // Best effort: the error that matters is the one returned.
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(path, e));
    }
    sync_dir(&dir)
}

/// Create `.NAME.PID.RANDOM.tmp` in `dir`, exclusively (a name already
/// taken, say by a crashed process with the same PID, is skipped).
fn create_temp(dir: &Path, name: &str) -> Result<(PathBuf, File)> {
    let pid = std::process::id();
    let mut last = None;
    for _ in 0..16 {
        let tmp = dir.join(format!(".{name}.{pid}.{:016x}.tmp", rand::random::<u64>()));
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(f) => return Ok((tmp, f)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(io_err(&tmp, e)),
        }
    }
    let e = last.unwrap_or_else(|| std::io::Error::other("no free temporary name"));
    Err(io_err(&dir.join(name), e))
}

/// Flush `dir`, so that a rename in it survives a crash. Where the
/// platform cannot open or flush a directory (Windows; some file systems
/// refuse with `EINVAL`) there is nothing more to do.
fn sync_dir(dir: &Path) -> Result<()> {
    if cfg!(unix) {
        let synced = File::open(dir).and_then(|d| d.sync_all());
        match synced {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::InvalidInput => {}
            Err(e) => return Err(io_err(dir, e)),
        }
    }
    Ok(())
}

/// An exclusive lock on a lock file, released on drop (or when the
/// process ends, however it ends).
#[derive(Debug)]
pub struct FileLock {
    file: File,
    path: PathBuf,
}

impl FileLock {
    /// Create `path` if needed and wait until this thread holds its
    /// exclusive lock. The lock file is never removed: removing it would
    /// let a waiter lock a file that no longer has a name while a
    /// newcomer locks a new one.
    pub fn acquire(path: &Path) -> Result<Self> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| io_err(path, e))?;
        file.lock().map_err(|e| io_err(path, e))?;
        Ok(Self {
            file,
            path: path.to_path_buf(),
        })
    }

    /// The lock file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first releases
        // it even while another handle to the same file stays open.
        let _ = self.file.unlock();
    }
}

/// Directories for the unit tests of the modules that write files.
#[cfg(test)]
pub(crate) mod test_dirs {
    use std::path::{Path, PathBuf};

    /// A fresh directory `yzt-{name}-PID-RANDOM` under the system's temp.
    pub(crate) fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "yzt-{name}-{}-{:x}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// The names of the files in `dir`, sorted.
    pub(crate) fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::test_dirs::{names, temp_dir};
    use super::*;

    #[test]
    fn replaces_and_leaves_no_temporary_file() {
        let dir = temp_dir("replace");
        let p = dir.join("state.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(names(&dir), ["state.json"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_intact() {
        let dir = temp_dir("fail");
        let p = dir.join("personal.sign.key");
        write_atomic(&p, b"old").unwrap();
        let mut seen = None;
        let r = write_atomic_with(&p, b"new", |tmp| {
            // The new data is complete in its own file, beside the old one.
            assert_eq!(std::fs::read(tmp).unwrap(), b"new");
            let n = tmp.file_name().unwrap().to_string_lossy().into_owned();
            assert!(
                n.starts_with(".personal.sign.key.") && n.ends_with(".tmp"),
                "{n}"
            );
            seen = Some(tmp.to_path_buf());
            Err(std::io::Error::other("disk full (simulated)"))
        });
        let e = r.unwrap_err().to_string();
        assert!(
            e.contains("personal.sign.key") && e.contains("disk full"),
            "{e}"
        );
        assert!(!seen.unwrap().exists());
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(names(&dir), ["personal.sign.key"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn concurrent_writers_use_their_own_temporary_files() {
        let dir = temp_dir("concurrent");
        let p = dir.join("c.key");
        std::thread::scope(|s| {
            for i in 0..8u8 {
                let p = &p;
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(p, &[i; 1000]).unwrap();
                    }
                });
            }
        });
        // Whole writes only: one writer's 1000 bytes, never a mix.
        let data = std::fs::read(&p).unwrap();
        assert_eq!(data.len(), 1000);
        assert!(data.iter().all(|b| *b == data[0]));
        assert_eq!(names(&dir), ["c.key"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_lock_excludes_a_second_holder_until_dropped() {
        let dir = temp_dir("lock");
        let p = dir.join("c.key.lock");
        let held = FileLock::acquire(&p).unwrap();
        assert_eq!(held.path(), p);
        let other = File::options().write(true).open(&p).unwrap();
        assert!(matches!(
            other.try_lock(),
            Err(std::fs::TryLockError::WouldBlock)
        ));
        drop(held);
        other.try_lock().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_path_without_a_file_name_is_refused() {
        assert!(write_atomic(Path::new("/"), b"x").is_err());
        assert!(write_atomic(Path::new(".."), b"x").is_err());
    }
}
