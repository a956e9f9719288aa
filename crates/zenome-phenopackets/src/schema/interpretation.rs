//! `interpretation.proto`: diagnoses and the genomic findings that support them.

use serde::{Deserialize, Serialize};

use super::{GeneDescriptor, OntologyClass, VariationDescriptor};

/// An interpretation of the subject's case.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Interpretation {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_status: Option<ProgressStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<Diagnosis>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub summary: String,
}

/// `Interpretation.ProgressStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProgressStatus {
    UnknownProgress,
    InProgress,
    Completed,
    Solved,
    Unsolved,
}

/// A diagnosed disease and the genomic interpretations behind it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Diagnosis {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disease: Option<OntologyClass>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub genomic_interpretations: Vec<GenomicInterpretation>,
}

/// A gene or variant and its role in the diagnosis. `gene` and `variant_interpretation` are
/// the `oneof call`; validation refuses both at once.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GenomicInterpretation {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub subject_or_biosample_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interpretation_status: Option<InterpretationStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gene: Option<GeneDescriptor>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variant_interpretation: Option<VariantInterpretation>,
}

/// `GenomicInterpretation.InterpretationStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InterpretationStatus {
    UnknownStatus,
    Rejected,
    Candidate,
    Contributory,
    Causative,
}

/// A variant with its ACMG class and actionability.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct VariantInterpretation {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acmg_pathogenicity_classification: Option<AcmgPathogenicityClassification>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub therapeutic_actionability: Option<TherapeuticActionability>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variation_descriptor: Option<VariationDescriptor>,
}

/// ACMG/AMP pathogenicity class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AcmgPathogenicityClassification {
    NotProvided,
    Benign,
    LikelyBenign,
    UncertainSignificance,
    LikelyPathogenic,
    Pathogenic,
}

/// Whether a variant is therapeutically actionable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TherapeuticActionability {
    UnknownActionability,
    NotActionable,
    Actionable,
}
