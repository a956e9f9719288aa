//! The one error type of the crate. Messages say what was wrong and where
//! (byte offset, packet or segment number) and never carry key material.

/// Everything that can go wrong reading keys or reading and writing
/// Crypt4GH files.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Crypt4ghError {
    /// Reading or writing the underlying stream failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    /// The first 8 bytes are not `crypt4gh`.
    #[error("not a Crypt4GH file: the magic number at byte 0 is not \"crypt4gh\"")]
    BadMagic,

    /// The header's version field (byte 8) is not 1.
    #[error("unsupported Crypt4GH version {0} at byte 8 (only version 1 is supported)")]
    UnsupportedVersion(u32),

    /// The input ended inside the header.
    #[error("Crypt4GH header truncated at byte {offset}: expected {what}")]
    TruncatedHeader {
        /// Byte offset (from the start of the file) where more bytes were needed.
        offset: u64,
        /// What was being read there.
        what: &'static str,
    },

    /// A header packet is malformed (before or after decryption).
    #[error("invalid header packet {packet} at byte {offset}: {reason}")]
    InvalidPacket {
        /// Zero-based index of the packet in the header.
        packet: u32,
        /// Byte offset of the packet (its length field) from the start of the file.
        offset: u64,
        /// What is wrong with it.
        reason: String,
    },

    /// A buffer handed to [`reencrypt_header`](crate::reencrypt_header) holds
    /// more than the header.
    #[error(
        "expected a header only, but {trailing} byte(s) follow the header's end at byte {header_len}"
    )]
    TrailingBytes {
        /// Length of the header found at the start of the buffer.
        header_len: u64,
        /// How many bytes follow it.
        trailing: u64,
    },

    /// None of the header packets could be decrypted with the key given.
    #[error(
        "none of the {packets} header packet(s) could be decrypted with this key \
         (the file was not encrypted for it, or the header is corrupted)"
    )]
    NoDecryptablePacket {
        /// How many packets the header has.
        packets: u32,
    },

    /// Packets were decrypted, but none of them holds a data key.
    #[error("the header packets readable with this key hold no data encryption parameters")]
    NoSessionKey,

    /// A data encryption method other than `chacha20_ietf_poly1305` (0).
    #[error(
        "header packet {packet}: unsupported data encryption method {method} \
         (only 0, chacha20_ietf_poly1305, is supported)"
    )]
    UnsupportedDataMethod {
        /// Zero-based index of the packet in the header.
        packet: u32,
        /// The method number found.
        method: u32,
    },

    /// The header has more than one edit list for this reader.
    #[error("the header holds more than one data edit list (packets {first} and {second})")]
    MultipleEditLists {
        /// Index of the first edit list packet.
        first: u32,
        /// Index of the second one.
        second: u32,
    },

    /// A data segment failed authentication (flipped bit, wrong key,
    /// truncated last segment).
    #[error(
        "segment {segment} at byte {offset} failed authentication \
         (corrupted or truncated data, or not encrypted with this file's keys)"
    )]
    SegmentAuth {
        /// Zero-based segment number in the body.
        segment: u64,
        /// Byte offset of the segment (of the file for `decrypt`; `body_start`
        /// plus the offset in the body for `decrypt_range`).
        offset: u64,
    },

    /// A data segment is too short to hold a nonce, a MAC and one byte.
    #[error("segment {segment} at byte {offset} is truncated: {len} byte(s), at least 29 needed")]
    TruncatedSegment {
        /// Zero-based segment number in the body.
        segment: u64,
        /// Byte offset of the segment (see [`Crypt4ghError::SegmentAuth`]).
        offset: u64,
        /// How many bytes it has.
        len: usize,
    },

    /// `start > end` in a range request.
    #[error("invalid range: start {start} is after end {end}")]
    InvalidRange {
        /// Requested start (inclusive).
        start: u64,
        /// Requested end (exclusive).
        end: u64,
    },

    /// The requested range goes past the end of the plaintext.
    #[error(
        "range [{start}, {end}) extends past the end of the data: the body ends \
         after {available} plaintext byte(s)"
    )]
    RangeOutOfBounds {
        /// Requested start (inclusive).
        start: u64,
        /// Requested end (exclusive).
        end: u64,
        /// Plaintext bytes that the body holds.
        available: u64,
    },

    /// A body length that no plaintext length encrypts to.
    #[error("invalid body length {0}: the last segment would be shorter than 29 bytes")]
    InvalidBodyLength(u64),

    /// A recipient list was empty.
    #[error("no recipients: a Crypt4GH file needs at least one recipient public key")]
    NoRecipients,

    /// A public key is a low-order point: any shared key with it is all
    /// zeros, known to everyone.
    #[error("public key {index} is a low-order point and cannot be used")]
    WeakPublicKey {
        /// Index of the key in the list given (0 for a single key).
        index: usize,
    },

    /// A key file could not be parsed.
    #[error("invalid Crypt4GH key: {0}")]
    InvalidKey(String),

    /// The secret key is protected and no passphrase was given.
    #[error("the secret key is protected by a passphrase, and none was given")]
    PassphraseRequired,

    /// The passphrase did not unlock the secret key.
    #[error("wrong passphrase for the secret key (or the key file is corrupted)")]
    WrongPassphrase,

    /// A key derivation function this crate does not implement.
    #[error("unsupported key derivation function {0:?} in the secret key file")]
    UnsupportedKdf(String),

    /// A key file cipher this crate does not implement.
    #[error("unsupported cipher {0:?} in the secret key file")]
    UnsupportedCipher(String),
}
