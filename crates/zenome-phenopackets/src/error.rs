//! The error of [`parse`](crate::parse) and [`parse_family`](crate::parse_family).

/// Why a text is not a phenopacket (or family) in the canonical JSON form: the position
/// serde_json stopped at and its message, e.g. ``unknown field `foo`, expected one of …``.
///
/// The message is serde_json's own, without its position suffix; the error keeps no source
/// because the message and position are all that serde_json's error carries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what} at line {line}, column {column}: {message}")]
pub struct ParseError {
    /// What was being parsed: `phenopacket` or `family`.
    pub what: &'static str,
    /// 1-based line of the offending token (0 if the input ended early).
    pub line: usize,
    /// 1-based column of the offending token.
    pub column: usize,
    /// serde_json's message, naming the field for an unknown or missing one.
    pub message: String,
}

impl ParseError {
    pub(crate) fn from_json(what: &'static str, error: &serde_json::Error) -> Self {
        let (line, column) = (error.line(), error.column());
        let text = error.to_string();
        let suffix = format!(" at line {line} column {column}");
        let message = text.strip_suffix(&suffix).unwrap_or(&text).to_owned();
        Self {
            what,
            line,
            column,
            message,
        }
    }
}
