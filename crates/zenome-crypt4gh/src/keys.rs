//! X25519 key pairs and the Crypt4GH key file formats.
//!
//! A public key file is PEM-like armour around the base64 of the 32 raw key
//! bytes. A secret key file wraps the `c4gh-v1` container:
//!
//! ```text
//! "c4gh-v1"                      7 bytes, no length prefix
//! string kdfname                 "scrypt", "bcrypt", "pbkdf2_hmac_sha256" or "none"
//! string rounds(u32 BE) || salt  only when kdfname is not "none"
//! string ciphername              "chacha20_poly1305" or "none"
//! string blob                    nonce(12) || ChaCha20-Poly1305(key) || MAC(16), or the raw key
//! string comment                 optional
//! ```
//!
//! where every `string` is a big-endian `u16` length and that many bytes. The
//! passphrase key is 32 bytes of the KDF: scrypt always runs with N=2^14, r=8,
//! p=1 (its `rounds` field is written as 0 and ignored), bcrypt is OpenBSD's
//! `bcrypt_pbkdf` with the stored rounds.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use rand::Rng as _;
use zeroize::Zeroizing;

use crate::Crypt4ghError;

const C4GH_MAGIC: &[u8] = b"c4gh-v1";
const PUBLIC_LABEL: &str = "CRYPT4GH PUBLIC KEY";
/// The label written on secret key files. The reference Python tool writes
/// `CRYPT4GH PRIVATE KEY` and reads any label; the Go and Java libraries and
/// htslib-crypt4gh use this one for the `c4gh-v1` container (htslib reads a
/// `CRYPT4GH PRIVATE KEY` as the 32 raw bytes instead).
const SECRET_LABEL: &str = "CRYPT4GH ENCRYPTED PRIVATE KEY";
const SCRYPT_LOG_N: u8 = 14;
const SCRYPT_R: u32 = 8;
const SCRYPT_P: u32 = 1;
const SALT_LEN: usize = 16;

/// An X25519 secret key: the reader's key for decryption, the writer's for
/// encryption. Its bytes are wiped on drop and never printed.
#[derive(Clone)]
pub struct SecretKey(x25519_dalek::StaticSecret);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey([redacted])")
    }
}

impl SecretKey {
    /// A fresh random key from the thread's CSPRNG (seeded by the OS).
    pub fn generate() -> Self {
        Self(x25519_dalek::StaticSecret::random_from_rng(&mut rand::rng()))
    }

    /// A key from its 32 raw bytes (as stored by every Crypt4GH tool:
    /// clamping happens at use).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(x25519_dalek::StaticSecret::from(bytes))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(x25519_dalek::PublicKey::from(&self.0).to_bytes())
    }

    /// Raw X25519 with `their` public key.
    pub(crate) fn diffie_hellman(&self, their: &PublicKey) -> x25519_dalek::SharedSecret {
        self.0
            .diffie_hellman(&x25519_dalek::PublicKey::from(their.0))
    }

    fn raw(&self) -> &[u8; 32] {
        self.0.as_bytes()
    }
}

/// An X25519 public key (32 bytes, as in a `CRYPT4GH PUBLIC KEY` file).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PublicKey([u8; 32]);

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PublicKey({})", B64.encode(self.0))
    }
}

impl PublicKey {
    /// A key from its 32 raw bytes. No check here: encryption rejects
    /// low-order points ([`Crypt4ghError::WeakPublicKey`]), and so does
    /// [`read_public_key`].
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// True for the small-order points (and their non-canonical encodings):
    /// X25519 with them gives all zeros whatever the secret, so a header
    /// packet "encrypted" to one would be readable by anyone.
    pub fn is_low_order(&self) -> bool {
        // Any clamped scalar is a multiple of the cofactor 8 and below the
        // group order times 8, so the product is zero exactly for the points
        // of order dividing 8.
        x25519_dalek::x25519([0x42; 32], self.0) == [0u8; 32]
    }
}

