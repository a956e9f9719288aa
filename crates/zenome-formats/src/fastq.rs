//! FASTQ (plain, gzip or BGZF): noodles splits the 4-line records; we check
//! each record and compute read-level QC in one streaming pass.

use std::collections::BTreeMap;
use std::io::Read;

use noodles::fastq;

use crate::error::{Category, FormatError, Location};
use crate::input::{Compression, open_text};
use crate::sanitise::Sanitiser;

/// How many leading read names are checked against the sanitiser's line rules.
const NAMES_CHECKED: u64 = 1000;

/// Read-level QC of a FASTQ file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct FastqQc {
    /// Number of reads.
    pub reads: u64,
    /// Number of bases.
    pub bases: u64,
    /// Mean Phred quality over all bases (Phred+33).
    pub mean_quality: f64,
    /// Fraction of bases with quality ≥ 30.
    pub q30_fraction: f64,
    /// Fraction of G and C among bases other than N.
    pub gc_fraction: f64,
    /// Number of N (or `.`) bases.
    pub n_bases: u64,
    /// Shortest read.
    pub min_length: u32,
    /// Longest read.
    pub max_length: u32,
    /// Mean read length.
    pub mean_length: f64,
    /// `(bucket lower bound, reads)`: buckets are 1 base wide below 1,000,
    /// 100 below 10,000, 1,000 below 100,000 and 10,000 above.
    pub length_histogram: Vec<(u32, u64)>,
    /// Compression of the input.
    pub compression: Compression,
}

fn bucket(len: u32) -> u32 {
    let width = match len {
        0..1_000 => 1,
        1_000..10_000 => 100,
        10_000..100_000 => 1_000,
        _ => 10_000,
    };
    len / width * width
}

/// Base classes: 0 = not a nucleotide code, 1 = other code, `GC`, `NB` (N or '.').
const OTHER: u8 = 1;
const GC: u8 = 2;
const NB: u8 = 3;
static BASES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = (i as u8).to_ascii_uppercase();
        t[i] = match b {
            b'G' | b'C' | b'S' => GC,
            b'N' | b'.' => NB,
            _ if is_base(b) => OTHER,
            _ => 0,
        };
        i += 1;
    }
    t
};

const fn is_base(b: u8) -> bool {
    matches!(
        b.to_ascii_uppercase(),
        b'A' | b'C'
            | b'G'
            | b'T'
            | b'U'
            | b'N'
            | b'R'
            | b'Y'
            | b'K'
            | b'M'
            | b'S'
            | b'W'
            | b'B'
            | b'D'
            | b'H'
            | b'V'
            | b'.'
    )
}

