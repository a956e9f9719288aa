//! Bearer tokens: random, shown once, stored only as SHA-256.

use rand::Rng;
use sha2::{Digest, Sha256};

/// What a token is for; its prefix says so, which helps secret scanners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A long-lived API token for a machine user (`zk_`).
    Api,
    /// A portal or API session after a human login (`zs_`).
    Session,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Api => "zk_",
            Self::Session => "zs_",
        }
    }
}

/// A new token (256 random bits, hex) and the hash to store.
pub fn new_token(kind: TokenKind) -> (String, String) {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    let token = format!("{}{}", kind.prefix(), hex::encode(b));
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashed() {
        let (a, ha) = new_token(TokenKind::Api);
        let (b, _) = new_token(TokenKind::Api);
        assert_ne!(a, b);
        assert!(a.starts_with("zk_"));
        assert_eq!(hash_token(&a), ha);
        assert_ne!(ha, a);
    }
}
