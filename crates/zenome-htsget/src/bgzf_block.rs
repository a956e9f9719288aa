//! Single BGZF blocks of a seekable file: finding a block's size, inflating one block, and
//! re-encoding a slice of uncompressed data as fresh BGZF blocks (for inline pieces).

use std::io::{self, Read, Seek, SeekFrom, Write};

use noodles_bgzf as bgzf;

/// The BGZF end-of-file marker: an empty block (SAM/BAM spec § 4.1.2).
pub(crate) const EOF_BLOCK: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// gzip magic, deflate method, FEXTRA set.
const GZIP_ID: [u8; 3] = [0x1f, 0x8b, 0x08];
const FLG_FEXTRA: u8 = 0x04;
/// ID1..XLEN of the gzip member header.
const FIXED_HEADER_LEN: usize = 12;
const MAX_BLOCK_SIZE: usize = 1 << 16;

/// One BGZF block: where it starts, its compressed size and its uncompressed data.
pub(crate) struct Block {
    pub(crate) offset: u64,
    pub(crate) size: u64,
    pub(crate) data: Vec<u8>,
}

impl Block {
    /// The offset of the next block.
    pub(crate) fn end(&self) -> u64 {
        self.offset + self.size
    }
}

/// Reads the raw bytes of the block that starts at `offset`.
fn read_raw_block<R: Read + Seek>(reader: &mut R, offset: u64) -> io::Result<Vec<u8>> {
    reader.seek(SeekFrom::Start(offset))?;

    let mut buf = vec![0; FIXED_HEADER_LEN];
    reader.read_exact(&mut buf)?;

    if buf[..3] != GZIP_ID || buf[3] & FLG_FEXTRA == 0 {
        return Err(invalid_data(format!("no BGZF block at offset {offset}")));
    }

    let xlen = usize::from(u16::from_le_bytes([buf[10], buf[11]]));
    buf.resize(FIXED_HEADER_LEN + xlen, 0);
    reader.read_exact(&mut buf[FIXED_HEADER_LEN..])?;

    let bsize = block_size_field(&buf[FIXED_HEADER_LEN..])
        .ok_or_else(|| invalid_data(format!("no BGZF BC field in the block at offset {offset}")))?;
    let total = usize::from(bsize) + 1;

    if total < buf.len() + 8 || total > MAX_BLOCK_SIZE {
        return Err(invalid_data(format!(
            "invalid BGZF block size at offset {offset}"
        )));
    }

    let header_len = buf.len();
    buf.resize(total, 0);
    reader.read_exact(&mut buf[header_len..])?;

    Ok(buf)
}

/// Finds `BSIZE` in the gzip extra subfields (`SI1 = 'B'`, `SI2 = 'C'`, `SLEN = 2`).
fn block_size_field(mut extra: &[u8]) -> Option<u16> {
    while extra.len() >= 4 {
        let (si1, si2) = (extra[0], extra[1]);
        let slen = usize::from(u16::from_le_bytes([extra[2], extra[3]]));
        let field = extra.get(4..4 + slen)?;

        if si1 == b'B' && si2 == b'C' && slen == 2 {
            return Some(u16::from_le_bytes([field[0], field[1]]));
        }

        extra = &extra[4 + slen..];
    }

    None
}

/// Reads and inflates the block that starts at `offset`.
pub(crate) fn read_block<R: Read + Seek>(reader: &mut R, offset: u64) -> io::Result<Block> {
    let raw = read_raw_block(reader, offset)?;
    let size = raw.len() as u64;

    let mut data = Vec::new();
    bgzf::io::Reader::new(&raw[..]).read_to_end(&mut data)?;

    Ok(Block { offset, size, data })
}

/// Encodes `data` as BGZF blocks, without an EOF marker.
pub(crate) fn encode(data: &[u8]) -> io::Result<Vec<u8>> {
    let mut writer = bgzf::io::Writer::new(Vec::new());
    writer.write_all(data)?;
    let mut buf = writer.finish()?;

    // `finish` appends the EOF marker; the plan adds its own at the very end.
    if buf.ends_with(&EOF_BLOCK) {
        buf.truncate(buf.len() - EOF_BLOCK.len());
    }

    Ok(buf)
}

/// Whether the file of length `len` ends with the BGZF EOF marker.
pub(crate) fn ends_with_eof<R: Read + Seek>(reader: &mut R, len: u64) -> io::Result<bool> {
    let eof_len = EOF_BLOCK.len() as u64;

    if len < eof_len {
        return Ok(false);
    }

    reader.seek(SeekFrom::Start(len - eof_len))?;
    let mut buf = [0; EOF_BLOCK.len()];
    reader.read_exact(&mut buf)?;

    Ok(buf == EOF_BLOCK)
}

/// Whether `index` begins like a BGZF file.
pub(crate) fn is_bgzf(src: &[u8]) -> bool {
    src.len() >= FIXED_HEADER_LEN + 6
        && src[..3] == GZIP_ID
        && src[3] & FLG_FEXTRA != 0
        && block_size_field(&src[FIXED_HEADER_LEN..]).is_some()
}

fn invalid_data(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::*;

    #[test]
    fn encoded_blocks_read_back_and_carry_no_eof_marker() -> io::Result<()> {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let encoded = encode(&data)?;
        assert!(!encoded.ends_with(&EOF_BLOCK));

        let mut cursor = Cursor::new(encoded.clone());
        let mut offset = 0;
        let mut decoded = Vec::new();

        while offset < encoded.len() as u64 {
            let block = read_block(&mut cursor, offset)?;
            decoded.extend_from_slice(&block.data);
            offset = block.end();
        }

        assert_eq!(decoded, data);
        Ok(())
    }

    #[test]
    fn eof_marker_is_an_empty_block() -> io::Result<()> {
        let mut cursor = Cursor::new(EOF_BLOCK.to_vec());
        let block = read_block(&mut cursor, 0)?;
        assert!(block.data.is_empty());
        assert_eq!(block.size, 28);
        assert!(ends_with_eof(&mut cursor, 28)?);
        assert!(is_bgzf(&EOF_BLOCK));
        Ok(())
    }

    #[test]
    fn garbage_is_not_a_block() {
        let mut cursor = Cursor::new(b"CRAM this is not gzip at all".to_vec());
        assert!(read_block(&mut cursor, 0).is_err());
        assert!(!is_bgzf(b"BAI\x01"));
    }
}
