//! The Crypt4GH header: parsing, building, decrypting its packets, and
//! re-encrypting it for new recipients.
//!
//! ```text
//! "crypt4gh" | version u32 LE = 1 | packet count u32 LE | packets...
//! packet: length u32 LE (whole packet, this field included)
//!         | method u32 LE (0 = X25519_chacha20_ietf_poly1305)
//!         | writer public key (32) | nonce (12) | ChaCha20-Poly1305 ciphertext | MAC (16)
//! plaintext: type u32 LE, then
//!   type 0 (data encryption parameters): method u32 LE (0 = chacha20_ietf_poly1305) | key (32)
//!   type 1 (data edit list): count u32 LE | count × u64 LE lengths
//! ```
//!
//! The packet key is the first 32 bytes of
//! BLAKE2b-512(X25519(sk, peer_pk) || reader_pk || writer_pk): libsodium's
//! `crypto_kx` with the writer as the server (its `tx` key) and the reader as
//! the client (its `rx` key), which is what the reference tool calls.

use std::io::Read;

use blake2::{Blake2b512, Digest as _};
use chacha20poly1305::aead::{AeadInOut, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, Tag};
use rand::Rng as _;
use zeroize::Zeroizing;

use crate::{Crypt4ghError, PublicKey, SecretKey};

pub(crate) const MAGIC: &[u8; 8] = b"crypt4gh";
pub(crate) const VERSION: u32 = 1;
const METHOD_X25519_CHACHA20_POLY1305: u32 = 0;
const PACKET_DATA_ENCRYPTION_PARAMETERS: u32 = 0;
const PACKET_DATA_EDIT_LIST: u32 = 1;
const DATA_METHOD_CHACHA20_POLY1305: u32 = 0;
/// Header packets hold a key or an edit list: a few dozen bytes. A larger
/// length is refused before anything is allocated for it.
const MAX_PACKET_LEN: u32 = 1 << 20;
const PK_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const MAC_LEN: usize = 16;

/// A parsed (still encrypted) Crypt4GH header.
#[derive(Clone, Debug)]
pub struct Header {
    packets: Vec<RawPacket>,
}

#[derive(Clone, Debug)]
struct RawPacket {
    /// Byte offset of the packet's length field from the start of the file.
    offset: u64,
    method: u32,
    /// Everything after the method field.
    body: Vec<u8>,
}

/// What a reader's key unlocks in a header.
#[derive(Clone)]
pub struct HeaderContents {
    /// The data keys (ChaCha20-Poly1305) for the body's segments, in header
    /// order. Each segment is encrypted with one of them.
    pub session_keys: Vec<[u8; 32]>,
    /// The edit list (alternating discard and keep lengths over the
    /// plaintext), if the header has one for this reader. An empty list is
    /// reported as `None`.
    pub edit_list: Option<Vec<u64>>,
}

impl std::fmt::Debug for HeaderContents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeaderContents")
            .field(
                "session_keys",
                &format_args!("[{} redacted]", self.session_keys.len()),
            )
            .field("edit_list", &self.edit_list)
            .finish()
    }
}

impl Header {
    /// Parses the header at the start of `bytes` (which may go on into the
    /// body) and returns it with its length in bytes: the body starts there.
    pub fn parse(bytes: &[u8]) -> Result<(Header, usize), Crypt4ghError> {
        let mut reader = bytes;
        Self::read_from(&mut reader)
    }

