//! A research purpose as an application states it, in the terms DUO
//! matching needs.

use std::fmt;
use std::str::FromStr;

use crate::DomainError;
use crate::consent::MondoId;

/// What the research is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PurposeScope {
    /// Research of any kind, not limited to health (needs GRU consent).
    General,
    /// Health, medical or biomedical research not tied to one disease.
    HealthMedical,
    /// Research on one disease (and its subtypes).
    Disease(MondoId),
    /// Population origins or ancestry research.
    Ancestry,
    /// Development of methods (algorithms, software).
    Methods,
}

impl PurposeScope {
    /// The stored and wire name (`disease` for a disease-specific scope).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::General => "general",
            Self::HealthMedical => "health_medical",
            Self::Disease(_) => "disease",
            Self::Ancestry => "ancestry",
            Self::Methods => "methods",
        }
    }

    /// Parses a scope; `disease` needs the MONDO id.
    pub fn parse(s: &str, disease: Option<&str>) -> Result<Self, DomainError> {
        Ok(match s {
            "general" => Self::General,
            "health_medical" => Self::HealthMedical,
            "disease" => Self::Disease(
                disease
                    .ok_or_else(|| {
                        DomainError::invalid(
                            "purpose.disease",
                            "a disease purpose names its MONDO id",
                        )
                    })?
                    .parse()
                    .map_err(|_| {
                        DomainError::invalid(
                            "purpose.disease",
                            "expected a MONDO id such as MONDO:0008903",
                        )
                    })?,
            ),
            "ancestry" => Self::Ancestry,
            "methods" => Self::Methods,
            _ => {
                return Err(DomainError::invalid(
                    "purpose.scope",
                    "expected general, health_medical, disease, ancestry or methods",
                ));
            }
        })
    }
}

impl fmt::Display for PurposeScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disease(d) => write!(f, "disease:{d}"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// An ISO 3166-1 alpha-2 country code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Country(String);

impl Country {
    /// Japan.
    pub fn japan() -> Self {
        Self("JP".into())
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Country {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim().to_ascii_uppercase();
        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(s))
        } else {
            Err(DomainError::invalid(
                "purpose.country",
                "an ISO 3166 two-letter country code such as JP",
            ))
        }
    }
}

/// A research purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResearchPurpose {
    /// What the research is about.
    pub scope: PurposeScope,
    /// The results will be used commercially (drug development, products).
    pub commercial: bool,
    /// The applicant's organisation is for-profit.
    pub for_profit: bool,
    /// Where the data will be used.
    pub country: Country,
    /// An ethics committee approved the study.
    pub ethics_approval: bool,
}
