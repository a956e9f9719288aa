//! Validation, QC metrics and header sanitisation of sequencing files for
//! Zenome's ingest: FASTQ (plain or gzip), BAM, CRAM, VCF (plain, gzip or
//! BGZF) and BCF.
//!
//! [`validate`] reads a file once, as a stream (memory does not grow with the
//! file), from a blocking `Read`, and returns its [`Qc`] or the first
//! [`FormatError`] — which always says where (line, record, byte offset or
//! header) and which rule was broken.
//!
//! Parsing is noodles' (pinned to an exact version); on top of it sits a strict
//! layer of our own: the VCF spec as the hts-specs conformance suite reads it,
//! FASTQ record rules, BAM/CRAM completeness as `samtools quickcheck` judges
//! it, and the header sanitisation rules of R8.3 ([`Sanitiser`]).

mod align;
mod error;
mod fastq;
mod input;
pub mod ped;
mod sanitise;
mod vcf;

use std::io::Read;
use std::path::PathBuf;

pub use crate::align::AlignmentQc;
pub use crate::error::{Category, FormatError, Location};
pub use crate::fastq::FastqQc;
pub use crate::input::Compression;
pub use crate::ped::{PedError, PedMember, read_ped};
pub use crate::sanitise::{PatternError, Sanitiser};
pub use crate::vcf::VariantQc;
pub use crate::vcf::rules::VcfMode;

/// A sequencing file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Format {
    /// FASTQ, plain text.
    Fastq,
    /// FASTQ, gzip or BGZF compressed.
    FastqGz,
    /// BAM.
    Bam,
    /// CRAM (3.x decoded; 2.1 checked structurally).
    Cram,
    /// VCF, plain text.
    Vcf,
    /// VCF, BGZF or gzip compressed.
    VcfGz,
    /// BCF 2.
    Bcf,
}

/// Recognises a format from the first bytes of a file (at least 18 bytes for
/// compressed input; the first BGZF block, up to 64 KiB, lets BAM and BCF be
/// told from VCF and FASTQ), with the file name as a hint when the bytes do not
/// settle it. Returns `None` for anything else (SAM, FASTA, …).
pub fn detect(first_bytes: &[u8], file_name: &str) -> Option<Format> {
    let name = file_name.to_ascii_lowercase();
    let by_name = || -> Option<Format> {
        let n = name.as_str();
        if n.ends_with(".bam") {
            Some(Format::Bam)
        } else if n.ends_with(".cram") {
            Some(Format::Cram)
        } else if n.ends_with(".bcf") {
            Some(Format::Bcf)
        } else if n.ends_with(".vcf.gz") || n.ends_with(".vcf.bgz") {
            Some(Format::VcfGz)
        } else if n.ends_with(".vcf") {
            Some(Format::Vcf)
        } else if n.ends_with(".fastq.gz") || n.ends_with(".fq.gz") {
            Some(Format::FastqGz)
        } else if n.ends_with(".fastq") || n.ends_with(".fq") {
            Some(Format::Fastq)
        } else {
            None
        }
    };
    if first_bytes.starts_with(b"CRAM") {
        return Some(Format::Cram);
    }
    match input::sniff_compression(first_bytes) {
        input::Compression::None => {
            if first_bytes.starts_with(b"##fileformat=VCF") {
                return Some(Format::Vcf);
            }
            if first_bytes.starts_with(b"BCF\x02") {
                // Uncompressed BCF is not supported by the reader.
                return None;
            }
            if first_bytes.starts_with(b"@") {
                let line = first_bytes
                    .split(|&b| b == b'\n')
                    .next()
                    .unwrap_or_default();
                // SAM header lines are "@XY\t...".
                let sam = line.len() >= 4
                    && line[1].is_ascii_uppercase()
                    && line[2].is_ascii_uppercase()
                    && line[3] == b'\t';
                if sam {
                    return None;
                }
                return Some(Format::Fastq);
            }
            if first_bytes.is_empty() {
                return by_name().filter(|f| matches!(f, Format::Fastq | Format::Vcf));
            }
            // Plain text named .vcf without its ##fileformat line: judge it as
            // VCF, so the error names the line and the rule rather than the
            // format alone.
            by_name().filter(|f| matches!(f, Format::Vcf))
        }
        compression => {
            let inner = decompress_prefix(first_bytes);
            if inner.starts_with(b"BAM\x01") {
                return Some(Format::Bam);
            }
            if inner.starts_with(b"BCF\x02") {
                return Some(Format::Bcf);
            }
            if inner.starts_with(b"##fileformat=VCF") {
                return Some(Format::VcfGz);
            }
            if inner.starts_with(b"@") {
                return Some(Format::FastqGz);
            }
            if inner.is_empty() {
                // Not enough bytes to look inside: trust the name, within
                // what the compression allows.
                return by_name().filter(|f| match compression {
                    input::Compression::Bgzf => {
                        matches!(
                            f,
                            Format::Bam | Format::Bcf | Format::VcfGz | Format::FastqGz
                        )
                    }
                    _ => matches!(f, Format::VcfGz | Format::FastqGz),
                });
            }
            None
        }
    }
}

