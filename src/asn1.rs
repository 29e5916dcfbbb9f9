//! A small strict DER reader and writer for the structures the SDK parses
//! by hand (where keeping the exact bytes or precise errors matters).
//!
//! The reader accepts only definite, minimally encoded lengths and
//! single-byte tags, and reports errors as [`Error::Malformed`] naming the
//! structure being read.

use std::time::SystemTime;

use crate::error::{Error, Result};

/// SEQUENCE (constructed).
pub const TAG_SEQUENCE: u8 = 0x30;
/// INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;
/// NULL.
pub const TAG_NULL: u8 = 0x05;

/// UTCTime.
pub const TAG_UTC_TIME: u8 = 0x17;
/// GeneralizedTime.
pub const TAG_GENERALIZED_TIME: u8 = 0x18;

/// A cursor over fixed-layout binary (not DER): the PIN container and the
/// QR challenge. Errors name `what` and say "truncated".
pub(crate) struct ByteCursor<'a> {
    what: &'static str,
    data: &'a [u8],
}

impl<'a> ByteCursor<'a> {
    pub(crate) fn new(what: &'static str, data: &'a [u8]) -> Self {
        Self { what, data }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.data.len() < n {
            return Err(Error::malformed(self.what, "truncated"));
        }
        let (head, rest) = self.data.split_at(n);
        self.data = rest;
        Ok(head)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    /// The next byte.
    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    /// What is left unread.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len()
    }
}

/// A cursor over DER content.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    what: &'static str,
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Read `data`, naming errors after `what`.
    pub fn new(what: &'static str, data: &'a [u8]) -> Self {
        Self { what, data }
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.data.first().copied()
    }

    /// Read the next element as (tag, full TLV bytes, content).
    pub fn any(&mut self) -> Result<(u8, &'a [u8], &'a [u8])> {
        let data = self.data;
        let (&tag, rest) = data
            .split_first()
            .ok_or_else(|| Error::malformed(self.what, "unexpected end of data"))?;
        if tag & 0x1f == 0x1f {
            return Err(Error::malformed(
                self.what,
                "multi-byte tags are not supported",
            ));
        }
        let (&first, rest) = rest
            .split_first()
            .ok_or_else(|| Error::malformed(self.what, "missing length"))?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 {
                return Err(Error::malformed(self.what, "indefinite length is not DER"));
            }
            if n > 4 || rest.len() < n {
                return Err(Error::malformed(
                    self.what,
                    "length field too long or truncated",
                ));
            }
            let mut len = 0usize;
            for &b in &rest[..n] {
                len = (len << 8) | usize::from(b);
            }
            if rest[0] == 0 || len < 0x80 {
                return Err(Error::malformed(
                    self.what,
                    "length is not minimally encoded",
                ));
            }
            (len, &rest[n..])
        };
        if rest.len() < len {
            return Err(Error::malformed(
                self.what,
                format!("element of {len} bytes but only {} remain", rest.len()),
            ));
        }
        let header = data.len() - rest.len();
        let full = &data[..header + len];
        let content = &rest[..len];
        self.data = &rest[len..];
        Ok((tag, full, content))
    }

    /// Read the next element, which must carry `tag`, and return a reader
    /// over its content.
    pub fn expect(&mut self, tag: u8) -> Result<Reader<'a>> {
        let found = self.peek_tag();
        if found != Some(tag) {
            return Err(Error::malformed(
                self.what,
                match found {
                    Some(t) => format!("expected tag 0x{tag:02x}, found 0x{t:02x}"),
                    None => format!("expected tag 0x{tag:02x}, found end of data"),
                },
            ));
        }
        let (_, _, content) = self.any()?;
        Ok(Reader {
            what: self.what,
            data: content,
        })
    }

    /// A non-negative INTEGER of at most `N` bytes, left-padded to `N`.
    pub fn uint_fixed<const N: usize>(&mut self, name: &str) -> Result<[u8; N]> {
        let content = self.expect(TAG_INTEGER)?.rest();
        let value = uint_value(self.what, name, content)?;
        if value.len() > N {
            return Err(Error::malformed(
                self.what,
                format!("INTEGER {name} is longer than {N} bytes"),
            ));
        }
        let mut out = [0u8; N];
        out[N - value.len()..].copy_from_slice(value);
        Ok(out)
    }

    /// All that is left, consuming it.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.data)
    }

    /// Refuse trailing data.
    pub fn finish(&self) -> Result<()> {
        if self.data.is_empty() {
            Ok(())
        } else {
            Err(Error::malformed(
                self.what,
                format!("{} trailing bytes", self.data.len()),
            ))
        }
    }
}

