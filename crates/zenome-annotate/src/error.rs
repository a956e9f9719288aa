//! What can go wrong while annotating: each error names the file and, where
//! there is one, the line or record.

use std::io;
use std::path::PathBuf;

/// An annotation that cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum AnnotateError {
    /// A file cannot be opened or read.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// A gene-model line is not a GFF3/GTF record, or its fields contradict
    /// each other.
    #[error("{path}: line {line}: {message}")]
    GeneModelLine {
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        message: String,
    },
    /// The gene model holds no transcript.
    #[error(
        "{path}: no genes or transcripts (type gene, records with a gene_id, or exons/CDS under a transcript)"
    )]
    EmptyGeneModel { path: PathBuf },
    /// A VCF line that cannot be read.
    #[error("{path}: line {line}: {message}")]
    VcfLine {
        path: PathBuf,
        line: u64,
        message: String,
    },
    /// Chromosome names of two inputs follow different conventions.
    #[error(
        "{path}: chromosome {chrom:?} is not in the {other}, which spells it {suggestion:?}; \
         rename the chromosomes or pass --chrom-names auto to map chr-prefixed and bare names"
    )]
    ChromosomeNaming {
        path: PathBuf,
        chrom: String,
        other: &'static str,
        suggestion: String,
    },
    /// A chromosome the reference FASTA does not hold.
    #[error("{path}: chromosome {chrom:?} is not in the reference FASTA {fasta}")]
    MissingChromosome {
        path: PathBuf,
        chrom: String,
        fasta: PathBuf,
    },
}

impl AnnotateError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: io::Error) -> Self {
        AnnotateError::Io {
            path: path.into(),
            source,
        }
    }
}
