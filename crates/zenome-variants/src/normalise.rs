//! Normalisation against a reference FASTA: REF checked, indels left-aligned
//! and trimmed to their shortest form (the vt normalize algorithm, as
//! `bcftools norm -f` does).

use std::path::{Path, PathBuf};

use noodles::core::Region;
use noodles::fasta;

use crate::error::VariantsError;
use crate::read::Site;

/// A reference FASTA (bgzip+fai+gzi or plain+fai), one chromosome in memory.
pub struct Normaliser {
    path: PathBuf,
    reader: fasta::io::IndexedReader<fasta::io::BufReader<std::fs::File>>,
    chrom: String,
    seq: Option<Vec<u8>>,
}

impl Normaliser {
    pub fn open(path: &Path) -> Result<Self, VariantsError> {
        let reader = fasta::io::indexed_reader::Builder::default()
            .build_from_path(path)
            .map_err(|e| VariantsError::io(path, e))?;
        Ok(Self {
            path: path.into(),
            reader,
            chrom: String::new(),
            seq: None,
        })
    }

    /// The chromosome's sequence (uppercase), or `None` when the FASTA lacks it.
    fn sequence(&mut self, chrom: &str) -> Result<Option<&[u8]>, VariantsError> {
        if self.chrom != chrom {
            self.chrom = chrom.to_string();
            let known = self
                .reader
                .index()
                .as_ref()
                .iter()
                .any(|r| r.name() == chrom.as_bytes());
            self.seq = if known {
                let rec = self
                    .reader
                    .query(&Region::new(chrom, ..))
                    .map_err(|e| VariantsError::io(&self.path, e))?;
                let mut s = rec.sequence().as_ref().to_vec();
                s.make_ascii_uppercase();
                Some(s)
            } else {
                None
            };
        }
        Ok(self.seq.as_deref())
    }

    /// Refuses a record whose REF differs from the reference.
    pub fn check_ref(&mut self, file: &Path, site: &Site) -> Result<(), VariantsError> {
        let mismatch = |expected: String| VariantsError::RefMismatch {
            path: file.into(),
            record: site.record,
            chrom: site.chrom.clone(),
            pos: site.pos,
            found: site.reference.clone(),
            expected,
        };
        let Some(seq) = self.sequence(&site.chrom)? else {
            return Err(mismatch(format!("no sequence {} in the FASTA", site.chrom)));
        };
        let start = site.pos as usize - 1;
        let r = site.reference.as_bytes();
        let Some(got) = seq.get(start..start + r.len()) else {
            return Err(mismatch("past the end of the sequence".into()));
        };
        let same = r
            .iter()
            .zip(got)
            .all(|(a, b)| a.eq_ignore_ascii_case(b) || *b == b'N' || a.eq_ignore_ascii_case(&b'N'));
        if same {
            Ok(())
        } else {
            Err(mismatch(String::from_utf8_lossy(got).into_owned()))
        }
    }

    /// Left-aligns and trims one biallelic REF/ALT pair.
    pub fn left_align(
        &mut self,
        chrom: &str,
        pos: u32,
        reference: &str,
        alt: &str,
    ) -> Result<(u32, String, String), VariantsError> {
        let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b"ACGTNacgtn".contains(&b));
        if !plain(reference) || !plain(alt) || reference.len() == alt.len() && reference.len() == 1
        {
            return Ok((pos, reference.to_string(), alt.to_string()));
        }
        let seq = self.sequence(chrom)?.unwrap_or(&[]);
        Ok(left_align(seq, pos, reference, alt))
    }
}

/// vt normalize on one REF/ALT pair; `seq` is the chromosome (uppercase).
pub fn left_align(seq: &[u8], pos: u32, reference: &str, alt: &str) -> (u32, String, String) {
    let mut r: Vec<u8> = reference.bytes().map(|b| b.to_ascii_uppercase()).collect();
    let mut a: Vec<u8> = alt.bytes().map(|b| b.to_ascii_uppercase()).collect();
    let mut pos = pos;
    loop {
        let mut changed = false;
        if !r.is_empty() && !a.is_empty() && r.last() == a.last() {
            r.pop();
            a.pop();
            changed = true;
        }
        if (r.is_empty() || a.is_empty()) && pos > 1 {
            pos -= 1;
            let Some(&b) = seq.get(pos as usize - 1) else {
                break;
            };
            r.insert(0, b);
            a.insert(0, b);
            changed = true;
        }
        if !changed {
            break;
        }
    }
    while r.len() > 1 && a.len() > 1 && r[0] == a[0] {
        r.remove(0);
        a.remove(0);
        pos += 1;
    }
    (
        pos,
        String::from_utf8(r).expect("ASCII"),
        String::from_utf8(a).expect("ASCII"),
    )
}

#[cfg(test)]
mod tests {
    use super::left_align;

    #[test]
    fn deletion_in_a_homopolymer_moves_left() {
        //           1234567890
        let seq = b"GCAAAAAATG";
        // delete one A written at the right end of the run: pos 8 AT -> T
        assert_eq!(
            left_align(seq, 8, "AT", "T"),
            (2, "CA".to_string(), "C".to_string())
        );
        // insertion of A at the right end
        assert_eq!(
            left_align(seq, 8, "A", "AA"),
            (2, "C".to_string(), "CA".to_string())
        );
        // a SNV is untouched
        assert_eq!(
            left_align(seq, 4, "A", "G"),
            (4, "A".to_string(), "G".to_string())
        );
    }
}