/// Parses a `-----BEGIN CRYPT4GH PUBLIC KEY-----` file.
pub fn read_public_key(text: &str) -> Result<PublicKey, Crypt4ghError> {
    if text.trim_start().starts_with("ssh-") {
        return Err(Crypt4ghError::InvalidKey(
            "OpenSSH public keys are not supported; use a Crypt4GH key".into(),
        ));
    }
    let (label, data) = unarmour(text)?;
    if label != PUBLIC_LABEL {
        return Err(Crypt4ghError::InvalidKey(format!(
            "expected a \"{PUBLIC_LABEL}\" block, found \"{label}\""
        )));
    }
    let bytes: [u8; 32] = data.as_slice().try_into().map_err(|_| {
        Crypt4ghError::InvalidKey(format!(
            "a public key is 32 bytes, this one decodes to {}",
            data.len()
        ))
    })?;
    let key = PublicKey(bytes);
    if key.is_low_order() {
        return Err(Crypt4ghError::WeakPublicKey { index: 0 });
    }
    Ok(key)
}

/// The `-----BEGIN CRYPT4GH PUBLIC KEY-----` file for `key`.
pub fn write_public_key(key: &PublicKey) -> String {
    armour(PUBLIC_LABEL, &key.0)
}

/// Parses a Crypt4GH secret key file: the `c4gh-v1` container under any
/// `CRYPT4GH ... PRIVATE KEY` label (unprotected, or protected with scrypt,
/// bcrypt or PBKDF2-HMAC-SHA256 and ChaCha20-Poly1305), or 32 raw bytes as
/// htslib-crypt4gh writes them. `passphrase` is only used when the key is
/// protected.
pub fn read_secret_key(text: &str, passphrase: Option<&str>) -> Result<SecretKey, Crypt4ghError> {
    let (label, data) = unarmour(text)?;
    let data = Zeroizing::new(data);
    if label == "OPENSSH PRIVATE KEY" {
        return Err(Crypt4ghError::InvalidKey(
            "OpenSSH private keys are not supported; use a Crypt4GH key".into(),
        ));
    }
    if !label.ends_with("PRIVATE KEY") {
        return Err(Crypt4ghError::InvalidKey(format!(
            "expected a \"{SECRET_LABEL}\" block, found \"{label}\""
        )));
    }
    if !data.starts_with(C4GH_MAGIC) {
        // htslib-crypt4gh's unprotected form: the bare key.
        if let Ok(raw) = <[u8; 32]>::try_from(data.as_slice()) {
            return Ok(SecretKey::from_bytes(raw));
        }
        return Err(Crypt4ghError::InvalidKey(
            "the key data does not start with \"c4gh-v1\"".into(),
        ));
    }
    let mut r = Fields {
        data: &data,
        pos: C4GH_MAGIC.len(),
    };
    let kdf = r.string("the KDF name")?;
    let kdf = std::str::from_utf8(kdf)
        .map_err(|_| Crypt4ghError::InvalidKey("the KDF name is not text".into()))?;
    let kdf_options = if kdf == "none" {
        None
    } else {
        Some(r.string("the KDF options")?)
    };
    let cipher = r.string("the cipher name")?;
    let cipher = std::str::from_utf8(cipher)
        .map_err(|_| Crypt4ghError::InvalidKey("the cipher name is not text".into()))?;
    let blob = r.string("the key material")?;
    // An optional comment may follow; it is not needed.

    let raw: Zeroizing<[u8; 32]> = match cipher {
        "none" => Zeroizing::new(blob.try_into().map_err(|_| {
            Crypt4ghError::InvalidKey(format!(
                "unprotected key material is 32 bytes, found {}",
                blob.len()
            ))
        })?),
        "chacha20_poly1305" => {
            let options = kdf_options.ok_or_else(|| {
                Crypt4ghError::InvalidKey("the key is encrypted but its KDF is \"none\"".into())
            })?;
            if options.len() < 4 {
                return Err(Crypt4ghError::InvalidKey(
                    "the KDF options are shorter than their 4-byte rounds field".into(),
                ));
            }
            let rounds = u32::from_be_bytes(options[..4].try_into().expect("4 bytes"));
            let salt = &options[4..];
            let passphrase = passphrase.ok_or(Crypt4ghError::PassphraseRequired)?;
            let wrapping = derive_key(kdf, passphrase.as_bytes(), rounds, salt)?;
            if blob.len() != 12 + 32 + 16 {
                return Err(Crypt4ghError::InvalidKey(format!(
                    "encrypted key material is 60 bytes (nonce, key, MAC), found {}",
                    blob.len()
                )));
            }
            let nonce = Nonce::try_from(&blob[..12]).expect("12 bytes");
            let tag = Tag::try_from(&blob[44..]).expect("16 bytes");
            let mut key = Zeroizing::new([0u8; 32]);
            key.copy_from_slice(&blob[12..44]);
            ChaCha20Poly1305::new(&(*wrapping).into())
                .decrypt_inout_detached(&nonce, &[], key.as_mut_slice().into(), &tag)
                .map_err(|_| Crypt4ghError::WrongPassphrase)?;
            key
        }
        other => return Err(Crypt4ghError::UnsupportedCipher(other.to_string())),
    };
    Ok(SecretKey::from_bytes(*raw))
}

