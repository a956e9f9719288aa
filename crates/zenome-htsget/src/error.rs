//! The crate's error type, named after the htsget error types it maps to.

use std::io;

use noodles::csi::binning_index::indexer::AddRecordError;

use crate::Format;

/// An error building an index or planning a query.
///
/// The server maps `NotFound` to 404 `NotFound`, `InvalidRange` to 400 `InvalidRange`,
/// `InvalidInput` to 400 `InvalidInput` and `UnsupportedFormat` to 400 `UnsupportedFormat`; the
/// others are faults of the stored file or index (500, or a refused upload at ingest).
#[derive(Debug, thiserror::Error)]
pub enum HtsgetError {
    /// The reference name is not in the file's header.
    #[error("reference sequence not found: {0}")]
    NotFound(String),
    /// `start > end`, or `start` at or beyond the reference sequence's length.
    #[error("invalid range: {0}")]
    InvalidRange(String),
    /// Query parameters that do not fit together, or an index of the wrong kind.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A format (or format version) this crate cannot index or plan.
    #[error("unsupported format: {0}")]
    UnsupportedFormat(String),
    /// The data file cannot be read as the given format.
    #[error("malformed {format} file: {context}")]
    MalformedFile {
        /// The format the file was read as.
        format: Format,
        /// What was being read.
        context: &'static str,
        /// The underlying parse or read error.
        #[source]
        source: io::Error,
    },
    /// The index cannot be read.
    #[error("malformed {kind} index")]
    MalformedIndex {
        /// BAI, CSI, TBI or CRAI.
        kind: &'static str,
        /// The underlying parse error.
        #[source]
        source: io::Error,
    },
    /// The records are not sorted by coordinate, so the file cannot be indexed.
    #[error("records are not sorted by coordinate")]
    NotSorted(#[source] AddRecordError),
    /// An I/O error of the underlying reader.
    #[error("i/o error")]
    Io(#[from] io::Error),
}

impl HtsgetError {
    /// Maps a read error to `MalformedFile` when it is about the content (bad or truncated
    /// data), and to `Io` otherwise (a failing storage backend).
    pub(crate) fn malformed(
        format: Format,
        context: &'static str,
    ) -> impl Fn(io::Error) -> Self + Copy {
        move |source| match source.kind() {
            io::ErrorKind::InvalidData
            | io::ErrorKind::UnexpectedEof
            | io::ErrorKind::InvalidInput => Self::MalformedFile {
                format,
                context,
                source,
            },
            _ => Self::Io(source),
        }
    }

    pub(crate) fn malformed_msg(format: Format, context: &'static str, message: &str) -> Self {
        Self::MalformedFile {
            format,
            context,
            source: io::Error::new(io::ErrorKind::InvalidData, message.to_owned()),
        }
    }
}