    /// Reads the header from the start of a stream, leaving the stream at the
    /// first byte of the body. Returns the header and its length.
    pub fn read_from(mut reader: impl Read) -> Result<(Header, usize), Crypt4ghError> {
        let mut fixed = [0u8; 16];
        read_field(
            &mut reader,
            &mut fixed,
            0,
            "the 16-byte magic, version and packet count",
        )?;
        if &fixed[..8] != MAGIC {
            return Err(Crypt4ghError::BadMagic);
        }
        let version = u32_le(&fixed[8..12]);
        if version != VERSION {
            return Err(Crypt4ghError::UnsupportedVersion(version));
        }
        let count = u32_le(&fixed[12..16]);
        let mut offset = 16u64;
        let mut packets = Vec::new();
        for index in 0..count {
            let mut head = [0u8; 8];
            read_field(
                &mut reader,
                &mut head[..4],
                offset,
                "a header packet length",
            )?;
            let len = u32_le(&head[..4]);
            if len < 8 {
                return Err(Crypt4ghError::InvalidPacket {
                    packet: index,
                    offset,
                    reason: format!(
                        "length {len} is shorter than its own length and method fields"
                    ),
                });
            }
            if len > MAX_PACKET_LEN {
                return Err(Crypt4ghError::InvalidPacket {
                    packet: index,
                    offset,
                    reason: format!("length {len} exceeds the {MAX_PACKET_LEN}-byte limit"),
                });
            }
            read_field(
                &mut reader,
                &mut head[4..],
                offset + 4,
                "a header packet encryption method",
            )?;
            let method = u32_le(&head[4..]);
            let body_len = u64::from(len - 8);
            let mut body = Vec::new();
            (&mut reader).take(body_len).read_to_end(&mut body)?;
            if (body.len() as u64) < body_len {
                return Err(Crypt4ghError::TruncatedHeader {
                    offset: offset + 8 + body.len() as u64,
                    what: "the rest of a header packet",
                });
            }
            packets.push(RawPacket {
                offset,
                method,
                body,
            });
            offset += u64::from(len);
        }
        let len = usize::try_from(offset).expect("a header in memory fits usize");
        Ok((Header { packets }, len))
    }

    /// How many packets the header holds (for all readers).
    pub fn packet_count(&self) -> usize {
        self.packets.len()
    }

    /// The header serialised again, byte for byte as parsed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&(self.packets.len() as u32).to_le_bytes());
        for p in &self.packets {
            out.extend_from_slice(&((p.body.len() + 8) as u32).to_le_bytes());
            out.extend_from_slice(&p.method.to_le_bytes());
            out.extend_from_slice(&p.body);
        }
        out
    }

    /// Decrypts the packets meant for `reader_key` (others are skipped, as
    /// the spec says) and returns their data keys and edit list.
    pub fn decrypt(&self, reader_key: &SecretKey) -> Result<HeaderContents, Crypt4ghError> {
        let opened = self.open_packets(reader_key);
        if opened.is_empty() {
            return Err(Crypt4ghError::NoDecryptablePacket {
                packets: self.packets.len() as u32,
            });
        }
        let mut session_keys = Vec::new();
        let mut edit_list: Option<(u32, Vec<u64>)> = None;
        for (index, plain) in &opened {
            let packet = *index as u32;
            let offset = self.packets[*index].offset;
            let invalid = |reason: String| Crypt4ghError::InvalidPacket {
                packet,
                offset,
                reason,
            };
            if plain.len() < 4 {
                return Err(invalid(
                    "the decrypted packet is shorter than its type field".into(),
                ));
            }
            match u32_le(&plain[..4]) {
                PACKET_DATA_ENCRYPTION_PARAMETERS => {
                    if plain.len() < 8 {
                        return Err(invalid(
                            "data encryption parameters without a method".into(),
                        ));
                    }
                    let method = u32_le(&plain[4..8]);
                    if method != DATA_METHOD_CHACHA20_POLY1305 {
                        return Err(Crypt4ghError::UnsupportedDataMethod { packet, method });
                    }
                    // Anything after the key is padding, which the spec allows.
                    let key: [u8; 32] = plain
                        .get(8..40)
                        .and_then(|k| k.try_into().ok())
                        .ok_or_else(|| {
                            invalid(format!(
                                "data encryption parameters of {} bytes, 40 needed",
                                plain.len()
                            ))
                        })?;
                    session_keys.push(key);
                }
                PACKET_DATA_EDIT_LIST => {
                    if let Some((first, _)) = &edit_list {
                        return Err(Crypt4ghError::MultipleEditLists {
                            first: *first,
                            second: packet,
                        });
                    }
                    if plain.len() < 8 {
                        return Err(invalid("an edit list without its count".into()));
                    }
                    let n = u32_le(&plain[4..8]) as usize;
                    let needed = n.checked_mul(8).and_then(|b| b.checked_add(8));
                    if needed.is_none_or(|needed| plain.len() < needed) {
                        return Err(invalid(format!(
                            "the edit list announces {n} lengths but has room for {}",
                            (plain.len() - 8) / 8
                        )));
                    }
                    let lengths = plain[8..8 + n * 8].chunks_exact(8).map(u64_le).collect();
                    edit_list = Some((packet, lengths));
                }
                other => return Err(invalid(format!("unknown packet type {other}"))),
            }
        }
        if session_keys.is_empty() {
            return Err(Crypt4ghError::NoSessionKey);
        }
        Ok(HeaderContents {
            session_keys,
            edit_list: edit_list.map(|(_, l)| l).filter(|l| !l.is_empty()),
        })
    }

    /// The data keys that `reader_key` unlocks.
    pub fn session_keys(&self, reader_key: &SecretKey) -> Result<Vec<[u8; 32]>, Crypt4ghError> {
        Ok(self.decrypt(reader_key)?.session_keys)
    }

    /// The plaintexts of the packets `reader_key` can open, with their index.
    fn open_packets(&self, reader_key: &SecretKey) -> Vec<(usize, Zeroizing<Vec<u8>>)> {
        let reader_pk = reader_key.public();
        self.packets
            .iter()
            .enumerate()
            .filter(|(_, p)| p.method == METHOD_X25519_CHACHA20_POLY1305)
            .filter_map(|(i, p)| open_packet(reader_key, &reader_pk, &p.body).map(|pt| (i, pt)))
            .collect()
    }
}

