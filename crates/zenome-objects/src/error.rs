//! Errors of object storage.

/// What went wrong, naming the store and the operation.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The configuration of a store is wrong.
    #[error("store {store}: {reason}")]
    Config {
        /// Store name.
        store: String,
        /// What is wrong.
        reason: String,
    },
    /// No store has this name.
    #[error("no store named {0:?}")]
    UnknownStore(String),
    /// The store refused or failed.
    #[error("store {store}: {op} failed")]
    Store {
        /// Store name.
        store: String,
        /// Operation.
        op: &'static str,
        /// The cause.
        #[source]
        source: object_store::Error,
    },
    /// The key is taken: objects are never overwritten.
    #[error("store {store}: {key} exists already and is never overwritten")]
    Exists {
        /// Store name.
        store: String,
        /// The key.
        key: String,
    },
    /// A local file could not be read.
    #[error("cannot read {what}")]
    Io {
        /// Which file.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl ObjectError {
    /// The store has no object under the key.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            Self::Store {
                source: object_store::Error::NotFound { .. },
                ..
            }
        )
    }

    pub(crate) fn store(store: &str, op: &'static str, source: object_store::Error) -> Self {
        if let object_store::Error::AlreadyExists { path, .. } = &source {
            return Self::Exists {
                store: store.to_string(),
                key: path.clone(),
            };
        }
        Self::Store {
            store: store.to_string(),
            op,
            source,
        }
    }
}
