//! `pedigree.proto`: the PED-file view of a family.

use serde::{Deserialize, Serialize};

use super::Sex;

/// The persons of a family, as in a PED file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Pedigree {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub persons: Vec<Person>,
}

/// One line of a PED file. An empty (or `"0"`) parent id means the parent is not in the
/// pedigree.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Person {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub family_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub individual_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub paternal_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub maternal_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sex: Option<Sex>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affected_status: Option<AffectedStatus>,
}

/// `Pedigree.Person.AffectedStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AffectedStatus {
    Missing,
    Unaffected,
    Affected,
}
