//! The one error type of the crate: every variant names the file and, where
//! there is one, the line or record.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}, line {line}: {message}")]
    Panel {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: {message}")]
    Input { path: PathBuf, message: String },
    #[error("{path} is on {file} but the panel is {panel}")]
    Assembly {
        path: PathBuf,
        file: String,
        panel: String,
    },
    #[error("{path}: {message}")]
    Table { path: PathBuf, message: String },
}

impl IdentityError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub(crate) fn input(path: impl Into<PathBuf>, message: impl std::fmt::Display) -> Self {
        Self::Input {
            path: path.into(),
            message: message.to_string(),
        }
    }
}
