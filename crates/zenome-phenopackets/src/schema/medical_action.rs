//! `medical_action.proto`: procedures, treatments, radiation and regimens.

use serde::{Deserialize, Serialize};

use super::{
    ExternalReference, OntologyClass, Procedure, Quantity, TimeElement, TimeInterval, is_zero,
};

/// A medical action. `procedure`, `treatment`, `radiation_therapy` and
/// `therapeutic_regimen` are the `oneof action`; validation refuses more than one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MedicalAction {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub procedure: Option<Procedure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treatment: Option<Treatment>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub radiation_therapy: Option<RadiationTherapy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub therapeutic_regimen: Option<TherapeuticRegimen>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treatment_target: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treatment_intent: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_to_treatment: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub adverse_events: Vec<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treatment_termination_reason: Option<OntologyClass>,
}

/// A drug treatment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Treatment {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route_of_administration: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dose_intervals: Vec<DoseInterval>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drug_type: Option<DrugType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cumulative_dose: Option<Quantity>,
}

/// A dose given at some frequency over an interval.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct DoseInterval {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_frequency: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<TimeInterval>,
}

/// `DrugType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DrugType {
    UnknownDrugType,
    Prescription,
    EhrMedicationList,
    AdministrationRelatedToProcedure,
}

/// Radiation therapy.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct RadiationTherapy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modality: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_site: Option<OntologyClass>,
    #[serde(skip_serializing_if = "is_zero")]
    pub dosage: i32,
    #[serde(skip_serializing_if = "is_zero")]
    pub fractions: i32,
}

/// A therapeutic regimen, named by a reference or a term (`oneof identifier`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct TherapeuticRegimen {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<ExternalReference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ontology_class: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<TimeElement>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regimen_status: Option<RegimenStatus>,
}

/// `TherapeuticRegimen.RegimenStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RegimenStatus {
    UnknownStatus,
    Started,
    Completed,
    Discontinued,
}
