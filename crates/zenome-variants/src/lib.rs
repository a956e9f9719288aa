//! Zenome's cohort variant store. It owns loading germline VCF/BCF (plain or
//! BGZF, one or many samples; gVCF reference blocks skipped) and somatic
//! tumour/normal VCFs (the tumour column, passing somatic calls; `somatic`)
//! as batches marked by origin (multi-allelic
//! records split into biallelic rows; REF checked and indels left-aligned
//! when a reference FASTA is given), storing the rows as Apache Parquet
//! partitioned by chromosome and 1 Mb bin (see `SCHEMA.md`), and the
//! allele-frequency kernel that counts a region over a sample mask — the
//! mask is how consent and grants enter: the caller decides who may be
//! counted now. It knows nothing of HTTP, SQL, users or consent rules.

pub mod error;
pub mod gene;
pub mod genotype;
pub mod hgvs;
pub mod normalise;
pub mod query;
pub mod read;
pub mod replica;
pub mod somatic;
pub mod store;
pub mod summary;

pub use error::VariantsError;
pub use gene::{GeneIndex, GeneLocus, GeneModelError};
pub use genotype::{Counts, Layout, SampleMask};
pub use query::{AlleleCounts, Cursor, Scan};
pub use somatic::Origin;
pub use store::{AlleleFreq, BatchInfo, LoadOptions, LoadReport, Manifest, SampleEntry, Store};
pub use summary::SampleSummary;
