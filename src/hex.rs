//! Hexadecimal encoding and decoding (lower or upper case in, either out).

use crate::error::{Error, Result};

/// Lower-case hex of `data`.
pub fn encode(data: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(data.len() * 2);
    for b in data {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Upper-case hex of `data`.
pub fn encode_upper(data: &[u8]) -> String {
    encode(data).to_ascii_uppercase()
}

/// Decode hex, ignoring ASCII white space between digits.
pub fn decode(text: &str) -> Result<Vec<u8>> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(Error::malformed("hex", "odd number of digits"));
    }
    digits
        .chunks_exact(2)
        .map(|pair| Ok((nibble(pair[0])? << 4) | nibble(pair[1])?))
        .collect()
}

fn nibble(c: u8) -> Result<u8> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(Error::malformed(
            "hex",
            format!("invalid digit {:?}", char::from(c)),
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip_and_refusals() {
        assert_eq!(super::encode(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(super::decode("00 AB ff").unwrap(), vec![0, 0xab, 0xff]);
        assert!(super::decode("abc").is_err());
        assert!(super::decode("zz").is_err());
    }
}
