//! Organisations that take part: collecting facilities and sequencing centres.

use std::fmt;
use std::str::FromStr;

use crate::DomainError;

/// The short code of an organisation: 2 to 16 characters of `A-Z`, `0-9`, `-`,
/// starting with a letter, e.g. `TKY-UH`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode(String);

impl OrgCode {
    /// The code as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for OrgCode {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let ok = (2..=16).contains(&s.len())
            && s.as_bytes()[0].is_ascii_uppercase()
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(DomainError::invalid(
                "code",
                "2 to 16 characters of A-Z, 0-9 and '-', starting with a letter",
            ));
        }
        Ok(Self(s.to_string()))
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What an organisation does in the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrgKind {
    /// A hospital or biobank that registers participants and specimens.
    CollectingFacility,
    /// A centre that sequences libraries and submits reads and calls.
    SequencingCentre,
}

impl OrgKind {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CollectingFacility => "collecting_facility",
            Self::SequencingCentre => "sequencing_centre",
        }
    }
}

impl FromStr for OrgKind {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "collecting_facility" => Ok(Self::CollectingFacility),
            "sequencing_centre" => Ok(Self::SequencingCentre),
            _ => Err(DomainError::invalid(
                "kind",
                "expected collecting_facility or sequencing_centre",
            )),
        }
    }
}

/// A registered organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    /// Its code.
    pub code: OrgCode,
    /// What it does.
    pub kind: OrgKind,
    /// Name in English.
    pub name: String,
    /// Name in Japanese.
    pub name_ja: String,
}

impl Organisation {
    /// Checks the names (the code and kind are typed already).
    pub fn new(
        code: OrgCode,
        kind: OrgKind,
        name: &str,
        name_ja: &str,
    ) -> Result<Self, DomainError> {
        let name = name.trim();
        let name_ja = name_ja.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(DomainError::invalid("name", "1 to 200 characters"));
        }
        if name_ja.is_empty() || name_ja.chars().count() > 200 {
            return Err(DomainError::invalid("name_ja", "1 to 200 characters"));
        }
        Ok(Self {
            code,
            kind,
            name: name.to_string(),
            name_ja: name_ja.to_string(),
        })
    }
}
