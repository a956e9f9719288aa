//! Identifiers that carry a check character: participant ids and barcodes.
//!
//! Neither type can be constructed without a valid check character, so code
//! that holds one never has to wonder whether it was validated.

use std::fmt;
use std::str::FromStr;

use crate::DomainError;
use crate::check;

/// The pseudonymous id of a participant: `ZP`, eight characters of `0-9A-Z`
/// and an ISO 7064 MOD 37-36 check character, e.g. `ZP7K2M9Q4XH`.
///
/// It is the only handle on a person that leaves the collecting facility.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(String);

impl ParticipantId {
    /// The fixed prefix of every participant id.
    pub const PREFIX: &'static str = "ZP";
    /// Characters between the prefix and the check character.
    pub const BODY_LEN: usize = 8;

    /// Builds an id from its eight body characters, adding the check character.
    pub fn from_body(body: &str) -> Result<Self, DomainError> {
        if body.len() != Self::BODY_LEN || !body.bytes().all(|b| check::value(b).is_some()) {
            return Err(DomainError::invalid(
                "participant_id",
                format!("the body must be {} characters of 0-9A-Z", Self::BODY_LEN),
            ));
        }
        let without = format!("{}{body}", Self::PREFIX);
        let c = check::check_char(&without).expect("alphabet checked above");
        Ok(Self(format!("{without}{c}")))
    }

    /// Draws a fresh id from random bytes (the caller owns the randomness).
    pub fn from_random(bytes: [u8; Self::BODY_LEN]) -> Self {
        let body: String = bytes
            .iter()
            .map(|b| char::from(check::ALPHABET[usize::from(*b) % 36]))
            .collect();
        Self::from_body(&body).expect("body drawn from the alphabet")
    }

    /// The id as printed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ParticipantId {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_uppercase();
        let expected = Self::PREFIX.len() + Self::BODY_LEN + 1;
        if !s.starts_with(Self::PREFIX) || s.len() != expected {
            return Err(DomainError::invalid(
                "participant_id",
                format!(
                    "expected {} followed by {} characters",
                    Self::PREFIX,
                    expected - 2
                ),
            ));
        }
        if !s.bytes().all(|b| check::value(b).is_some()) {
            return Err(DomainError::invalid(
                "participant_id",
                "only the characters 0-9 and A-Z are allowed",
            ));
        }
        if !check::is_valid(&s) {
            return Err(DomainError::invalid(
                "participant_id",
                "check character does not match (mistyped id?)",
            ));
        }
        Ok(Self(s))
    }
}

impl fmt::Display for ParticipantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a barcode is stuck on; its two-letter prefix says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BarcodeKind {
    /// `SP`: a specimen as collected (a tube of blood, a block of tissue).
    Specimen,
    /// `AL`: an aliquot split from a specimen.
    Aliquot,
    /// `EX`: a nucleic-acid extract.
    Extract,
    /// `LB`: a sequencing library.
    Library,
}

impl BarcodeKind {
    /// The two-letter prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            Self::Specimen => "SP",
            Self::Aliquot => "AL",
            Self::Extract => "EX",
            Self::Library => "LB",
        }
    }

    fn from_prefix(p: &str) -> Option<Self> {
        Some(match p {
            "SP" => Self::Specimen,
            "AL" => Self::Aliquot,
            "EX" => Self::Extract,
            "LB" => Self::Library,
            _ => return None,
        })
    }
}

/// A tube or plate barcode: kind prefix, 4 to 20 characters of `0-9A-Z`, and a
/// MOD 37-36 check character over all of it, e.g. `SP00012345Q`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Barcode(String);

impl Barcode {
    /// Shortest body.
    pub const MIN_BODY: usize = 4;
    /// Longest body.
    pub const MAX_BODY: usize = 20;

    /// Builds a barcode of `kind` from its body, adding the check character.
    pub fn new(kind: BarcodeKind, body: &str) -> Result<Self, DomainError> {
        if !(Self::MIN_BODY..=Self::MAX_BODY).contains(&body.len())
            || !body.bytes().all(|b| check::value(b).is_some())
        {
            return Err(DomainError::invalid(
                "barcode",
                format!(
                    "the body must be {} to {} characters of 0-9A-Z",
                    Self::MIN_BODY,
                    Self::MAX_BODY
                ),
            ));
        }
        let without = format!("{}{body}", kind.prefix());
        let c = check::check_char(&without).expect("alphabet checked above");
        Ok(Self(format!("{without}{c}")))
    }