/// The secret key file for `key`: protected with scrypt and
/// ChaCha20-Poly1305 when a non-empty passphrase is given (an empty one means
/// none, as in the reference tool), unprotected otherwise. The label is
/// `CRYPT4GH ENCRYPTED PRIVATE KEY` either way (the container format's name).
pub fn write_secret_key(key: &SecretKey, passphrase: Option<&str>) -> String {
    let mut out = Zeroizing::new(C4GH_MAGIC.to_vec());
    match passphrase.filter(|p| !p.is_empty()) {
        None => {
            put_string(&mut out, b"none");
            put_string(&mut out, b"none");
            put_string(&mut out, key.raw());
        }
        Some(passphrase) => {
            let mut rng = rand::rng();
            let mut salt = [0u8; SALT_LEN];
            rng.fill_bytes(&mut salt);
            let mut nonce = [0u8; 12];
            rng.fill_bytes(&mut nonce);
            let wrapping = derive_key("scrypt", passphrase.as_bytes(), 0, &salt)
                .expect("scrypt with fixed parameters does not fail");
            let mut blob = Zeroizing::new(Vec::with_capacity(60));
            blob.extend_from_slice(&nonce);
            blob.extend_from_slice(key.raw());
            let tag = ChaCha20Poly1305::new(&(*wrapping).into())
                .encrypt_inout_detached(&Nonce::from(nonce), &[], (&mut blob[12..]).into())
                .expect("32 bytes always encrypt");
            blob.extend_from_slice(&tag);
            let mut options = 0u32.to_be_bytes().to_vec();
            options.extend_from_slice(&salt);
            put_string(&mut out, b"scrypt");
            put_string(&mut out, &options);
            put_string(&mut out, b"chacha20_poly1305");
            put_string(&mut out, &blob);
        }
    }
    armour(SECRET_LABEL, &out)
}

fn derive_key(
    kdf: &str,
    passphrase: &[u8],
    rounds: u32,
    salt: &[u8],
) -> Result<Zeroizing<[u8; 32]>, Crypt4ghError> {
    let mut out = Zeroizing::new([0u8; 32]);
    match kdf {
        "scrypt" => {
            let params = scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
                .expect("fixed scrypt parameters are valid");
            scrypt::scrypt(passphrase, salt, &params, out.as_mut_slice())
                .expect("32 bytes is a valid scrypt output length");
        }
        "bcrypt" => {
            bcrypt_pbkdf::bcrypt_pbkdf(passphrase, salt, rounds, out.as_mut_slice()).map_err(
                |e| match e {
                    // An empty passphrase cannot be right for a protected key.
                    bcrypt_pbkdf::Error::InvalidParamLen if passphrase.is_empty() => {
                        Crypt4ghError::WrongPassphrase
                    }
                    e => Crypt4ghError::InvalidKey(format!("bad bcrypt parameters: {e}")),
                },
            )?;
        }
        "pbkdf2_hmac_sha256" => {
            if rounds == 0 {
                return Err(Crypt4ghError::InvalidKey("PBKDF2 with 0 rounds".into()));
            }
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(passphrase, salt, rounds, out.as_mut_slice());
        }
        other => return Err(Crypt4ghError::UnsupportedKdf(other.to_string())),
    }
    Ok(out)
}

/// Reads the big-endian-length-prefixed strings of a key container.
struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Fields<'a> {
    fn string(&mut self, what: &str) -> Result<&'a [u8], Crypt4ghError> {
        let short = || Crypt4ghError::InvalidKey(format!("the key data ends before {what}"));
        let len_bytes = self.data.get(self.pos..self.pos + 2).ok_or_else(short)?;
        let len = u16::from_be_bytes([len_bytes[0], len_bytes[1]]) as usize;
        let value = self
            .data
            .get(self.pos + 2..self.pos + 2 + len)
            .ok_or_else(short)?;
        self.pos += 2 + len;
        Ok(value)
    }
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) {
    let len = u16::try_from(s.len()).expect("key file strings are short");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s);
}

