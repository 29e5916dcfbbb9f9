//! The workflows of the app as domain types and pure state machines
//! (manual §1–§18, restated in `DOMAIN.md`): no I/O and no clock — time is
//! a parameter. Every transition checks its state and refuses an illegal
//! step with [`Error::InvalidState`] naming the state; every input from
//! outside is validated here with an error naming the field.
//!
//! Storage lives in [`crate::store`], the services that run the workflows
//! over it in [`crate::workflow`].

pub mod account;
pub mod application;
pub mod audit;
pub mod catalog;
pub mod content;
pub mod enterprise;
pub mod holding;
pub mod order;
pub mod profile;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::time::Date;

/// Longest reason, explanation or description, in characters (§5.2, §11).
pub const MAX_REASON_CHARS: usize = 500;
/// Shortest enterprise search, in characters (§5).
pub const MIN_SEARCH_CHARS: usize = 5;
/// Most enterprises a search returns (§5).
pub const MAX_SEARCH_RESULTS: usize = 10;

/// Trim `value` and check it has `min..=max` characters; the error names
/// `field`.
pub fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<String> {
    let t = value.trim();
    let n = t.chars().count();
    if n < min || n > max {
        let expected = if min == max {
            format!("{min} characters")
        } else if min == 0 {
            format!("at most {max} characters")
        } else {
            format!("{min} to {max} characters")
        };
        return Err(Error::length(field, expected, n));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(Error::param(field, "contains control characters"));
    }
    Ok(t.to_string())
}

/// A reason or description: 1 to 500 characters.
pub fn reason(field: &'static str, value: &str) -> Result<String> {
    text(field, value, 1, MAX_REASON_CHARS)
}

/// A mainland mobile number: 11 digits, `1` then `3`–`9`. Spaces, dashes
/// and a `+86` prefix are accepted and removed.
pub fn mobile(field: &'static str, value: &str) -> Result<String> {
    let t: String = value
        .trim()
        .trim_start_matches("+86")
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    let b = t.as_bytes();
    if b.len() != 11 || !b.iter().all(u8::is_ascii_digit) || b[0] != b'1' || b[1] < b'3' {
        return Err(Error::param(
            field,
            format!("{value:?} is not a mainland mobile number (11 digits starting 13–19)"),
        ));
    }
    Ok(t)
}

/// The last four digits of a mobile number.
pub fn last_four(phone: &str) -> &str {
    &phone[phone.len().saturating_sub(4)..]
}

/// A mobile number with the middle masked: `186****8621` (§8).
pub fn mask_mobile(phone: &str) -> String {
    if phone.len() == 11 {
        format!("{}****{}", &phone[..3], &phone[7..])
    } else {
        "****".into()
    }
}

/// An e-mail address (one `@`, a dotted domain, at most 254 characters).
pub fn email(field: &'static str, value: &str) -> Result<String> {
    let t = text(field, value, 3, 254)?;
    let ok = match t.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !t.contains(char::is_whitespace)
        }
        None => false,
    };
    if ok {
        Ok(t)
    } else {
        Err(Error::param(
            field,
            format!("{value:?} is not an e-mail address"),
        ))
    }
}

/// An amount of money in integer cents (分).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Cents(pub u64);

impl Cents {
    /// Parse yuan as written (`"12"`, `"12.3"`, `"12.34"`); more than two
    /// decimals or a sign is refused.
    pub fn parse_yuan(field: &'static str, text: &str) -> Result<Self> {
        let t = text.trim();
        let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole)
            || t.ends_with('.')
            || (!frac.is_empty() && !digits(frac))
            || frac.len() > 2
        {
            return Err(Error::param(
                field,
                format!("{text:?} is not an amount in yuan with at most two decimals"),
            ));
        }
        let w: u64 = whole
            .parse()
            .map_err(|_| Error::param(field, "amount too large"))?;
        let f: u64 = format!("{frac:0<2}").parse().unwrap_or(0);
        w.checked_mul(100)
            .and_then(|c| c.checked_add(f))
            .map(Cents)
            .ok_or_else(|| Error::param(field, "amount too large"))
    }

    /// `a + b`, refusing overflow.
    pub fn plus(self, other: Cents) -> Result<Cents> {
        self.0
            .checked_add(other.0)
            .map(Cents)
            .ok_or_else(|| Error::param("amount", "overflow"))
    }

    /// `a - b`, saturating at zero.
    pub fn minus(self, other: Cents) -> Cents {
        Cents(self.0.saturating_sub(other.0))
    }
}

