//! Errors of the application services, one variant per answer a client can
//! get. The HTTP layer maps each to one status in one place.

use zenome_domain::DomainError;
use zenome_store::StoreError;

/// What a service answers when it cannot do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No credentials, or wrong ones. Never says which factor failed.
    #[error("authentication required")]
    Unauthorized,
    /// Authenticated but not allowed.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// Does not exist — or exists outside the caller's scope (not revealed).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A field is wrong.
    #[error("invalid {field}: {reason}")]
    Invalid {
        /// The field, as named on the wire.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// Conflicts with what is stored (duplicate barcode, withdrawn consent…).
    #[error("conflict: {message}")]
    Conflict {
        /// The field involved, if any.
        field: Option<String>,
        /// What conflicts.
        message: String,
    },
    /// Too many attempts; try again after this many seconds.
    #[error("too many attempts")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u64,
    },
    /// The store failed.
    #[error("store error")]
    Store(#[source] StoreError),
    /// A submission (one record or a bulk file) broke rules; nothing was
    /// stored. Every fault is listed.
    #[error("{what}: {} problems", problems.len())]
    Rejected {
        /// What was refused (e.g. "clinical record", "bulk upload").
        what: String,
        /// Every problem found.
        problems: Vec<SubmissionProblem>,
    },
    /// Anything else that is our fault.
    #[error("internal error: {0}")]
    Internal(String),
}

/// One fault of a refused submission, where it is and which rule it breaks,
/// in both languages.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SubmissionProblem {
    /// Line of a bulk file (the header is line 1), or the entry's position
    /// (from 1) in a JSON array.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<usize>,
    /// The participant concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub participant: Option<String>,
    /// Where in the record (`diagnosis.primary_site`, `treatment[2].start_date`).
    pub path: String,
    /// The item (or CSV column).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The rule broken (snake_case).
    pub rule: String,
    /// What is wrong, in English.
    pub message_en: String,
    /// What is wrong, in Japanese.
    pub message_ja: String,
}

impl AppError {
    /// An invalid-field error.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid { field, reason } => Self::Invalid {
                field: field.to_string(),
                reason,
            },
            DomainError::Conflict(message) => Self::Conflict {
                field: None,
                message,
            },
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { what, .. } => Self::Conflict {
                field: Some(what.to_string()),
                message: format!("{what} is already registered"),
            },
            StoreError::MissingReference { what, .. } => Self::Invalid {
                field: what.to_string(),
                reason: "refers to something that does not exist".into(),
            },
            other => Self::Store(other),
        }
    }
}
