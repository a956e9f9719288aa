//! The one error type of the crate: where in the file, which rule, and the underlying cause.

use std::fmt;
use std::io;

/// Where in the input a problem was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Location {
    /// A 1-based line of a text format (VCF, FASTQ) after decompression.
    Line(u64),
    /// A 1-based record of a binary format (BAM, CRAM, BCF).
    Record(u64),
    /// A 0-based offset into the bytes as they were read (compressed bytes for
    /// BGZF/gzip/CRAM input).
    ByteOffset(u64),
    /// The header of the file as a whole.
    Header,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Line(n) => write!(f, "line {n}"),
            Self::Record(n) => write!(f, "record {n}"),
            Self::ByteOffset(n) => write!(f, "byte offset {n}"),
            Self::Header => f.write_str("header"),
        }
    }
}

/// What kind of rule an input broke, for callers that route refusals (for
/// example privacy refusals to the data protection officer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Category {
    /// The bytes do not follow the format's syntax or semantics.
    Syntax,
    /// The input ends early (truncated block, missing EOF marker, missing final newline).
    Truncated,
    /// The header carries personal data (R8.3).
    Sanitisation,
    /// Sample names differ from the expected ones.
    SampleMismatch,
    /// The file is well formed but uses something this crate does not handle.
    Unsupported,
    /// Reading the input or the reference failed.
    Io,
}

/// A refusal: where, which rule, and (for noodles or I/O failures) the cause.
///
/// Displays as `line 12: INFO field DP is not an Integer (header declares
/// Type=Integer)` or `byte offset 4096: truncated BGZF block`.
#[derive(Debug, thiserror::Error)]
#[error("{location}: {rule}")]
pub struct FormatError {
    /// Where the problem is.
    pub location: Location,
    /// The rule that was broken, in words.
    pub rule: String,
    /// The kind of rule.
    pub category: Category,
    /// The underlying error, when there is one (noodles, I/O, decompression).
    #[source]
    pub source: Option<io::Error>,
}

impl FormatError {
    /// A syntax/semantics refusal.
    pub fn new(location: Location, rule: impl Into<String>) -> Self {
        Self {
            location,
            rule: rule.into(),
            category: Category::Syntax,
            source: None,
        }
    }

    /// A refusal of a given category.
    pub fn with_category(location: Location, category: Category, rule: impl Into<String>) -> Self {
        Self {
            location,
            rule: rule.into(),
            category,
            source: None,
        }
    }

    /// A refusal caused by a noodles or I/O error; the error's text is kept in
    /// the rule so the message is complete on its own.
    pub fn from_io(location: Location, what: &str, e: io::Error) -> Self {
        let category = match e.kind() {
            io::ErrorKind::UnexpectedEof => Category::Truncated,
            io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput => Category::Syntax,
            _ => Category::Io,
        };
        let rule = if category == Category::Truncated {
            format!("{what}: unexpected end of input (truncated file?)")
        } else {
            format!("{what}: {e}")
        };
        Self {
            location,
            rule,
            category,
            source: Some(e),
        }
    }
}