impl std::fmt::Display for Cents {
    /// Yuan to the cent: `0.01元`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{:02}元", self.0 / 100, self.0 % 100)
    }
}

/// A range of days, first and last inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DateRange {
    /// First day.
    pub from: Date,
    /// Last day.
    pub to: Date,
}

impl DateRange {
    /// A range; refuses `from` after `to` (the error names `field`).
    pub fn new(field: &'static str, from: Date, to: Date) -> Result<Self> {
        if from > to {
            return Err(Error::param(field, format!("{from} is after {to}")));
        }
        Ok(Self { from, to })
    }

    /// Parse `YYYY-MM-DD` twice.
    pub fn parse(field: &'static str, from: &str, to: &str) -> Result<Self> {
        let d = |s: &str| {
            Date::parse(s).map_err(|_| Error::param(field, format!("{s:?} is not YYYY-MM-DD")))
        };
        Self::new(field, d(from)?, d(to)?)
    }

    /// Does the range include `day`?
    pub fn contains(&self, day: Date) -> bool {
        self.from <= day && day <= self.to
    }
}

impl std::fmt::Display for DateRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} - {}", self.from, self.to)
    }
}

/// An uploaded file (business licence, authorisation letter, appeal
/// letter, ID card photo): kept as its SM3 and size; the bytes go to the
/// document archive, not to the workflow rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// What it is, e.g. "business licence".
    pub what: String,
    /// SM3, hex.
    pub sm3: String,
    /// Size in bytes.
    pub size: usize,
}

/// Largest upload, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 10 * 1024 * 1024;

impl Document {
    /// Take an upload: not empty, at most 10 MiB; the error names `field`.
    pub fn upload(field: &'static str, bytes: &[u8]) -> Result<Self> {
        if bytes.is_empty() || bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(Error::length(field, "1 byte to 10 MiB", bytes.len()));
        }
        Ok(Self {
            what: field.to_string(),
            sm3: crate::hex::encode(&crate::crypto::sm3(bytes)),
            size: bytes.len(),
        })
    }
}

/// The "can't do that in this state" error.
pub(crate) fn invalid_state(
    entity: &'static str,
    state: impl Into<String>,
    action: &'static str,
) -> Error {
    Error::InvalidState {
        entity,
        state: state.into(),
        action,
    }
}

/// The "you may not" error.
pub(crate) fn forbidden(actor: &str, action: &'static str, reason: impl Into<String>) -> Error {
    Error::Forbidden {
        actor: actor.to_string(),
        action,
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_validation_names_the_field() {
        assert_eq!(mobile("phone", "+86 186-1234-8621").unwrap(), "18612348621");
        for bad in ["1861234862", "28612348621", "12612348621", "1861234862x"] {
            let e = mobile("phone", bad).unwrap_err();
            assert!(
                matches!(e, Error::InvalidParameter { name: "phone", .. }),
                "{bad}"
            );
        }
        assert!(reason("reason", &"字".repeat(500)).is_ok());
        let e = reason("reason", &"字".repeat(501)).unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidLength {
                what: "reason",
                actual: 501,
                ..
            }
        ));
        assert!(reason("reason", "   ").is_err());
        assert!(email("email", "a@b.cn").is_ok());
        for bad in ["a@b", "@b.cn", "a@@b.cn", "a b@c.cn", "a@.cn"] {
            assert!(email("email", bad).is_err(), "{bad}");
        }
        assert_eq!(Cents::parse_yuan("amount", "12.3").unwrap(), Cents(1230));
        assert_eq!(Cents::parse_yuan("amount", "0.01").unwrap(), Cents(1));
        for bad in ["-1", "1.234", "", "1.", "abc", "99999999999999999999"] {
            assert!(Cents::parse_yuan("amount", bad).is_err(), "{bad}");
        }
        assert_eq!(Cents(1).to_string(), "0.01元");
        assert_eq!(mask_mobile("18612348621"), "186****8621");
        assert!(DateRange::parse("period", "2025-04-30", "2025-04-11").is_err());
        assert!(DateRange::parse("period", "2025-04-11", "2025-04-30").is_ok());
    }
}
