//! Participants: a pseudonymous id, the facility that holds their identity,
//! and the disease area they were enrolled under.

use std::str::FromStr;

use time::OffsetDateTime;

use crate::DomainError;
use crate::id::ParticipantId;
use crate::organisation::OrgCode;

/// The two arms of the programme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiseaseArea {
    /// Cancer (tumour/normal pairs).
    Cancer,
    /// Rare and intractable disease (germline, often with family members).
    RareDisease,
}

impl DiseaseArea {
    /// Both areas, in display order.
    pub const ALL: [Self; 2] = [Self::Cancer, Self::RareDisease];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cancer => "cancer",
            Self::RareDisease => "rare_disease",
        }
    }
}

impl FromStr for DiseaseArea {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cancer" => Ok(Self::Cancer),
            "rare_disease" => Ok(Self::RareDisease),
            _ => Err(DomainError::invalid(
                "disease_area",
                "expected cancer or rare_disease",
            )),
        }
    }
}

/// Phenotypic sex as recorded by the facility (used for QC sex checks later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Female.
    Female,
    /// Male.
    Male,
    /// Other.
    Other,
    /// Not known or not recorded.
    Unknown,
}

impl Sex {
    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Female => "female",
            Self::Male => "male",
            Self::Other => "other",
            Self::Unknown => "unknown",
        }
    }
}

impl FromStr for Sex {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "female" => Ok(Self::Female),
            "male" => Ok(Self::Male),
            "other" => Ok(Self::Other),
            "unknown" => Ok(Self::Unknown),
            _ => Err(DomainError::invalid(
                "sex",
                "expected female, male, other or unknown",
            )),
        }
    }
}

/// A registered participant. No name, birth date or hospital number: those
/// never leave the collecting facility (R1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// Pseudonymous id.
    pub id: ParticipantId,
    /// The facility that enrolled them and keeps the key to their identity.
    pub facility: OrgCode,
    /// Cancer or rare disease.
    pub disease_area: DiseaseArea,
    /// Recorded sex.
    pub sex: Sex,
    /// When the participant was registered.
    pub registered_at: OffsetDateTime,
}
