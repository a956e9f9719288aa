//! The Phenopackets v2.0 messages as Rust types, in the canonical protobuf JSON mapping.
//!
//! Module and type names follow the `.proto` files of the official schema
//! (`phenopackets/schema/v2/core/*.proto`, `vrsatile.proto`). Every struct refuses unknown
//! fields, as the protobuf JSON parser does, and omits empty strings, empty lists, `false`
//! and absent messages when written, as the reference printer does.
//!
//! Proto3 enums are held as `Option<Enum>`: `None` is the omitted field, `Some(zero value)` an
//! explicitly written `UNKNOWN_…` value. Keeping the difference makes a parse → write round
//! trip lossless (files from phenopacket-store write `"sex": "UNKNOWN_SEX"`); the builders of
//! this crate never set a zero value, so what they produce is canonical. The same holds for
//! the `int32` fields of `GestationalAge`.

mod base;
mod biosample;
mod disease;
mod individual;
mod interpretation;
mod measurement;
mod medical_action;
mod meta_data;
mod pedigree;
mod phenopacket;
mod phenotypic_feature;
mod vrsatile;

pub use base::{
    Age, AgeRange, Evidence, ExternalReference, File, GestationalAge, OntologyClass, Procedure,
    TimeElement, TimeInterval, Timestamp,
};
pub use biosample::Biosample;
pub use disease::Disease;
pub use individual::{Individual, KaryotypicSex, Sex, VitalStatus, VitalStatusStatus};
pub use interpretation::{
    AcmgPathogenicityClassification, Diagnosis, GenomicInterpretation, Interpretation,
    InterpretationStatus, ProgressStatus, TherapeuticActionability, VariantInterpretation,
};
pub use measurement::{ComplexValue, Measurement, Quantity, ReferenceRange, TypedQuantity, Value};
pub use medical_action::{
    DoseInterval, DrugType, MedicalAction, RadiationTherapy, RegimenStatus, TherapeuticRegimen,
    Treatment,
};
pub use meta_data::{MetaData, Resource, SCHEMA_VERSION, Update};
pub use pedigree::{AffectedStatus, Pedigree, Person};
pub use phenopacket::{Family, Phenopacket};
pub use phenotypic_feature::PhenotypicFeature;
pub use vrsatile::{
    Expression, Extension, GeneDescriptor, MoleculeContext, VariationDescriptor, VcfRecord,
};

/// `skip_serializing_if` for proto3 booleans, whose default `false` is omitted.
pub(crate) fn is_false(value: &bool) -> bool {
    !*value
}

/// `skip_serializing_if` for proto3 integers, whose default `0` is omitted.
pub(crate) fn is_zero<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// The JSON mapping of `int64`/`uint64`: written as a decimal string, read from a string or a
/// number (the protobuf parser accepts both; phenopacket-store writes numbers).
pub(crate) mod uint64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub(crate) fn serialize<S: Serializer>(value: &u64, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(value)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Number(u64),
            Text(String),
        }
        match Repr::deserialize(deserializer)? {
            Repr::Number(n) => Ok(n),
            Repr::Text(s) => s
                .parse()
                .map_err(|_| D::Error::custom(format!("invalid uint64 value {s:?}"))),
        }
    }
}
