//! Zenome's cohort variant store. It owns loading germline VCF/BCF (plain or
//! BGZF, one or many samples; gVCF reference blocks skipped; multi-allelic
//! records split into biallelic rows; REF checked and indels left-aligned
//! when a reference FASTA is given), storing the rows as Apache Parquet
//! partitioned by chromosome and 1 Mb bin (see `SCHEMA.md`), and the
//! allele-frequency kernel that counts a region over a sample mask — the
//! mask is how consent and grants enter: the caller decides who may be
//! counted now. It knows nothing of HTTP, SQL, users or consent rules.

pub mod error;
pub mod genotype;
pub mod normalise;
pub mod read;
pub mod store;
pub mod summary;

pub use error::VariantsError;
pub use genotype::{Counts, Layout, SampleMask};
pub use store::{AlleleFreq, BatchInfo, LoadOptions, LoadReport, Manifest, SampleEntry, Store};
pub use summary::SampleSummary;
