//! A patient as matching sees them: annotated variants (from the consequence
//! annotation) and the clinical context (cancer site, age, sex, prior
//! therapies).

use crate::disease::CancerSite;
use crate::evidence::{Assembly, GenomicAllele, normalise_chrom};
use crate::protein::{ProteinChange, parse_hgvs_p};

/// Somatic (tumour) or germline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Origin {
    Somatic,
    Germline,
}

/// Sex as recorded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Sex {
    Female,
    Male,
    Other,
    Unknown,
}

/// One annotated variant of a patient.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnnotatedVariant {
    pub assembly: Assembly,
    pub chrom: String,
    /// 1-based, VCF-style.
    pub pos: u64,
    pub reference: String,
    pub alternate: String,
    pub gene_symbol: String,
    /// As annotated (`p.Val600Glu`, `p.(Val600Glu)`, `V600E`).
    pub hgvs_p: Option<String>,
    /// Sequence Ontology terms (`missense_variant`).
    pub consequences: Vec<String>,
    pub origin: Origin,
}

impl AnnotatedVariant {
    pub fn allele(&self) -> GenomicAllele {
        GenomicAllele {
            assembly: self.assembly.clone(),
            chrom: normalise_chrom(&self.chrom),
            pos: self.pos,
            reference: self.reference.to_ascii_uppercase(),
            alternate: self.alternate.to_ascii_uppercase(),
        }
    }

    pub fn protein_change(&self) -> Option<ProteinChange> {
        self.hgvs_p.as_deref().and_then(parse_hgvs_p)
    }

    /// `7-140453136-A-T` (assembly-less key used in findings).
    pub fn key(&self) -> VariantKey {
        VariantKey(format!(
            "{}-{}-{}-{}",
            normalise_chrom(&self.chrom),
            self.pos,
            self.reference.to_ascii_uppercase(),
            self.alternate.to_ascii_uppercase()
        ))
    }
}

/// `chrom-pos-ref-alt` of a patient's variant.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VariantKey(pub String);

/// The clinical context matching needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatientContext {
    pub site: Option<CancerSite>,
    pub age_years: Option<u32>,
    pub sex: Option<Sex>,
    /// Therapies received (free text, matched case-insensitively).
    pub prior_therapies: Vec<String>,
}