/// Builds a serialised header holding each plaintext packet encrypted for
/// each recipient, written by `sender`.
pub(crate) fn build_header(
    sender: &SecretKey,
    recipients: &[PublicKey],
    plaintexts: &[Zeroizing<Vec<u8>>],
) -> Result<Vec<u8>, Crypt4ghError> {
    if recipients.is_empty() {
        return Err(Crypt4ghError::NoRecipients);
    }
    if let Some(index) = recipients.iter().position(PublicKey::is_low_order) {
        return Err(Crypt4ghError::WeakPublicKey { index });
    }
    let writer_pk = sender.public();
    let count = u32::try_from(plaintexts.len() * recipients.len()).expect("few packets");
    let mut out = Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
    let mut rng = rand::rng();
    for plain in plaintexts {
        for recipient in recipients {
            let dh = sender.diffie_hellman(recipient);
            // Not reachable after the low-order check, but cheap to keep.
            assert!(dh.was_contributory(), "low-order recipient key");
            let key = packet_key(dh.as_bytes(), recipient.as_bytes(), writer_pk.as_bytes());
            let mut nonce = [0u8; NONCE_LEN];
            rng.fill_bytes(&mut nonce);
            let mut ct = Zeroizing::new(plain.to_vec());
            let tag = ChaCha20Poly1305::new(&(*key).into())
                .encrypt_inout_detached(&Nonce::from(nonce), &[], ct.as_mut_slice().into())
                .expect("a header packet is far below the AEAD size limit");
            let len = 4 + 4 + PK_LEN + NONCE_LEN + ct.len() + MAC_LEN;
            out.extend_from_slice(&(len as u32).to_le_bytes());
            out.extend_from_slice(&METHOD_X25519_CHACHA20_POLY1305.to_le_bytes());
            out.extend_from_slice(writer_pk.as_bytes());
            out.extend_from_slice(&nonce);
            out.extend_from_slice(&ct);
            out.extend_from_slice(&tag);
        }
    }
    Ok(out)
}

/// The plaintext of a data encryption parameters packet for `key`.
pub(crate) fn data_key_packet(key: &[u8; 32]) -> Zeroizing<Vec<u8>> {
    let mut p = Zeroizing::new(Vec::with_capacity(40));
    p.extend_from_slice(&PACKET_DATA_ENCRYPTION_PARAMETERS.to_le_bytes());
    p.extend_from_slice(&DATA_METHOD_CHACHA20_POLY1305.to_le_bytes());
    p.extend_from_slice(key);
    p
}

/// Re-encrypts only the header for new recipients (the body is untouched):
/// how a download is handed to a requester (EGA's sda-download). Every
/// packet that `our_key` opens (data keys and any edit list) is encrypted for
/// each recipient, with `our_key` as the writer, so a recipient can check
/// provenance against our public key. Packets for other readers are dropped,
/// so the new header reveals nothing about who else can read the file.
/// `header` must be exactly the header (see [`Header::parse`] for its length).
pub fn reencrypt_header(
    header: &[u8],
    our_key: &SecretKey,
    recipients: &[PublicKey],
) -> Result<Vec<u8>, Crypt4ghError> {
    let (parsed, len) = Header::parse(header)?;
    if len != header.len() {
        return Err(Crypt4ghError::TrailingBytes {
            header_len: len as u64,
            trailing: (header.len() - len) as u64,
        });
    }
    // Validates what we pass on: at least one data key, known packet types.
    parsed.decrypt(our_key)?;
    let plaintexts: Vec<_> = parsed
        .open_packets(our_key)
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    build_header(our_key, recipients, &plaintexts)
}

