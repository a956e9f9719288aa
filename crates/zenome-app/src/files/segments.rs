//! Crypt4GH body segments, one at a time: what the resumable upload writes
//! between requests (and after a restart) and what ranged plain downloads
//! read. The file format itself — headers, keys — is zenome-crypt4gh's.

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use rand::Rng;

use crate::AppError;

/// Plaintext bytes per segment.
pub const SEGMENT: usize = zenome_crypt4gh::SEGMENT_SIZE;
/// Bytes a full segment takes once encrypted.
pub const CIPHER_SEGMENT: usize = SEGMENT + 28;

/// Encrypts one segment (at most [`SEGMENT`] bytes): nonce ‖ ciphertext ‖ MAC.
pub fn encrypt(key: &[u8; 32], plain: &[u8]) -> Vec<u8> {
    let cipher = ChaCha20Poly1305::new_from_slice(key).expect("32-byte key");
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let mut out = Vec::with_capacity(plain.len() + 28);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plain);
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(nonce), b"", (&mut out[12..]).into())
        .expect("encryption does not fail");
    out.extend_from_slice(&tag);
    out
}

/// Decrypts one segment; `index` names it in the error.
pub fn decrypt(key: &[u8; 32], seg: &[u8], index: u64) -> Result<Vec<u8>, AppError> {
    if seg.len() < 28 {
        return Err(AppError::Internal(format!("segment {index} is truncated")));
    }
    let cipher = ChaCha20Poly1305::new_from_slice(key).expect("32-byte key");
    let nonce: [u8; 12] = seg[..12].try_into().expect("12 bytes");
    let tag: [u8; 16] = seg[seg.len() - 16..].try_into().expect("16 bytes");
    let mut buf = seg[12..seg.len() - 16].to_vec();
    cipher
        .decrypt_inout_detached(
            &Nonce::from(nonce),
            b"",
            (&mut buf[..]).into(),
            &Tag::from(tag),
        )
        .map_err(|_| AppError::Internal(format!("segment {index} does not authenticate")))?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_segments_are_crypt4gh_segments() {
        // a file whose header comes from zenome-crypt4gh and whose body is
        // made of our segments decrypts with zenome-crypt4gh
        let sk = zenome_crypt4gh::SecretKey::generate();
        let enc = zenome_crypt4gh::Encryptor::new(&sk, &[sk.public()]);
        let header = enc.header();
        let (h, _) = zenome_crypt4gh::Header::parse(&header).unwrap();
        let key = h.session_keys(&sk).unwrap()[0];
        let plain: Vec<u8> = (0..150_000u32).map(|i| (i % 253) as u8).collect();
        let mut file = header.clone();
        for (i, chunk) in plain.chunks(SEGMENT).enumerate() {
            let seg = encrypt(&key, chunk);
            assert_eq!(decrypt(&key, &seg, i as u64).unwrap(), chunk);
            file.extend(seg);
        }
        let mut out = Vec::new();
        zenome_crypt4gh::decrypt(&file[..], &mut out, &sk).unwrap();
        assert_eq!(out, plain);
        let mut bad = encrypt(&key, b"abc");
        bad[15] ^= 1;
        assert!(
            decrypt(&key, &bad, 7)
                .unwrap_err()
                .to_string()
                .contains("segment 7")
        );
    }
}
