//! Building an index at ingest: one streaming pass over the file, one record (or one CRAM
//! container) in memory at a time; only the index itself grows.

use std::{
    collections::BTreeMap,
    io::{self, BufReader, Read},
};

use noodles::{
    bam, bcf,
    core::Position,
    cram, csi,
    csi::binning_index::{
        Indexer,
        index::reference_sequence::{bin::Chunk, index::BinnedIndex},
        indexer::AddRecordError,
    },
    fasta, sam,
    sam::alignment::Record as _,
    tabix, vcf,
    vcf::variant::Record as _,
};
use noodles_bgzf as bgzf;

use crate::{
    Format, HtsgetError,
    cram_container::{self, MULTI_REFERENCE, UNMAPPED},
};

/// Streams a coordinate-sorted file and returns the bytes of its index.
///
/// BAM gives a BAI (a CSI if a reference is longer than 2^29 - 1), CRAM a CRAI, bgzipped VCF a
/// TBI (a CSI for over-long contigs), BCF a CSI. The result is byte-compatible with the files
/// `samtools index` and `bcftools index` write, so those tools (and [`crate::plan`]) read it.
///
/// Unsorted records give [`HtsgetError::NotSorted`]; a file that is not of `format`,
/// [`HtsgetError::MalformedFile`].
pub fn build_index(format: Format, reader: impl Read) -> Result<Vec<u8>, HtsgetError> {
    let reader = BufReader::new(reader);

    match format {
        Format::Bam => index_bam(reader),
        Format::Cram => index_cram(reader),
        Format::VcfGz => index_vcf(reader),
        Format::Bcf => index_bcf(reader),
    }
}

fn add_record_error(format: Format) -> impl Fn(AddRecordError) -> HtsgetError {
    move |e| match e {
        AddRecordError::OutOfOrderReferenceSequenceId { .. }
        | AddRecordError::OutOfOrderStartPosition { .. } => HtsgetError::NotSorted(e),
        _ => HtsgetError::MalformedFile {
            format,
            context: "indexing a record",
            source: io::Error::new(io::ErrorKind::InvalidData, e),
        },
    }
}

/// The longest reference, as a hint for the indexer to pick BAI/TBI or CSI.
fn max_position_hint(lengths: impl Iterator<Item = usize>) -> Option<Position> {
    lengths.max().and_then(Position::new)
}

fn index_bam<R: Read>(reader: R) -> Result<Vec<u8>, HtsgetError> {
    const FORMAT: Format = Format::Bam;

    let mut reader = bam::io::Reader::new(reader);
    let header = reader
        .read_header()
        .map_err(HtsgetError::malformed(FORMAT, "reading the header"))?;

    let mut builder = bam::index::Indexer::builder();

    if let Some(hint) = max_position_hint(
        header
            .reference_sequences()
            .values()
            .map(|reference_sequence| reference_sequence.length().get()),
    ) {
        builder = builder.set_max_position_hint(hint);
    }

    let mut indexer = builder.build().map_err(|e| {
        HtsgetError::UnsupportedFormat(format!("a reference too long to index: {e}"))
    })?;

    let mut record = bam::Record::default();
    let mut start = reader.get_ref().virtual_position();
    let mut seen_unplaced = false;

    while reader
        .read_record(&mut record)
        .map_err(HtsgetError::malformed(FORMAT, "reading a record"))?
        != 0
    {
        let end = reader.get_ref().virtual_position();

        let context = bam_alignment_context(&record)
            .map_err(HtsgetError::malformed(FORMAT, "reading a record"))?;

        match context {
            None => seen_unplaced = true,
            Some(_) if seen_unplaced => {
                return Err(HtsgetError::MalformedFile {
                    format: FORMAT,
                    context: "indexing a record",
                    source: io::Error::new(
                        io::ErrorKind::InvalidData,
                        "a placed record follows unplaced unmapped records: not sorted by coordinate",
                    ),
                });
            }
            Some(_) => {}
        }

        indexer
            .add_record(context, Chunk::new(start, end))
            .map_err(add_record_error(FORMAT))?;

        start = end;
    }

    let mut buf = Vec::new();

    match indexer.build(header.reference_sequences().len()) {
        bam::Index::Bai(index) => bam::bai::io::Writer::new(&mut buf).write_index(&index)?,
        bam::Index::Csi(index) => write_csi(&mut buf, &index)?,
    }

    Ok(buf)
}

