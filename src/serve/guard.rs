//! Who may call what: the platform's API keys, the login page's secret,
//! rate limits, the CORS policy, and the masking of what the public page
//! sees.
//!
//! **The platform's credential** is an API key sent as
//! `Authorization: Bearer yzt_…` (RFC 6750). The service keeps only the
//! SM3 of each key (the keys are 256-bit random strings, so a fast hash
//! is as good as a slow one and a stolen configuration gives nothing to
//! guess), compares in constant time, and accepts every key listed, so a
//! key is rotated by adding the new one, moving the platform's backend to
//! it, and removing the old one. Bearer keys were chosen over mutual TLS
//! because platforms call from back ends behind their own proxies and
//! load balancers, where a client certificate often does not reach the
//! service, and over signed requests because the scheme is one header
//! every HTTP client can send.
//!
//! **The login page's secret**: the page asks for a login code with
//! `POST /v1/login` and gets, beside the code, a 256-bit secret that is
//! not in the QR text; the store keeps its SM3 with the code, and the
//! status view `GET /v1/login/{tid}` answers only a request that carries
//! the secret (`X-Page-Secret`), with masked data only.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::crypto::sm3;
use crate::error::{Error, Result};

/// Prefix of the service's API keys.
pub const API_KEY_PREFIX: &str = "yzt_";

/// One accepted API key, as the configuration lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyConfig {
    /// A name for the key (logged with each request it authorises;
    /// never the key itself).
    pub id: String,
    /// SM3 of the key, 64 hex digits.
    pub sm3: String,
}

/// The accepted API keys.
#[derive(Debug, Clone, Default)]
pub struct ApiKeys {
    keys: Vec<(String, [u8; 32])>,
}

impl ApiKeys {
    /// Read the configured keys; refuses a malformed hash or a repeated id.
    pub fn from_config(list: &[ApiKeyConfig]) -> Result<Self> {
        let mut keys: Vec<(String, [u8; 32])> = Vec::with_capacity(list.len());
        for (i, k) in list.iter().enumerate() {
            if k.id.is_empty()
                || k.id.len() > 64
                || !k
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
            {
                return Err(Error::param(
                    "api_keys",
                    format!(
                        "key {}: id is 1 to 64 letters, digits, '-', '_' or '.'",
                        i + 1
                    ),
                ));
            }
            if keys.iter().any(|(id, _)| *id == k.id) {
                return Err(Error::param(
                    "api_keys",
                    format!("key id {:?} is listed twice", k.id),
                ));
            }
            let hash = crate::hex::decode(&k.sm3)
                .ok()
                .and_then(|h| <[u8; 32]>::try_from(h.as_slice()).ok())
                .ok_or_else(|| {
                    Error::param("api_keys", format!("key {:?}: sm3 is 64 hex digits", k.id))
                })?;
            keys.push((k.id.clone(), hash));
        }
        Ok(Self { keys })
    }

    /// Whether no key is configured (every platform call is then refused).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The id of the key `presented` is, if it is one of ours. Every
    /// configured key is compared, in constant time.
    pub fn check(&self, presented: &str) -> Option<&str> {
        let hash = sm3(presented.as_bytes());
        let mut found = None;
        for (id, h) in &self.keys {
            if bool::from(h.ct_eq(&hash)) {
                found = Some(id.as_str());
            }
        }
        found
    }
}

/// A fresh API key and the configuration entry that accepts it.
pub fn new_api_key<R: rand_core::CryptoRng + ?Sized>(id: &str, rng: &mut R) -> (String, String) {
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(&mut raw[..]);
    let key = format!("{API_KEY_PREFIX}{}", crate::hex::encode(&raw[..]));
    let entry = serde_json::json!({"id": id, "sm3": crate::hex::encode(&sm3(key.as_bytes()))});
    (key, entry.to_string())
}

/// A page secret: 32 random bytes as hex, and its SM3 for the store.
pub fn new_page_secret<R: rand_core::CryptoRng + ?Sized>(rng: &mut R) -> (String, [u8; 32]) {
    let mut raw = zeroize::Zeroizing::new([0u8; 32]);
    rng.fill_bytes(&mut raw[..]);
    let secret = crate::hex::encode(&raw[..]);
    let hash = sm3(secret.as_bytes());
    (secret, hash)
}

/// Whether `presented` is the secret whose SM3 the store keeps.
pub fn page_secret_matches(presented: &str, kept: &[u8; 32]) -> bool {
    bool::from(sm3(presented.as_bytes()).ct_eq(kept))
}

