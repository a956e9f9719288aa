//! Errors raised when a domain rule is broken.

/// A broken domain rule. Each variant names the field or rule involved so the
/// HTTP layer can report it without guessing.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    /// A value does not have the right shape for its field.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field that was wrong, as named on the wire.
        field: &'static str,
        /// What was wrong with it.
        reason: String,
    },
    /// A change that conflicts with the current state (e.g. amending a
    /// withdrawn consent).
    #[error("conflict: {0}")]
    Conflict(String),
}

impl DomainError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field,
            reason: reason.into(),
        }
    }

    /// The field that was wrong, if the error names one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            Self::Conflict(_) => None,
        }
    }
}
