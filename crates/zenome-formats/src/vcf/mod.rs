//! VCF (plain, gzip or BGZF) and BCF: noodles parses the header and splits
//! records; the strict layer in [`header`] and [`record`] checks them against
//! the VCF spec as the hts-specs conformance suite reads it.

pub(crate) mod header;
pub(crate) mod record;
pub mod rules;

use std::collections::HashSet;
use std::io::{BufRead, Read};

use noodles::bcf;
use noodles::vcf;

use self::header::{HeaderChecker, HeaderFacts, Step};
use self::record::RecordChecker;
use crate::Options;
use crate::error::{Category, FormatError, Location};
use crate::input::{BGZF_EOF, Compression, Counting, missing_bgzf_eof, open_text, read_line};

/// Variant-level QC of a VCF or BCF file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct VariantQc {
    /// Data lines (records).
    pub records: u64,
    /// Sample names from the `#CHROM` line.
    pub samples: Vec<String>,
    /// ALT alleles that are single-nucleotide variants (same length as REF,
    /// one base differs).
    pub snvs: u64,
    /// ALT alleles of REF's length differing at several bases.
    pub mnvs: u64,
    /// ALT alleles longer than REF.
    pub insertions: u64,
    /// ALT alleles shorter than REF.
    pub deletions: u64,
    /// Symbolic, breakend and `*` alleles.
    pub other: u64,
    /// SNV alleles that are transitions (A↔G, C↔T).
    pub transitions: u64,
    /// SNV alleles that are transversions.
    pub transversions: u64,
    /// transitions / transversions.
    pub ts_tv: Option<f64>,
    /// Called heterozygous genotypes (all samples, all records).
    pub het: u64,
    /// Called homozygous non-reference genotypes.
    pub hom_alt: u64,
    /// Called homozygous reference genotypes.
    pub hom_ref: u64,
    /// Genotypes with a missing allele, or no GT.
    pub missing_genotypes: u64,
    /// het / hom_alt.
    pub het_hom_ratio: Option<f64>,
    /// Records with a FILTER other than PASS or `.`.
    pub filtered: u64,
    /// Records with FILTER PASS.
    pub pass: u64,
    /// Records without ALT alleles (`.`).
    pub no_alt: u64,
    /// Records with more than one ALT allele.
    pub multiallelic: u64,
    /// Distinct contigs with records.
    pub contigs: u64,
    /// Whether records are sorted and contiguous per contig (always true for
    /// accepted VCF ≤ 4.3, where unsorted input is refused).
    pub sorted: bool,
    /// `VCFv4.x` from `##fileformat`.
    pub fileformat: String,
    /// Compression of the input.
    pub compression: Option<Compression>,
    /// Header lines noodles refused but the strict layer accepts: (line, why).
    pub noodles_tolerated: Vec<(u64, String)>,
    /// Deviations let through in [`crate::VcfMode::Ingest`] (first 50).
    pub warnings: Vec<String>,
    /// All such deviations.
    pub warning_count: u64,
}

impl VariantQc {
    fn finish(&mut self) {
        if self.transversions > 0 {
            self.ts_tv = Some(self.transitions as f64 / self.transversions as f64);
        }
        if self.hom_alt > 0 {
            self.het_hom_ratio = Some(self.het as f64 / self.hom_alt as f64);
        }
    }
}

fn err(n: u64, rule: impl Into<String>) -> FormatError {
    FormatError::new(Location::Line(n), rule)
}

fn check_expected(facts: &HeaderFacts, opts: &Options) -> Result<(), FormatError> {
    let Some(expected) = &opts.expected_samples else {
        return Ok(());
    };
    let location = Location::Line(facts.chrom_line);
    let wanted: HashSet<&str> = expected.iter().map(String::as_str).collect();
    for s in &facts.samples {
        if !wanted.contains(s.as_str()) {
            return Err(FormatError::with_category(
                location,
                Category::SampleMismatch,
                format!("sample column {s:?} is not among the expected samples"),
            ));
        }
    }
    let present: HashSet<&str> = facts.samples.iter().map(String::as_str).collect();
    for e in expected {
        if !present.contains(e.as_str()) {
            return Err(FormatError::with_category(
                location,
                Category::SampleMismatch,
                format!("expected sample {e:?} has no column in the #CHROM line"),
            ));
        }
    }
    Ok(())
}

fn utf8(n: u64, buf: &[u8]) -> Result<&str, FormatError> {
    std::str::from_utf8(buf).map_err(|e| {
        err(
            n,
            format!(
                "line is not valid UTF-8 (byte {} of the line)",
                e.valid_up_to() + 1
            ),
        )
    })
}

