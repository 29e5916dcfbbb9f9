//! PEM (RFC 7468) reading and writing.
//!
//! Reading is tolerant of what real files contain: explanatory text before
//! and between blocks (e.g. `Bag Attributes` written by `openssl pkcs12`),
//! CRLF line endings, and any line width. It refuses legacy encrypted PEM
//! headers (`Proc-Type: 4,ENCRYPTED`), a missing END line, a mismatched
//! label and invalid base64.

use base64ct::{Base64, Encoding};

use crate::error::{Error, Result};

/// One PEM block: its label and the DER it carries.
#[derive(Clone, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `BEGIN ` and `-----`, e.g. `PRIVATE KEY`.
    pub label: String,
    /// The decoded contents.
    pub der: Vec<u8>,
}

impl std::fmt::Debug for PemBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Blocks may carry private keys: never print the contents.
        f.debug_struct("PemBlock")
            .field("label", &self.label)
            .field("der_len", &self.der.len())
            .finish()
    }
}

impl Drop for PemBlock {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.der);
    }
}

/// True when `data` looks like PEM text rather than DER.
pub fn is_pem(data: &[u8]) -> bool {
    data.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Every PEM block in `text`, in order. Refuses text without any block.
pub fn parse_all(text: &[u8]) -> Result<Vec<PemBlock>> {
    let text = std::str::from_utf8(text).map_err(|_| Error::malformed("PEM", "not UTF-8 text"))?;
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_end();
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body_lines: Vec<&str> = Vec::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if inner == end {
                closed = true;
                break;
            }
            if inner.starts_with("-----") {
                return Err(Error::malformed(
                    "PEM",
                    format!("block {label} ends with {inner}"),
                ));
            }
            if inner.contains(':') {
                return Err(Error::malformed(
                    "PEM",
                    format!(
                        "block {label} has headers (legacy encrypted PEM is not supported; use PKCS#8)"
                    ),
                ));
            }
            body_lines.push(inner);
        }
        if !closed {
            return Err(Error::malformed(
                "PEM",
                format!("block {label} has no END line"),
            ));
        }
        // The base64 text of a private key is the key: gather it into one
        // buffer allocated at its final size (growing would leave copies
        // in freed memory) and wipe it after decoding.
        let mut body = zeroize::Zeroizing::new(String::with_capacity(
            body_lines.iter().map(|l| l.len()).sum(),
        ));
        for l in &body_lines {
            body.push_str(l);
        }
        let der = Base64::decode_vec(&body)
            .map_err(|_| Error::malformed("PEM", format!("block {label} is not valid base64")))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der,
        });
    }
    if blocks.is_empty() {
        return Err(Error::malformed(
            "PEM",
            "no -----BEGIN ...----- block found",
        ));
    }
    Ok(blocks)
}

/// The first PEM block in `text`.
pub fn parse_one(text: &[u8]) -> Result<PemBlock> {
    let mut all = parse_all(text)?;
    Ok(all.swap_remove(0))
}

/// Encode `der` as PEM with `label`, 64-character lines and LF endings.
pub fn encode(label: &str, der: &[u8]) -> String {
    // The base64 of a private key is the key: wipe it (callers wrap the
    // returned String when it carries one).
    let b64 = zeroize::Zeroizing::new(Base64::encode_string(der));
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 2 * label.len() + 40);
    out.push_str("-----BEGIN ");
    out.push_str(label);
    out.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so any chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END ");
    out.push_str(label);
    out.push_str("-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_preamble_and_crlf() {
        let pem = encode("TEST", &[1, 2, 3, 4, 5]);
        let noisy = format!(
            "Bag Attributes\r\n    localKeyID: 01\r\n{}",
            pem.replace('\n', "\r\n")
        );
        let b = parse_one(noisy.as_bytes()).unwrap();
        assert_eq!(b.label, "TEST");
        assert_eq!(b.der, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn refusals() {
        assert!(parse_all(b"nothing here").is_err());
        assert!(parse_all(b"-----BEGIN A-----\nAQID\n").is_err());
        assert!(parse_all(b"-----BEGIN A-----\nAQID\n-----END B-----\n").is_err());
        assert!(parse_all(b"-----BEGIN A-----\n!!!!\n-----END A-----\n").is_err());
        assert!(
            parse_all(b"-----BEGIN A-----\nProc-Type: 4,ENCRYPTED\nAQID\n-----END A-----\n")
                .is_err()
        );
    }

    #[test]
    fn several_blocks() {
        let text = format!("{}{}", encode("A", &[1]), encode("B", &[2]));
        let all = parse_all(text.as_bytes()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].label, "B");
    }
}
