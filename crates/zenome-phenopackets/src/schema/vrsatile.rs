//! `vrsatile.proto` (GA4GH VRSATILE v1): descriptors of genes and variants.
//!
//! The VRS `variation` message itself (alleles, haplotypes, copy numbers…) is kept as raw JSON:
//! phenopacket-store and Zenome's exports describe variants by `vcfRecord` and HGVS
//! `expressions` instead.

use serde::{Deserialize, Serialize};

use super::{OntologyClass, is_zero, uint64};

/// A gene: `valueId` (e.g. `HGNC:3603`) and symbol.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct GeneDescriptor {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub symbol: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternate_ids: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternate_symbols: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub xrefs: Vec<String>,
}

/// A variant and what is known about it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct VariationDescriptor {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// A VRS v1 `Variation`, unchecked (see the module documentation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variation: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub label: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gene_context: Option<GeneDescriptor>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expressions: Vec<Expression>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vcf_record: Option<VcfRecord>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub xrefs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternate_labels: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extensions: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub molecule_context: Option<MoleculeContext>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub structural_type: Option<OntologyClass>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vrs_ref_allele_seq: String,
    /// Zygosity, a GENO term (e.g. `GENO:0000135` heterozygous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allelic_state: Option<OntologyClass>,
}

/// A variant written in some syntax, e.g. `hgvs.c`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Expression {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub syntax: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub version: String,
}

/// A VCF data line. `pos` is a `uint64`, written as a string.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct VcfRecord {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub genome_assembly: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub chrom: String,
    #[serde(with = "uint64", skip_serializing_if = "is_zero")]
    pub pos: u64,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(rename = "ref", skip_serializing_if = "String::is_empty")]
    pub r#ref: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub alt: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub qual: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub filter: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub info: String,
}

/// A name/value extension.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Extension {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub value: String,
}

/// The molecule a variant is described on (lower-case names in the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MoleculeContext {
    UnspecifiedMoleculeContext,
    Genomic,
    Transcript,
    Protein,
}
