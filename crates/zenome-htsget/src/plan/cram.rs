//! Planning for CRAM from a CRAI index: the file definition and header container, the whole
//! containers holding a slice that overlaps the query, and the EOF container.

use std::io::{Read, Seek, SeekFrom};

use noodles::{core::region::Interval, cram, sam};

use super::{Pieces, Request, interval};
use crate::{Class, Format, HtsgetError, Piece, cram_container};

const FORMAT: Format = Format::Cram;

pub(super) fn plan<R: Read + Seek>(
    mut file: R,
    file_len: u64,
    index: &[u8],
    request: &Request,
) -> Result<Vec<Piece>, HtsgetError> {
    let index = cram::crai::io::Reader::new(index)
        .read_index()
        .map_err(|source| HtsgetError::MalformedIndex {
            kind: "CRAI",
            source,
        })?;

    let malformed = |context| HtsgetError::malformed(FORMAT, context);

    file.seek(SeekFrom::Start(0))?;
    let (major, minor) = cram_container::read_file_definition(&mut file)
        .map_err(malformed("reading the file definition"))?;

    if major != 3 {
        return Err(HtsgetError::UnsupportedFormat(format!(
            "CRAM {major}.{minor} (only CRAM 3.x is supported)"
        )));
    }

    let header_container = cram_container::read_container_header(&mut file)
        .map_err(malformed("reading the header container"))?
        .ok_or_else(|| {
            HtsgetError::malformed_msg(FORMAT, "reading the header container", "missing")
        })?;
    let header_end = cram_container::FILE_DEFINITION_LEN + header_container.total_len();

    file.seek(SeekFrom::Start(0))?;
    let header = cram::io::Reader::new(&mut file)
        .read_header()
        .map_err(malformed("reading the header"))?;

    let has_eof = ends_with_eof(&mut file, file_len)?;

    let mut pieces = Pieces::default();
    pieces.push_range(0, header_end, Class::Header);

    let selected: Vec<u64> = match request {
        Request::Header => Vec::new(),
        Request::WholeFile => {
            pieces.push_range(header_end, file_len, Class::Body);
            Vec::new()
        }
        Request::Unmapped => index
            .iter()
            .filter(|record| record.reference_sequence_id().is_none())
            .map(|record| record.offset())
            .collect(),
        Request::Region { name, start, end } => {
            let (id, length) = lookup(&header, name)?;

            match interval(name, *start, *end, Some(length), usize::MAX)? {
                Some(interval) => index
                    .iter()
                    .filter(|record| overlaps(record, id, interval))
                    .map(|record| record.offset())
                    .collect(),
                None => Vec::new(),
            }
        }
    };

    let mut offsets = selected;
    offsets.sort_unstable();
    offsets.dedup();

    for offset in offsets {
        if offset < header_end || offset >= file_len {
            return Err(HtsgetError::MalformedIndex {
                kind: "CRAI",
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("container offset {offset} is outside the file's data"),
                ),
            });
        }

        file.seek(SeekFrom::Start(offset))?;
        let container = cram_container::read_container_header(&mut file)
            .map_err(malformed("reading a container header"))?
            .ok_or_else(|| {
                HtsgetError::malformed_msg(FORMAT, "reading a container header", "missing")
            })?;

        pieces.push_range(offset, offset + container.total_len(), Class::Body);
    }

    let eof_len = cram_container::EOF_CONTAINER.len() as u64;

    match (request, has_eof) {
        (Request::WholeFile, true) => {}
        (Request::WholeFile, false) => pieces.push_inline(cram_container::EOF_CONTAINER.to_vec()),
        (_, true) => pieces.push_range(file_len - eof_len, file_len, Class::Body),
        (_, false) => pieces.push_inline(cram_container::EOF_CONTAINER.to_vec()),
    }

    Ok(pieces.into_vec())
}

fn ends_with_eof<R: Read + Seek>(file: &mut R, file_len: u64) -> Result<bool, HtsgetError> {
    let eof = &cram_container::EOF_CONTAINER;
    let eof_len = eof.len() as u64;

    if file_len < cram_container::FILE_DEFINITION_LEN + eof_len {
        return Ok(false);
    }

    file.seek(SeekFrom::Start(file_len - eof_len))?;
    let mut buf = [0; cram_container::EOF_CONTAINER.len()];
    file.read_exact(&mut buf).map_err(HtsgetError::malformed(
        FORMAT,
        "looking for the EOF container",
    ))?;

    Ok(&buf == eof)
}

fn lookup(header: &sam::Header, name: &str) -> Result<(usize, usize), HtsgetError> {
    header
        .reference_sequences()
        .get_full(name.as_bytes())
        .map(|(id, _, reference)| (id, reference.length().get()))
        .ok_or_else(|| HtsgetError::NotFound(name.to_owned()))
}

/// Whether a CRAI entry (a slice's records on one reference) may overlap the interval.
fn overlaps(record: &cram::crai::Record, id: usize, interval: Interval) -> bool {
    if record.reference_sequence_id() != Some(id) {
        return false;
    }

    let Some(start) = record.alignment_start() else {
        // Placed, but without a range: keep it, a superset is allowed.
        return true;
    };

    let end = usize::from(start) + record.alignment_span().max(1) - 1;
    let query_start = interval.start().map_or(1, usize::from);
    let query_end = interval.end().map_or(usize::MAX, usize::from);

    usize::from(start) <= query_end && end >= query_start
}
