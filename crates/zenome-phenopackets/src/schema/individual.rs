//! `individual.proto`: the subject of a phenopacket.

use serde::{Deserialize, Serialize};

use super::{OntologyClass, TimeElement, Timestamp, is_zero};

/// The subject of a phenopacket.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Individual {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternate_ids: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_at_last_encounter: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vital_status: Option<VitalStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub karyotypic_sex: Option<KaryotypicSex>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxonomy: Option<OntologyClass>,
}

impl Individual {
    /// A subject with only its id.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            ..Self::default()
        }
    }

    /// Sets the phenotypic sex; `UnknownSex` leaves the field out, as the reference printer does.
    #[must_use]
    pub fn with_sex(mut self, sex: Sex) -> Self {
        self.sex = (sex != Sex::UnknownSex).then_some(sex);
        self
    }

    /// Sets the age at the last encounter as an ISO 8601 duration (`P12Y3M`).
    #[must_use]
    pub fn with_age_at_last_encounter(mut self, iso8601duration: impl Into<String>) -> Self {
        self.time_at_last_encounter = Some(TimeElement::Age(super::Age::new(iso8601duration)));
        self
    }

    /// Sets the taxonomy to *Homo sapiens* (`NCBITaxon:9606`).
    #[must_use]
    pub fn human(mut self) -> Self {
        self.taxonomy = Some(OntologyClass::new("NCBITaxon:9606", "Homo sapiens"));
        self
    }
}

/// Phenotypic sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Sex {
    UnknownSex,
    Female,
    Male,
    OtherSex,
}

/// Karyotypic sex.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KaryotypicSex {
    UnknownKaryotype,
    Xx,
    Xy,
    Xo,
    Xxy,
    Xxx,
    Xxyy,
    Xxxy,
    Xxxx,
    Xyy,
    OtherKaryotype,
}

/// Whether the subject is alive, and if not, when and of what they died.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct VitalStatus {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<VitalStatusStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_of_death: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause_of_death: Option<OntologyClass>,
    #[serde(skip_serializing_if = "is_zero")]
    pub survival_time_in_days: u32,
}

/// `VitalStatus.Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VitalStatusStatus {
    UnknownStatus,
    Alive,
    Deceased,
}
