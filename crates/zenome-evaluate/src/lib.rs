//! Call-set evaluation (issue 11): a query VCF compared with a truth VCF
//! inside confident regions, as hap.py and vcfeval do.
//!
//! It owns reading the two call sets (`calls`: one sample each, gVCF
//! reference blocks and no-calls skipped, alleles decomposed into SNPs and
//! indels for counting), the confident regions (`regions`: BED, merged and
//! sorted), the reference bases (`bases`: a FASTA, or only the REF alleles
//! the two files carry), the haplotype-aware matching (`matching`: exact
//! matches on normalised alleles first, then the sequences each side's
//! haplotypes spell over a window, so an indel shifted in a repeat, split or
//! merged, complex or decomposed still matches) and the metrics (`metrics`:
//! hap.py's `summary.csv` columns per type and filter, indel size classes).
//! No HTTP, no SQL: the app stores a [`Report`] against a pipeline version.

mod bases;
mod calls;
pub mod error;
mod matching;
mod metrics;
mod regions;

use std::path::{Path, PathBuf};

pub use error::EvaluateError;
pub use metrics::{Filter, IndelClass, IndelSizeRow, SummaryRow, VariantType};

/// What to compare and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Confident regions (BED, plain or gzipped): truth records outside are
    /// not counted, query records outside are `unk`.
    pub regions: Option<PathBuf>,
    /// Reference FASTA (indexed: `.fai`, and `.gzi` when bgzipped). Without
    /// it the haplotypes are built from the REF alleles the files carry.
    pub reference: Option<PathBuf>,
    /// Sample column of the truth file (required when it has several).
    pub truth_sample: Option<String>,
    /// Sample column of the query file (required when it has several).
    pub query_sample: Option<String>,
    /// Variants closer than this (bp) are compared together as one locus.
    pub window: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            regions: None,
            reference: None,
            truth_sample: None,
            query_sample: None,
            window: 50,
        }
    }
}

/// How haplotypes were spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaseSource {
    /// From the reference FASTA: full haplotype comparison.
    Reference,
    /// Only from the REF alleles of the two files: a locus whose variants
    /// leave reference bases between them that neither file carries cannot
    /// be re-spelled across that gap (counted in [`Report::unresolved_loci`]).
    RefAlleles,
}

/// One side of the comparison.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CallSet {
    pub path: String,
    pub sample: String,
    /// Records read (data lines), before any filtering.
    pub records: u64,
    /// Reference blocks, no-calls and homozygous-reference records skipped.
    pub skipped: u64,
}

/// The outcome of one evaluation.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Report {
    pub truth: CallSet,
    pub query: CallSet,
    /// hap.py's summary rows in its order: INDEL ALL, INDEL PASS, SNP ALL,
    /// SNP PASS.
    pub summary: Vec<SummaryRow>,
    /// Indels by size class, per filter.
    pub indel_sizes: Vec<IndelSizeRow>,
    pub base_source: BaseSource,
    /// Loci left unmatched that touch reference bases neither file carries
    /// (only without a reference): with `--reference` they might match.
    pub unresolved_loci: u64,
    /// Loci too large to compare haplotype by haplotype, compared allele by
    /// allele instead.
    pub capped_loci: u64,
    /// What was adjusted on the way (regions merged, contigs absent on one
    /// side), in plain words.
    pub notes: Vec<String>,
}

impl Report {
    /// The summary row of one type and filter.
    pub fn row(&self, variant_type: VariantType, filter: Filter) -> &SummaryRow {
        self.summary
            .iter()
            .find(|r| r.variant_type == variant_type && r.filter == filter)
            .expect("every type and filter has a row")
    }

    /// JSON: `summary.{SNP,INDEL}.{ALL,PASS}` hold `truth_total`, `tp`,
    /// `fn`, `query_total`, `fp`, `unk`, `fp_gt`, `recall`, `precision`,
    /// `f1` (and the rest of hap.py's columns).
    pub fn to_json(&self) -> serde_json::Value {
        metrics::report_json(self)
    }

    /// hap.py's `summary.csv`.
    pub fn to_csv(&self) -> String {
        metrics::summary_csv(&self.summary)
    }
}

/// Compares `query` with `truth`.
pub fn evaluate(truth: &Path, query: &Path, options: &Options) -> Result<Report, EvaluateError> {
    matching::run(truth, query, options)
}