type AlignmentContext = (usize, Position, Position, bool);

fn bam_alignment_context(record: &bam::Record) -> io::Result<Option<AlignmentContext>> {
    let reference_sequence_id = record.reference_sequence_id().transpose()?;
    let start = record.alignment_start().transpose()?;
    let end = record.alignment_end().transpose()?;

    Ok(match (reference_sequence_id, start, end) {
        (Some(id), Some(start), Some(end)) => {
            let is_mapped = !record.flags().is_unmapped();
            Some((id, start, end, is_mapped))
        }
        _ => None,
    })
}

fn write_csi(buf: &mut Vec<u8>, index: &csi::Index) -> io::Result<()> {
    let mut writer = csi::io::Writer::new(buf);
    writer.write_index(index)?;
    writer.into_inner().finish()?;
    Ok(())
}

fn index_vcf<R: Read>(reader: R) -> Result<Vec<u8>, HtsgetError> {
    const FORMAT: Format = Format::VcfGz;

    let mut reader = vcf::io::Reader::new(bgzf::io::Reader::new(reader));
    let header = reader
        .read_header()
        .map_err(HtsgetError::malformed(FORMAT, "reading the header"))?;

    let mut builder = vcf::index::Indexer::builder();

    if let Some(hint) = max_position_hint(header.contigs().values().filter_map(|c| c.length())) {
        builder = builder.set_max_position_hint(hint);
    }

    let mut indexer = builder
        .build()
        .map_err(|e| HtsgetError::UnsupportedFormat(format!("a contig too long to index: {e}")))?;

    let mut record = vcf::Record::default();
    let mut start = reader.get_ref().virtual_position();

    while reader
        .read_record(&mut record)
        .map_err(HtsgetError::malformed(FORMAT, "reading a record"))?
        != 0
    {
        let end = reader.get_ref().virtual_position();

        let variant_start = record
            .variant_start()
            .transpose()
            .map_err(HtsgetError::malformed(
                FORMAT,
                "reading a record's position",
            ))?
            .ok_or_else(|| {
                HtsgetError::malformed_msg(FORMAT, "reading a record", "missing position")
            })?;
        let variant_end = record
            .variant_end(&header)
            .map_err(HtsgetError::malformed(FORMAT, "reading a record's end"))?;

        indexer
            .add_record(
                record.reference_sequence_name(),
                variant_start,
                variant_end,
                Chunk::new(start, end),
            )
            .map_err(add_record_error(FORMAT))?;

        start = end;
    }

    let mut buf = Vec::new();

    match indexer.build() {
        vcf::Index::Tabix(index) => {
            let mut writer = tabix::io::Writer::new(&mut buf);
            writer.write_index(&index)?;
            writer.try_finish()?;
        }
        vcf::Index::Csi(index) => write_csi(&mut buf, &index)?,
    }

    Ok(buf)
}

/// htslib's CSI parameters for BCF: 2^14-base bins, and depth growing from 5 until the longest
/// contig fits.
fn csi_depth(max_len: usize) -> u8 {
    const MIN_SHIFT: u32 = 14;
    let mut depth = 5;

    while depth < 10 && (1u64 << (MIN_SHIFT + 3 * depth)) < max_len as u64 {
        depth += 1;
    }

    depth as u8
}

