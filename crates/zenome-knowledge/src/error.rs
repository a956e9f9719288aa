//! The crate's error type: what was wrong, in which file, and where in it.

use std::io;
use std::path::PathBuf;

/// Where in a file something was found: a line (1-based) or a record (1-based
/// position in a JSON array), or the whole file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The whole file (header, metadata).
    File,
    /// A line of a text file, 1-based.
    Line(u64),
    /// A record of a JSON array or a VCF data line, 1-based.
    Record(u64),
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::File => f.write_str("file"),
            Location::Line(n) => write!(f, "line {n}"),
            Location::Record(n) => write!(f, "record {n}"),
        }
    }
}

/// Everything that can go wrong loading or matching knowledge.
#[derive(Debug, thiserror::Error)]
pub enum KnowledgeError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file is not of the shape or version this loader reads.
    #[error("{path} ({at}): expected {expected}, found {found}")]
    Shape {
        path: PathBuf,
        at: Location,
        expected: String,
        found: String,
    },
    /// A field of one record could not be read.
    #[error("{path} ({at}), field {field}: {message}")]
    Field {
        path: PathBuf,
        at: Location,
        field: String,
        message: String,
    },
    #[error("{path} is empty")]
    Empty { path: PathBuf },
    #[error("{path}: invalid JSON")]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path}: invalid TOML")]
    Toml {
        path: PathBuf,
        #[source]
        source: toml::de::Error,
    },
    #[error("{path} ({at}): invalid tab-separated record")]
    Csv {
        path: PathBuf,
        at: Location,
        #[source]
        source: csv::Error,
    },
    #[error("{path} ({at}): invalid VCF")]
    Vcf {
        path: PathBuf,
        at: Location,
        #[source]
        source: io::Error,
    },
    /// A value given by the caller (not read from a file) is malformed.
    #[error("invalid {what}: {value:?} (expected {expected})")]
    Value {
        what: &'static str,
        value: String,
        expected: &'static str,
    },
}

pub type Result<T, E = KnowledgeError> = std::result::Result<T, E>;
