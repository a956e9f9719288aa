//! Typed errors of the variant store.

use std::path::PathBuf;

/// What went wrong while loading into or querying the variant store.
#[derive(Debug, thiserror::Error)]
pub enum VariantsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The input is not a VCF/BCF we can read, or a record is malformed.
    #[error("{path}: record {record}: {message}")]
    Input {
        path: PathBuf,
        /// 1-based record number in the body (0: the header).
        record: u64,
        message: String,
    },
    /// The same file (by SHA-256) is already in the store.
    #[error("{path}: already loaded as batch {batch} (sha256 {sha256}); nothing stored")]
    AlreadyLoaded {
        path: PathBuf,
        batch: u32,
        sha256: String,
    },
    /// Sample names of a new batch that the store already holds.
    #[error("{path}: samples already in the store: {names}; nothing stored")]
    DuplicateSamples { path: PathBuf, names: String },
    /// REF differs from the reference sequence: the whole file is refused.
    #[error(
        "{path}: record {record} ({chrom}:{pos}): REF {found} does not match the reference ({expected}); nothing stored"
    )]
    RefMismatch {
        path: PathBuf,
        record: u64,
        chrom: String,
        pos: u32,
        found: String,
        expected: String,
    },
    /// Sample names asked for that the store does not know.
    #[error("unknown samples: {0}")]
    UnknownSamples(String),
    /// A query region that cannot be answered.
    #[error("invalid region {region:?}: {message}")]
    Region { region: String, message: String },
    /// The store's files are not what this version writes.
    #[error("store {path}: {message}")]
    Store { path: PathBuf, message: String },
    /// Parquet/Arrow encoding or decoding failed.
    #[error("{path}: parquet: {message}")]
    Parquet { path: PathBuf, message: String },
}

impl VariantsError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn parquet(path: impl Into<PathBuf>, e: impl std::fmt::Display) -> Self {
        Self::Parquet {
            path: path.into(),
            message: e.to_string(),
        }
    }
}
