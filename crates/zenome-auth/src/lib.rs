//! Zenome's credentials, as pure functions over bytes: password hashing
//! (argon2id), TOTP second factors (RFC 6238), API and session tokens (random,
//! stored only as SHA-256), sealed secrets at rest (XChaCha20-Poly1305), and
//! CSRF tokens (HMAC). No I/O: the app crate stores what these produce.

mod csrf;
mod error;
mod password;
mod seal;
mod secret;
mod token;
mod totp;

pub use csrf::CsrfKey;
pub use error::AuthError;
pub use password::{PasswordHasher, PasswordParams};
pub use seal::SealKey;
pub use secret::Secret;
pub use token::{TokenKind, hash_token, new_token};
pub use totp::{TotpSecret, totp_code, verify_totp};
