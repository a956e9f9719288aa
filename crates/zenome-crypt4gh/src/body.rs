//! The encrypted body: 64 KiB plaintext segments, each stored as
//! nonce (12) || ChaCha20-Poly1305 ciphertext || MAC (16). Streaming
//! encryption (push-based for async callers, or `Read` to `Write`), streaming
//! decryption with edit lists, and random-access range decryption.

use std::io::{self, Read, Seek, SeekFrom, Write};

use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use rand::Rng as _;
use zeroize::Zeroizing;

use crate::header::{Header, build_header, data_key_packet};
use crate::{Crypt4ghError, PublicKey, SecretKey};

/// Plaintext bytes per segment.
pub const SEGMENT_SIZE: usize = 65536;
const NONCE_LEN: usize = 12;
const MAC_LEN: usize = 16;
/// Bytes a segment grows by when encrypted.
const OVERHEAD: usize = NONCE_LEN + MAC_LEN;
/// Bytes of a full encrypted segment.
pub(crate) const CIPHER_SEGMENT_SIZE: usize = SEGMENT_SIZE + OVERHEAD;

/// The body size for a plaintext length (the file is the header plus this).
pub fn encrypted_size(plaintext_len: u64) -> u64 {
    let full = plaintext_len / SEGMENT_SIZE as u64;
    let rest = plaintext_len % SEGMENT_SIZE as u64;
    full * CIPHER_SEGMENT_SIZE as u64 + if rest > 0 { rest + OVERHEAD as u64 } else { 0 }
}

/// The plaintext length of a body of `body_len` bytes (no edit list
/// applied); an error for a length no plaintext encrypts to.
pub fn plaintext_size(body_len: u64) -> Result<u64, Crypt4ghError> {
    let full = body_len / CIPHER_SEGMENT_SIZE as u64;
    let rest = body_len % CIPHER_SEGMENT_SIZE as u64;
    if rest == 0 {
        Ok(full * SEGMENT_SIZE as u64)
    } else if rest > OVERHEAD as u64 {
        Ok(full * SEGMENT_SIZE as u64 + rest - OVERHEAD as u64)
    } else {
        Err(Crypt4ghError::InvalidBodyLength(body_len))
    }
}

/// Streaming encryption usable from async code: push plaintext, get
/// ciphertext bytes out. Write [`header`](Self::header) first, then every
/// [`push`](Self::push) result, then [`finish`](Self::finish).
///
/// One fresh random data key per file, each segment with a fresh random
/// nonce; the header holds the data key once per recipient.
pub struct Encryptor {
    header: Vec<u8>,
    cipher: ChaCha20Poly1305,
    pending: Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Encryptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryptor")
            .field("header_len", &self.header.len())
            .field("pending", &self.pending.len())
            .finish_non_exhaustive()
    }
}

impl Encryptor {
    /// An encryptor writing as `sender` for `recipients`.
    ///
    /// # Panics
    /// If `recipients` is empty or holds a low-order point; see
    /// [`try_new`](Self::try_new) for the fallible form.
    pub fn new(sender: &SecretKey, recipients: &[PublicKey]) -> Self {
        match Self::try_new(sender, recipients) {
            Ok(e) => e,
            Err(e) => panic!("Encryptor::new: {e}"),
        }
    }