fn index_bcf<R: Read>(reader: R) -> Result<Vec<u8>, HtsgetError> {
    const FORMAT: Format = Format::Bcf;

    let mut reader = bcf::io::Reader::new(reader);
    let header = reader
        .read_header()
        .map_err(HtsgetError::malformed(FORMAT, "reading the header"))?;

    let max_len = header
        .contigs()
        .values()
        .filter_map(|contig| contig.length())
        .max()
        .unwrap_or(0);

    let mut indexer = Indexer::<BinnedIndex>::new(14, csi_depth(max_len))
        .ok_or_else(|| HtsgetError::UnsupportedFormat("a contig too long to index".into()))?;

    let mut record = bcf::Record::default();
    let mut start = reader.get_ref().virtual_position();

    while reader
        .read_record(&mut record)
        .map_err(HtsgetError::malformed(FORMAT, "reading a record"))?
        != 0
    {
        let end = reader.get_ref().virtual_position();

        let reference_sequence_id = record
            .reference_sequence_id()
            .map_err(HtsgetError::malformed(FORMAT, "reading a record's contig"))?;
        let variant_start = record
            .variant_start()
            .transpose()
            .map_err(HtsgetError::malformed(
                FORMAT,
                "reading a record's position",
            ))?
            .ok_or_else(|| {
                HtsgetError::malformed_msg(FORMAT, "reading a record", "missing position")
            })?;
        let variant_end = record
            .variant_end(&header)
            .map_err(HtsgetError::malformed(FORMAT, "reading a record's end"))?;

        indexer
            .add_record(
                Some((reference_sequence_id, variant_start, variant_end, true)),
                Chunk::new(start, end),
            )
            .map_err(add_record_error(FORMAT))?;

        start = end;
    }

    let index = indexer.build(bcf_contig_count(&header));
    let mut buf = Vec::new();
    write_csi(&mut buf, &index)?;
    Ok(buf)
}

/// The number of contig ids a BCF header defines (its string map has no `len`, and `IDX` may
/// leave gaps).
pub(crate) fn bcf_contig_count(header: &vcf::Header) -> usize {
    let contigs = header.string_maps().contigs();

    header
        .contigs()
        .keys()
        .filter_map(|name| contigs.get_index_of(name))
        .max()
        .map_or(0, |max| max + 1)
}

fn index_cram<R: Read>(mut reader: R) -> Result<Vec<u8>, HtsgetError> {
    const FORMAT: Format = Format::Cram;
    let malformed = |context| HtsgetError::malformed(FORMAT, context);

    // The file definition and the header container, kept to parse the SAM header with noodles.
    let mut head = vec![0; cram_container::FILE_DEFINITION_LEN as usize];
    reader
        .read_exact(&mut head)
        .map_err(malformed("reading the file definition"))?;

    let (major, minor) = cram_container::read_file_definition(&mut &head[..])
        .map_err(malformed("reading the file definition"))?;
    check_cram_version(major, minor)?;

    let header_container = cram_container::read_container_header(&mut reader)
        .map_err(malformed("reading the header container"))?
        .ok_or_else(|| {
            HtsgetError::malformed_msg(FORMAT, "reading the header container", "missing")
        })?;
    head.extend_from_slice(&header_container.raw);
    let data_start = head.len();
    head.resize(data_start + header_container.len, 0);
    reader
        .read_exact(&mut head[data_start..])
        .map_err(malformed("reading the header container"))?;

    let header = cram::io::Reader::new(&head[..])
        .read_header()
        .map_err(malformed("reading the header"))?;

    let mut position = head.len() as u64;
    drop(head);

    let mut index = Vec::new();
    let mut data = Vec::new();

    while let Some(container) = cram_container::read_container_header(&mut reader)
        .map_err(malformed("reading a container"))?
    {
        if container.is_eof() {
            break;
        }

        data.resize(container.len, 0);
        reader
            .read_exact(&mut data)
            .map_err(malformed("reading a container"))?;

        let landmarks = &container.landmarks;

        for (i, &landmark) in landmarks.iter().enumerate() {
            let end = landmarks.get(i + 1).copied().unwrap_or(data.len());
            let slice = data.get(landmark..end).ok_or_else(|| {
                HtsgetError::malformed_msg(
                    FORMAT,
                    "reading a slice",
                    "landmark beyond the container",
                )
            })?;
            let (reference_sequence_id, alignment_start, alignment_span) =
                cram_container::read_slice_reference_context(slice)
                    .map_err(malformed("reading a slice header"))?;

            let slice_position = (position, landmark as u64, (end - landmark) as u64);

            match reference_sequence_id {
                MULTI_REFERENCE => {
                    let ranges = multi_reference_slice_ranges(&header, &container, &data, i)
                        .map_err(malformed("decoding a multi-reference slice"))?;

                    for (id, range) in ranges {
                        index.push(crai_record(id, range, slice_position));
                    }
                }
                UNMAPPED => index.push(crai_record(None, None, slice_position)),
                id => {
                    let id = usize::try_from(id).map_err(|_| {
                        HtsgetError::malformed_msg(
                            FORMAT,
                            "reading a slice header",
                            "invalid reference id",
                        )
                    })?;
                    let range = usize::try_from(alignment_start)
                        .ok()
                        .and_then(Position::new)
                        .map(|start| (start, usize::try_from(alignment_span).unwrap_or(0)));
                    index.push(crai_record(Some(id), range, slice_position));
                }
            }
        }

        position += container.total_len();
    }

    let mut writer = cram::crai::io::Writer::new(Vec::new());
    writer.write_index(&index)?;
    Ok(writer.finish()?)
}

