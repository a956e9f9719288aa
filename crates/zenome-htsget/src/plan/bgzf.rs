//! Planning for the BGZF formats (BAM, VCF.gz, BCF) from a binning index (BAI, TBI, CSI).
//!
//! Index chunks are pairs of virtual positions (block offset, offset in the block's data). A
//! chunk boundary inside a block becomes a block boundary in the plan: the whole block when the
//! part left out holds only whole records (see `record_boundary`), otherwise the wanted part of
//! that block's data re-encoded as an inline BGZF block, so that no piece starts or ends inside
//! a record.

use std::io::{self, Read, Seek, SeekFrom};

use noodles::{
    bam,
    bam::bai,
    bcf,
    core::region::Interval,
    csi::{self, BinningIndex, binning_index::index::reference_sequence::bin::Chunk},
    tabix, vcf,
};
use noodles_bgzf::{self as bgzf, VirtualPosition};

use super::{Pieces, Request, interval};
use crate::{
    Class, Format, HtsgetError, Piece,
    bgzf_block::{self, Block},
    record_boundary::RecordLayout,
};

pub(super) fn plan<R: Read + Seek>(
    format: Format,
    mut file: R,
    file_len: u64,
    index: &[u8],
    request: &Request,
) -> Result<Vec<Piece>, HtsgetError> {
    let index = read_index(format, index)?;
    let header = read_header(format, &mut file)?;

    let has_eof = bgzf_block::ends_with_eof(&mut file, file_len)
        .map_err(HtsgetError::malformed(format, "looking for the EOF marker"))?;
    let data_end = if has_eof {
        file_len - bgzf_block::EOF_BLOCK.len() as u64
    } else {
        file_len
    };
    let data_end_position = virtual_position(data_end)?;

    // The body's chunks, found (and the query checked) before anything is read for the plan.
    let chunks = match request {
        Request::Header => Vec::new(),
        Request::WholeFile => vec![Chunk::new(header.end, data_end_position)],
        Request::Unmapped => match format {
            Format::Bam => unmapped_chunk(&mut file, &*index, header.end, data_end_position)?
                .into_iter()
                .collect(),
            _ => return Err(HtsgetError::NotFound("*".into())),
        },
        Request::Region { name, start, end } => {
            let (id, length) = header.lookup(name, &*index)?;
            let max_position = max_position(&*index);

            match (id, interval(name, *start, *end, length, max_position)?) {
                (Some(id), Some(interval)) => query(&*index, id, interval, format)?,
                _ => Vec::new(),
            }
        }
    };

    let mut planner = Planner {
        file: &mut file,
        format,
        layout: header.layout,
        header_end: header.end,
        cached: None,
        pieces: Pieces::default(),
    };

    planner.push_header()?;

    // Index chunks may end past the data (htslib's last chunk can end after the EOF block).
    for (start, end) in merge_by_block(chunks) {
        planner.push_chunk(start, end.min(data_end_position))?;
    }

    let mut pieces = planner.pieces;

    if has_eof {
        pieces.push_range(data_end, file_len, Class::Body);
    } else {
        pieces.push_inline(bgzf_block::EOF_BLOCK.to_vec());
    }

    Ok(pieces.into_vec())
}

fn virtual_position(offset: u64) -> Result<VirtualPosition, HtsgetError> {
    VirtualPosition::new(offset, 0).ok_or_else(|| {
        HtsgetError::UnsupportedFormat(format!("a BGZF file longer than {offset} bytes"))
    })
}

/// The largest position the index can address.
fn max_position(index: &dyn BinningIndex) -> usize {
    let bits = u32::from(index.min_shift()) + 3 * u32::from(index.depth());
    1usize.checked_shl(bits).map_or(usize::MAX, |n| n - 1)
}

fn query(
    index: &dyn BinningIndex,
    id: usize,
    interval: Interval,
    format: Format,
) -> Result<Vec<Chunk>, HtsgetError> {
    let has_reference = index.reference_sequences().nth(id).is_some();

    if !has_reference {
        // A reference with no records.
        return Ok(Vec::new());
    }

    index
        .query(id, interval)
        .map_err(|source| HtsgetError::MalformedIndex {
            kind: index_kind(format),
            source,
        })
}

