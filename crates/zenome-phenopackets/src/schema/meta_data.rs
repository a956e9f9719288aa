//! `meta_data.proto`: who made a phenopacket, when, and with which ontologies.

use serde::{Deserialize, Serialize};

use super::{ExternalReference, Timestamp};

/// The schema version this crate writes.
pub const SCHEMA_VERSION: &str = "2.0";

/// Provenance of a phenopacket. Every CURIE prefix used in it should be declared by one of
/// the `resources`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct MetaData {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub created_by: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub submitted_by: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<Update>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phenopacket_schema_version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
}

impl MetaData {
    /// Metadata created at `created` (RFC 3339) by `created_by`, for schema version 2.0, with
    /// no resources yet.
    pub fn new(created: impl Into<String>, created_by: impl Into<String>) -> Self {
        Self {
            created: Some(created.into()),
            created_by: created_by.into(),
            phenopacket_schema_version: SCHEMA_VERSION.to_owned(),
            ..Self::default()
        }
    }

    /// Declares a resource, unless one with the same namespace prefix is declared already.
    #[must_use]
    pub fn with_resource(mut self, resource: Resource) -> Self {
        self.add_resource(resource);
        self
    }

    /// Declares a resource in place, unless one with the same namespace prefix is declared.
    pub fn add_resource(&mut self, resource: Resource) {
        if !self.declares(&resource.namespace_prefix) {
            self.resources.push(resource);
        }
    }

    /// Whether a resource declares this namespace prefix.
    pub fn declares(&self, namespace_prefix: &str) -> bool {
        self.resources
            .iter()
            .any(|r| r.namespace_prefix == namespace_prefix)
    }
}

/// An ontology or other namespace whose CURIEs a phenopacket uses.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Resource {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace_prefix: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub iri_prefix: String,
}

impl Resource {
    fn obo(id: &str, name: &str, prefix: &str, version: &str) -> Self {
        Self {
            id: id.to_owned(),
            name: name.to_owned(),
            url: format!("http://purl.obolibrary.org/obo/{id}.owl"),
            version: version.to_owned(),
            namespace_prefix: prefix.to_owned(),
            iri_prefix: format!("http://purl.obolibrary.org/obo/{prefix}_"),
        }
    }

    /// The Human Phenotype Ontology (`HP:`) at a release, e.g. `2025-05-06`.
    pub fn hpo(version: &str) -> Self {
        Self::obo("hp", "human phenotype ontology", "HP", version)
    }

    /// The Mondo Disease Ontology (`MONDO:`) at a release, e.g. `2025-06-03`.
    pub fn mondo(version: &str) -> Self {
        Self::obo("mondo", "Mondo Disease Ontology", "MONDO", version)
    }

    /// The Genotype Ontology (`GENO:`, zygosity terms).
    pub fn geno(version: &str) -> Self {
        Self::obo("geno", "Genotype Ontology", "GENO", version)
    }

    /// The Sequence Ontology (`SO:`).
    pub fn so(version: &str) -> Self {
        Self::obo("so", "Sequence types and features ontology", "SO", version)
    }

    /// The NCBI organismal classification (`NCBITaxon:`).
    pub fn ncbi_taxon(version: &str) -> Self {
        Self::obo(
            "ncbitaxon",
            "NCBI organismal classification",
            "NCBITaxon",
            version,
        )
    }

    /// Online Mendelian Inheritance in Man (`OMIM:`), versioned by the download date.
    pub fn omim(version: &str) -> Self {
        Self {
            id: "omim".to_owned(),
            name: "An Online Catalog of Human Genes and Genetic Disorders".to_owned(),
            url: "https://www.omim.org".to_owned(),
            version: version.to_owned(),
            namespace_prefix: "OMIM".to_owned(),
            iri_prefix: "https://www.omim.org/entry/".to_owned(),
        }
    }
}

/// A change made to a phenopacket after its creation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Update {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<Timestamp>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub updated_by: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub comment: String,
}
