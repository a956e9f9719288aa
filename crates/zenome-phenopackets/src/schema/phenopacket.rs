//! `phenopackets.proto`: the top-level `Phenopacket` and `Family` messages.

use serde::{Deserialize, Serialize};

use super::{
    Biosample, Disease, File, Individual, Interpretation, Measurement, MedicalAction, MetaData,
    OntologyClass, Pedigree, PhenotypicFeature, Resource, is_false,
};

/// One individual's phenotypic description.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Phenopacket {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Individual>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub phenotypic_features: Vec<PhenotypicFeature>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub biosamples: Vec<Biosample>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub interpretations: Vec<Interpretation>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub diseases: Vec<Disease>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub medical_actions: Vec<MedicalAction>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
}

impl Phenopacket {
    /// A phenopacket about `subject`, created at `created` (RFC 3339, e.g.
    /// `2025-01-31T09:00:00Z`) by `created_by`, declaring no resources yet.
    pub fn new(
        id: impl Into<String>,
        subject: Individual,
        created_by: impl Into<String>,
        created: &str,
    ) -> Self {
        Self {
            id: id.into(),
            subject: Some(subject),
            meta_data: Some(MetaData::new(created, created_by)),
            ..Self::default()
        }
    }

    /// Adds a phenotypic feature.
    #[must_use]
    pub fn with_feature(mut self, feature: PhenotypicFeature) -> Self {
        self.phenotypic_features.push(feature);
        self
    }

    /// Adds an observed feature by term.
    #[must_use]
    pub fn with_observed(self, id: &str, label: &str) -> Self {
        self.with_feature(PhenotypicFeature::observed(OntologyClass::new(id, label)))
    }

    /// Adds an excluded feature (looked for, absent) by term.
    #[must_use]
    pub fn with_excluded(self, id: &str, label: &str) -> Self {
        self.with_feature(PhenotypicFeature::excluded(OntologyClass::new(id, label)))
    }

    /// Adds a disease.
    #[must_use]
    pub fn with_disease(mut self, disease: Disease) -> Self {
        self.diseases.push(disease);
        self
    }

    /// Adds an interpretation.
    #[must_use]
    pub fn with_interpretation(mut self, interpretation: Interpretation) -> Self {
        self.interpretations.push(interpretation);
        self
    }

    /// Declares a resource in the metadata (creating empty metadata if there is none).
    #[must_use]
    pub fn with_resource(mut self, resource: Resource) -> Self {
        self.meta_data
            .get_or_insert_with(MetaData::default)
            .add_resource(resource);
        self
    }

    /// The canonical JSON text, pretty-printed.
    pub fn to_json_pretty(&self) -> String {
        to_json_pretty(self)
    }
}

/// A family: the proband's phenopacket, the relatives' and the pedigree joining them.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Family {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proband: Option<Phenopacket>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub relatives: Vec<Phenopacket>,
    /// Spelled as in the schema.
    #[serde(skip_serializing_if = "is_false")]
    pub consanguinous_parents: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pedigree: Option<Pedigree>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<File>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<MetaData>,
}

impl Family {
    /// The canonical JSON text, pretty-printed.
    pub fn to_json_pretty(&self) -> String {
        to_json_pretty(self)
    }
}

fn to_json_pretty<T: Serialize>(value: &T) -> String {
    // These types have only string map keys and no fallible custom serialisers, the two ways
    // serde_json's writer to a String can fail.
    serde_json::to_string_pretty(value).expect("phenopacket types always serialise")
}