fn index_kind(format: Format) -> &'static str {
    match format {
        Format::Bam => "BAI/CSI",
        Format::VcfGz => "TBI/CSI",
        Format::Bcf => "CSI",
        Format::Cram => "CRAI",
    }
}

/// Reads a BAI, CSI or TBI index, checking that its kind fits the format.
fn read_index(format: Format, src: &[u8]) -> Result<Box<dyn BinningIndex>, HtsgetError> {
    const BAI_MAGIC: &[u8] = b"BAI\x01";

    let wrong_kind = |kind: &'static str| HtsgetError::MalformedIndex {
        kind,
        source: io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a {kind} index does not index {format} files"),
        ),
    };
    let malformed = |kind: &'static str| move |source| HtsgetError::MalformedIndex { kind, source };

    if src.starts_with(BAI_MAGIC) {
        return if format == Format::Bam {
            let index = bai::io::Reader::new(src)
                .read_index()
                .map_err(malformed("BAI"))?;
            Ok(Box::new(index))
        } else {
            Err(wrong_kind("BAI"))
        };
    }

    if !bgzf_block::is_bgzf(src) {
        return Err(HtsgetError::MalformedIndex {
            kind: index_kind(format),
            source: io::Error::new(io::ErrorKind::InvalidData, "not a BAI, CSI or TBI index"),
        });
    }

    let mut magic = [0; 4];
    bgzf::io::Reader::new(src)
        .read_exact(&mut magic)
        .map_err(malformed(index_kind(format)))?;

    match &magic {
        b"CSI\x01" => {
            let index = csi::io::Reader::new(src)
                .read_index()
                .map_err(malformed("CSI"))?;
            Ok(Box::new(index))
        }
        b"TBI\x01" if format == Format::VcfGz => {
            let index = tabix::io::Reader::new(src)
                .read_index()
                .map_err(malformed("TBI"))?;
            Ok(Box::new(index))
        }
        b"TBI\x01" => Err(wrong_kind("TBI")),
        _ => Err(HtsgetError::MalformedIndex {
            kind: index_kind(format),
            source: io::Error::new(io::ErrorKind::InvalidData, "unknown index magic number"),
        }),
    }
}

/// What planning needs from the file's header.
struct Header {
    /// Where the first record starts.
    end: VirtualPosition,
    layout: RecordLayout,
    references: References,
}

enum References {
    /// BAM: the SAM header's reference sequences, which the index numbers in order.
    Sam(noodles::sam::header::ReferenceSequences),
    /// BCF: the contigs' order in the header's string map numbers them; lengths from `##contig`.
    Bcf(vcf::Header),
    /// VCF: the index's own list of names numbers them; lengths from `##contig`.
    Vcf(vcf::Header),
}

impl Header {
    /// The index's id for `name` (if the index knows it) and its length (if the header gives
    /// one); `NotFound` if neither the header nor the index knows the name.
    fn lookup(
        &self,
        name: &str,
        index: &dyn BinningIndex,
    ) -> Result<(Option<usize>, Option<usize>), HtsgetError> {
        let not_found = || HtsgetError::NotFound(name.to_owned());

        match &self.references {
            References::Sam(references) => {
                let (id, _, reference) =
                    references.get_full(name.as_bytes()).ok_or_else(not_found)?;
                Ok((Some(id), Some(reference.length().get())))
            }
            References::Bcf(header) => {
                let id = header
                    .string_maps()
                    .contigs()
                    .get_index_of(name)
                    .ok_or_else(not_found)?;
                let length = header.contigs().get(name).and_then(|c| c.length());
                Ok((Some(id), length))
            }
            References::Vcf(header) => {
                let id = index.header().and_then(|index_header| {
                    index_header
                        .reference_sequence_names()
                        .get_index_of(name.as_bytes())
                });
                let contig = header.contigs().get(name);

                if id.is_none() && contig.is_none() {
                    return Err(not_found());
                }

                Ok((id, contig.and_then(|c| c.length())))
            }
        }
    }
}

