//! What can go wrong while ranking: each error names the file, term,
//! sample or record.

use std::io;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum PrioritiseError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The ontology or gene annotations cannot be used.
    #[error("{path}: {message}")]
    Knowledge { path: PathBuf, message: String },
    /// An HPO id that is unknown, or obsolete without a replacement.
    #[error("HPO term {id}: {detail}")]
    UnknownTerm { id: String, detail: String },
    /// The patient has no (observed) phenotypic feature.
    #[error("{what} has no observed phenotypic features: phenotypes are needed to rank genes")]
    NoPhenotypes { what: String },
    /// A phenopacket or pedigree that cannot be read.
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    /// A VCF record that cannot be read.
    #[error("{path}: record {record}: {message}")]
    Vcf {
        path: PathBuf,
        record: u64,
        message: String,
    },
    /// Pedigree members, or the proband, not among the VCF's samples.
    #[error("{path}: {message}; the VCF's samples are {}", samples.join(", "))]
    Samples {
        path: PathBuf,
        message: String,
        samples: Vec<String>,
    },
    /// The VCF is on another assembly than expected.
    #[error("{path} is on {found} but {expected} was expected ({detail})")]
    Assembly {
        path: PathBuf,
        found: String,
        expected: String,
        detail: String,
    },
    /// A VCF without consequences and no way to compute them.
    #[error(
        "{path} has no CSQ field (Ensembl VEP layout): annotate it first (zenome annotate) or give --gene-model and --reference"
    )]
    NotAnnotated { path: PathBuf },
}