fn open_packet(
    reader_key: &SecretKey,
    reader_pk: &PublicKey,
    body: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if body.len() < PK_LEN + NONCE_LEN + MAC_LEN {
        return None;
    }
    let writer_pk: [u8; 32] = body[..PK_LEN].try_into().expect("32 bytes");
    let nonce = Nonce::try_from(&body[PK_LEN..PK_LEN + NONCE_LEN]).expect("12 bytes");
    let (ct, tag) = body[PK_LEN + NONCE_LEN..].split_at(body.len() - PK_LEN - NONCE_LEN - MAC_LEN);
    let tag = Tag::try_from(tag).expect("16 bytes");
    let dh = reader_key.diffie_hellman(&PublicKey::from_bytes(writer_pk));
    if !dh.was_contributory() {
        return None;
    }
    let key = packet_key(dh.as_bytes(), reader_pk.as_bytes(), &writer_pk);
    let mut plain = Zeroizing::new(ct.to_vec());
    ChaCha20Poly1305::new(&(*key).into())
        .decrypt_inout_detached(&nonce, &[], plain.as_mut_slice().into(), &tag)
        .ok()?;
    Some(plain)
}

/// First 32 bytes of BLAKE2b-512(dh || reader_pk || writer_pk).
fn packet_key(dh: &[u8; 32], reader_pk: &[u8; 32], writer_pk: &[u8; 32]) -> Zeroizing<[u8; 32]> {
    let mut h = Blake2b512::new();
    h.update(dh);
    h.update(reader_pk);
    h.update(writer_pk);
    let mut digest = h.finalize();
    let mut key = Zeroizing::new([0u8; 32]);
    key.copy_from_slice(&digest[..32]);
    zeroize::Zeroize::zeroize(digest.as_mut_slice());
    key
}

fn read_field(
    reader: &mut impl Read,
    buf: &mut [u8],
    offset: u64,
    what: &'static str,
) -> Result<(), Crypt4ghError> {
    reader.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Crypt4ghError::TruncatedHeader { offset, what }
        } else {
            Crypt4ghError::Io(e)
        }
    })
}

fn u32_le(b: &[u8]) -> u32 {
    u32::from_le_bytes(b.try_into().expect("4 bytes"))
}

