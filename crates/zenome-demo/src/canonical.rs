//! A canonical byte layout for CRAM 3 files written by noodles.
//!
//! noodles-cram (0.102) collects a slice's external data blocks in a
//! `HashMap`, so the order in which it writes them — and lists their ids in
//! the slice header — changes from one run to the next, though every block
//! is the same. Decoders find blocks by content id, so the order carries no
//! meaning; this rewrites each slice with its core block first and its
//! external blocks by ascending content id (and the slice header's list to
//! match, with its CRC32 recomputed), which makes the bytes a function of
//! the records alone. Container sizes and landmarks do not change.

use std::io;

/// Length of the CRAM file definition (magic, version, file id).
const FILE_DEFINITION: usize = 26;

/// Block content types (CRAM 3 spec §8).
const MAPPED_SLICE: u8 = 2;
const CORE_DATA: u8 = 5;

/// The raw (uncompressed) block method.
const RAW: u8 = 0;

fn bad(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("CRAM canonical layout: {what}"),
    )
}

/// Reads bytes of a CRAM stream by position.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0 }
    }

    fn take(&mut self, n: usize) -> io::Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| bad("truncated"))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> io::Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn i32_le(&mut self) -> io::Result<i32> {
        let b = self.take(4)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// ITF-8 integer.
    fn itf8(&mut self) -> io::Result<i32> {
        let b0 = self.u8()?;
        let extra = b0.leading_ones() as usize;
        let v: u32 = match extra {
            0 => u32::from(b0),
            1..=3 => {
                let mut v = u32::from(b0 & (0xff >> (extra + 1)));
                for &b in self.take(extra)? {
                    v = (v << 8) | u32::from(b);
                }
                v
            }
            _ => {
                let rest = self.take(4)?;
                let mut v = u32::from(b0 & 0x0f);
                for &b in &rest[..3] {
                    v = (v << 8) | u32::from(b);
                }
                (v << 4) | u32::from(rest[3] & 0x0f)
            }
        };
        Ok(v as i32)
    }

    /// LTF-8 integer (only its length matters here).
    fn skip_ltf8(&mut self) -> io::Result<()> {
        let b0 = self.u8()?;
        self.take(b0.leading_ones() as usize)?;
        Ok(())
    }

    fn len(&mut self) -> io::Result<usize> {
        usize::try_from(self.itf8()?).map_err(|_| bad("negative length"))
    }
}

/// One block: where it lies and what it is.
struct Block<'a> {
    raw: &'a [u8],
    method: u8,
    content_type: u8,
    content_id: i32,
    /// The bytes between the content type and the data (content id and
    /// sizes, as encoded).
    fields: &'a [u8],
    data: &'a [u8],
}

fn block<'a>(c: &mut Cursor<'a>) -> io::Result<Block<'a>> {
    let start = c.pos;
    let method = c.u8()?;
    let content_type = c.u8()?;
    let fields_start = c.pos;
    let content_id = c.itf8()?;
    let compressed = c.len()?;
    let _raw_size = c.itf8()?;
    let fields = &c.bytes[fields_start..c.pos];
    let data = c.take(compressed)?;
    c.take(4)?; // CRC32
    Ok(Block {
        raw: &c.bytes[start..c.pos],
        method,
        content_type,
        content_id,
        fields,
        data,
    })
}

/// Rewrites `cram` (a whole CRAM 3 file) in the canonical layout.
pub(crate) fn canonical_cram(cram: &[u8]) -> io::Result<Vec<u8>> {
    if cram.len() < FILE_DEFINITION || &cram[..4] != b"CRAM" || cram[4] != 3 {
        return Err(bad("not a CRAM 3 file"));
    }
    let mut out = Vec::with_capacity(cram.len());
    out.extend_from_slice(&cram[..FILE_DEFINITION]);
    let mut c = Cursor::new(cram);
    c.pos = FILE_DEFINITION;
    let mut index = 0;
    while c.pos < cram.len() {
        let header_start = c.pos;
        let length = usize::try_from(c.i32_le()?).map_err(|_| bad("container length"))?;
        for _ in 0..4 {
            c.itf8()?; // reference, start, span, records
        }
        c.skip_ltf8()?; // record counter
        c.skip_ltf8()?; // bases
        let blocks = c.len()?;
        let landmarks = c.len()?;
        for _ in 0..landmarks {
            c.itf8()?;
        }
        c.take(4)?; // CRC32
        out.extend_from_slice(&cram[header_start..c.pos]);
        let body = c.take(length)?;
        if index == 0 {
            // the SAM header container
            out.extend_from_slice(body);
        } else {
            canonical_body(body, blocks, &mut out)?;
        }
        index += 1;
    }
    Ok(out)
}

fn canonical_body(body: &[u8], count: usize, out: &mut Vec<u8>) -> io::Result<()> {
    let mut c = Cursor::new(body);
    let mut blocks = Vec::with_capacity(count);
    for _ in 0..count {
        blocks.push(block(&mut c)?);
    }
    let mut i = 0;
    while i < blocks.len() {
        let b = &blocks[i];
        if b.content_type != MAPPED_SLICE {
            out.extend_from_slice(b.raw);
            i += 1;
            continue;
        }
        if b.method != RAW {
            return Err(bad("compressed slice header"));
        }
        // the slice header: its block ids, as encoded, and what surrounds them
        let mut h = Cursor::new(b.data);
        for _ in 0..4 {
            h.itf8()?; // reference, start, span, records
        }
        h.skip_ltf8()?; // record counter
        let n = h.len()?;
        let list_start = h.pos;
        if h.len()? != n {
            return Err(bad("slice block count and id list disagree"));
        }
        let count_bytes = &b.data[list_start..h.pos];
        let mut ids: Vec<(i32, &[u8])> = Vec::with_capacity(n);
        for _ in 0..n {
            let at = h.pos;
            let id = h.itf8()?;
            ids.push((id, &b.data[at..h.pos]));
        }
        let list_end = h.pos;
        let slice_blocks = blocks
            .get(i + 1..i + 1 + n)
            .ok_or_else(|| bad("slice has fewer blocks than its header lists"))?;
        let mut order: Vec<&Block<'_>> = slice_blocks.iter().collect();
        order.sort_by_key(|x| (x.content_type != CORE_DATA, x.content_id));
        let mut data = b.data[..list_start].to_vec();
        data.extend_from_slice(count_bytes);
        for x in &order {
            let encoded = ids
                .iter()
                .find(|(id, _)| *id == x.content_id)
                .map(|(_, e)| *e)
                .ok_or_else(|| bad("a slice block is missing from the header's list"))?;
            data.extend_from_slice(encoded);
        }
        data.extend_from_slice(&b.data[list_end..]);
        debug_assert_eq!(data.len(), b.data.len());
        let mut header_block = vec![b.method, b.content_type];
        header_block.extend_from_slice(b.fields);
        header_block.extend_from_slice(&data);
        let mut crc = flate2::Crc::new();
        crc.update(&header_block);
        header_block.extend_from_slice(&crc.sum().to_le_bytes());
        out.extend_from_slice(&header_block);
        for x in order {
            out.extend_from_slice(x.raw);
        }
        i += 1 + n;
    }
    out.extend_from_slice(&body[c.pos..]);
    Ok(())
}