    /// An encryptor writing as `sender` for `recipients`; refuses an empty
    /// recipient list and low-order public keys.
    pub fn try_new(sender: &SecretKey, recipients: &[PublicKey]) -> Result<Self, Crypt4ghError> {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut_slice());
        let header = build_header(sender, recipients, &[data_key_packet(&key)])?;
        Ok(Self {
            header,
            cipher: ChaCha20Poly1305::new(&(*key).into()),
            pending: Zeroizing::new(Vec::with_capacity(SEGMENT_SIZE)),
        })
    }

    /// The serialised header, to be written before any body bytes.
    pub fn header(&self) -> Vec<u8> {
        self.header.clone()
    }

    /// Takes more plaintext and returns the whole encrypted segments ready so
    /// far (possibly none); fewer than 64 KiB stay buffered.
    pub fn push(&mut self, mut plaintext: &[u8]) -> Vec<u8> {
        let total = self.pending.len() + plaintext.len();
        let mut out = Vec::with_capacity(total / SEGMENT_SIZE * CIPHER_SEGMENT_SIZE);
        if !self.pending.is_empty() {
            let take = (SEGMENT_SIZE - self.pending.len()).min(plaintext.len());
            self.pending.extend_from_slice(&plaintext[..take]);
            plaintext = &plaintext[take..];
            if self.pending.len() < SEGMENT_SIZE {
                return out;
            }
            seal_segment(&self.cipher, &self.pending, &mut out);
            self.pending.clear();
        }
        let mut chunks = plaintext.chunks_exact(SEGMENT_SIZE);
        for chunk in &mut chunks {
            seal_segment(&self.cipher, chunk, &mut out);
        }
        self.pending.extend_from_slice(chunks.remainder());
        out
    }

    /// The last, partial segment (empty if the plaintext length is a multiple
    /// of 64 KiB, including zero).
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.pending.len() + OVERHEAD);
        if !self.pending.is_empty() {
            seal_segment(&self.cipher, &self.pending, &mut out);
        }
        out
    }
}

/// Encrypts all of `reader` into `writer` (header then body) for
/// `recipients`, written by `sender`. Returns the bytes written.
pub fn encrypt(
    mut reader: impl Read,
    mut writer: impl Write,
    sender: &SecretKey,
    recipients: &[PublicKey],
) -> Result<u64, Crypt4ghError> {
    let enc = Encryptor::try_new(sender, recipients)?;
    writer.write_all(&enc.header)?;
    let mut written = enc.header.len() as u64;
    let mut plain = Zeroizing::new(vec![0u8; SEGMENT_SIZE]);
    let mut out = Vec::with_capacity(CIPHER_SEGMENT_SIZE);
    loop {
        let n = read_full(&mut reader, &mut plain)?;
        if n == 0 {
            break;
        }
        out.clear();
        seal_segment(&enc.cipher, &plain[..n], &mut out);
        writer.write_all(&out)?;
        written += out.len() as u64;
        if n < SEGMENT_SIZE {
            break;
        }
    }
    writer.flush()?;
    Ok(written)
}

/// Streaming decryption of a whole file (header then body) with the
/// reader's key; an edit list in the header is applied. Returns the
/// plaintext bytes written.
///
/// Segments are written as soon as each one authenticates: on an error,
/// `writer` has received a prefix of the plaintext, which the caller must
/// discard. Note that the format cannot detect a file cut exactly at a
/// segment boundary (segments carry no index or end marker in version 1).
pub fn decrypt(
    mut reader: impl Read,
    mut writer: impl Write,
    reader_key: &SecretKey,
) -> Result<u64, Crypt4ghError> {
    let (header, header_len) = Header::read_from(&mut reader)?;
    let contents = header.decrypt(reader_key)?;
    let ciphers: Vec<_> = contents
        .session_keys
        .iter()
        .map(|k| ChaCha20Poly1305::new(&(*k).into()))
        .collect();
    let mut edits = contents.edit_list.map(EditList::new);
    let mut buf = Zeroizing::new(vec![0u8; CIPHER_SEGMENT_SIZE]);
    let mut offset = header_len as u64;
    let mut written = 0u64;
    let mut last_key = 0usize;
    for segment in 0u64.. {
        let n = read_full(&mut reader, &mut buf)?;
        if n == 0 {
            break;
        }
        let plain = open_segment(&ciphers, &mut last_key, &mut buf[..n], segment, offset)?;
        written += match &mut edits {
            Some(edits) => edits.apply(plain, &mut writer)?,
            None => {
                writer.write_all(plain)?;
                plain.len() as u64
            }
        };
        offset += n as u64;
    }
    writer.flush()?;
    Ok(written)
}