fn check_cram_version(major: u8, minor: u8) -> Result<(), HtsgetError> {
    if major == 3 {
        Ok(())
    } else {
        Err(HtsgetError::UnsupportedFormat(format!(
            "CRAM {major}.{minor} (only CRAM 3.x is supported)"
        )))
    }
}

fn crai_record(
    reference_sequence_id: Option<usize>,
    range: Option<AlignmentRange>,
    (offset, landmark, slice_length): (u64, u64, u64),
) -> cram::crai::Record {
    let (start, span) = match (reference_sequence_id, range) {
        (Some(_), Some((start, span))) => (Some(start), span),
        _ => (None, 0),
    };

    cram::crai::Record::new(
        reference_sequence_id,
        start,
        span,
        offset,
        landmark,
        slice_length,
    )
}

/// A start and a span.
type AlignmentRange = (Position, usize);

/// Per reference id (`None`: unplaced reads), the range its records cover, if any.
type SliceRanges = BTreeMap<Option<usize>, Option<AlignmentRange>>;

/// The alignment range of each reference in a multi-reference slice, which only its records
/// tell: decodes the slice's records (without reference bases, which the ranges do not need).
fn multi_reference_slice_ranges(
    header: &sam::Header,
    container_header: &cram_container::ContainerHeader,
    data: &[u8],
    slice_index: usize,
) -> io::Result<SliceRanges> {
    let mut raw = container_header.raw.clone();
    raw.extend_from_slice(data);

    let mut container = cram::io::reader::Container::default();
    cram::io::Reader::new(&raw[..]).read_container(&mut container)?;

    let compression_header = container.compression_header()?;
    let slice = container
        .slices()
        .nth(slice_index)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "missing slice"))??;
    let (core_data, external_data) = slice.decode_blocks()?;

    let repository = fasta::Repository::new(BlankReferences);
    let records = slice.records(
        repository,
        header,
        &compression_header,
        &core_data,
        &external_data,
    )?;

    let mut ranges: BTreeMap<Option<usize>, Option<(Position, Position)>> = BTreeMap::new();

    for record in &records {
        let id = record.reference_sequence_id(header).transpose()?;
        let start = record.alignment_start().transpose()?;
        let end = record.alignment_end().transpose()?;

        let entry = ranges.entry(id).or_default();

        if let (Some(_), Some(start), Some(end)) = (id, start, end) {
            *entry = Some(match *entry {
                Some((s, e)) => (s.min(start), e.max(end)),
                None => (start, end),
            });
        }
    }

    Ok(ranges
        .into_iter()
        .map(|(id, range)| {
            let range =
                range.map(|(start, end)| (start, usize::from(end) - usize::from(start) + 1));
            (id, range)
        })
        .collect())
}

/// A reference repository that answers every name with an empty sequence: decoding records'
/// positions and spans never reads reference bases.
struct BlankReferences;

impl fasta::repository::Adapter for BlankReferences {
    fn get(&mut self, name: &[u8]) -> Option<io::Result<fasta::Record>> {
        let definition = fasta::record::Definition::new(name.to_vec(), None);
        Some(Ok(fasta::Record::new(
            definition,
            fasta::record::Sequence::default(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csi_depth_grows_with_the_longest_contig() {
        assert_eq!(csi_depth(0), 5);
        assert_eq!(csi_depth(1 << 29), 5);
        assert_eq!(csi_depth((1 << 29) + 1), 6);
        assert_eq!(csi_depth(1 << 32), 6);
    }

    #[test]
    fn garbage_is_a_malformed_file() {
        for format in [Format::Bam, Format::Cram, Format::VcfGz, Format::Bcf] {
            let result = build_index(format, &b"definitely not a genomics file"[..]);
            assert!(
                matches!(result, Err(HtsgetError::MalformedFile { .. })),
                "{format}: {result:?}"
            );
        }
    }
}