    /// Parses a barcode and checks that it labels `kind`.
    pub fn parse_for(s: &str, kind: BarcodeKind) -> Result<Self, DomainError> {
        let b: Self = s.parse()?;
        if b.kind() != kind {
            return Err(DomainError::invalid(
                "barcode",
                format!(
                    "a {} barcode must start with {}",
                    kind_name(kind),
                    kind.prefix()
                ),
            ));
        }
        Ok(b)
    }

    /// What the barcode labels.
    pub fn kind(&self) -> BarcodeKind {
        BarcodeKind::from_prefix(&self.0[..2]).expect("validated on construction")
    }

    /// The barcode as printed.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn kind_name(kind: BarcodeKind) -> &'static str {
    match kind {
        BarcodeKind::Specimen => "specimen",
        BarcodeKind::Aliquot => "aliquot",
        BarcodeKind::Extract => "extract",
        BarcodeKind::Library => "library",
    }
}

impl FromStr for Barcode {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_uppercase();
        let len = s.len();
        if !(2 + Self::MIN_BODY + 1..=2 + Self::MAX_BODY + 1).contains(&len) {
            return Err(DomainError::invalid(
                "barcode",
                format!(
                    "expected a two-letter prefix, {} to {} characters and a check character",
                    Self::MIN_BODY,
                    Self::MAX_BODY
                ),
            ));
        }
        // `get`, not `[..2]`: two bytes may end inside a multi-byte character
        if s.get(..2).and_then(BarcodeKind::from_prefix).is_none() {
            return Err(DomainError::invalid(
                "barcode",
                "unknown prefix (expected SP, AL, EX or LB)",
            ));
        }
        if !s.bytes().all(|b| check::value(b).is_some()) {
            return Err(DomainError::invalid(
                "barcode",
                "only the characters 0-9 and A-Z are allowed",
            ));
        }
        if !check::is_valid(&s) {
            return Err(DomainError::invalid(
                "barcode",
                "check character does not match (mistyped barcode?)",
            ));
        }
        Ok(Self(s))
    }
}

impl fmt::Display for Barcode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participant_id_round_trips_and_rejects_typos() {
        let id = ParticipantId::from_body("7K2M9Q4X").unwrap();
        assert_eq!(id.as_str().len(), 11);
        let parsed: ParticipantId = id.as_str().parse().unwrap();
        assert_eq!(parsed, id);
        // lower case typed by a person is accepted
        let lower: ParticipantId = id.as_str().to_lowercase().parse().unwrap();
        assert_eq!(lower, id);
        // one character changed
        let mut typo = id.as_str().to_string();
        typo.replace_range(4..5, if &typo[4..5] == "2" { "3" } else { "2" });
        let err = typo.parse::<ParticipantId>().unwrap_err();
        assert_eq!(err.field(), Some("participant_id"));
        assert!(err.to_string().contains("check character"));
    }

    #[test]
    fn participant_id_rejects_wrong_shape() {
        for bad in [
            "",
            "ZP",
            "XX7K2M9Q4XH",
            "ZP7K2M9Q4X",
            "ZP7K2M9Q4X-H",
            "ZP7K2M9Q4XHH",
        ] {
            assert!(bad.parse::<ParticipantId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn barcode_kind_and_check() {
        let b = Barcode::new(BarcodeKind::Library, "000123").unwrap();
        assert_eq!(b.kind(), BarcodeKind::Library);
        assert!(Barcode::parse_for(b.as_str(), BarcodeKind::Library).is_ok());
        let err = Barcode::parse_for(b.as_str(), BarcodeKind::Specimen).unwrap_err();
        assert!(err.to_string().contains("must start with SP"));
        let mut typo = b.as_str().to_string();
        typo.pop();
        typo.push(if b.as_str().ends_with('0') { '1' } else { '0' });
        assert!(typo.parse::<Barcode>().is_err());
        assert!("QQ0001X".parse::<Barcode>().is_err());
    }
}
