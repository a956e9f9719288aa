//! Errors of the metadata store.

/// What went wrong in the store. Constraint violations are their own
/// variants so the HTTP layer can answer 409 or 422 instead of 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no supported engine.
    #[error("unsupported database url: expected sqlite:// or postgres://")]
    UnsupportedUrl,
    /// Connecting failed.
    #[error("cannot connect to the database")]
    Connect(#[source] sqlx::Error),
    /// A migration failed.
    #[error("migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A unique constraint was violated (duplicate barcode, username…).
    #[error("duplicate {what}")]
    Duplicate {
        /// What was duplicated, as a field name.
        what: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A referenced row does not exist.
    #[error("{what} does not exist")]
    MissingReference {
        /// The referencing field.
        what: &'static str,
        /// The driver's error.
        #[source]
        source: sqlx::Error,
    },
    /// A stored row does not decode into a domain value.
    #[error("corrupt row in {table}: {reason}")]
    Corrupt {
        /// Table.
        table: &'static str,
        /// What did not decode.
        reason: String,
    },
    /// Any other database error.
    #[error("database error")]
    Database(#[from] sqlx::Error),
}

impl StoreError {
    pub(crate) fn corrupt(table: &'static str, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            table,
            reason: reason.to_string(),
        }
    }

    /// Classifies a driver error raised while writing `what`.
    pub(crate) fn on_write(e: sqlx::Error, what: &'static str) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => {
                    return Self::Duplicate { what, source: e };
                }
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    return Self::MissingReference { what, source: e };
                }
                _ => {}
            }
        }
        Self::Database(e)
    }
}