/// The magnitude bytes of a DER INTEGER's content, refusing negative and
/// non-minimal encodings.
fn uint_value<'a>(what: &'static str, name: &str, content: &'a [u8]) -> Result<&'a [u8]> {
    match content {
        [] => Err(Error::malformed(what, format!("INTEGER {name} is empty"))),
        [b, ..] if b & 0x80 != 0 => Err(Error::malformed(
            what,
            format!("INTEGER {name} is negative"),
        )),
        [0, b, ..] if b & 0x80 == 0 => Err(Error::malformed(
            what,
            format!("INTEGER {name} has a non-minimal leading zero"),
        )),
        [0, rest @ ..] if !rest.is_empty() => Ok(rest),
        _ => Ok(content),
    }
}

/// Encode one TLV with a single-byte tag.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(bytes.len() - 1);
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Encode a non-negative big-endian magnitude as a minimal DER INTEGER.
pub fn uint(magnitude: &[u8]) -> Vec<u8> {
    let first = magnitude.iter().position(|&b| b != 0);
    let digits: &[u8] = match first {
        Some(i) => &magnitude[i..],
        None => &[0],
    };
    if digits[0] & 0x80 != 0 {
        let mut c = Vec::with_capacity(digits.len() + 1);
        c.push(0);
        c.extend_from_slice(digits);
        tlv(TAG_INTEGER, &c)
    } else {
        tlv(TAG_INTEGER, digits)
    }
}

/// Parse UTCTime or GeneralizedTime content (whole seconds, `Z`; fractions dropped).
pub fn parse_time(tag: u8, content: &[u8]) -> Result<SystemTime> {
    let s = std::str::from_utf8(content).map_err(|_| Error::malformed("time", "not ASCII"))?;
    let s = s.trim_end_matches('Z');
    // Drop fractional seconds if any.
    let s = s.split('.').next().unwrap_or(s);
    let full = match tag {
        TAG_UTC_TIME if s.len() == 12 => {
            let yy: u32 = s[..2]
                .parse()
                .map_err(|_| Error::malformed("time", "bad year"))?;
            format!("{}{s}", if yy >= 50 { "19" } else { "20" })
        }
        TAG_GENERALIZED_TIME if s.len() == 14 => s.to_string(),
        _ => return Err(Error::malformed("time", "unexpected form")),
    };
    if !full.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::malformed("time", "not digits"));
    }
    crate::time::parse_rfc3339(&format!(
        "{}-{}-{}T{}:{}:{}Z",
        &full[..4],
        &full[4..6],
        &full[6..8],
        &full[8..10],
        &full[10..12],
        &full[12..14]
    ))
}

/// A time as UTCTime (`utc`) or GeneralizedTime, whole seconds, `Z`.
pub fn time_der(t: SystemTime, utc: bool) -> Result<Vec<u8>> {
    let s = crate::time::format_rfc3339(t);
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if digits.len() != 14 {
        return Err(Error::param("time", "cannot be encoded"));
    }
    if utc {
        let year: u32 = digits[..4].parse().unwrap_or(0);
        if !(1950..2050).contains(&year) {
            return Err(Error::param("time", "UTCTime covers 1950 to 2049 only"));
        }
        Ok(tlv(TAG_UTC_TIME, format!("{}Z", &digits[2..]).as_bytes()))
    } else {
        Ok(tlv(TAG_GENERALIZED_TIME, format!("{digits}Z").as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip() {
        for n in [0usize, 1, 127, 128, 255, 256, 70000] {
            let enc = tlv(TAG_OCTET_STRING, &vec![7u8; n]);
            let mut r = Reader::new("test", &enc);
            assert_eq!(r.expect(TAG_OCTET_STRING).unwrap().rest().len(), n);
            r.finish().unwrap();
        }
    }

    #[test]
    fn refuses_non_der_lengths() {
        // 0x81 0x05: long form for a short length.
        assert!(
            Reader::new("t", &[0x04, 0x81, 0x05, 1, 2, 3, 4, 5])
                .any()
                .is_err()
        );
        // indefinite
        assert!(Reader::new("t", &[0x30, 0x80, 0, 0]).any().is_err());
        // truncated
        assert!(Reader::new("t", &[0x04, 0x05, 1]).any().is_err());
    }

    #[test]
    fn integers() {
        assert_eq!(uint(&[0, 0, 0x80]), vec![2, 2, 0, 0x80]);
        assert_eq!(uint(&[0, 0]), vec![2, 1, 0]);
        let mut r = Reader::new("t", &[2, 2, 0, 0x7f]);
        assert!(r.uint_fixed::<4>("x").is_err());
        let mut r = Reader::new("t", &[2, 1, 0xff]);
        assert!(r.uint_fixed::<4>("x").is_err());
        let mut r = Reader::new("t", &[2, 2, 0, 0xff]);
        assert_eq!(r.uint_fixed::<2>("x").unwrap(), [0, 0xff]);
    }
}
