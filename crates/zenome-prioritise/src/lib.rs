//! Rare-disease prioritisation (issue 12): genes ranked for a patient from
//! HPO terms, genotypes and the family. It owns phenotype similarity
//! (`phenotype`: the HPO indexed with ancestors and information content
//! from gene annotations, Resnik best-match average, obsolete terms
//! replaced), the patient (`patient`: a GA4GH Phenopacket's observed
//! features, sex, age, never its answer), the case's variants (`variants`:
//! a VEP-layout CSQ VCF read through noodles into per-gene candidates with
//! Exomiser's consequence and frequency scores), the pedigree (`pedigree`)
//! and the ranking with inheritance fitting (`rank`). No HTTP, no SQL: the
//! app hands in cohort frequencies and stores the ranking.

pub mod error;
pub mod patient;
pub mod pedigree;
pub mod phenotype;
pub mod rank;
pub mod variants;

pub use error::PrioritiseError;
pub use patient::{Patient, Sex};
pub use pedigree::Pedigree;
pub use phenotype::{Knowledge, Mode, TermMatch};
pub use rank::{Fit, RankedGene, Ranking};
pub use variants::{Candidate, Case, CohortFrequencies, ReadOptions, Zygosity};

use std::path::Path;

/// Ranks genes for `patient`, with the case's variants when a VCF is given.
pub fn prioritise(
    knowledge: &Knowledge,
    patient: &Patient,
    vcf: Option<(&Path, &ReadOptions<'_>)>,
    pedigree: Option<&Pedigree>,
) -> Result<Ranking, PrioritiseError> {
    let mut terms = Vec::new();
    let mut replaced = Vec::new();
    for t in &patient.terms {
        let i = knowledge.ontology.resolve(t)?;
        let used = knowledge.ontology.id(i);
        if used != t {
            replaced.push((t.clone(), used.to_string()));
        }
        if !terms.contains(&i) {
            terms.push(i);
        }
    }
    if terms.is_empty() {
        return Err(PrioritiseError::NoPhenotypes {
            what: format!("patient {}", patient.id),
        });
    }
    let case = match vcf {
        Some((path, options)) => Some(variants::read_case(path, options)?),
        None => None,
    };
    let genes = rank::rank(
        knowledge,
        &patient.id,
        &terms,
        patient.sex,
        case.as_ref(),
        pedigree,
    );
    Ok(Ranking {
        patient: patient.id.clone(),
        terms: terms
            .iter()
            .map(|&i| knowledge.ontology.id(i).to_string())
            .collect(),
        replaced,
        knowledge: knowledge.version.clone(),
        with_variants: case.is_some(),
        genes,
    })
}