/// Decompresses as much of a gzip prefix as the bytes allow.
fn decompress_prefix(bytes: &[u8]) -> Vec<u8> {
    let mut decoder = flate2::read::MultiGzDecoder::new(bytes);
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    while out.len() < 4096 {
        match decoder.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    out
}

/// How to validate.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Reference FASTA (with `.fai` beside it for indexed access) for CRAM
    /// decoding.
    pub reference: Option<PathBuf>,
    /// When set, sample names must be exactly these (VCF sample columns,
    /// BAM/CRAM `@RG SM`).
    pub expected_samples: Option<Vec<String>>,
    /// Header sanitisation rules.
    pub sanitiser: Sanitiser,
    /// Accept BAM/CRAM without `@SQ` lines (`samtools quickcheck -u`).
    /// Off by default, as in `samtools quickcheck`.
    pub allow_unaligned: bool,
    /// How strictly VCF/BCF is judged ([`VcfMode::Strict`] by default).
    pub vcf_mode: VcfMode,
}

/// The QC of a valid file.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(tag = "kind")]
pub enum Qc {
    /// FASTQ read QC.
    Fastq(FastqQc),
    /// BAM/CRAM alignment QC.
    Alignment(AlignmentQc),
    /// VCF/BCF variant QC.
    Variants(VariantQc),
}

/// Validates a whole file read from `reader` and returns its QC, or the first
/// problem found.
pub fn validate(format: Format, reader: impl Read, opts: &Options) -> Result<Qc, FormatError> {
    match format {
        Format::Fastq => fastq::validate(reader, false, &opts.sanitiser).map(Qc::Fastq),
        Format::FastqGz => fastq::validate(reader, true, &opts.sanitiser).map(Qc::Fastq),
        Format::Bam => align::validate_bam(reader, opts).map(Qc::Alignment),
        Format::Cram => align::validate_cram(reader, opts).map(Qc::Alignment),
        Format::Vcf => vcf::validate_vcf(reader, false, opts).map(Qc::Variants),
        Format::VcfGz => vcf::validate_vcf(reader, true, opts).map(Qc::Variants),
        Format::Bcf => vcf::validate_bcf(reader, opts).map(Qc::Variants),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_plain_formats() {
        assert_eq!(detect(b"##fileformat=VCFv4.3\n", "x"), Some(Format::Vcf));
        assert_eq!(detect(b"@r1\nACGT\n+\nIIII\n", "x"), Some(Format::Fastq));
        assert_eq!(detect(b"@HD\tVN:1.6\n", "x.sam"), None);
        assert_eq!(detect(b"CRAM\x03\x00", "x"), Some(Format::Cram));
        assert_eq!(detect(b">chr1\nACGT\n", "x.fa"), None);
        assert_eq!(detect(&input::BGZF_EOF, "x.bam"), Some(Format::Bam));
        assert_eq!(detect(&input::BGZF_EOF, "x.txt"), None);
    }
}
