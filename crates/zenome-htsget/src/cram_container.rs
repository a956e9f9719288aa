//! The few CRAM 3.x structures planning and indexing need without decoding records: the file
//! definition, container headers (their size and landmarks), the reference context of a slice
//! header, and the EOF container (CRAM spec §§ 6, 7, 8.5, 9).

use std::io::{self, Read};

/// The file definition: `CRAM`, major and minor version, a 20-byte file id.
pub(crate) const FILE_DEFINITION_LEN: u64 = 26;

/// The CRAM 3.x EOF container (CRAM spec § 9).
pub(crate) const EOF_CONTAINER: [u8; 38] = [
    0x0f, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xe0, 0x45, 0x4f, 0x46, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x05, 0xbd, 0xd9, 0x4f, 0x00, 0x01, 0x00, 0x06, 0x06, 0x01, 0x00, 0x01, 0x00,
    0x01, 0x00, 0xee, 0x63, 0x01, 0x4b,
];

// § 9: the EOF container's header fields.
const EOF_LENGTH: usize = 15;
const EOF_ALIGNMENT_START: i32 = 4_542_278;

/// `reference sequence id` of a slice or container holding several references.
pub(crate) const MULTI_REFERENCE: i32 = -2;
/// `reference sequence id` of a slice or container holding unplaced unmapped reads.
pub(crate) const UNMAPPED: i32 = -1;

/// Reads the file definition and returns the (major, minor) version.
pub(crate) fn read_file_definition<R: Read>(reader: &mut R) -> io::Result<(u8, u8)> {
    let mut buf = [0; FILE_DEFINITION_LEN as usize];
    reader.read_exact(&mut buf)?;

    if &buf[..4] != b"CRAM" {
        return Err(invalid_data("not a CRAM file".into()));
    }

    Ok((buf[4], buf[5]))
}

/// A CRAM 3.x container header.
#[derive(Debug)]
pub(crate) struct ContainerHeader {
    /// The raw bytes of the header.
    pub(crate) raw: Vec<u8>,
    /// The length of the container's data, after the header.
    pub(crate) len: usize,
    pub(crate) reference_sequence_id: i32,
    pub(crate) alignment_start: i32,
    pub(crate) landmarks: Vec<usize>,
    block_count: i32,
}

impl ContainerHeader {
    /// The size of the whole container: header and data.
    pub(crate) fn total_len(&self) -> u64 {
        (self.raw.len() + self.len) as u64
    }

    /// Whether this is the EOF container.
    pub(crate) fn is_eof(&self) -> bool {
        self.len == EOF_LENGTH
            && self.reference_sequence_id == UNMAPPED
            && self.alignment_start == EOF_ALIGNMENT_START
            && self.block_count == 1
    }
}

/// Reads a CRAM 3.x container header; `None` if the stream ends before its first byte.
pub(crate) fn read_container_header<R: Read>(
    reader: &mut R,
) -> io::Result<Option<ContainerHeader>> {
    let mut reader = Recording {
        inner: reader,
        buf: Vec::new(),
    };

    let mut first = [0; 1];
    if reader.inner.read(&mut first)? == 0 {
        return Ok(None);
    }
    reader.buf.push(first[0]);

    let mut rest = [0; 3];
    reader.read_exact(&mut rest)?;
    let len = i32::from_le_bytes([first[0], rest[0], rest[1], rest[2]]);
    let len = usize::try_from(len).map_err(|_| invalid_data("negative container length".into()))?;

    let reference_sequence_id = read_itf8(&mut reader)?;
    let alignment_start = read_itf8(&mut reader)?;
    let _alignment_span = read_itf8(&mut reader)?;
    let _record_count = read_itf8(&mut reader)?;
    let _record_counter = read_ltf8(&mut reader)?;
    let _base_count = read_ltf8(&mut reader)?;
    let block_count = read_itf8(&mut reader)?;

    let landmark_count = usize::try_from(read_itf8(&mut reader)?)
        .map_err(|_| invalid_data("negative landmark count".into()))?;
    let mut landmarks = Vec::with_capacity(landmark_count.min(1024));

    for _ in 0..landmark_count {
        let landmark = usize::try_from(read_itf8(&mut reader)?)
            .map_err(|_| invalid_data("negative landmark".into()))?;
        landmarks.push(landmark);
    }

    let mut crc32 = [0; 4];
    reader.read_exact(&mut crc32)?;

    Ok(Some(ContainerHeader {
        raw: reader.buf,
        len,
        reference_sequence_id,
        alignment_start,
        landmarks,
        block_count,
    }))
}

