//! Shared messages of `base.proto`: ontology classes, references, evidence, procedures,
//! time elements and files.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A `google.protobuf.Timestamp` in its JSON form, an RFC 3339 string such as
/// `2024-05-01T10:00:00Z`. Syntax is checked by validation, not by parsing, so that a bad
/// value is reported with its path among all other problems.
pub type Timestamp = String;

/// A term of an ontology: a CURIE (`HP:0001250`) and its label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct OntologyClass {
    /// The CURIE, `PREFIX:LOCAL`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// The term's human-readable label.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
}

impl OntologyClass {
    /// A term with its id and label.
    pub fn new(id: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            label: label.into(),
        }
    }

    /// The prefix of the CURIE (`HP` of `HP:0001250`), if the id has a colon.
    pub fn prefix(&self) -> Option<&str> {
        self.id.split_once(':').map(|(prefix, _)| prefix)
    }
}

/// A reference to something outside the phenopacket, e.g. a publication `PMID:…`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ExternalReference {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reference: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

/// Evidence for an assertion: an evidence code (ECO) and its source.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence_code: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<ExternalReference>,
}

/// A clinical procedure performed on a subject.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Procedure {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_site: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub performed: Option<TimeElement>,
}

/// Gestational age in completed weeks and days.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GestationalAge {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weeks: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<i32>,
}

/// An age as an ISO 8601 duration, e.g. `P3Y6M`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Age {
    #[serde(rename = "iso8601duration", skip_serializing_if = "String::is_empty")]
    pub iso8601duration: String,
}

impl Age {
    /// An age from its ISO 8601 duration.
    pub fn new(iso8601duration: impl Into<String>) -> Self {
        Self {
            iso8601duration: iso8601duration.into(),
        }
    }
}

/// A range of ages.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct AgeRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Age>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Age>,
}

/// An interval between two timestamps.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TimeInterval {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Timestamp>,
}

/// The `oneof element` of `TimeElement`: written as an object with exactly one key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum TimeElement {
    GestationalAge(GestationalAge),
    Age(Age),
    AgeRange(AgeRange),
    OntologyClass(OntologyClass),
    Timestamp(Timestamp),
    Interval(TimeInterval),
}

/// A file (e.g. a VCF) and how its sample identifiers map to individuals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct File {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uri: String,
    /// Individual (or biosample) id in the phenopacket → identifier used in the file.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub individual_to_file_identifiers: BTreeMap<String, String>,
    /// E.g. `genomeAssembly`, `fileFormat`, `description`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub file_attributes: BTreeMap<String, String>,
}
