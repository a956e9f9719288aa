//! `disease.proto`: a diagnosed (or excluded) disease.

use serde::{Deserialize, Serialize};

use super::{OntologyClass, TimeElement, is_false};

/// A disease of the subject, e.g. an OMIM or MONDO term.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Disease {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub term: Option<OntologyClass>,
    #[serde(skip_serializing_if = "is_false")]
    pub excluded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<TimeElement>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disease_stage: Vec<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub clinical_tnm_finding: Vec<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_site: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub laterality: Option<OntologyClass>,
}

impl Disease {
    /// A disease the subject has.
    pub fn new(term: OntologyClass) -> Self {
        Self {
            term: Some(term),
            ..Self::default()
        }
    }
}
