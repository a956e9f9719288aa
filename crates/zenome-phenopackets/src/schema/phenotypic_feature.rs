//! `phenotypic_feature.proto`: an observed (or explicitly excluded) phenotype.

use serde::{Deserialize, Serialize};

use super::{Evidence, OntologyClass, TimeElement, is_false};

/// A phenotype of the subject, usually an HPO term; `excluded` says it was looked for and
/// not found.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct PhenotypicFeature {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<OntologyClass>,
    #[serde(skip_serializing_if = "is_false")]
    pub excluded: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modifiers: Vec<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub onset: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolution: Option<TimeElement>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

impl PhenotypicFeature {
    /// An observed feature.
    pub fn observed(term: OntologyClass) -> Self {
        Self {
            r#type: Some(term),
            ..Self::default()
        }
    }

    /// A feature looked for and found absent.
    pub fn excluded(term: OntologyClass) -> Self {
        Self {
            r#type: Some(term),
            excluded: true,
            ..Self::default()
        }
    }

    /// Sets the onset as an age (ISO 8601 duration).
    #[must_use]
    pub fn with_onset_age(mut self, iso8601duration: impl Into<String>) -> Self {
        self.onset = Some(TimeElement::Age(super::Age::new(iso8601duration)));
        self
    }
}