fn read_header<R: Read + Seek>(format: Format, file: &mut R) -> Result<Header, HtsgetError> {
    let malformed = HtsgetError::malformed(format, "reading the header");

    file.seek(SeekFrom::Start(0))?;

    match format {
        Format::Bam => {
            let mut reader = bam::io::Reader::new(&mut *file);
            let header = reader.read_header().map_err(malformed)?;
            let references = header.reference_sequences().clone();

            Ok(Header {
                end: reader.get_ref().virtual_position(),
                layout: RecordLayout::Bam {
                    reference_count: references.len(),
                },
                references: References::Sam(references),
            })
        }
        Format::Bcf => {
            let mut reader = bcf::io::Reader::new(&mut *file);
            let header = reader.read_header().map_err(malformed)?;

            Ok(Header {
                end: reader.get_ref().virtual_position(),
                layout: RecordLayout::Bcf {
                    contig_count: crate::index::bcf_contig_count(&header),
                    sample_count: header.sample_names().len(),
                },
                references: References::Bcf(header),
            })
        }
        Format::VcfGz => {
            let mut reader = vcf::io::Reader::new(bgzf::io::Reader::new(&mut *file));
            let header = reader.read_header().map_err(malformed)?;

            Ok(Header {
                end: reader.get_ref().virtual_position(),
                layout: RecordLayout::Vcf,
                references: References::Vcf(header),
            })
        }
        Format::Cram => unreachable!("CRAM has its own planner"),
    }
}

/// The chunk from the first unplaced unmapped read to the end of the data, if there are any.
///
/// They follow every placed record, so the scan starts at the last position the index knows.
fn unmapped_chunk<R: Read + Seek>(
    file: &mut R,
    index: &dyn BinningIndex,
    header_end: VirtualPosition,
    data_end: VirtualPosition,
) -> Result<Option<Chunk>, HtsgetError> {
    if index.unplaced_unmapped_record_count() == Some(0) {
        return Ok(None);
    }

    let malformed = HtsgetError::malformed(Format::Bam, "looking for unplaced unmapped reads");
    let scan_start = index
        .last_first_record_start_position()
        .unwrap_or(header_end)
        .max(header_end);

    let mut reader = bam::io::Reader::from(bgzf::io::Reader::new(&mut *file));
    reader.get_mut().seek(scan_start).map_err(malformed)?;

    let mut record = bam::Record::default();

    loop {
        let position = reader.get_ref().virtual_position();

        if position >= data_end || reader.read_record(&mut record).map_err(malformed)? == 0 {
            return Ok(None);
        }

        if record.reference_sequence_id().is_none() {
            return Ok(Some(Chunk::new(position, data_end)));
        }
    }
}

/// Sorts chunks and merges those that touch the same BGZF block, so no block is planned twice.
fn merge_by_block(mut chunks: Vec<Chunk>) -> Vec<(VirtualPosition, VirtualPosition)> {
    chunks.sort_unstable_by_key(|chunk| chunk.start());

    let mut merged: Vec<(VirtualPosition, VirtualPosition)> = Vec::with_capacity(chunks.len());

    for chunk in chunks {
        match merged.last_mut() {
            Some((_, end)) if chunk.start().compressed() <= end.compressed() => {
                *end = (*end).max(chunk.end());
            }
            _ => merged.push((chunk.start(), chunk.end())),
        }
    }

    merged
}

struct Planner<'f, R> {
    file: &'f mut R,
    format: Format,
    layout: RecordLayout,
    header_end: VirtualPosition,
    cached: Option<Block>,
    pieces: Pieces,
}

