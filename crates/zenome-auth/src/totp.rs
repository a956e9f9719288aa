//! RFC 6238 time-based one-time passwords (SHA-1, 6 digits, 30 s steps: what
//! every authenticator app speaks). The caller stores the last accepted step
//! and refuses a step that is not newer (replay protection).

use base64::Engine as _;
use rand::Rng;
use totp_rs::{Algorithm, Builder, Secret as TotpRsSecret};

use crate::AuthError;

/// A TOTP seed (20 random bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct TotpSecret([u8; 20]);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret([redacted])")
    }
}

impl TotpSecret {
    /// A fresh random seed.
    pub fn generate() -> Self {
        let mut b = [0u8; 20];
        rand::rng().fill_bytes(&mut b);
        Self(b)
    }

    /// A seed from given bytes (deterministic demos and tests).
    pub fn from_bytes(b: [u8; 20]) -> Self {
        Self(b)
    }

    /// The base32 form that authenticator apps take.
    pub fn to_base32(&self) -> String {
        TotpRsSecret::from(self.0.to_vec()).to_base32()
    }

    /// Parses the base32 form.
    pub fn from_base32(s: &str) -> Result<Self, AuthError> {
        let bytes = TotpRsSecret::try_from_base32(s.trim())
            .map_err(|_| AuthError::Totp)?
            .as_bytes()
            .to_vec();
        Ok(Self(bytes.try_into().map_err(|_| AuthError::Totp)?))
    }

    /// Raw bytes (for sealing).
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// Bytes back from an unsealed value.
    pub fn from_slice(b: &[u8]) -> Result<Self, AuthError> {
        Ok(Self(b.try_into().map_err(|_| AuthError::Totp)?))
    }

    /// An `otpauth://` URL for QR codes.
    pub fn otpauth_url(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| {
            s.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        char::from(b).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        };
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
            enc(issuer),
            enc(account),
            self.to_base32(),
            enc(issuer)
        )
    }

    /// Base64 of the raw bytes (for files that store seeds, e.g. demo accounts).
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

fn totp(secret: &TotpSecret) -> totp_rs::Totp {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(30)
        .with_secret(secret.0.to_vec())
        .build_noncompliant()
}

/// The code for `unix_time`.
pub fn totp_code(secret: &TotpSecret, unix_time: u64) -> String {
    totp(secret).generate(unix_time).to_string()
}

/// The time step `code` belongs to, if it is valid at `unix_time` within one
/// step of skew either way.
pub fn verify_totp(secret: &TotpSecret, code: &str, unix_time: u64) -> Option<u64> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    totp(secret).check(code, unix_time)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1 seed "12345678901234567890", T = 59 → 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let s = TotpSecret::from_bytes(*b"12345678901234567890");
        assert_eq!(totp_code(&s, 59), "287082");
        assert_eq!(totp_code(&s, 1_111_111_109), "081804");
    }

    #[test]
    fn skew_of_one_step_and_no_more() {
        let s = TotpSecret::generate();
        let t = 1_800_000_000;
        let code = totp_code(&s, t);
        assert_eq!(verify_totp(&s, &code, t), Some(t / 30));
        assert!(verify_totp(&s, &code, t + 30).is_some());
        assert!(verify_totp(&s, &code, t - 30).is_some());
        assert!(verify_totp(&s, &code, t + 90).is_none());
        assert!(verify_totp(&s, "12345", t).is_none());
        assert!(verify_totp(&s, "abcdef", t).is_none());
    }

    #[test]
    fn base32_round_trip() {
        let s = TotpSecret::generate();
        assert_eq!(TotpSecret::from_base32(&s.to_base32()).unwrap(), s);
        assert!(
            s.otpauth_url("Zenome", "alice@TKY")
                .starts_with("otpauth://totp/Zenome:alice%40TKY?secret=")
        );
    }
}
