//! GA4GH Phenopackets v2.0 for Zenome: what a phenopacket is, how it is read and written,
//! and whether it is valid.
//!
//! This crate owns the exchange format only; it does no I/O of its own (no database, no
//! HTTP, no files) and knows no Zenome domain type, so the caller maps participants to
//! phenopackets and supplies the HPO through [`TermLookup`].
//!
//! - [`schema`]: the messages (`Phenopacket`, `Family` and the core messages they use) as
//!   serde types in the canonical protobuf JSON mapping: lowerCamelCase names, enum names,
//!   RFC 3339 timestamps, `uint64` as strings; unknown fields refused; empty and default
//!   fields omitted. Builders such as [`Phenopacket::new`] and [`Resource::hpo`] make what an
//!   export needs.
//! - [`parse`] / [`parse_family`]: text to message, with a [`ParseError`] naming line, column
//!   and field.
//! - [`validate`] / [`validate_family`]: rules modelled on phenopacket-tools' validators,
//!   returning every [`Problem`] with its JSON path.

mod error;
pub mod schema;
mod validate;

pub use error::ParseError;
pub use schema::{
    Disease, Family, Individual, MetaData, OntologyClass, Phenopacket, PhenotypicFeature, Resource,
    Sex,
};
pub use validate::{NoLookup, Problem, Rule, TermLookup, TermStatus, validate, validate_family};

/// Parses a phenopacket from its JSON text.
///
/// # Errors
/// [`ParseError`] when the text is not JSON or not a phenopacket (an unknown field, a wrong
/// type, an unknown enum name).
pub fn parse(text: &str) -> Result<Phenopacket, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::from_json("phenopacket", &e))
}

/// Parses a family from its JSON text.
///
/// # Errors
/// As [`parse`].
pub fn parse_family(text: &str) -> Result<Family, ParseError> {
    serde_json::from_str(text).map_err(|e| ParseError::from_json("family", &e))
}
