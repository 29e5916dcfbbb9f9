//! RFC 3339 times at the edges (command line, JSON). The library itself
//! takes `SystemTime` parameters: time is always injected.

use std::time::{Duration, SystemTime};

use crate::error::{Error, Result};

/// Parse `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `±HH:MM` (a date alone
/// means midnight UTC).
pub fn parse_rfc3339(text: &str) -> Result<SystemTime> {
    let bad = || {
        Error::param(
            "time",
            format!("{text:?} is not RFC 3339 (e.g. 2026-05-01T08:00:00Z)"),
        )
    };
    let t = text.trim();
    let (date, rest) = t.split_at(t.len().min(10));
    let d: Vec<&str> = date.split('-').collect();
    if d.len() != 3 || d[0].len() != 4 || d[1].len() != 2 || d[2].len() != 2 {
        return Err(bad());
    }
    let num = |s: &str| s.parse::<u16>().map_err(|_| bad());
    let (year, month, day) = (num(d[0])?, num(d[1])?, num(d[2])?);
    let (mut hour, mut minute, mut second, mut offset_secs) = (0u16, 0u16, 0u16, 0i64);
    if !rest.is_empty() {
        let rest = rest.strip_prefix(['T', 't', ' ']).ok_or_else(bad)?;
        if rest.len() < 8 {
            return Err(bad());
        }
        let (clock, zone) = rest.split_at(8);
        let c: Vec<&str> = clock.split(':').collect();
        if c.len() != 3 {
            return Err(bad());
        }
        hour = num(c[0])?;
        minute = num(c[1])?;
        second = num(c[2])?;
        offset_secs = match zone {
            "Z" | "z" => 0,
            z if z.len() == 6 && (z.starts_with('+') || z.starts_with('-')) => {
                let h = i64::from(num(&z[1..3])?);
                let m = i64::from(num(&z[4..6])?);
                let s = (h * 60 + m) * 60;
                if z.starts_with('+') { s } else { -s }
            }
            _ => return Err(bad()),
        };
    }
    let dt = der::DateTime::new(
        year,
        month as u8,
        day as u8,
        hour as u8,
        minute as u8,
        second as u8,
    )
    .map_err(|_| bad())?;
    let utc = dt.unix_duration().as_secs() as i64 - offset_secs;
    if utc < 0 {
        return Err(bad());
    }
    Ok(SystemTime::UNIX_EPOCH + Duration::from_secs(utc as u64))
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_rfc3339(t: SystemTime) -> String {
    match der::DateTime::from_system_time(t) {
        Ok(d) => format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            d.year(),
            d.month(),
            d.day(),
            d.hour(),
            d.minutes(),
            d.seconds()
        ),
        Err(_) => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_offsets() {
        let t = parse_rfc3339("2026-05-01T08:00:00Z").unwrap();
        assert_eq!(format_rfc3339(t), "2026-05-01T08:00:00Z");
        assert_eq!(parse_rfc3339("2026-05-01T16:00:00+08:00").unwrap(), t);
        assert_eq!(
            format_rfc3339(parse_rfc3339("2026-05-01").unwrap()),
            "2026-05-01T00:00:00Z"
        );
        for bad in [
            "2026-5-1",
            "2026-05-01T08:00",
            "2026-13-01T00:00:00Z",
            "x",
            "2026-05-01T08:00:00+8",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}

/// Serde adapters that write times as RFC 3339 strings.
pub mod serde_rfc3339 {
    use std::time::SystemTime;

    /// A time as an RFC 3339 string.
    pub fn serialize<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_rfc3339(*t))
    }

    /// An optional time as an RFC 3339 string or null.
    pub fn serialize_opt<S: serde::Serializer>(
        t: &Option<SystemTime>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format_rfc3339(*t)),
            None => s.serialize_none(),
        }
    }

    /// A time from an RFC 3339 string.
    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        super::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }

    /// An optional time as an RFC 3339 string or null.
    pub mod option {
        use std::time::SystemTime;

        /// Write.
        pub fn serialize<S: serde::Serializer>(
            t: &Option<SystemTime>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            super::serialize_opt(t, s)
        }

        /// Read.
        pub fn deserialize<'de, D: serde::Deserializer<'de>>(
            d: D,
        ) -> Result<Option<SystemTime>, D::Error> {
            let text = <Option<String> as serde::Deserialize>::deserialize(d)?;
            text.map(|t| crate::time::parse_rfc3339(&t).map_err(serde::de::Error::custom))
                .transpose()
        }
    }
}

/// A calendar date (UTC), for grant ranges and validity shown in days.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Date {
    days: i64,
}

impl Date {
    /// `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if t.len() != 10 {
            return Err(Error::param("date", format!("{text:?} is not YYYY-MM-DD")));
        }
        Ok(Self::from_time(parse_rfc3339(t).map_err(|_| {
            Error::param("date", format!("{text:?} is not YYYY-MM-DD"))
        })?))
    }

    /// The UTC date of `t`.
    pub fn from_time(t: SystemTime) -> Self {
        let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
            Ok(d) => d.as_secs() as i64,
            Err(e) => -(e.duration().as_secs() as i64) - 1,
        };
        Self {
            days: secs.div_euclid(86_400),
        }
    }

    /// Midnight UTC at the start of the date.
    pub fn start(self) -> SystemTime {
        if self.days >= 0 {
            SystemTime::UNIX_EPOCH + Duration::from_secs(self.days as u64 * 86_400)
        } else {
            SystemTime::UNIX_EPOCH - Duration::from_secs((-self.days) as u64 * 86_400)
        }
    }

    /// The date `n` days later (or earlier, for negative `n`).
    pub fn add_days(self, n: i64) -> Self {
        Self {
            days: self.days + n,
        }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = format_rfc3339(self.start());
        f.write_str(&s[..10.min(s.len())])
    }
}

impl std::str::FromStr for Date {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}
