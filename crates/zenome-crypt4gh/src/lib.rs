//! Zenome's implementation of the GA4GH Crypt4GH file format, version 1, on
//! maintained RustCrypto primitives (X25519, BLAKE2b, ChaCha20-Poly1305,
//! scrypt/bcrypt for key files). It owns everything byte-level about
//! encrypted genome files: key pairs and their file formats, the header
//! (data keys encrypted per recipient), the segmented body, streaming
//! encryption and decryption, re-encrypting just the header for a new
//! recipient, and random-access decryption of a plaintext byte range. It does
//! no I/O of its own beyond the `Read`/`Write` it is handed.
//!
//! Files written here are read by the reference tool (`pip install crypt4gh`)
//! and the other way round; the integration tests check both directions.
//!
//! What version 1 of the format does not protect against (spec §5.4):
//! removing, reordering or appending whole segments, and so truncation at a
//! segment boundary, goes undetected; each segment is authenticated on its
//! own.

mod body;
mod error;
mod header;
mod keys;

pub use body::{
    Encryptor, SEGMENT_SIZE, decrypt, decrypt_range, encrypt, encrypted_size, plaintext_size,
};
pub use error::Crypt4ghError;
pub use header::{Header, HeaderContents, reencrypt_header};
pub use keys::{
    PublicKey, SecretKey, read_public_key, read_secret_key, write_public_key, write_secret_key,
};
