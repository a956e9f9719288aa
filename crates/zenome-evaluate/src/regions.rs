//! Confident regions from a BED file (plain or gzip/bgzip): intervals sorted
//! and merged per contig, with a note of what had to be sorted or merged.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::error::EvaluateError;

/// Merged half-open intervals per contig (0-based, BED coordinates).
#[derive(Debug, Default)]
pub(crate) struct Regions {
    by_contig: HashMap<String, Vec<(u32, u32)>>,
}

impl Regions {
    /// Reads `path`; the notes say how many intervals were out of order or
    /// overlapping (merged).
    pub(crate) fn read(path: &Path) -> Result<(Self, Vec<String>), EvaluateError> {
        let io = |e| EvaluateError::io(path, e);
        let mut f = File::open(path).map_err(io)?;
        let mut magic = [0u8; 2];
        let n = f.read(&mut magic).map_err(io)?;
        let f = File::open(path).map_err(io)?;
        let reader: Box<dyn BufRead> = if n == 2 && magic == [0x1f, 0x8b] {
            Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(f)))
        } else {
            Box::new(BufReader::new(f))
        };
        let bad = |line: u64, message: String| EvaluateError::BedLine {
            path: path.into(),
            line,
            message,
        };
        let mut raw: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut unsorted = 0u64;
        let mut last: Option<(String, u32)> = None;
        for (i, line) in reader.lines().enumerate() {
            let no = i as u64 + 1;
            let line = line.map_err(|e| bad(no, format!("not text: {e}")))?;
            let line = line.trim_end_matches('\r');
            if line.is_empty()
                || line.starts_with('#')
                || line.starts_with("track")
                || line.starts_with("browser")
            {
                continue;
            }
            let mut fields = line.split('\t');
            let (Some(chrom), Some(start), Some(end)) =
                (fields.next(), fields.next(), fields.next())
            else {
                return Err(bad(
                    no,
                    "expected chrom, start and end separated by tabs".into(),
                ));
            };
            let num = |what: &str, v: &str| {
                v.trim()
                    .parse::<u32>()
                    .map_err(|_| bad(no, format!("{what} {v:?} is not a whole number")))
            };
            let (start, end) = (num("start", start)?, num("end", end)?);
            if start >= end {
                return Err(bad(
                    no,
                    format!("start {start} is not before end {end} (BED is 0-based, half-open)"),
                ));
            }
            if chrom.is_empty() {
                return Err(bad(no, "empty chromosome name".into()));
            }
            if let Some((c, s)) = &last
                && c == chrom
                && start < *s
            {
                unsorted += 1;
            }
            last = Some((chrom.to_string(), start));
            let v = raw.entry(chrom.to_string()).or_insert_with(|| {
                order.push(chrom.to_string());
                Vec::new()
            });
            v.push((start, end));
        }
        let mut merged = 0u64;
        let mut by_contig = HashMap::new();
        for (chrom, mut v) in raw {
            v.sort_unstable();
            let mut out: Vec<(u32, u32)> = Vec::with_capacity(v.len());
            for (s, e) in v {
                match out.last_mut() {
                    Some(l) if s < l.1 => {
                        merged += 1;
                        l.1 = l.1.max(e);
                    }
                    _ => out.push((s, e)),
                }
            }
            by_contig.insert(chrom, out);
        }
        let mut notes = Vec::new();
        let name = path.display();
        if unsorted > 0 {
            notes.push(format!(
                "{name}: {unsorted} interval(s) out of order within their contig; sorted"
            ));
        }
        if merged > 0 {
            notes.push(format!(
                "{name}: {merged} overlapping interval(s) merged into their neighbours"
            ));
        }
        Ok((Self { by_contig }, notes))
    }

    /// Contig names the regions name.
    pub(crate) fn contigs(&self) -> impl Iterator<Item = &str> {
        self.by_contig.keys().map(String::as_str)
    }

    /// The intervals of one contig (empty when it has none).
    pub(crate) fn of(&self, contig: &str) -> &[(u32, u32)] {
        self.by_contig.get(contig).map_or(&[], Vec::as_slice)
    }

    /// Total bases covered.
    pub(crate) fn bases(&self) -> u64 {
        self.by_contig
            .values()
            .flatten()
            .map(|(s, e)| u64::from(e - s))
            .sum()
    }
}

/// Whether 0-based `pos` lies in one of `intervals` (sorted, merged).
pub(crate) fn contains(intervals: &[(u32, u32)], pos: u32) -> bool {
    let i = intervals.partition_point(|&(_, e)| e <= pos);
    intervals.get(i).is_some_and(|&(s, _)| s <= pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsorted_and_overlapping_intervals_are_merged_and_said() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.bed");
        std::fs::write(
            &p,
            "track name=x\nchr1\t100\t200\nchr1\t50\t120\nchr1\t300\t400\nchr2\t0\t10\nchr1\t390\t500\n",
        )
        .unwrap();
        let (r, notes) = Regions::read(&p).unwrap();
        assert_eq!(r.of("chr1"), &[(50, 200), (300, 500)]);
        assert_eq!(r.of("chr2"), &[(0, 10)]);
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].contains("1 interval(s) out of order"), "{notes:?}");
        assert!(notes[1].contains("2 overlapping"), "{notes:?}");
        assert!(contains(r.of("chr1"), 50));
        assert!(contains(r.of("chr1"), 199));
        assert!(!contains(r.of("chr1"), 200));
        assert!(!contains(r.of("chr1"), 49));
        assert!(contains(r.of("chr1"), 499));
        assert!(!contains(r.of("chr3"), 1));
    }

    #[test]
    fn a_bad_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("r.bed");
        std::fs::write(&p, "chr1\t100\t200\nchr1\t300\t300\n").unwrap();
        let e = Regions::read(&p).unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("not before end"), "{e}");
        std::fs::write(&p, "chr1\tx\t200\n").unwrap();
        let e = Regions::read(&p).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("\"x\""), "{e}");
    }
}
