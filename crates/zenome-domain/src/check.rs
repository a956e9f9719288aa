//! ISO/IEC 7064 MOD 37-36 check characters (the hybrid system over `0-9A-Z`).
//!
//! The hybrid system detects every single-character substitution and every
//! transposition of adjacent characters, so a mistyped id is rejected instead
//! of being matched to another person.

/// The 36 characters of the alphabet, in value order.
pub const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

const M: u32 = 36;

/// The value of an alphabet character, or `None` for anything else
/// (lower case is not accepted: ids are printed and typed in upper case).
pub fn value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some(u32::from(c - b'0')),
        b'A'..=b'Z' => Some(u32::from(c - b'A') + 10),
        _ => None,
    }
}

/// The check character for `body`, or `None` if `body` holds a character
/// outside the alphabet.
pub fn check_char(body: &str) -> Option<char> {
    let mut p = M;
    for c in body.bytes() {
        let v = value(c)?;
        let mut s = (p + v) % M;
        if s == 0 {
            s = M;
        }
        p = (s * 2) % (M + 1);
    }
    let check = (M + 1 - p) % M;
    Some(char::from(ALPHABET[check as usize]))
}

/// Whether the last character of `full` is the check character of the rest.
pub fn is_valid(full: &str) -> bool {
    let Some((body, check)) = full.char_indices().last().map(|(i, c)| (&full[..i], c)) else {
        return false;
    };
    !body.is_empty() && check_char(body) == Some(check)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_check_char_validates() {
        for body in ["A", "ZP12345678", "SP0000", "HELLOWORLD", "9Z9Z9Z"] {
            let c = check_char(body).unwrap();
            assert!(is_valid(&format!("{body}{c}")), "{body}{c}");
        }
    }

    #[test]
    fn every_single_substitution_is_detected() {
        let body = "ZP7K2M9Q4X";
        let full = format!("{body}{}", check_char(body).unwrap());
        let bytes = full.as_bytes();
        for i in 0..bytes.len() {
            for &a in ALPHABET {
                if a == bytes[i] {
                    continue;
                }
                let mut typo = bytes.to_vec();
                typo[i] = a;
                let typo = String::from_utf8(typo).unwrap();
                assert!(!is_valid(&typo), "substitution not detected: {typo}");
            }
        }
    }

    #[test]
    fn every_adjacent_transposition_is_detected() {
        let body = "ZP7K2M9Q4X";
        let full = format!("{body}{}", check_char(body).unwrap());
        let bytes = full.as_bytes();
        for i in 0..bytes.len() - 1 {
            if bytes[i] == bytes[i + 1] {
                continue;
            }
            let mut typo = bytes.to_vec();
            typo.swap(i, i + 1);
            let typo = String::from_utf8(typo).unwrap();
            assert!(!is_valid(&typo), "transposition not detected: {typo}");
        }
    }

    #[test]
    fn characters_outside_the_alphabet_are_invalid() {
        assert_eq!(check_char("ab"), None);
        assert!(!is_valid("zp1"));
        assert!(!is_valid(""));
        assert!(!is_valid("A"));
    }
}
