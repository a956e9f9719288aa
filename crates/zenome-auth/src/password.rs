//! argon2id password hashes in PHC string format.
//!
//! Verification fills argon2's working memory (`memory_kib`, 19 MiB by
//! default) in buffers taken from a pool and given back afterwards, so the
//! memory a burst of logins takes is reused rather than freed into per-thread
//! malloc arenas that keep it (the caller bounds how many run at once, which
//! bounds the pool).

use std::sync::{Arc, Mutex};

use argon2::PasswordHasher as _;
use argon2::{Algorithm, Argon2, Block, Params, PasswordHash, Version};

use crate::AuthError;

/// argon2id cost parameters. The defaults are OWASP's minimum for argon2id
/// (19 MiB, 2 passes, 1 lane); tests may take smaller ones from config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordParams {
    /// Memory in KiB.
    pub memory_kib: u32,
    /// Passes.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// Hashes and verifies passwords with fixed parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    argon: Argon2<'static>,
    dummy: String,
    pool: Arc<Mutex<Vec<Vec<Block>>>>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHasher")
    }
}

impl PasswordHasher {
    /// A hasher with these parameters.
    pub fn new(p: PasswordParams) -> Result<Self, AuthError> {
        let params = Params::new(p.memory_kib, p.iterations, p.parallelism, None)
            .map_err(|e| AuthError::Hash(e.to_string()))?;
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let dummy = argon
            .hash_password(b"zenome-dummy-password")
            .map_err(|e| AuthError::Hash(e.to_string()))?
            .to_string();
        Ok(Self {
            argon,
            dummy,
            pool: Arc::default(),
        })
    }

    /// Working-memory buffers kept for reuse (at most the number of
    /// verifications that ever ran at once).
    pub fn pooled_buffers(&self) -> usize {
        self.pool.lock().map_or(0, |p| p.len())
    }

    /// Recomputes the hash of `password` with the parameters and salt of
    /// `phc`, in pooled memory, and compares in constant time.
    fn check(&self, password: &str, phc: &str) -> Option<bool> {
        let h = PasswordHash::new(phc).ok()?;
        let algorithm = Algorithm::try_from(h.algorithm.as_str()).ok()?;
        let version = match h.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&h).ok()?;
        let salt = h.salt?;
        let expected = h.hash?;
        let blocks = params.block_count();
        let argon = Argon2::new(algorithm, version, params);
        let mut mem = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        if mem.len() < blocks {
            mem.resize(blocks, Block::new());
        }
        let mut out = vec![0u8; expected.len()];
        let r = argon.hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            &mut mem[..blocks],
        );
        if let Ok(mut p) = self.pool.lock() {
            p.push(mem);
        }
        r.ok()?;
        let diff = out
            .iter()
            .zip(expected.as_bytes())
            .fold(0u8, |d, (a, b)| d | (a ^ b));
        Some(diff == 0)
    }

    /// The PHC string of a new salted hash of `password`.
    pub fn hash(&self, password: &str) -> Result<String, AuthError> {
        Ok(self
            .argon
            .hash_password(password.as_bytes())
            .map_err(|e| AuthError::Hash(e.to_string()))?
            .to_string())
    }

    /// Whether `password` matches `phc`. With `None` (unknown user) it still
    /// spends the time of one verification, so timing does not tell whether
    /// a user name exists.
    pub fn verify(&self, password: &str, phc: Option<&str>) -> bool {
        let (hash, real) = match phc {
            Some(h) => (h, true),
            None => (self.dummy.as_str(), false),
        };
        self.check(password, hash).unwrap_or(false) && real
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let h = PasswordHasher::new(PasswordParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let phc = h.hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(h.verify("correct horse", Some(&phc)));
        assert!(!h.verify("wrong", Some(&phc)));
        assert!(!h.verify("correct horse", None));
        assert!(!h.verify("x", Some("not a hash")));
        // a hash made with other parameters still verifies
        let other = PasswordHasher::new(PasswordParams {
            memory_kib: 2048,
            iterations: 2,
            parallelism: 2,
        })
        .unwrap();
        let phc2 = other.hash("battery staple").unwrap();
        assert!(h.verify("battery staple", Some(&phc2)));
        assert!(!h.verify("battery stapl", Some(&phc2)));
    }

    #[test]
    fn verification_memory_is_reused() {
        let h = PasswordHasher::new(PasswordParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        })
        .unwrap();
        let phc = h.hash("correct horse").unwrap();
        for _ in 0..10 {
            assert!(h.verify("correct horse", Some(&phc)));
        }
        assert_eq!(h.pooled_buffers(), 1);
    }
}