/// The reference context `(reference sequence id, alignment start, alignment span)` in the
/// header block that opens `slice` (CRAM spec § 8.5), which is always stored raw.
pub(crate) fn read_slice_reference_context(slice: &[u8]) -> io::Result<(i32, i32, i32)> {
    const RAW: u8 = 0;
    const MAPPED_SLICE: u8 = 2;

    let mut src = slice;
    let mut method_and_type = [0; 2];
    src.read_exact(&mut method_and_type)?;

    if method_and_type != [RAW, MAPPED_SLICE] {
        return Err(invalid_data(
            "slice does not start with a raw slice header block".into(),
        ));
    }

    let _content_id = read_itf8(&mut src)?;
    let _compressed_size = read_itf8(&mut src)?;
    let _uncompressed_size = read_itf8(&mut src)?;

    let reference_sequence_id = read_itf8(&mut src)?;
    let alignment_start = read_itf8(&mut src)?;
    let alignment_span = read_itf8(&mut src)?;

    Ok((reference_sequence_id, alignment_start, alignment_span))
}

/// Reads an ITF-8 integer (CRAM spec § 2.3).
fn read_itf8<R: Read>(reader: &mut R) -> io::Result<i32> {
    let b0 = read_u8(reader)?;
    let n = b0.leading_ones();

    let value = match n {
        0 => u32::from(b0),
        1..=3 => {
            let mut value = u32::from(b0) & (0xff >> (n + 1));
            for _ in 0..n {
                value = (value << 8) | u32::from(read_u8(reader)?);
            }
            value
        }
        _ => {
            let mut value = u32::from(b0) & 0x0f;
            for _ in 0..3 {
                value = (value << 8) | u32::from(read_u8(reader)?);
            }
            (value << 4) | (u32::from(read_u8(reader)?) & 0x0f)
        }
    };

    Ok(value as i32)
}

/// Reads an LTF-8 integer (CRAM spec § 2.3).
fn read_ltf8<R: Read>(reader: &mut R) -> io::Result<i64> {
    let b0 = read_u8(reader)?;
    let n = b0.leading_ones();

    let mut value = if n >= 7 {
        0
    } else {
        u64::from(b0) & (0xff >> (n + 1))
    };

    for _ in 0..n {
        value = (value << 8) | u64::from(read_u8(reader)?);
    }

    Ok(value as i64)
}

fn read_u8<R: Read>(reader: &mut R) -> io::Result<u8> {
    let mut buf = [0; 1];
    reader.read_exact(&mut buf)?;
    Ok(buf[0])
}

fn invalid_data(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Keeps a copy of every byte read.
struct Recording<'r, R> {
    inner: &'r mut R,
    buf: Vec<u8>,
}

impl<R: Read> Read for Recording<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.buf.extend_from_slice(&buf[..n]);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itf8_values_from_the_spec() -> io::Result<()> {
        let cases: [(&[u8], i32); 6] = [
            (&[0x00], 0),
            (&[0x7f], 127),
            (&[0x80, 0x80], 128),
            (&[0xc0, 0x40, 0x00], 16_384),
            (&[0xe0, 0x45, 0x4f, 0x46], EOF_ALIGNMENT_START),
            (&[0xff, 0xff, 0xff, 0xff, 0x0f], -1),
        ];

        for (mut src, expected) in cases {
            assert_eq!(read_itf8(&mut src)?, expected);
        }

        Ok(())
    }

    #[test]
    fn ltf8_values() -> io::Result<()> {
        let cases: [(&[u8], i64); 4] = [
            (&[0x00], 0),
            (&[0x80, 0x80], 128),
            (&[0xfe, 0, 0, 0, 0, 0, 0, 0x01], 1),
            (&[0xff, 0, 0, 0, 0, 0, 0, 0x01, 0x00], 256),
        ];

        for (mut src, expected) in cases {
            assert_eq!(read_ltf8(&mut src)?, expected);
        }

        Ok(())
    }

    #[test]
    fn eof_container_is_recognised() -> io::Result<()> {
        let mut src = &EOF_CONTAINER[..];
        let header = read_container_header(&mut src)?.expect("a header");
        assert!(header.is_eof());
        assert_eq!(header.total_len(), EOF_CONTAINER.len() as u64);
        assert!(read_container_header(&mut &[][..])?.is_none());
        Ok(())
    }
}
