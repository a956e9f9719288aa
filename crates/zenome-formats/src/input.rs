//! Input plumbing: counting the bytes read (for byte offsets in errors and the
//! BGZF end-of-file check), peeking at the first bytes, and opening text
//! formats that may be plain, gzip- or BGZF-compressed.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use crate::error::{Category, FormatError, Location};

/// The 28-byte empty BGZF block that ends every complete BGZF file (SAM spec §4.1.2).
pub(crate) const BGZF_EOF: [u8; 28] = [
    0x1f, 0x8b, 0x08, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x06, 0x00, 0x42, 0x43, 0x02, 0x00,
    0x1b, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
];

/// How many trailing bytes are remembered (enough for the BGZF EOF block and
/// the CRAM 2.1/3.x EOF containers).
const TAIL: usize = 64;

/// Shared view of how far a [`Counting`] reader has got.
#[derive(Debug, Default)]
pub(crate) struct Progress {
    pos: Cell<u64>,
    tail: RefCell<Vec<u8>>,
}

impl Progress {
    /// Bytes read so far.
    pub(crate) fn pos(&self) -> u64 {
        self.pos.get()
    }

    /// Whether the bytes read so far end with `suffix`.
    pub(crate) fn ends_with(&self, suffix: &[u8]) -> bool {
        self.tail.borrow().ends_with(suffix)
    }

    fn record(&self, bytes: &[u8]) {
        self.pos
            .set(self.pos.get().saturating_add(bytes.len() as u64));
        let mut tail = self.tail.borrow_mut();
        if bytes.len() >= TAIL {
            tail.clear();
            tail.extend_from_slice(&bytes[bytes.len() - TAIL..]);
        } else {
            tail.extend_from_slice(bytes);
            let excess = tail.len().saturating_sub(TAIL);
            tail.drain(..excess);
        }
    }
}

/// A reader that counts the bytes it hands out and remembers the last few.
pub(crate) struct Counting<R> {
    inner: R,
    progress: Rc<Progress>,
}

impl<R> Counting<R> {
    pub(crate) fn new(inner: R) -> (Self, Rc<Progress>) {
        let progress = Rc::new(Progress::default());
        (
            Self {
                inner,
                progress: Rc::clone(&progress),
            },
            progress,
        )
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.record(&buf[..n]);
        Ok(n)
    }
}

/// Reads up to `n` bytes (fewer only at end of input).
pub(crate) fn read_prefix<R: Read>(reader: &mut R, n: usize) -> io::Result<Vec<u8>> {
    let mut buf = Vec::with_capacity(n);
    reader.take(n as u64).read_to_end(&mut buf)?;
    Ok(buf)
}

/// The compression of a stream, from its first bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Not compressed.
    #[default]
    None,
    /// gzip that is not BGZF (one or more members).
    Gzip,
    /// Blocked gzip (BGZF).
    Bgzf,
}

/// Whether `head` starts a gzip stream, and whether that stream is BGZF.
pub(crate) fn sniff_compression(head: &[u8]) -> Compression {
    if head.len() < 3 || head[0] != 0x1f || head[1] != 0x8b || head[2] != 0x08 {
        return Compression::None;
    }
    if is_bgzf(head) {
        Compression::Bgzf
    } else {
        Compression::Gzip
    }
}

/// BGZF: gzip with FEXTRA and a `BC` subfield of length 2 (SAM spec §4.1).
pub(crate) fn is_bgzf(head: &[u8]) -> bool {
    head.len() >= 16
        && head[0] == 0x1f
        && head[1] == 0x8b
        && head[2] == 0x08
        && head[3] & 0x04 != 0
        && head[12] == b'B'
        && head[13] == b'C'
        && head[14] == 2
        && head[15] == 0
}

/// A text stream (VCF, FASTQ), decompressed if needed.
pub(crate) struct TextInput<'a> {
    pub(crate) reader: Box<dyn BufRead + 'a>,
    pub(crate) progress: Rc<Progress>,
    pub(crate) compression: Compression,
}

pub(crate) fn missing_bgzf_eof(pos: u64) -> FormatError {
    FormatError::with_category(
        Location::ByteOffset(pos),
        Category::Truncated,
        "missing BGZF end-of-file block (truncated file?)",
    )
}

/// Opens a text format, decompressing gzip or BGZF when the bytes say so.
/// `require_compressed` refuses plain text (for the `…Gz` formats).
pub(crate) fn open_text<'a, R: Read + 'a>(
    reader: R,
    require_compressed: bool,
) -> Result<TextInput<'a>, FormatError> {
    let (mut counting, progress) = Counting::new(reader);
    let head = read_prefix(&mut counting, 18)
        .map_err(|e| FormatError::from_io(Location::ByteOffset(0), "reading the input", e))?;
    let compression = sniff_compression(&head);
    let chained = io::Cursor::new(head).chain(counting);
    let reader: Box<dyn BufRead + 'a> = match compression {
        Compression::Bgzf => Box::new(noodles::bgzf::io::Reader::new(chained)),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            1 << 16,
            flate2::read::MultiGzDecoder::new(chained),
        )),
        Compression::None => {
            if require_compressed {
                return Err(FormatError::new(
                    Location::ByteOffset(0),
                    "expected gzip or BGZF compressed input, found no gzip magic bytes",
                ));
            }
            Box::new(BufReader::with_capacity(1 << 16, chained))
        }
    };
    Ok(TextInput {
        reader,
        progress,
        compression,
    })
}

/// Reads one line (up to and including `\n`) into `buf`, which is cleared
/// first. Returns the bytes read and whether the line ended with `\n`; the
/// line terminator (`\n` or `\r\n`) is removed.
pub(crate) fn read_line<R: BufRead + ?Sized>(
    reader: &mut R,
    buf: &mut Vec<u8>,
) -> io::Result<(usize, bool)> {
    buf.clear();
    let n = reader.read_until(b'\n', buf)?;
    let terminated = buf.last() == Some(&b'\n');
    if terminated {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
    }
    Ok((n, terminated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_keeps_the_tail() {
        let data: Vec<u8> = (0..200u8).collect();
        let (mut c, p) = Counting::new(&data[..]);
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = c.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(p.pos(), 200);
        assert!(p.ends_with(&data[150..]));
        assert!(!p.ends_with(&data[100..110]));
    }

    #[test]
    fn sniffs() {
        assert_eq!(sniff_compression(b"##fileformat"), Compression::None);
        assert_eq!(sniff_compression(&BGZF_EOF), Compression::Bgzf);
        assert_eq!(
            sniff_compression(&[0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]),
            Compression::Gzip
        );
    }
}
