//! BAM and CRAM: noodles reads the header and decodes every record (CRAM 3.x
//! against the reference given in the options); we check the header
//! (targets, M5, sanitisation, expected samples), that every record decodes
//! and is consistent, and that the file is complete (BGZF EOF block, CRAM EOF
//! container) — the answers `samtools quickcheck` gives, plus decoding.

use std::collections::BTreeSet;
use std::io::{self, BufReader, Read};
use std::path::Path;

use noodles::bam;
use noodles::cram;
use noodles::fasta;
use noodles::sam;
use noodles::sam::header::record::value::map::{read_group, reference_sequence};

use crate::Options;
use crate::error::{Category, FormatError, Location};
use crate::input::{BGZF_EOF, Counting, Progress, missing_bgzf_eof};

/// Alignment-level QC of a BAM or CRAM file. Counts follow `samtools
/// flagstat`: every record (secondary and supplementary included).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct AlignmentQc {
    /// Records (`samtools view -c`).
    pub records: u64,
    /// Records without the unmapped flag.
    pub mapped: u64,
    /// mapped / records.
    pub mapped_fraction: Option<f64>,
    /// Records flagged as duplicates.
    pub duplicates: u64,
    /// duplicates / records.
    pub duplicate_fraction: Option<f64>,
    /// Records flagged as paired (multiple segments).
    pub paired: u64,
    /// Records flagged as properly paired.
    pub properly_paired: u64,
    /// Secondary alignments.
    pub secondary: u64,
    /// Supplementary alignments.
    pub supplementary: u64,
    /// Records failing vendor QC.
    pub qc_failed: u64,
    /// `@SQ` lines.
    pub reference_sequences: u64,
    /// Every `@SQ` has an `M5` checksum (required for CRAM).
    pub reference_md5_present: bool,
    /// `@RG` IDs.
    pub read_groups: Vec<String>,
    /// Distinct `@RG SM` values.
    pub samples: Vec<String>,
    /// `@HD SO`.
    pub sort_order: Option<String>,
    /// Container format version (`BAM 1`, `CRAM 3.0`, …).
    pub container: String,
    /// Whether every record was decoded. False only for legacy CRAM 2.x,
    /// which noodles cannot decode: its records are counted from the container
    /// headers and its flags are not inspected.
    pub records_decoded: bool,
}

impl AlignmentQc {
    fn finish(&mut self) {
        if self.records > 0 && self.records_decoded {
            self.mapped_fraction = Some(self.mapped as f64 / self.records as f64);
            self.duplicate_fraction = Some(self.duplicates as f64 / self.records as f64);
        }
    }

    fn count(&mut self, flags: sam::alignment::record::Flags) {
        self.records += 1;
        if !flags.is_unmapped() {
            self.mapped += 1;
        }
        if flags.is_duplicate() {
            self.duplicates += 1;
        }
        if flags.is_segmented() {
            self.paired += 1;
        }
        if flags.is_properly_segmented() {
            self.properly_paired += 1;
        }
        if flags.is_secondary() {
            self.secondary += 1;
        }
        if flags.is_supplementary() {
            self.supplementary += 1;
        }
        if flags.is_qc_fail() {
            self.qc_failed += 1;
        }
    }
}

fn header_error(rule: impl Into<String>) -> FormatError {
    FormatError::new(Location::Header, rule)
}

fn at(progress: &Progress, what: &str, e: io::Error) -> FormatError {
    FormatError::from_io(Location::ByteOffset(progress.pos()), what, e)
}

/// Parses SAM header text with noodles, line by line.
fn parse_sam_header(text: &[u8]) -> Result<sam::Header, FormatError> {
    let mut parser = sam::header::Parser::default();
    for (i, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        parser
            .parse_partial(line)
            .map_err(|e| header_error(format!("SAM header line {}: invalid ({e})", i + 1)))?;
    }
    Ok(parser.finish())
}

