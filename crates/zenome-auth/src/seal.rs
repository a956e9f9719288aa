//! Secrets sealed at rest (TOTP seeds) with XChaCha20-Poly1305 under the
//! server key. The stored form is base64(nonce ‖ ciphertext ‖ tag).

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::Rng;

use crate::AuthError;

/// The key that seals secrets at rest (32 bytes).
#[derive(Clone)]
pub struct SealKey([u8; 32]);

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealKey([redacted])")
    }
}

impl SealKey {
    /// A fresh random key.
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        rand::rng().fill_bytes(&mut k);
        Self(k)
    }

    /// A key from its hex form (as kept in the key file).
    pub fn from_hex(s: &str) -> Result<Self, AuthError> {
        let b = hex::decode(s.trim()).map_err(|_| AuthError::Key("not hex"))?;
        Ok(Self(
            b.try_into()
                .map_err(|_| AuthError::Key("must be 32 bytes"))?,
        ))
    }

    /// The hex form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Raw bytes, for deriving sub-keys.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Seals `plain`; `context` is bound in (e.g. the user id) so a sealed
    /// value cannot be moved to another row.
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> String {
        let cipher = XChaCha20Poly1305::new_from_slice(&self.0).expect("32-byte key");
        let mut n = [0u8; 24];
        rand::rng().fill_bytes(&mut n);
        let nonce = XNonce::from(n);
        let ct = cipher
            .encrypt(
                &nonce,
                chacha20poly1305::aead::Payload {
                    msg: plain,
                    aad: context,
                },
            )
            .expect("encryption does not fail");
        let mut out = n.to_vec();
        out.extend_from_slice(&ct);
        base64::engine::general_purpose::STANDARD.encode(out)
    }

    /// Opens a sealed value.
    pub fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, AuthError> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sealed)
            .map_err(|_| AuthError::Unseal)?;
        if raw.len() < 24 + 16 {
            return Err(AuthError::Unseal);
        }
        let (n, ct) = raw.split_at(24);
        let n: [u8; 24] = n.try_into().expect("split at 24");
        let cipher = XChaCha20Poly1305::new_from_slice(&self.0).expect("32-byte key");
        cipher
            .decrypt(
                &XNonce::from(n),
                chacha20poly1305::aead::Payload {
                    msg: ct,
                    aad: context,
                },
            )
            .map_err(|_| AuthError::Unseal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let k = SealKey::generate();
        let s = k.seal(b"seed", b"user-1");
        assert_eq!(k.open(&s, b"user-1").unwrap(), b"seed");
        assert!(k.open(&s, b"user-2").is_err(), "bound to its context");
        assert!(
            SealKey::generate().open(&s, b"user-1").is_err(),
            "wrong key"
        );
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(&s)
            .unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let t = base64::engine::general_purpose::STANDARD.encode(raw);
        assert!(k.open(&t, b"user-1").is_err(), "tampered");
        assert_eq!(
            SealKey::from_hex(&k.to_hex()).unwrap().as_bytes(),
            k.as_bytes()
        );
    }
}
