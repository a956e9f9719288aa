//! What can go wrong while evaluating: each error names the file and, where
//! there is one, the line, record or sample.

use std::io;
use std::path::PathBuf;

/// An evaluation that cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// A file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A VCF record that cannot be read.
    #[error("{path}: line {line}: {message}")]
    VcfLine {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// A BED line that is not `chrom<TAB>start<TAB>end` with start < end.
    #[error("{path}: line {line}: {message}")]
    BedLine {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// The file has several samples and none was named.
    #[error(
        "{path} has {} samples ({}); name one with --sample / --truth-sample / --query-sample",
        samples.len(), samples.join(", ")
    )]
    SampleRequired { path: PathBuf, samples: Vec<String> },
    /// The named sample is not in the file.
    #[error("{path}: no sample {sample:?}; it has {}", samples.join(", "))]
    UnknownSample {
        path: PathBuf,
        sample: String,
        samples: Vec<String>,
    },
    /// A file with no sample column.
    #[error("{path}: no sample column (a sites-only VCF cannot be evaluated)")]
    NoSamples { path: PathBuf },
    /// Truth and query were called on different assemblies or name their
    /// contigs differently.
    #[error("truth and query do not share an assembly: {detail}")]
    AssemblyMismatch { detail: String },
    /// A REF allele differs from the reference FASTA (or from the other
    /// file's REF at the same position).
    #[error("{path}: line {line}: REF {found} at {chrom}:{pos} but {expected}")]
    RefMismatch {
        path: PathBuf,
        line: u64,
        chrom: String,
        pos: u64,
        found: String,
        expected: String,
    },
    /// Records out of coordinate order within a contig.
    #[error("{path}: line {line}: {chrom}:{pos} comes after {chrom}:{previous}; sort the file (bcftools sort)")]
    Unsorted {
        path: PathBuf,
        line: u64,
        chrom: String,
        pos: u64,
        previous: u64,
    },
}

impl EvaluateError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }
}
