//! `biosample.proto`: a sample taken from an individual.

use serde::{Deserialize, Serialize};

use super::{File, Measurement, OntologyClass, PhenotypicFeature, Procedure, TimeElement};

/// A biosample.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Biosample {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub individual_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub derived_from_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sampled_tissue: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_type: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phenotypic_features: Vec<PhenotypicFeature>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taxonomy: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_of_collection: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub histological_diagnosis: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumor_progression: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tumor_grade: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pathological_stage: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pathological_tnm_finding: Vec<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diagnostic_markers: Vec<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<Procedure>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub material_sample: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_processing: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_storage: Option<OntologyClass>,
}
