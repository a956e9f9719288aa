//! Sample identity (issue 9). It owns the site panels (`panel`: built-in
//! GRCh37/GRCh38 panels, or peddy `.sites`, sites VCF, BED or Picard
//! haplotype maps by path), fingerprints (`fingerprint`: three bit planes
//! per sample from VCF/gVCF/BCF genotypes; `reads`: allele depths from
//! SAM/BAM/CRAM through their index), the checks (`compare`: same
//! individual with a likelihood ratio, tumour/normal allowing for loss of
//! heterozygosity, KING-robust kinship and IBS0, genetic sex,
//! contamination), all pairs of a cohort (`cohort`) and the cohort's
//! fingerprint table in Parquet (`table`). No HTTP, no SQL: the app decides
//! what a verdict does to a sample (holds) and who may see it.

pub mod cohort;
pub mod compare;
pub mod error;
pub mod fingerprint;
pub mod panel;
pub mod pedigree;
pub mod reads;
pub mod table;

pub use compare::{Comparison, PairCounts, Relation, Sex, SexCall, Verdict, compare};
pub use error::IdentityError;
pub use fingerprint::{Evidence, Fingerprint, Genotype};
pub use panel::{Assembly, Panel};

use std::path::Path;

/// Fingerprints of every sample in `path`, whatever it is (VCF, gVCF, BCF,
/// SAM, BAM, CRAM); `reference` is needed for CRAM.
pub fn fingerprints(
    panel: &Panel,
    path: &Path,
    reference: Option<&Path>,
) -> Result<Vec<Fingerprint>, IdentityError> {
    if reads::is_alignment(path)? {
        reads::from_alignment(panel, path, reference).map(|(f, _)| f)
    } else {
        fingerprint::from_vcf(panel, path)
    }
}
