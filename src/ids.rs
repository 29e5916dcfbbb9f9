//! Identifiers of people and enterprises, validated at the boundary.
//!
//! * Resident ID numbers (居民身份证号码), GB 11643-1999: 17 digits and an
//!   ISO 7064 MOD 11-2 check character (`0`-`9` or `X`), with a real
//!   birth date in positions 7-14.
//! * Unified social credit codes (统一社会信用代码), GB 32100-2015: 18
//!   characters from `0-9A-HJ-NP-RTUW-Y`, the last a MOD 31 check
//!   character.

use crate::error::{Error, Result};

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// Validate a resident ID number; returns it with a lower-case `x`
/// normalised to `X`.
pub fn validate_id_number(text: &str) -> Result<String> {
    let field = "ID number";
    let s = text.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err(Error::length(field, "18 characters", b.len()));
    }
    if !b[..17].iter().all(u8::is_ascii_digit) {
        return Err(Error::param(
            field,
            "the first 17 characters must be digits",
        ));
    }
    let sum: u32 = b[..17]
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let expected = ID_CHECK[(sum % 11) as usize];
    if b[17] != expected {
        return Err(Error::param(
            field,
            format!(
                "check character is {}, expected {}",
                char::from(b[17]),
                char::from(expected)
            ),
        ));
    }
    let year: u32 = s[6..10].parse().unwrap_or(0);
    let month: u32 = s[10..12].parse().unwrap_or(0);
    let day: u32 = s[12..14].parse().unwrap_or(0);
    if !(1900..=2100).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return Err(Error::param(
            field,
            format!("birth date {} is not a date", &s[6..14]),
        ));
    }
    Ok(s)
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

const USCC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Validate a unified social credit code; returns it upper-cased.
pub fn validate_credit_code(text: &str) -> Result<String> {
    let field = "unified social credit code";
    let s = text.trim().to_ascii_uppercase();
    let b = s.as_bytes();
    if b.len() != 18 {
        return Err(Error::length(field, "18 characters", b.len()));
    }
    let mut values = [0u32; 18];
    for (i, c) in b.iter().enumerate() {
        let v = USCC_CHARS.iter().position(|x| x == c).ok_or_else(|| {
            Error::param(
                field,
                format!(
                    "character {:?} at position {} is not allowed",
                    char::from(*c),
                    i + 1
                ),
            )
        })?;
        values[i] = v as u32;
    }
    let sum: u32 = values[..17]
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(v, w)| v * w)
        .sum();
    let check = (31 - sum % 31) % 31;
    if values[17] != check {
        return Err(Error::param(
            field,
            format!(
                "check character is {}, expected {}",
                char::from(b[17]),
                char::from(USCC_CHARS[check as usize])
            ),
        ));
    }
    Ok(s)
}

/// The ID number with the right check character after these 17 digits
/// (for test fixtures and demos).
pub fn complete_id_number(first17: &str) -> Result<String> {
    ID_CHECK
        .iter()
        .map(|c| format!("{first17}{}", char::from(*c)))
        .find(|s| validate_id_number(s).is_ok())
        .ok_or_else(|| {
            Error::param(
                "ID number",
                "no check character makes these 17 digits valid",
            )
        })
}

/// The credit code with the right check character after these 17
/// characters (for test fixtures and demos).
pub fn complete_credit_code(first17: &str) -> Result<String> {
    USCC_CHARS
        .iter()
        .map(|c| format!("{first17}{}", char::from(*c)))
        .find(|s| validate_credit_code(s).is_ok())
        .ok_or_else(|| {
            Error::param(
                "unified social credit code",
                "no check character makes these 17 characters valid",
            )
        })
}

/// Mask an ID number as the app shows it: the first six characters, five
/// asterisks, the last four (`652928*****3321`). Shorter input is masked
/// entirely.
pub fn mask_id_number(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 10 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..6].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}*****{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        assert_eq!(
            validate_id_number("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        assert!(validate_id_number("110105194912310021").is_err()); // wrong check
        assert!(validate_id_number("11010519491331002X").is_err()); // month 13 (and check)
        assert!(validate_id_number("1101051949123100").is_err());
        assert!(validate_id_number("11010519491231002Y").is_err());
        assert_eq!(mask_id_number("650103199001011310"), "650103*****1310");
    }

    #[test]
    fn credit_codes() {
        // From the manual's enterprise example.
        assert_eq!(
            validate_credit_code("9165010039960151x0").unwrap(),
            "9165010039960151X0"
        );
        assert!(validate_credit_code("9165010039960151X1").is_err());
        assert!(validate_credit_code("9165010039960151I0").is_err());
        assert!(validate_credit_code("91650100").is_err());
    }
}
