//! `measurement.proto`: laboratory and clinical measurements.

use serde::{Deserialize, Serialize};

use super::{OntologyClass, Procedure, TimeElement};

/// A measurement. `value` and `complex_value` are the `oneof measurement_value`; validation
/// refuses both at once.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Measurement {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assay: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub complex_value: Option<ComplexValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_observed: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<Procedure>,
}

/// The `oneof value` of `Value`: a quantity or an ontology class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Value {
    Quantity(Quantity),
    OntologyClass(OntologyClass),
}

/// A number with a unit (UCUM) and an optional normal range.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Quantity {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<OntologyClass>,
    #[serde(skip_serializing_if = "super::is_zero")]
    pub value: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference_range: Option<ReferenceRange>,
}

/// The normal range of a quantity.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ReferenceRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<OntologyClass>,
    #[serde(skip_serializing_if = "super::is_zero")]
    pub low: f64,
    #[serde(skip_serializing_if = "super::is_zero")]
    pub high: f64,
}

/// Several typed quantities measured together (e.g. systolic and diastolic pressure).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct ComplexValue {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub typed_quantities: Vec<TypedQuantity>,
}

/// One quantity of a complex value.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TypedQuantity {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub r#type: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
}