/// Validates VCF text (plain, gzip or BGZF).
pub(crate) fn validate_vcf<R: Read>(
    reader: R,
    require_compressed: bool,
    opts: &Options,
) -> Result<VariantQc, FormatError> {
    let input = open_text(reader, require_compressed)?;
    let compression = input.compression;
    let progress = std::rc::Rc::clone(&input.progress);
    let mut reader = input.reader;
    let read_error =
        |e| FormatError::from_io(Location::ByteOffset(progress.pos()), "reading VCF", e);
    let allowed = opts.expected_samples.clone().unwrap_or_default();
    let mut header = HeaderChecker::new(&opts.sanitiser, &allowed, opts.vcf_mode);
    let mut buf = Vec::new();
    let mut n = 0u64;
    let mut terminated = true;
    loop {
        let (bytes, t) = read_line(&mut reader, &mut buf).map_err(read_error)?;
        if bytes == 0 {
            if n == 0 {
                return Err(err(1, "the file is empty (no ##fileformat line)"));
            }
            break;
        }
        n += 1;
        terminated = t;
        let line = utf8(n, &buf)?;
        if header.line(n, line)? == Step::Done {
            break;
        }
    }
    let tolerated = std::mem::take(&mut header.tolerated);
    let warnings = std::mem::take(&mut header.warnings);
    let (_header, facts) = header.finish(n)?;
    check_expected(&facts, opts)?;
    let mut records = RecordChecker::new(facts, opts.vcf_mode, warnings);
    loop {
        let (bytes, t) = read_line(&mut reader, &mut buf).map_err(read_error)?;
        if bytes == 0 {
            break;
        }
        n += 1;
        terminated = t;
        records.check(n, &buf)?;
    }
    if !terminated && !records.version().at_least(4, 4) {
        return Err(FormatError::with_category(
            Location::Line(n),
            Category::Truncated,
            "the last line has no newline (truncated file?)",
        ));
    }
    // Drain and check the BGZF end-of-file block.
    reader.fill_buf().map_err(read_error)?;
    if compression == Compression::Bgzf && !progress.ends_with(&BGZF_EOF) {
        return Err(missing_bgzf_eof(progress.pos()));
    }
    let warnings = records.warnings.into_inner();
    let mut qc = records.qc;
    qc.warnings = warnings.list;
    qc.warning_count = warnings.total;
    qc.compression = Some(compression);
    qc.noodles_tolerated = tolerated;
    qc.finish();
    Ok(qc)
}

/// Moves a record-checker error from `line k` to `record k`.
fn at_record(mut e: FormatError, k: u64) -> FormatError {
    if matches!(e.location, Location::Line(_)) {
        e.location = Location::Record(k);
    }
    e
}

/// Validates BCF: noodles decodes the binary records and renders them as VCF
/// text, which goes through the same strict checks.
pub(crate) fn validate_bcf<R: Read>(reader: R, opts: &Options) -> Result<VariantQc, FormatError> {
    let (counting, progress) = Counting::new(reader);
    let mut reader = bcf::io::Reader::new(counting);
    let io_err =
        |what: &str, e| FormatError::from_io(Location::ByteOffset(progress.pos()), what, e);
    let text = {
        let mut hr = reader.header_reader();
        let magic = hr
            .read_magic_number()
            .map_err(|e| io_err("reading BCF magic", e))?;
        if &magic != b"BCF" {
            return Err(FormatError::new(
                Location::ByteOffset(0),
                "not a BCF file (no BCF magic)",
            ));
        }
        let (major, minor) = hr
            .read_format_version()
            .map_err(|e| io_err("reading BCF version", e))?;
        if major != 2 {
            return Err(FormatError::with_category(
                Location::ByteOffset(3),
                Category::Unsupported,
                format!("BCF version {major}.{minor} is not supported (BCF 2.x is)"),
            ));
        }
        let mut raw = hr
            .raw_vcf_header_reader()
            .map_err(|e| io_err("reading the BCF header", e))?;
        let mut text = Vec::new();
        raw.read_to_end(&mut text)
            .map_err(|e| io_err("reading the BCF header", e))?;
        raw.discard_to_end()
            .map_err(|e| io_err("reading the BCF header", e))?;
        while text.last() == Some(&0) {
            text.pop();
        }
        text
    };
    let allowed = opts.expected_samples.clone().unwrap_or_default();
    let mut checker = HeaderChecker::new(&opts.sanitiser, &allowed, opts.vcf_mode);
    let in_header = |e: FormatError| {
        let mut e = e;
        if let Location::Line(k) = e.location {
            e.rule = format!("VCF header line {k}: {}", e.rule);
            e.location = Location::Header;
        }
        e
    };
    let mut lines = 0u64;
    let mut done = false;
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() && done {
            continue;
        }
        lines += 1;
        if done {
            return Err(in_header(err(
                lines,
                "text after the #CHROM line in the BCF header",
            )));
        }
        let s = utf8(lines, line).map_err(in_header)?;
        if checker.line(lines, s).map_err(in_header)? == Step::Done {
            done = true;
        }
    }
    let tolerated = std::mem::take(&mut checker.tolerated);
    let warnings = std::mem::take(&mut checker.warnings);
    let (header, facts) = checker.finish(lines).map_err(in_header)?;
    check_expected(&facts, opts).map_err(in_header)?;
    let mut records = RecordChecker::new(facts, opts.vcf_mode, warnings);
    let mut record = bcf::Record::default();
    let mut writer = vcf::io::Writer::new(Vec::new());
    let mut k = 0u64;
    loop {
        let n = reader
            .read_record(&mut record)
            .map_err(|e| io_err(&format!("decoding BCF record {}", k + 1), e))?;
        if n == 0 {
            break;
        }
        k += 1;
        writer.get_mut().clear();
        vcf::variant::io::Write::write_variant_record(&mut writer, &header, &record).map_err(
            |e| {
                FormatError::from_io(
                    Location::Record(k),
                    "BCF record does not decode against its header",
                    e,
                )
            },
        )?;
        let line = writer.get_ref();
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        records.check(k, line).map_err(|e| at_record(e, k))?;
    }
    if !progress.ends_with(&BGZF_EOF) {
        return Err(missing_bgzf_eof(progress.pos()));
    }
    let warnings = records.warnings.into_inner();
    let mut qc = records.qc;
    qc.warnings = warnings.list;
    qc.warning_count = warnings.total;
    qc.compression = Some(Compression::Bgzf);
    qc.noodles_tolerated = tolerated;
    qc.finish();
    Ok(qc)
}