/// A token bucket per key (an API key's id or a client address): `rate`
/// requests a minute, bursts of up to `burst`.
pub struct RateLimiter {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

/// Buckets kept before the full ones are forgotten.
const MAX_BUCKETS: usize = 100_000;

impl RateLimiter {
    /// `per_minute` requests a minute (0: no limit), bursts of `burst`.
    pub fn new(per_minute: u32, burst: u32) -> Self {
        Self {
            per_second: f64::from(per_minute) / 60.0,
            burst: f64::from(burst.max(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Take one request for `key` at `now`: `Ok` when allowed, else how
    /// many seconds until one is.
    pub fn take(&self, key: &str, now: Instant) -> std::result::Result<(), u64> {
        if self.per_second <= 0.0 {
            return Ok(());
        }
        let mut b = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if b.len() >= MAX_BUCKETS && !b.contains_key(key) {
            // forget the buckets that have refilled: they hold nothing
            let (rate, burst) = (self.per_second, self.burst);
            b.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = b.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * self.per_second)
            .min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - *tokens) / self.per_second).ceil() as u64)
        }
    }
}

/// A name as the public page shows it: the first character, the rest
/// starred (欧勇 → 欧*).
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

/// A phone number or account as the public page shows it: the first
/// three and the last four characters of an 11-digit mobile number
/// (138****0000); of anything else, the first and last character only.
pub fn mask_account(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    let n = chars.len();
    if n == 11 && chars.iter().all(char::is_ascii_digit) {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[7..].iter().collect();
        return format!("{head}****{tail}");
    }
    match n {
        0 => String::new(),
        1 | 2 => "*".repeat(n),
        _ => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

/// The CORS policy: which web origins besides the service's own may call
/// it from a browser. Empty by default: only the service's own login page.
#[derive(Debug, Clone, Default)]
pub struct Cors {
    origins: Vec<String>,
}

impl Cors {
    /// Origins as `scheme://host[:port]`, exactly as browsers send them.
    pub fn new(origins: &[String]) -> Result<Self> {
        for o in origins {
            let ok = (o.starts_with("https://") || o.starts_with("http://"))
                && !o.ends_with('/')
                && o.split("://")
                    .nth(1)
                    .is_some_and(|h| !h.is_empty() && !h.contains(['/', '?', '#', ' ', '*']));
            if !ok {
                return Err(Error::param(
                    "cors_origins",
                    format!("{o:?}: an origin is scheme://host[:port], no path, no wildcard"),
                ));
            }
        }
        Ok(Self {
            origins: origins.to_vec(),
        })
    }

    /// Whether `origin` is one of the configured ones.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }
}

/// Whether `origin` is the service's own, reached as `host` (the request's
/// `Host` header).
pub fn same_origin(origin: &str, host: &str) -> bool {
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|h| h.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn api_keys_are_checked_by_hash_and_rotate() {
        let mut rng = rand::rng();
        let (old, old_entry) = new_api_key("old", &mut rng);
        let (new, new_entry) = new_api_key("new", &mut rng);
        assert!(old.starts_with(API_KEY_PREFIX) && old.len() == 4 + 64);
        let parse = |e: &str| serde_json::from_str::<ApiKeyConfig>(e).unwrap();
        let both = ApiKeys::from_config(&[parse(&old_entry), parse(&new_entry)]).unwrap();
        assert_eq!(both.check(&old), Some("old"));
        assert_eq!(both.check(&new), Some("new"));
        assert_eq!(both.check("yzt_00"), None);
        assert_eq!(both.check(""), None);
        // the configuration holds no key, only its hash
        assert!(!old_entry.contains(&old[4..]));
        let rotated = ApiKeys::from_config(&[parse(&new_entry)]).unwrap();
        assert_eq!(rotated.check(&old), None);
        assert_eq!(rotated.check(&new), Some("new"));
        // malformed entries are refused by name
        for bad in [
            r#"{"id":"","sm3":"00"}"#,
            r#"{"id":"a b","sm3":"00"}"#,
            r#"{"id":"a","sm3":"00"}"#,
        ] {
            assert!(ApiKeys::from_config(&[parse(bad)]).is_err(), "{bad}");
        }
        assert!(ApiKeys::from_config(&[parse(&new_entry), parse(&new_entry)]).is_err());
    }

    #[test]
    fn page_secrets_match_only_themselves() {
        let (secret, kept) = new_page_secret(&mut rand::rng());
        assert!(page_secret_matches(&secret, &kept));
        assert!(!page_secret_matches(&secret[1..], &kept));
        assert!(!page_secret_matches("", &kept));
    }

    #[test]
    fn rate_limits_refill_over_time() {
        let r = RateLimiter::new(60, 3);
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(r.take("a", t), Ok(()));
        }
        assert_eq!(r.take("a", t), Err(1));
        // another key has its own bucket
        assert_eq!(r.take("b", t), Ok(()));
        assert_eq!(r.take("a", t + Duration::from_millis(1100)), Ok(()));
        assert!(r.take("a", t + Duration::from_millis(1100)).is_err());
        assert_eq!(RateLimiter::new(0, 1).take("a", t), Ok(()));
    }

    #[test]
    fn masks() {
        assert_eq!(mask_name("欧勇"), "欧*");
        assert_eq!(mask_name("欧阳娜娜"), "欧***");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_account("13800000000"), "138****0000");
        assert_eq!(mask_account("user-1"), "u****1");
        assert_eq!(mask_account("ab"), "**");
    }

    #[test]
    fn cors_origins_are_exact() {
        let c = Cors::new(&["https://ggzy.example.cn".into()]).unwrap();
        assert!(c.allows("https://ggzy.example.cn"));
        assert!(!c.allows("https://evil.example.cn"));
        assert!(!c.allows("http://ggzy.example.cn"));
        for bad in ["*", "https://a/", "ggzy.example.cn", "https://*.example.cn"] {
            assert!(Cors::new(&[bad.to_string()]).is_err(), "{bad}");
        }
        assert!(same_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(!same_origin("http://127.0.0.1:8081", "127.0.0.1:8080"));
    }
}