/// Random access: decrypts the plaintext byte range `[start, end)` of the
/// body, reading only the segments that cover it. `body` holds the body at
/// `body_start` (the header length when it is the whole file); offsets in
/// errors are positions in `body`. The range is over the body's plaintext as
/// stored: an edit list, if the header has one, is not applied. Returns the
/// bytes written, `end - start` on success.
pub fn decrypt_range(
    mut body: impl Read + Seek,
    body_start: u64,
    session_key: &[u8; 32],
    start: u64,
    end: u64,
    mut out: impl Write,
) -> Result<u64, Crypt4ghError> {
    if start > end {
        return Err(Crypt4ghError::InvalidRange { start, end });
    }
    if start == end {
        return Ok(0);
    }
    let seg_size = SEGMENT_SIZE as u64;
    let first = start / seg_size;
    let last = (end - 1) / seg_size;
    let position = |segment: u64| body_start + segment * CIPHER_SEGMENT_SIZE as u64;
    body.seek(SeekFrom::Start(position(first)))?;
    let ciphers = [ChaCha20Poly1305::new(&(*session_key).into())];
    let mut buf = Zeroizing::new(vec![0u8; CIPHER_SEGMENT_SIZE]);
    let mut written = 0u64;
    for segment in first..=last {
        let n = read_full(&mut body, &mut buf)?;
        let out_of_bounds = |body: &mut dyn SeekRead| {
            let available = available_plaintext(body, body_start).unwrap_or(segment * seg_size);
            Crypt4ghError::RangeOutOfBounds {
                start,
                end,
                available,
            }
        };
        if n == 0 {
            return Err(out_of_bounds(&mut body));
        }
        let plain = open_segment(&ciphers, &mut 0, &mut buf[..n], segment, position(segment))?;
        let seg_start = segment * seg_size;
        if end > seg_start + plain.len() as u64 && (segment == last || n < CIPHER_SEGMENT_SIZE) {
            return Err(out_of_bounds(&mut body));
        }
        let lo = (start.max(seg_start) - seg_start) as usize;
        let hi = (end.min(seg_start + plain.len() as u64) - seg_start) as usize;
        out.write_all(&plain[lo..hi])?;
        written += (hi - lo) as u64;
    }
    out.flush()?;
    Ok(written)
}

trait SeekRead: Read + Seek {}
impl<T: Read + Seek> SeekRead for T {}

/// Plaintext bytes in the body, from its length (for error messages).
fn available_plaintext(body: &mut dyn SeekRead, body_start: u64) -> Option<u64> {
    let total = body.seek(SeekFrom::End(0)).ok()?;
    plaintext_size(total.checked_sub(body_start)?).ok()
}

/// Appends nonce || ciphertext || MAC of `plain` to `out`.
fn seal_segment(cipher: &ChaCha20Poly1305, plain: &[u8], out: &mut Vec<u8>) {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    out.extend_from_slice(&nonce);
    let at = out.len();
    out.extend_from_slice(plain);
    let tag = cipher
        .encrypt_inout_detached(&Nonce::from(nonce), &[], (&mut out[at..]).into())
        .expect("a 64 KiB segment is far below the AEAD size limit");
    out.extend_from_slice(&tag);
}

/// Authenticates and decrypts one encrypted segment in place, trying the
/// last successful key first; returns its plaintext.
fn open_segment<'a>(
    ciphers: &[ChaCha20Poly1305],
    last_key: &mut usize,
    segment_bytes: &'a mut [u8],
    segment: u64,
    offset: u64,
) -> Result<&'a [u8], Crypt4ghError> {
    let len = segment_bytes.len();
    if len <= OVERHEAD {
        return Err(Crypt4ghError::TruncatedSegment {
            segment,
            offset,
            len,
        });
    }
    let (nonce, rest) = segment_bytes.split_at_mut(NONCE_LEN);
    let nonce = Nonce::try_from(&*nonce).expect("12 bytes");
    let (ct, tag) = rest.split_at_mut(len - OVERHEAD);
    let tag = Tag::try_from(&*tag).expect("16 bytes");
    let order = std::iter::once(*last_key).chain((0..ciphers.len()).filter(|i| i != last_key));
    for i in order {
        // The AEAD checks the MAC before touching the buffer, so a failed
        // key leaves the ciphertext intact for the next one.
        if ciphers[i]
            .decrypt_inout_detached(&nonce, &[], (&mut *ct).into(), &tag)
            .is_ok()
        {
            *last_key = i;
            return Ok(ct);
        }
    }
    Err(Crypt4ghError::SegmentAuth { segment, offset })
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Applies an edit list (discard, keep, discard, ...) to the plaintext as
/// it streams by. After the last length: an odd-length list (ending on a
/// discard) keeps the rest, an even-length one drops it.
struct EditList {
    lengths: Vec<u64>,
    index: usize,
    left: u64,
}