fn armour(label: &str, data: &[u8]) -> String {
    let b64 = Zeroizing::new(B64.encode(data));
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// Splits `-----BEGIN X-----` / base64 lines / `-----END X-----` into the
/// label X and the decoded bytes.
fn unarmour(text: &str) -> Result<(String, Vec<u8>), Crypt4ghError> {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines
        .next()
        .ok_or_else(|| Crypt4ghError::InvalidKey("the key file is empty".into()))?;
    let label = first
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| {
            Crypt4ghError::InvalidKey("the first line is not a \"-----BEGIN ...-----\" line".into())
        })?;
    let end = format!("-----END {label}-----");
    let mut b64 = Zeroizing::new(String::new());
    let mut ended = false;
    for line in lines {
        if line == end {
            ended = true;
            break;
        }
        b64.push_str(line);
    }
    if !ended {
        return Err(Crypt4ghError::InvalidKey(format!(
            "no \"{end}\" line after the key"
        )));
    }
    let data = B64
        .decode(b64.as_bytes())
        .map_err(|_| Crypt4ghError::InvalidKey("the key body is not valid base64".into()))?;
    Ok((label.to_string(), data))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_file_round_trip() {
        let pk = SecretKey::generate().public();
        let text = write_public_key(&pk);
        assert!(text.starts_with("-----BEGIN CRYPT4GH PUBLIC KEY-----\n"));
        assert_eq!(read_public_key(&text).unwrap(), pk);
    }

    #[test]
    fn unprotected_secret_key_round_trip() {
        let sk = SecretKey::generate();
        let text = write_secret_key(&sk, None);
        assert!(text.starts_with("-----BEGIN CRYPT4GH ENCRYPTED PRIVATE KEY-----\n"));
        let back = read_secret_key(&text, None).unwrap();
        assert_eq!(back.public(), sk.public());
        // A passphrase is ignored for an unprotected key; an empty one means none.
        assert_eq!(
            read_secret_key(&text, Some("x")).unwrap().public(),
            sk.public()
        );
        let empty = write_secret_key(&sk, Some(""));
        assert_eq!(read_secret_key(&empty, None).unwrap().public(), sk.public());
    }

    #[test]
    fn debug_does_not_print_the_secret() {
        let sk = SecretKey::from_bytes([7u8; 32]);
        assert_eq!(format!("{sk:?}"), "SecretKey([redacted])");
    }

    #[test]
    fn low_order_points_are_rejected() {
        // The all-zero point and the point of order 2 (u = 1).
        assert!(PublicKey::from_bytes([0u8; 32]).is_low_order());
        let mut one = [0u8; 32];
        one[0] = 1;
        assert!(PublicKey::from_bytes(one).is_low_order());
        assert!(!SecretKey::generate().public().is_low_order());
        let text = write_public_key(&PublicKey::from_bytes([0u8; 32]));
        assert!(matches!(
            read_public_key(&text),
            Err(Crypt4ghError::WeakPublicKey { .. })
        ));
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        let e = read_public_key("").unwrap_err().to_string();
        assert!(e.contains("empty"), "{e}");
        let e = read_public_key("-----BEGIN CRYPT4GH PUBLIC KEY-----\nAAAA\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("-----END CRYPT4GH PUBLIC KEY-----"), "{e}");
        let e = read_public_key(
            "-----BEGIN CRYPT4GH PUBLIC KEY-----\nAAAA\n-----END CRYPT4GH PUBLIC KEY-----\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("32 bytes"), "{e}");
        let e = read_public_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5 me")
            .unwrap_err()
            .to_string();
        assert!(e.contains("OpenSSH"), "{e}");
        let pk = write_public_key(&SecretKey::generate().public());
        let e = read_secret_key(&pk, None).unwrap_err().to_string();
        assert!(e.contains("PUBLIC KEY"), "{e}");
    }

    #[test]
    fn bare_32_byte_secret_key_is_accepted() {
        let sk = SecretKey::generate();
        let text = armour("CRYPT4GH PRIVATE KEY", sk.raw());
        assert_eq!(read_secret_key(&text, None).unwrap().public(), sk.public());
    }
}
