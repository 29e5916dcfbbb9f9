//! The PIN's attempt limit holds for a container in a file (issue #17,
//! item 6): attempts from many threads and many processes at once take
//! turns and together get exactly the limit; a process killed while it
//! derives the key leaves its attempt counted; no temporary files remain.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Barrier;
use std::time::{Duration, Instant};

use common::temp_dir;
use yizhengtong::Error;
use yizhengtong::crypto::{ContainerFile, ContainerParams, KeyContainer, PrivateKey};
use yizhengtong::qr::wallet::AppDirectory;

const PIN: &str = "246810";
const WRONG: &str = "000000";
const LIMIT: u32 = 6;
const FILE: &str = "personal.sign.key";
const ATTEMPTS: usize = 12;

/// A container file under `PIN` in a new directory.
fn container(name: &str, iterations: u32) -> (PathBuf, PrivateKey) {
    let dir = temp_dir(name);
    let mut rng = rand::rng();
    let key = PrivateKey::generate(&mut rng);
    let params = ContainerParams {
        iterations,
        max_attempts: LIMIT,
    };
    let c = KeyContainer::create(&key, PIN, PIN, params, &mut rng).unwrap();
    ContainerFile::new(dir.join(FILE)).save(&c).unwrap();
    (dir, key)
}

fn on_disk(dir: &Path) -> KeyContainer {
    KeyContainer::from_bytes(&std::fs::read(dir.join(FILE)).unwrap()).unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// The outcomes of `ATTEMPTS` wrong PINs at once against a limit of
/// `LIMIT`: each try left from `LIMIT - 1` down to 0 told exactly once
/// (the attempts took turns), every other attempt refused as locked.
fn assert_took_turns(outcomes: &[Result<u32, Error>]) {
    let mut remaining: Vec<u32> = outcomes.iter().filter_map(|o| o.clone().ok()).collect();
    remaining.sort_unstable();
    assert_eq!(
        remaining,
        (0..LIMIT).collect::<Vec<_>>(),
        "tries left as told to the {ATTEMPTS} attempts: {outcomes:?}"
    );
    for o in outcomes {
        assert!(
            matches!(o, Ok(_) | Err(Error::ContainerLocked)),
            "{outcomes:?}"
        );
    }
}

/// What an attempt's result says: the tries left after a wrong PIN.
fn outcome(r: Result<PrivateKey, Error>) -> Result<u32, Error> {
    match r {
        Err(Error::WrongPin { remaining }) => Ok(remaining),
        Err(e) => Err(e),
        Ok(_) => panic!("a wrong PIN opened the container"),
    }
}

/// After the limit: locked on disk, the right PIN refused, nothing left over.
fn assert_locked(dir: &Path) {
    let c = on_disk(dir);
    assert_eq!(c.failed_attempts(), LIMIT);
    assert!(c.is_locked());
    let app = AppDirectory::new(dir);
    assert_eq!(
        app.unlock_key(FILE, PIN).unwrap_err(),
        Error::ContainerLocked
    );
    assert_eq!(names(dir), [FILE.to_string(), format!("{FILE}.lock")]);
}

#[test]
fn wrong_pins_from_many_threads_get_the_limit_between_them() {
    // Enough iterations that the derivations would overlap without the lock.
    let (dir, _) = container("pin-threads", 50_000);
    let app = AppDirectory::new(&dir);
    let start = Barrier::new(ATTEMPTS);
    let outcomes: Vec<Result<u32, Error>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..ATTEMPTS)
            .map(|_| {
                s.spawn(|| {
                    start.wait();
                    outcome(app.unlock_key(FILE, WRONG))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_took_turns(&outcomes);
    assert_locked(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Run as a child process by the tests below: wait for the file `go`
/// (so that all children start at once), make one attempt on the
/// container with `YZT_PIN_CHILD_PIN`, print `RESULT wrong N`,
/// `RESULT locked` or `RESULT open`.
#[test]
#[ignore = "run as a child process by the multi-process tests"]
fn pin_child() {
    let dir = PathBuf::from(std::env::var("YZT_PIN_CHILD_DIR").unwrap());
    let pin = std::env::var("YZT_PIN_CHILD_PIN").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !dir.join("go").exists() {
        assert!(Instant::now() < deadline, "no go");
        std::thread::sleep(Duration::from_millis(1));
    }
    match AppDirectory::new(&dir).unlock_key(FILE, &pin) {
        Ok(_) => println!("RESULT open"),
        Err(Error::WrongPin { remaining }) => println!("RESULT wrong {remaining}"),
        Err(Error::ContainerLocked) => println!("RESULT locked"),
        Err(e) => panic!("{e}"),
    }
}

fn spawn_child(dir: &Path, pin: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "pin_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("YZT_PIN_CHILD_DIR", dir)
        .env("YZT_PIN_CHILD_PIN", pin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn wrong_pins_from_many_processes_get_the_limit_between_them() {
    let (dir, _) = container("pin-processes", 50_000);
    let children: Vec<Child> = (0..ATTEMPTS).map(|_| spawn_child(&dir, WRONG)).collect();
    std::fs::write(dir.join("go"), b"").unwrap();
    let outcomes: Vec<Result<u32, Error>> = children
        .into_iter()
        .map(|child| {
            let out = child.wait_with_output().unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "a child failed: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // (--nocapture prints it on the harness's own "test … " line.)
            let at = text
                .find("RESULT ")
                .unwrap_or_else(|| panic!("no RESULT line in: {text}"));
            let line = text[at + 7..].lines().next().unwrap_or_default();
            match line.split_whitespace().collect::<Vec<_>>()[..] {
                ["wrong", n] => Ok(n.parse().unwrap()),
                ["locked"] => Err(Error::ContainerLocked),
                _ => panic!("unexpected child result {line:?}"),
            }
        })
        .collect();
    std::fs::remove_file(dir.join("go")).unwrap();
    assert_took_turns(&outcomes);
    assert_locked(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_process_killed_while_deriving_leaves_its_attempt_counted() {
    // The right PIN, and a derivation slow enough to kill the process in it.
    let (dir, _) = container("pin-kill", 2_000_000);
    let mut child = spawn_child(&dir, PIN);
    std::fs::write(dir.join("go"), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    // The attempt is on disk before the derivation begins: wait for it.
    while on_disk(&dir).failed_attempts() == 0 {
        assert!(
            Instant::now() < deadline,
            "the attempt never reached the disk"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the child ended before its attempt was seen"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL on Unix: no unwinding, no cleanup
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the child finished its derivation before it was killed; raise the iterations"
    );
    let c = on_disk(&dir);
    assert_eq!(c.failed_attempts(), 1);
    assert_eq!(c.remaining_attempts(), LIMIT - 1);
    std::fs::remove_file(dir.join("go")).unwrap();
    assert_eq!(names(&dir), [FILE.to_string(), format!("{FILE}.lock")]);
    // The kill released the lock: the file can be read under it again.
    assert_eq!(
        ContainerFile::new(dir.join(FILE))
            .load()
            .unwrap()
            .failed_attempts(),
        1
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