impl EditList {
    fn new(lengths: Vec<u64>) -> Self {
        let left = lengths.first().copied().unwrap_or(0);
        Self {
            lengths,
            index: 0,
            left,
        }
    }

    fn apply(&mut self, mut data: &[u8], out: &mut impl Write) -> io::Result<u64> {
        let mut written = 0u64;
        while !data.is_empty() {
            if self.index >= self.lengths.len() {
                if self.lengths.len() % 2 == 1 {
                    out.write_all(data)?;
                    written += data.len() as u64;
                }
                break;
            }
            let n = self.left.min(data.len() as u64) as usize;
            if self.index % 2 == 1 {
                out.write_all(&data[..n])?;
                written += n as u64;
            }
            data = &data[n..];
            self.left -= n as u64;
            if self.left == 0 {
                self.index += 1;
                self.left = self.lengths.get(self.index).copied().unwrap_or(0);
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(encrypted_size(0), 0);
        assert_eq!(encrypted_size(1), 29);
        assert_eq!(encrypted_size(65536), 65564);
        assert_eq!(encrypted_size(65537), 65564 + 29);
        for n in [0u64, 1, 100, 65535, 65536, 65537, 3 * 65536, 10_000_000] {
            assert_eq!(plaintext_size(encrypted_size(n)).unwrap(), n);
        }
        assert!(matches!(
            plaintext_size(65564 + 28),
            Err(Crypt4ghError::InvalidBodyLength(_))
        ));
    }

    #[test]
    fn push_in_odd_pieces_matches_the_size() {
        let sender = SecretKey::generate();
        let reader = SecretKey::generate();
        let mut enc = Encryptor::new(&sender, &[reader.public()]);
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut file = enc.header();
        for piece in data.chunks(7777) {
            file.extend(enc.push(piece));
        }
        file.extend(enc.finish());
        assert_eq!(
            file.len() as u64,
            enc_header_len() + encrypted_size(data.len() as u64)
        );
        let mut back = Vec::new();
        decrypt(file.as_slice(), &mut back, &reader).unwrap();
        assert_eq!(back, data);
    }

    fn enc_header_len() -> u64 {
        16 + 108
    }

    #[test]
    fn edit_list_follows_the_spec_algorithm() {
        fn run(list: &[u64], input: &[u8], piece: usize) -> Vec<u8> {
            let mut e = EditList::new(list.to_vec());
            let mut out = Vec::new();
            for p in input.chunks(piece) {
                e.apply(p, &mut out).unwrap();
            }
            out
        }
        let input: Vec<u8> = (0..100u8).collect();
        for piece in [1, 3, 100] {
            // discard 10, keep 5, discard 20, then (odd) keep the rest
            let mut want: Vec<u8> = (10..15).collect();
            want.extend(35..100);
            assert_eq!(run(&[10, 5, 20], &input, piece), want);
            // even: discard 0, keep 3, discard 1, keep 2, and drop the rest
            assert_eq!(run(&[0, 3, 1, 2], &input, piece), vec![0, 1, 2, 4, 5]);
            // keeps past the end just stop
            assert_eq!(run(&[98, 50], &input, piece), vec![98, 99]);
        }
    }

    #[test]
    fn invalid_ranges_are_refused() {
        let body = std::io::Cursor::new(Vec::new());
        assert!(matches!(
            decrypt_range(body, 0, &[0; 32], 5, 4, Vec::new()),
            Err(Crypt4ghError::InvalidRange { start: 5, end: 4 })
        ));
        let body = std::io::Cursor::new(Vec::new());
        assert_eq!(
            decrypt_range(body, 0, &[0; 32], 5, 5, Vec::new()).unwrap(),
            0
        );
    }
}
