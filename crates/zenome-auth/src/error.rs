//! Errors of credential handling.

/// What went wrong. Messages never carry the secret involved.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The password hash could not be computed or parsed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// A sealed value did not open (wrong key or tampered).
    #[error("sealed value does not open")]
    Unseal,
    /// A key has the wrong length or encoding.
    #[error("invalid key: {0}")]
    Key(&'static str),
    /// A TOTP secret is malformed.
    #[error("invalid TOTP secret")]
    Totp,
}
