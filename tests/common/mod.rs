//! Shared test support: where the vectors live, a parser for
//! `crypto.md`, a fixed-output RNG, and OpenSSL helpers.
#![allow(dead_code)]

pub mod charge;

use std::collections::HashMap;
use std::convert::Infallible;
use std::path::PathBuf;
use std::process::Command;

/// `../shared/vectors`, or `$YZT_VECTORS` when set.
pub fn vectors_dir() -> PathBuf {
    let dir = std::env::var_os("YZT_VECTORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/vectors"));
    assert!(
        dir.join("crypto.md").is_file(),
        "test vectors not found at {} (set YZT_VECTORS)",
        dir.display()
    );
    dir
}

pub fn read_vector(rel: &str) -> Vec<u8> {
    let p = vectors_dir().join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("reading {}: {e}", p.display()))
}

/// A value in `crypto.md`: a quoted string or hex bytes.
#[derive(Debug, Clone)]
pub enum Value {
    Text(String),
    Hex(Vec<u8>),
}

impl Value {
    pub fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Text(s) => s.as_bytes().to_vec(),
            Value::Hex(h) => h.clone(),
        }
    }
}

/// `crypto.md` as section number → name → value, read from the code
/// blocks (`NAME = VALUE` lines, hex continued on following lines; for
/// `NAME = formula = HEX` the last value counts).
pub fn crypto_md() -> HashMap<u32, HashMap<String, Value>> {
    let text = String::from_utf8(read_vector("crypto.md")).expect("crypto.md is UTF-8");
    let mut out: HashMap<u32, HashMap<String, Value>> = HashMap::new();
    let mut section = 0u32;
    let mut in_code = false;
    let mut last_hex: Option<String> = None;
    for line in text.lines() {
        if let Some(h) = line.strip_prefix("## ") {
            section = h
                .split('.')
                .next()
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0);
            continue;
        }
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            last_hex = None;
            continue;
        }
        if !in_code {
            continue;
        }
        let entries = out.entry(section).or_default();
        if let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            // `NAME = VALUE (comment)` or `NAME = formula = VALUE`.
            let first = line.split_once('=').map(|(_, v)| v.trim()).unwrap_or("");
            let value = if first.starts_with('"') || hex_prefix(first).is_some() {
                first
            } else {
                line.rsplit_once('=').map(|(_, v)| v.trim()).unwrap_or("")
            };
            last_hex = None;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                continue;
            }
            if let Some(rest) = value.strip_prefix('"') {
                if let Some((s, _)) = rest.split_once('"') {
                    entries.insert(name.to_string(), Value::Text(s.to_string()));
                }
            } else if let Some(h) = hex_prefix(value) {
                entries.insert(name.to_string(), Value::Hex(h));
                last_hex = Some(name.to_string());
            }
        } else if let Some(name) = &last_hex {
            match hex_prefix(line.trim()) {
                Some(more) if !more.is_empty() => {
                    if let Some(Value::Hex(v)) = entries.get_mut(name) {
                        v.extend(more);
                    }
                }
                _ => last_hex = None,
            }
        }
    }
    out
}

/// The leading run of hex tokens in `s`, decoded; None when the first
/// token is not hex.
fn hex_prefix(s: &str) -> Option<Vec<u8>> {
    let mut digits = String::new();
    for tok in s.split_whitespace() {
        if tok.len() % 2 == 0 && tok.chars().all(|c| c.is_ascii_hexdigit()) {
            digits.push_str(tok);
        } else {
            break;
        }
    }
    if digits.is_empty() {
        return None;
    }
    yizhengtong::hex::decode(&digits).ok()
}

pub fn section(n: u32) -> HashMap<String, Value> {
    crypto_md()
        .remove(&n)
        .unwrap_or_else(|| panic!("crypto.md has no section {n}"))
}

pub fn get(sec: &HashMap<String, Value>, name: &str) -> Vec<u8> {
    sec.get(name)
        .unwrap_or_else(|| panic!("crypto.md section lacks {name}"))
        .bytes()
}

/// An RNG that returns the given bytes, then repeats them: used to feed a
/// known nonce k into signing and encryption.
pub struct FixedRng(pub Vec<u8>, pub usize);

impl FixedRng {
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes, 0)
    }
}

impl rand_core::TryRng for FixedRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for d in dst {
            *d = self.0[self.1 % self.0.len()];
            self.1 += 1;
        }
        Ok(())
    }
}
impl rand_core::TryCryptoRng for FixedRng {}

/// The nonce k a signature used, recovered with the private key:
/// s = (1 + d)⁻¹ (k − r·d), so k = s(1 + d) + r·d mod n. Lets tests check
/// which k signing chose without any hook into the signer.
pub fn nonce_of(
    key: &yizhengtong::crypto::PrivateKey,
    sig: &yizhengtong::crypto::Signature,
) -> [u8; 32] {
    use sm2::elliptic_curve::PrimeField;
    let scalar = |b: &[u8; 32]| -> sm2::Scalar {
        Option::from(sm2::Scalar::from_repr((*b).into())).expect("a scalar below n")
    };
    let d = scalar(&key.to_bytes());
    let (r, s) = (scalar(sig.r()), scalar(sig.s()));
    let k = s * (sm2::Scalar::ONE + d) + r * d;
    k.to_repr().into()
}

/// `e mod n` as 32 bytes (what RFC 6979 calls bits2octets of the digest).
pub fn digest_mod_n(e: &[u8; 32]) -> [u8; 32] {
    use sm2::elliptic_curve::PrimeField;
    use sm2::elliptic_curve::ops::Reduce;
    <sm2::Scalar as Reduce<sm2::FieldBytes>>::reduce(&(*e).into())
        .to_repr()
        .into()
}

/// A deterministic RNG for reproducible tests.
pub fn test_rng(seed: u64) -> rand::rngs::StdRng {
    use rand::SeedableRng;
    rand::rngs::StdRng::seed_from_u64(seed)
}

/// The openssl binary, or a panic saying it is needed (CI installs it).
pub fn openssl() -> Command {
    let probe = Command::new("openssl").arg("version").output();
    match probe {
        Ok(o) if o.status.success() => Command::new("openssl"),
        _ => panic!("the openssl binary is required for interop tests (bash .ci/run installs it)"),
    }
}

/// Run a command, panicking with its stderr when it fails.
pub fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{:?} failed: {}\n{}",
        cmd,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out.stdout
}

/// A fresh temporary directory under the target dir.
pub fn temp_dir(name: &str) -> PathBuf {
    let base = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&base).expect("create temp dir");
    base
}

/// A scratch directory for one test, with paths as strings for argv.
pub struct Work(pub PathBuf);

impl Work {
    pub fn new(name: &str) -> Self {
        Work(temp_dir(name))
    }

    /// The path of `name` inside the directory.
    pub fn path(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("UTF-8 temp path")
            .to_owned()
    }

    /// Write `bytes` to `name` and return its path.
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> String {
        let p = self.path(name);
        std::fs::write(&p, bytes).unwrap_or_else(|e| panic!("writing {p}: {e}"));
        p
    }

    /// Read `name`.
    pub fn read(&self, name: &str) -> Vec<u8> {
        let p = self.path(name);
        std::fs::read(&p).unwrap_or_else(|e| panic!("reading {p}: {e}"))
    }
}

/// Run openssl with `args`, panicking on failure; its stdout.
pub fn ossl<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    run_ok(openssl().args(args))
}

/// Run openssl with `args` whatever the outcome.
pub fn ossl_output<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    openssl().args(args).output().expect("spawn openssl")
}

/// Bytes as text, lossily.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
