//! Errors of loading the dictionary and the ontology, and of export.

use std::path::PathBuf;

/// A dictionary file that could not be read or does not hold together.
#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// The file or directory could not be read.
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The YAML does not have the dictionary's shape.
    #[error("malformed dictionary {name}")]
    Yaml {
        name: String,
        #[source]
        source: serde_norway::Error,
    },
    /// The JSON does not have the dictionary's shape.
    #[error("malformed dictionary {name}")]
    Json {
        name: String,
        #[source]
        source: serde_json::Error,
    },
    /// The content breaks a rule of the dictionary format (duplicate id, a rule
    /// naming a missing item…).
    #[error("dictionary version {version}: {message}")]
    Invalid { version: String, message: String },
    /// Two files declare the same version.
    #[error("dictionary version {0} is defined twice")]
    DuplicateVersion(String),
}

/// An ontology file that could not be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum HpoError {
    /// Reading failed.
    #[error("cannot read the ontology")]
    Io(#[from] std::io::Error),
    /// A line of the OBO file is not what the format allows.
    #[error("line {line}: {message}")]
    Parse { line: usize, message: String },
}

/// A table that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Building the Arrow batch failed.
    #[error("cannot build the arrow batch")]
    Arrow(#[from] arrow_schema::ArrowError),
    /// Writing Parquet failed.
    #[error("cannot write parquet")]
    Parquet(#[from] parquet::errors::ParquetError),
}