pub(crate) fn validate<R: Read>(
    reader: R,
    require_compressed: bool,
    sanitiser: &Sanitiser,
) -> Result<FastqQc, FormatError> {
    let input = open_text(reader, require_compressed)?;
    let compression = input.compression;
    let progress = std::rc::Rc::clone(&input.progress);
    let mut reader = fastq::io::Reader::new(input.reader);
    let mut record = fastq::Record::default();

    let mut qc = FastqQc {
        compression,
        min_length: u32::MAX,
        ..FastqQc::default()
    };
    let mut histogram: BTreeMap<u32, u64> = BTreeMap::new();
    let mut quality_sum: u64 = 0;
    let mut q30: u64 = 0;
    let mut gc: u64 = 0;

    loop {
        let line = qc.reads.saturating_mul(4).saturating_add(1);
        let n = reader.read_record(&mut record).map_err(|e| {
            let what = if e.kind() == std::io::ErrorKind::InvalidData
                && e.to_string().contains("prefix")
            {
                "FASTQ record structure (expected @name, sequence, + line, qualities)"
            } else {
                "reading FASTQ record"
            };
            let mut err = FormatError::from_io(Location::Line(line), what, e);
            if compression != Compression::None && err.category != Category::Syntax {
                err.rule = format!(
                    "{} (at compressed byte offset {})",
                    err.rule,
                    progress.pos()
                );
            }
            err
        })?;
        if n == 0 {
            break;
        }
        let name = record.name();
        if name.is_empty() {
            return Err(FormatError::new(
                Location::Line(line),
                "FASTQ record has an empty name after '@'",
            ));
        }
        if qc.reads < NAMES_CHECKED {
            let text = String::from_utf8_lossy(record.name());
            let description = String::from_utf8_lossy(record.description());
            for t in [text.as_ref(), description.as_ref()] {
                if let Some(rule) = sanitiser.check_text(t) {
                    return Err(FormatError::with_category(
                        Location::Line(line),
                        Category::Sanitisation,
                        format!(
                            "read name carries personal data (rule \"{rule}\"; value withheld)"
                        ),
                    ));
                }
            }
        }
        let seq = record.sequence();
        let qual = record.quality_scores();
        // one pass over the bases with a table: validity, G/C, N
        let mut bad_base = None;
        let (mut rec_gc, mut rec_n) = (0u64, 0u64);
        for (i, &b) in seq.iter().enumerate() {
            let class = BASES[usize::from(b)];
            if class == 0 {
                bad_base = Some(i);
                break;
            }
            rec_gc += u64::from(class == GC);
            rec_n += u64::from(class == NB);
        }
        if let Some(i) = bad_base {
            return Err(FormatError::new(
                Location::Line(line + 1),
                format!(
                    "sequence character {:?} at column {} is not a nucleotide code",
                    char::from(seq[i]),
                    i + 1
                ),
            ));
        }
        if seq.len() != qual.len() {
            let category = if qual.len() < seq.len() {
                Category::Truncated
            } else {
                Category::Syntax
            };
            return Err(FormatError::with_category(
                Location::Line(line + 3),
                category,
                format!(
                    "quality line has {} characters but the sequence has {} bases",
                    qual.len(),
                    seq.len()
                ),
            ));
        }
        // one pass over the qualities: range, sum, Q30
        let (mut rec_sum, mut rec_q30, mut out_of_range) = (0u64, 0u64, false);
        for &q in qual {
            let p = q.wrapping_sub(b'!');
            out_of_range |= p > b'~' - b'!';
            rec_sum += u64::from(p);
            rec_q30 += u64::from(p >= 30);
        }
        if out_of_range {
            let i = qual
                .iter()
                .position(|&q| !(b'!'..=b'~').contains(&q))
                .unwrap_or(0);
            return Err(FormatError::new(
                Location::Line(line + 3),
                format!(
                    "quality character {:?} at column {} is outside Phred+33 ('!' to '~')",
                    char::from(qual[i]),
                    i + 1
                ),
            ));
        }
        let len = u32::try_from(seq.len()).unwrap_or(u32::MAX);
        qc.reads += 1;
        qc.bases += u64::from(len);
        qc.min_length = qc.min_length.min(len);
        qc.max_length = qc.max_length.max(len);
        *histogram.entry(bucket(len)).or_default() += 1;
        quality_sum += rec_sum;
        q30 += rec_q30;
        gc += rec_gc;
        qc.n_bases += rec_n;
    }
    reader
        .get_mut()
        .fill_buf()
        .map_err(|e| FormatError::from_io(Location::ByteOffset(progress.pos()), "reading", e))?;
    if compression == Compression::Bgzf && !progress.ends_with(&crate::input::BGZF_EOF) {
        return Err(crate::input::missing_bgzf_eof(progress.pos()));
    }
    if qc.reads == 0 {
        return Err(FormatError::new(
            Location::Line(1),
            "FASTQ file has no reads",
        ));
    }
    if qc.min_length == u32::MAX {
        qc.min_length = 0;
    }
    let bases = qc.bases as f64;
    if qc.bases > 0 {
        qc.mean_quality = quality_sum as f64 / bases;
        qc.q30_fraction = q30 as f64 / bases;
        let called = qc.bases - qc.n_bases;
        if called > 0 {
            qc.gc_fraction = gc as f64 / called as f64;
        }
    }
    qc.mean_length = bases / qc.reads as f64;
    qc.length_histogram = histogram.into_iter().collect();
    Ok(qc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lax() -> Sanitiser {
        Sanitiser::default().require_pseudonymous_samples(false)
    }

    #[test]
    fn good_records() {
        let data = b"@r1 1:N:0:ACGT\nACGTN\n+\nII#II\n@r2\nGG\n+r2\n!!\n";
        let qc = validate(&data[..], false, &lax()).expect("valid");
        assert_eq!(qc.reads, 2);
        assert_eq!(qc.bases, 7);
        assert_eq!(qc.min_length, 2);
        assert_eq!(qc.max_length, 5);
        assert_eq!(qc.n_bases, 1);
        assert_eq!(qc.length_histogram, vec![(2, 1), (5, 1)]);
        // 4 × 40 + 2 + 0 + 0 over 7 bases
        assert!((qc.mean_quality - 162.0 / 7.0).abs() < 1e-9);
        assert!((qc.q30_fraction - 4.0 / 7.0).abs() < 1e-9);
    }

    #[test]
    fn refusals_name_the_line() {
        let cases: [(&[u8], &str); 5] = [
            (b"@r1\nACGT\n+\nIII\n", "line 4"),
            (b"@r1\nACGT\n+\nIIII\n@r2\nAC\n+\nI I\n", "line 8"),
            (b"@r1\nACGT\n+\nIIII\nr2\nAC\n+\nII\n", "line 5"),
            (b"@r1\nAC!T\n+\nIIII\n", "line 2"),
            (b"@r1\nACGT\n-\nIIII\n", "line 1"),
        ];
        for (data, want) in cases {
            let err = validate(data, false, &lax()).expect_err(want);
            assert!(err.to_string().starts_with(want), "{err} (want {want})");
        }
    }

    #[test]
    fn truncated_and_empty() {
        assert!(validate(&b"@r1\nACGT\n"[..], false, &lax()).is_err());
        assert!(validate(&b""[..], false, &lax()).is_err());
        assert!(validate(&b"@r1\nACGT\n+\nIIII\n"[..], true, &lax()).is_err());
    }

    #[test]
    fn personal_data_in_names() {
        let err = validate(&b"@patient_id=12345\nA\n+\nI\n"[..], false, &lax()).expect_err("pd");
        assert_eq!(err.category, Category::Sanitisation);
    }
}