impl<R: Read + Seek> Planner<'_, R> {
    fn block(&mut self, offset: u64) -> Result<&Block, HtsgetError> {
        if self
            .cached
            .as_ref()
            .is_none_or(|block| block.offset != offset)
        {
            let block = bgzf_block::read_block(self.file, offset)
                .map_err(HtsgetError::malformed(self.format, "reading a BGZF block"))?;
            self.cached = Some(block);
        }

        Ok(self.cached.as_ref().expect("a cached block"))
    }

    fn push_inline(&mut self, data: &[u8]) -> Result<(), HtsgetError> {
        if !data.is_empty() {
            self.pieces.push_inline(bgzf_block::encode(data)?);
        }

        Ok(())
    }

    /// The header: its blocks as a range when it ends at a block boundary, else its data
    /// re-encoded as one inline piece.
    fn push_header(&mut self) -> Result<(), HtsgetError> {
        let end_offset = self.header_end.compressed();
        let end_in_block = usize::from(self.header_end.uncompressed());

        if end_in_block == 0 {
            self.pieces.push_range(0, end_offset, Class::Header);
            return Ok(());
        }

        let mut data = Vec::new();
        let mut offset = 0;

        while offset < end_offset {
            let block = self.block(offset)?;
            data.extend_from_slice(&block.data);
            offset = block.end();
        }

        if offset != end_offset {
            return Err(HtsgetError::malformed_msg(
                self.format,
                "reading the header",
                "the header does not end at a block of the file",
            ));
        }

        let format = self.format;
        let block = self.block(end_offset)?;
        let tail = block.data.get(..end_in_block).ok_or_else(|| {
            HtsgetError::malformed_msg(format, "reading the header", "header end beyond its block")
        })?;
        data.extend_from_slice(tail);

        self.push_inline(&data)
    }

    /// The records between two virtual positions.
    fn push_chunk(
        &mut self,
        start: VirtualPosition,
        end: VirtualPosition,
    ) -> Result<(), HtsgetError> {
        let start = start.max(self.header_end);

        if end <= start {
            return Ok(());
        }

        let (start_offset, start_in_block) =
            (start.compressed(), usize::from(start.uncompressed()));
        let (end_offset, end_in_block) = (end.compressed(), usize::from(end.uncompressed()));
        let layout = self.layout;
        let header_shares_block =
            start_offset == self.header_end.compressed() && self.header_end.uncompressed() != 0;

        let mut range_start = start_offset;

        if start_in_block != 0 {
            let block = self.block(start_offset)?;
            let (data_len, block_end) = (block.data.len(), block.end());

            if start_in_block >= data_len {
                range_start = block_end;
            } else if !header_shares_block && layout.prefix_is_whole(&block.data, start_in_block) {
                range_start = start_offset;
            } else if start_offset == end_offset {
                let part = block.data[start_in_block..end_in_block.min(data_len)].to_vec();
                return self.push_inline(&part);
            } else {
                let part = block.data[start_in_block..].to_vec();
                self.push_inline(&part)?;
                range_start = block_end;
            }
        }

        if end_in_block == 0 {
            self.pieces.push_range(range_start, end_offset, Class::Body);
            return Ok(());
        }

        let block = self.block(end_offset)?;
        let block_end = block.end();

        if end_in_block >= block.data.len() || layout.suffix_is_whole(&block.data, end_in_block) {
            self.pieces.push_range(range_start, block_end, Class::Body);
        } else {
            let part = block.data[..end_in_block].to_vec();
            self.pieces.push_range(range_start, end_offset, Class::Body);
            self.push_inline(&part)?;
        }

        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vp(compressed: u64, uncompressed: u16) -> VirtualPosition {
        VirtualPosition::new(compressed, uncompressed).expect("a virtual position")
    }

    #[test]
    fn chunks_sharing_a_block_merge() {
        let chunks = vec![
            Chunk::new(vp(500, 10), vp(900, 0)),
            Chunk::new(vp(100, 5), vp(300, 20)),
            Chunk::new(vp(300, 40), vp(400, 0)),
        ];

        assert_eq!(
            merge_by_block(chunks),
            [(vp(100, 5), vp(400, 0)), (vp(500, 10), vp(900, 0))]
        );
    }
}
