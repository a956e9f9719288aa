//! CSRF tokens for the portal's forms: HMAC-SHA256 of a per-session (or
//! per-visitor, before login) value under a server key. The form carries the
//! token; the server recomputes it from the cookie it already trusts.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The key CSRF tokens are derived with.
#[derive(Clone)]
pub struct CsrfKey([u8; 32]);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey([redacted])")
    }
}

impl CsrfKey {
    /// Derives the CSRF key from the server key.
    pub fn derive(server_key: &[u8; 32]) -> Self {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(server_key).expect("any key length");
        m.update(b"zenome-csrf-v1");
        Self(m.finalize().into_bytes().into())
    }

    /// The token for a session (or visitor) value.
    pub fn token(&self, binding: &str) -> String {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("any key length");
        m.update(binding.as_bytes());
        hex::encode(m.finalize().into_bytes())
    }

    /// Whether `token` belongs to `binding` (constant-time comparison).
    pub fn verify(&self, binding: &str, token: &str) -> bool {
        let Ok(t) = hex::decode(token) else {
            return false;
        };
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("any key length");
        m.update(binding.as_bytes());
        m.verify_slice(&t).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_bind_to_their_session() {
        let k = CsrfKey::derive(&[7; 32]);
        let t = k.token("session-a");
        assert!(k.verify("session-a", &t));
        assert!(!k.verify("session-b", &t));
        assert!(!k.verify("session-a", "zz"));
        assert!(!CsrfKey::derive(&[8; 32]).verify("session-a", &t));
    }
}