fn u64_le(b: &[u8]) -> u64 {
    u64::from_le_bytes(b.try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header_for(sender: &SecretKey, recipients: &[PublicKey], key: &[u8; 32]) -> Vec<u8> {
        build_header(sender, recipients, &[data_key_packet(key)]).unwrap()
    }

    #[test]
    fn layout_matches_the_spec() {
        let sender = SecretKey::generate();
        let reader = SecretKey::generate();
        let bytes = header_for(&sender, &[reader.public()], &[9u8; 32]);
        // 16 fixed bytes + one packet of 4+4+32+12+40+16.
        assert_eq!(bytes.len(), 16 + 108);
        assert_eq!(&bytes[..8], b"crypt4gh");
        assert_eq!(&bytes[8..12], &[1, 0, 0, 0]);
        assert_eq!(&bytes[12..16], &[1, 0, 0, 0]);
        assert_eq!(&bytes[16..20], &108u32.to_le_bytes());
        assert_eq!(&bytes[20..24], &[0, 0, 0, 0]);
        assert_eq!(&bytes[24..56], sender.public().as_bytes());
        let (h, len) = Header::parse(&bytes).unwrap();
        assert_eq!(len, bytes.len());
        assert_eq!(h.to_bytes(), bytes);
        assert_eq!(h.session_keys(&reader).unwrap(), vec![[9u8; 32]]);
    }

    #[test]
    fn the_writer_is_not_a_reader_unless_a_recipient() {
        // A reader computes X25519(its secret, the packet's writer key); for
        // the writer itself that is X25519(sk_w, pk_w), not the shared secret.
        let sender = SecretKey::generate();
        let reader = SecretKey::generate();
        let bytes = header_for(&sender, &[reader.public()], &[1u8; 32]);
        let (h, _) = Header::parse(&bytes).unwrap();
        assert!(matches!(
            h.decrypt(&sender),
            Err(Crypt4ghError::NoDecryptablePacket { packets: 1 })
        ));
    }

    #[test]
    fn edit_lists_and_unknown_types_are_parsed_or_refused() {
        let sender = SecretKey::generate();
        let reader = SecretKey::generate();
        let mut edit = Zeroizing::new(Vec::new());
        edit.extend_from_slice(&1u32.to_le_bytes());
        edit.extend_from_slice(&2u32.to_le_bytes());
        edit.extend_from_slice(&5u64.to_le_bytes());
        edit.extend_from_slice(&7u64.to_le_bytes());
        let bytes = build_header(
            &sender,
            &[reader.public()],
            &[data_key_packet(&[3; 32]), edit.clone()],
        )
        .unwrap();
        let c = Header::parse(&bytes).unwrap().0.decrypt(&reader).unwrap();
        assert_eq!(c.edit_list, Some(vec![5, 7]));
        assert!(
            !format!("{c:?}").contains("3, 3"),
            "session keys are redacted"
        );

        let two = build_header(
            &sender,
            &[reader.public()],
            &[data_key_packet(&[3; 32]), edit.clone(), edit],
        )
        .unwrap();
        let e = Header::parse(&two).unwrap().0.decrypt(&reader).unwrap_err();
        assert!(
            matches!(
                e,
                Crypt4ghError::MultipleEditLists {
                    first: 1,
                    second: 2
                }
            ),
            "{e}"
        );

        let mut unknown = Zeroizing::new(7u32.to_le_bytes().to_vec());
        unknown.extend_from_slice(&[0; 8]);
        let bad = build_header(&sender, &[reader.public()], &[unknown]).unwrap();
        let e = Header::parse(&bad).unwrap().0.decrypt(&reader).unwrap_err();
        assert!(e.to_string().contains("unknown packet type 7"), "{e}");

        let mut aead = Zeroizing::new(Vec::new());
        aead.extend_from_slice(&0u32.to_le_bytes());
        aead.extend_from_slice(&1u32.to_le_bytes());
        aead.extend_from_slice(&[0; 40]);
        let bad = build_header(&sender, &[reader.public()], &[aead]).unwrap();
        let e = Header::parse(&bad).unwrap().0.decrypt(&reader).unwrap_err();
        assert!(
            matches!(
                e,
                Crypt4ghError::UnsupportedDataMethod {
                    packet: 0,
                    method: 1
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn malformed_headers_name_the_place() {
        assert!(matches!(
            Header::parse(b"crypt4g"),
            Err(Crypt4ghError::TruncatedHeader { offset: 0, .. })
        ));
        let mut bad = b"crypt4gX".to_vec();
        bad.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(Header::parse(&bad), Err(Crypt4ghError::BadMagic)));
        let mut v2 = b"crypt4gh".to_vec();
        v2.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);
        assert!(matches!(
            Header::parse(&v2),
            Err(Crypt4ghError::UnsupportedVersion(2))
        ));

        let sender = SecretKey::generate();
        let reader = SecretKey::generate();
        let bytes = header_for(&sender, &[reader.public(), reader.public()], &[1; 32]);
        let e = Header::parse(&bytes[..bytes.len() - 1]).unwrap_err();
        assert!(matches!(e, Crypt4ghError::TruncatedHeader { .. }), "{e}");
        let mut short = bytes.clone();
        short[16 + 108..16 + 108 + 4].copy_from_slice(&3u32.to_le_bytes());
        let e = Header::parse(&short).unwrap_err();
        assert!(
            matches!(
                e,
                Crypt4ghError::InvalidPacket {
                    packet: 1,
                    offset: 124,
                    ..
                }
            ),
            "{e}"
        );
        let mut huge = bytes;
        huge[16..20].copy_from_slice(&u32::MAX.to_le_bytes());
        let e = Header::parse(&huge).unwrap_err();
        assert!(e.to_string().contains("exceeds"), "{e}");
    }

    #[test]
    fn reencrypt_refuses_trailing_bytes_and_empty_recipients() {
        let sender = SecretKey::generate();
        let reader = SecretKey::generate();
        let mut bytes = header_for(&sender, &[reader.public()], &[1; 32]);
        assert!(matches!(
            reencrypt_header(&bytes, &reader, &[]),
            Err(Crypt4ghError::NoRecipients)
        ));
        bytes.push(0);
        assert!(matches!(
            reencrypt_header(&bytes, &reader, &[sender.public()]),
            Err(Crypt4ghError::TrailingBytes {
                header_len: 124,
                trailing: 1
            })
        ));
    }
}