/// Sanitisation of the raw SAM header text; runs before noodles parses it, so
/// personal data is reported as such even where noodles would refuse the line.
fn sanitise(text: &[u8], opts: &Options) -> Result<(), FormatError> {
    let text = std::str::from_utf8(text).map_err(|e| {
        header_error(format!(
            "SAM header is not UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })?;
    let allowed = opts.expected_samples.clone().unwrap_or_default();
    opts.sanitiser
        .check_header(text, &allowed)
        .map_err(|mut e| {
            if let Location::Line(k) = e.location {
                e.rule = format!("SAM header line {k}: {}", e.rule);
                e.location = Location::Header;
            }
            e
        })
}

/// Checks shared by BAM and CRAM; fills the header part of the QC.
fn check_header(
    header: &sam::Header,
    text: &[u8],
    is_cram: bool,
    opts: &Options,
    qc: &mut AlignmentQc,
) -> Result<(), FormatError> {
    sanitise(text, opts)?;

    let refs = header.reference_sequences();
    qc.reference_sequences = refs.len() as u64;
    if refs.is_empty() && !opts.allow_unaligned {
        return Err(header_error(
            "no reference sequences (@SQ) in the header (as `samtools quickcheck`; set allow_unaligned for unaligned files)",
        ));
    }
    let missing_md5: Vec<String> = refs
        .iter()
        .filter(|(_, map)| {
            map.other_fields()
                .get(&reference_sequence::tag::MD5_CHECKSUM)
                .is_none()
        })
        .map(|(name, _)| name.to_string())
        .collect();
    qc.reference_md5_present = missing_md5.is_empty();
    if is_cram && let Some(name) = missing_md5.first() {
        return Err(header_error(format!(
            "@SQ SN:{name} has no M5 checksum; CRAM needs M5 on every @SQ to tie the data to its reference ({} of {} lack it)",
            missing_md5.len(),
            refs.len()
        )));
    }
    let mut samples = BTreeSet::new();
    for (id, rg) in header.read_groups() {
        qc.read_groups.push(id.to_string());
        if let Some(sm) = rg.other_fields().get(&read_group::tag::SAMPLE) {
            samples.insert(sm.to_string());
        }
    }
    qc.samples = samples.into_iter().collect();
    qc.sort_order = header.header().and_then(|hd| {
        hd.other_fields()
            .get(&sam::header::record::value::map::header::tag::SORT_ORDER)
            .map(ToString::to_string)
    });
    if let Some(expected) = &opts.expected_samples {
        for s in &qc.samples {
            if !expected.contains(s) {
                return Err(FormatError::with_category(
                    Location::Header,
                    Category::SampleMismatch,
                    format!("@RG SM {s:?} is not among the expected samples"),
                ));
            }
        }
        for e in expected {
            if !qc.samples.contains(e) {
                return Err(FormatError::with_category(
                    Location::Header,
                    Category::SampleMismatch,
                    format!("expected sample {e:?} has no @RG with SM:{e}"),
                ));
            }
        }
    }
    Ok(())
}

/// Validates a BAM stream.
pub(crate) fn validate_bam<R: Read>(reader: R, opts: &Options) -> Result<AlignmentQc, FormatError> {
    let (counting, progress) = Counting::new(reader);
    let mut reader = bam::io::Reader::new(counting);
    let mut qc = AlignmentQc {
        container: "BAM 1".to_owned(),
        records_decoded: true,
        ..AlignmentQc::default()
    };
    let (text, binary_refs) = {
        let mut hr = reader.header_reader();
        let magic = hr
            .read_magic_number()
            .map_err(|e| at(&progress, "reading the BAM magic number", e))?;
        if &magic != b"BAM\x01" {
            return Err(FormatError::new(
                Location::ByteOffset(0),
                "not BAM: the decompressed data does not start with BAM\\1",
            ));
        }
        let mut raw = hr
            .raw_sam_header_reader()
            .map_err(|e| at(&progress, "reading the BAM header", e))?;
        let mut text = Vec::new();
        raw.read_to_end(&mut text)
            .map_err(|e| at(&progress, "reading the BAM header text", e))?;
        raw.discard_to_end()
            .map_err(|e| at(&progress, "reading the BAM header text", e))?;
        while text.last() == Some(&0) {
            text.pop();
        }
        let refs = hr.read_reference_sequences().map_err(|e| {
            at(
                &progress,
                "reading the BAM reference sequence dictionary",
                e,
            )
        })?;
        (text, refs)
    };
    sanitise(&text, opts)?;
    let mut header = parse_sam_header(&text)?;
    if header.reference_sequences().is_empty() {
        *header.reference_sequences_mut() = binary_refs;
    } else {
        let same = header.reference_sequences().len() == binary_refs.len()
            && header
                .reference_sequences()
                .iter()
                .zip(&binary_refs)
                .all(|((a, am), (b, bm))| a == b && am.length() == bm.length());
        if !same {
            return Err(header_error(
                "the SAM header text and the binary reference dictionary disagree",
            ));
        }
    }
    check_header(&header, &text, false, opts, &mut qc)?;

    let n_refs = header.reference_sequences().len();
    let mut record = bam::Record::default();
    loop {
        let k = qc.records + 1;
        let n = reader
            .read_record(&mut record)
            .map_err(|e| at(&progress, &format!("decoding BAM record {k}"), e))?;
        if n == 0 {
            break;
        }
        check_bam_record(&record, n_refs).map_err(|rule| {
            FormatError::new(
                Location::Record(k),
                format!("{rule} (near byte offset {})", progress.pos()),
            )
        })?;
        qc.count(record.flags());
    }
    if !progress.ends_with(&BGZF_EOF) {
        return Err(missing_bgzf_eof(progress.pos()));
    }
    qc.finish();
    Ok(qc)
}

fn check_bam_record(record: &bam::Record, n_refs: usize) -> Result<(), String> {
    let check_ref = |what: &str, id: Option<io::Result<usize>>| -> Result<(), String> {
        match id {
            None => Ok(()),
            Some(Ok(i)) if i < n_refs => Ok(()),
            Some(Ok(i)) => Err(format!(
                "{what} {i} is not in the header's {n_refs} reference sequences"
            )),
            Some(Err(e)) => Err(format!("{what} is invalid ({e})")),
        }
    };
    check_ref("reference sequence id", record.reference_sequence_id())?;
    check_ref(
        "mate reference sequence id",
        record.mate_reference_sequence_id(),
    )?;
    if let Some(Err(e)) = record.alignment_start() {
        return Err(format!("alignment start is invalid ({e})"));
    }
    if let Some(Err(e)) = record.mate_alignment_start() {
        return Err(format!("mate alignment start is invalid ({e})"));
    }
    let mut read_length = 0usize;
    let mut ops = 0usize;
    for op in record.cigar().iter() {
        let op = op.map_err(|e| format!("CIGAR is invalid ({e})"))?;
        ops += 1;
        if op.kind().consumes_read() {
            read_length += op.len();
        }
    }
    let seq_len = record.sequence().len();
    if ops > 0 && seq_len > 0 && read_length != seq_len {
        return Err(format!(
            "CIGAR covers {read_length} read bases but the sequence has {seq_len}"
        ));
    }
    let quals = record.quality_scores();
    if !quals.is_empty() && quals.len() != seq_len {
        return Err(format!(
            "{} quality scores for {seq_len} bases",
            quals.len()
        ));
    }
    for field in record.data().iter() {
        field.map_err(|e| format!("auxiliary data is invalid ({e})"))?;
    }
    Ok(())
}

/// Length of the block inside the CRAM EOF container (CRAM 3 spec §9).
const EOF_CONTAINER_BLOCK: u64 = 15;

/// The whole CRAM 3.x EOF container (CRAM 3 spec §9).
const CRAM3_EOF: [u8; 38] = [
    0x0f, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xe0, 0x45, 0x4f, 0x46, 0x00, 0x00, 0x00,
    0x00, 0x01, 0x00, 0x05, 0xbd, 0xd9, 0x4f, 0x00, 0x01, 0x00, 0x06, 0x06, 0x01, 0x00, 0x01, 0x00,
    0x01, 0x00, 0xee, 0x63, 0x01, 0x4b,
];

/// The reference repository for CRAM decoding: an indexed FASTA (`.fai`
/// beside it) when there is one, else the whole FASTA read into memory.
fn reference_repository(path: &Path) -> Result<fasta::Repository, FormatError> {
    let location = Location::Header;
    let mut fai = path.as_os_str().to_owned();
    fai.push(".fai");
    if Path::new(&fai).exists() {
        let reader = fasta::io::indexed_reader::Builder::default()
            .build_from_path(path)
            .map_err(|e| {
                FormatError::from_io(location, "opening the reference FASTA and its .fai", e)
            })?;
        return Ok(fasta::Repository::new(
            fasta::repository::adapters::IndexedReader::new(reader),
        ));
    }
    let file = std::fs::File::open(path)
        .map_err(|e| FormatError::from_io(location, "opening the reference FASTA", e))?;
    let mut reader = fasta::io::Reader::new(BufReader::new(file));
    let records = reader
        .records()
        .collect::<io::Result<Vec<_>>>()
        .map_err(|e| FormatError::from_io(location, "reading the reference FASTA", e))?;
    Ok(fasta::Repository::new(records))
}

/// Validates a CRAM stream.
pub(crate) fn validate_cram<R: Read>(
    reader: R,
    opts: &Options,
) -> Result<AlignmentQc, FormatError> {
    let (counting, progress) = Counting::new(reader);
    let mut qc = AlignmentQc::default();

    let repository = match &opts.reference {
        Some(path) => reference_repository(path)?,
        None => fasta::Repository::default(),
    };
    let mut reader = cram::io::reader::Builder::default()
        .set_reference_sequence_repository(repository.clone())
        .build_from_reader(counting);
    let definition = reader
        .read_file_definition()
        .map_err(|e| at(&progress, "reading the CRAM file definition", e))?;
    let version = definition.version();
    qc.container = format!("CRAM {}.{}", version.major(), version.minor());
    match version.major() {
        3 => {}
        2 => {
            let needs_eof = version.minor() >= 1;
            return legacy::validate_cram2(reader.into_inner(), &progress, opts, qc, needs_eof);
        }
        _ => {
            return Err(FormatError::with_category(
                Location::ByteOffset(4),
                Category::Unsupported,
                format!("{} is not supported (CRAM 2.1 and 3.x are)", qc.container),
            ));
        }
    }
    qc.records_decoded = true;

    let text = {
        let mut hr = reader.header_reader();
        let mut container = hr
            .container_reader()
            .map_err(|e| at(&progress, "reading the CRAM header container", e))?;
        let mut text = Vec::new();
        {
            let mut raw = container
                .raw_sam_header_reader()
                .map_err(|e| at(&progress, "reading the CRAM SAM header block", e))?;
            raw.read_to_end(&mut text)
                .map_err(|e| at(&progress, "reading the CRAM SAM header", e))?;
            raw.discard_to_end()
                .map_err(|e| at(&progress, "reading the CRAM SAM header", e))?;
        }
        container
            .discard_to_end()
            .map_err(|e| at(&progress, "reading the CRAM header container", e))?;
        while text.last() == Some(&0) {
            text.pop();
        }
        text
    };
    sanitise(&text, opts)?;
    let header = parse_sam_header(&text)?;
    check_header(&header, &text, true, opts, &mut qc)?;

    let mut last_reference: Option<usize> = None;
    let mut records = reader.records(&header);
    loop {
        let k = qc.records + 1;
        // noodles 0.119 panics on some valid CRAM (hts-specs 1200_overflow.cram:
        // a read running past the end of its reference); a panic must not take
        // the ingest thread down, so it becomes a refusal naming the record.
        let next = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| records.next()))
            .map_err(|panic| {
                let what = panic
                    .downcast_ref::<String>()
                    .map(String::as_str)
                    .or_else(|| panic.downcast_ref::<&str>().copied())
                    .unwrap_or("unknown panic");
                FormatError::new(
                    Location::Record(k),
                    format!("noodles failed while decoding CRAM records from here on ({what}); the file may be valid"),
                )
            })?;
        let Some(result) = next else { break };
        let record = result.map_err(|e| {
            let mut err = at(
                &progress,
                &format!("decoding CRAM records from record {k} on"),
                e,
            );
            if err.category == Category::Truncated {
                err.rule = "CRAM ends without its EOF container (truncated file?)".to_owned();
            } else if opts.reference.is_none() {
                err.rule.push_str(" (no reference FASTA was given)");
            }
            err
        })?;
        qc.count(record.flags());
        // Keep one reference sequence cached at a time (sorted input).
        let reference = record.reference_sequence_id();
        if reference != last_reference {
            repository.clear();
            last_reference = reference;
        }
        if let Some(id) = reference
            && id >= header.reference_sequences().len()
        {
            return Err(FormatError::new(
                Location::Record(k),
                format!("reference sequence id {id} is not in the header"),
            ));
        }
    }
    drop(records);
    // noodles stops at the EOF container's header; its 15-byte block follows
    // and nothing may come after it.
    let trailing = io::copy(&mut reader.get_mut().take(1 << 20), &mut io::sink())
        .map_err(|e| at(&progress, "reading the CRAM EOF container", e))?;
    // Some htslib versions wrote the EOF container twice (htslib's
    // range.cram): whole extra EOF containers are accepted.
    let extra = trailing.checked_sub(EOF_CONTAINER_BLOCK);
    if extra.is_none_or(|x| x % CRAM3_EOF.len() as u64 != 0) || !progress.ends_with(&CRAM3_EOF) {
        return Err(FormatError::new(
            Location::ByteOffset(progress.pos()),
            format!(
                "{trailing} bytes follow the CRAM EOF container header (expected its {EOF_CONTAINER_BLOCK}-byte block and nothing after)"
            ),
        ));
    }
    qc.finish();
    Ok(qc)
}

/// Legacy CRAM 2.x: noodles decodes CRAM 3.x only, so for 2.x we walk the
/// container framing (lengths and record counts), read the SAM header and
/// require the EOF container (from 2.1 on), as `samtools quickcheck` does.
/// Records are not decoded.
mod legacy {
    use super::*;

    fn read_u8<R: Read>(r: &mut R) -> io::Result<u8> {
        let mut b = [0u8; 1];
        r.read_exact(&mut b)?;
        Ok(b[0])
    }

    /// CRAM ITF-8 integer.
    fn itf8<R: Read>(r: &mut R) -> io::Result<i32> {
        let b0 = read_u8(r)?;
        let extra = b0.leading_ones() as usize;
        let mut v: u32 = match extra {
            0 => return Ok(i32::from(b0)),
            1 => u32::from(b0 & 0x3f),
            2 => u32::from(b0 & 0x1f),
            3 => u32::from(b0 & 0x0f),
            _ => u32::from(b0 & 0x0f),
        };
        if extra >= 4 {
            for _ in 0..3 {
                v = (v << 8) | u32::from(read_u8(r)?);
            }
            v = (v << 4) | u32::from(read_u8(r)? & 0x0f);
        } else {
            for _ in 0..extra {
                v = (v << 8) | u32::from(read_u8(r)?);
            }
        }
        Ok(v as i32)
    }

    /// CRAM LTF-8 integer.
    fn ltf8<R: Read>(r: &mut R) -> io::Result<i64> {
        let b0 = read_u8(r)?;
        let extra = b0.leading_ones() as usize;
        let mut v: u64 = if extra >= 8 {
            0
        } else {
            u64::from(b0) & (0xffu64 >> (extra + 1))
        };
        for _ in 0..extra {
            v = (v << 8) | u64::from(read_u8(r)?);
        }
        Ok(v as i64)
    }

    fn read_i32<R: Read>(r: &mut R) -> io::Result<i32> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b)?;
        Ok(i32::from_le_bytes(b))
    }

    struct ContainerHeader {
        length: u64,
        reference_id: i32,
        start: i32,
        records: i32,
    }

    fn container_header<R: Read>(r: &mut R) -> io::Result<ContainerHeader> {
        let length = read_i32(r)?;
        let reference_id = itf8(r)?;
        let start = itf8(r)?;
        let _span = itf8(r)?;
        let records = itf8(r)?;
        let _counter = itf8(r)?;
        let _bases = ltf8(r)?;
        let _blocks = itf8(r)?;
        let landmarks = itf8(r)?;
        for _ in 0..landmarks.max(0) {
            itf8(r)?;
        }
        let length = u64::try_from(length)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "negative container length"))?;
        Ok(ContainerHeader {
            length,
            reference_id,
            start,
            records,
        })
    }

    pub(super) fn validate_cram2<R: Read>(
        mut reader: R,
        progress: &Progress,
        opts: &Options,
        mut qc: AlignmentQc,
        needs_eof: bool,
    ) -> Result<AlignmentQc, FormatError> {
        let io_err = |what: &str, e| at(progress, what, e);
        // Header container: one FILE_HEADER block holding the SAM text.
        let header = container_header(&mut reader)
            .map_err(|e| io_err("reading the CRAM 2 header container", e))?;
        let mut body = (&mut reader).take(header.length);
        let method =
            read_u8(&mut body).map_err(|e| io_err("reading the CRAM 2 header block", e))?;
        let content_type =
            read_u8(&mut body).map_err(|e| io_err("reading the CRAM 2 header block", e))?;
        let _content_id =
            itf8(&mut body).map_err(|e| io_err("reading the CRAM 2 header block", e))?;
        let compressed =
            itf8(&mut body).map_err(|e| io_err("reading the CRAM 2 header block", e))?;
        let _raw = itf8(&mut body).map_err(|e| io_err("reading the CRAM 2 header block", e))?;
        if content_type != 0 {
            return Err(header_error(
                "CRAM 2 header container does not start with a file-header block",
            ));
        }
        let compressed = u64::try_from(compressed).unwrap_or(0);
        let mut data = Vec::new();
        (&mut body)
            .take(compressed)
            .read_to_end(&mut data)
            .map_err(|e| io_err("reading the CRAM 2 header block", e))?;
        let data = match method {
            0 => data,
            1 => {
                let mut out = Vec::new();
                flate2::read::GzDecoder::new(&data[..])
                    .read_to_end(&mut out)
                    .map_err(|e| io_err("decompressing the CRAM 2 header block", e))?;
                out
            }
            m => {
                return Err(FormatError::with_category(
                    Location::Header,
                    Category::Unsupported,
                    format!("CRAM 2 header block compression method {m} is not supported"),
                ));
            }
        };
        io::copy(&mut body, &mut io::sink())
            .map_err(|e| io_err("reading the CRAM 2 header container", e))?;
        let mut src = &data[..];
        let len = read_i32(&mut src).map_err(|e| io_err("reading the CRAM 2 SAM header", e))?;
        let len = usize::try_from(len).unwrap_or(0).min(src.len());
        let text = &src[..len];
        sanitise(text, opts)?;
        let header = parse_sam_header(text)?;
        check_header(&header, text, true, opts, &mut qc)?;

        // Data containers up to the EOF container.
        loop {
            let start = progress.pos();
            let container = match container_header(&mut reader) {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                    // CRAM 2.0 has no EOF container: a clean end between
                    // containers is the end of the file.
                    if !needs_eof && progress.pos() == start {
                        break;
                    }
                    return Err(FormatError::with_category(
                        Location::ByteOffset(progress.pos()),
                        Category::Truncated,
                        "CRAM ends without its EOF container (truncated file?)",
                    ));
                }
                Err(e) => return Err(io_err("reading a CRAM 2 container header", e)),
            };
            let skipped = io::copy(&mut (&mut reader).take(container.length), &mut io::sink())
                .map_err(|e| io_err("reading a CRAM 2 container", e))?;
            if skipped < container.length {
                return Err(FormatError::with_category(
                    Location::ByteOffset(progress.pos()),
                    Category::Truncated,
                    "CRAM container is cut short (truncated file?)",
                ));
            }
            if container.reference_id == -1
                && container.start == 4_542_278
                && container.records == 0
            {
                break;
            }
            qc.records += u64::try_from(container.records).unwrap_or(0);
        }
        let mut rest = [0u8; 1];
        if reader
            .read(&mut rest)
            .map_err(|e| io_err("reading after the EOF container", e))?
            != 0
        {
            return Err(FormatError::new(
                Location::ByteOffset(progress.pos().saturating_sub(1)),
                "data after the CRAM EOF container",
            ));
        }
        qc.records_decoded = false;
        qc.finish();
        Ok(qc)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn itf8_values() {
            let cases: [(&[u8], i32); 5] = [
                (&[0x00], 0),
                (&[0x7f], 127),
                (&[0x80, 0xff], 255),
                (&[0xe0, 0x45, 0x4f, 0x46], 4_542_278),
                (&[0xff, 0xff, 0xff, 0xff, 0x0f], -1),
            ];
            for (bytes, want) in cases {
                assert_eq!(itf8(&mut &bytes[..]).ok(), Some(want), "{bytes:?}");
            }
        }
    }
}
