//! Reference bases of one contig: the whole sequence from a FASTA, or only
//! the stretches the two files' REF alleles spell (checked against each
//! other: a disagreement means different assemblies).

use std::path::{Path, PathBuf};

use noodles::core::Region;
use noodles::fasta;

use crate::calls::Contig;
use crate::error::EvaluateError;

/// An indexed FASTA (plain + `.fai`, or bgzip + `.fai` + `.gzi`).
pub(crate) struct Fasta {
    path: PathBuf,
    reader: fasta::io::IndexedReader<fasta::io::BufReader<std::fs::File>>,
}

impl Fasta {
    pub(crate) fn open(path: &Path) -> Result<Self, EvaluateError> {
        let reader = fasta::io::indexed_reader::Builder::default()
            .build_from_path(path)
            .map_err(|e| EvaluateError::io(path, e))?;
        Ok(Self {
            path: path.into(),
            reader,
        })
    }

    /// Sequence names and lengths of the index.
    pub(crate) fn contigs(&self) -> Vec<(String, u64)> {
        self.reader
            .index()
            .as_ref()
            .iter()
            .map(|r| (String::from_utf8_lossy(r.name()).into_owned(), r.length()))
            .collect()
    }

    /// The whole sequence of `name`, uppercase.
    pub(crate) fn load(&mut self, name: &str) -> Result<Vec<u8>, EvaluateError> {
        let rec = self
            .reader
            .query(&Region::new(name, ..))
            .map_err(|e| EvaluateError::io(&self.path, e))?;
        let mut s = rec.sequence().as_ref().to_vec();
        s.make_ascii_uppercase();
        Ok(s)
    }
}

/// What is known of one contig's reference.
pub(crate) enum Bases {
    Full(Vec<u8>),
    /// Disjoint stretches (0-based start, bases), sorted.
    Sparse(Vec<(u32, Vec<u8>)>),
}

impl Bases {
    /// The base at 0-based `pos`, if known (`N` counts as unknown).
    pub(crate) fn get(&self, pos: u32) -> Option<u8> {
        let b = match self {
            Self::Full(s) => s.get(pos as usize).copied(),
            Self::Sparse(segs) => {
                let i = segs.partition_point(|(s, _)| *s <= pos);
                let (s, seq) = segs.get(i.checked_sub(1)?)?;
                seq.get((pos - s) as usize).copied()
            }
        }?;
        (b != b'N').then_some(b)
    }

    /// Checks every REF of `contig` against the FASTA.
    pub(crate) fn check(
        &self,
        path: &Path,
        contig: &Contig,
        reference: &Path,
    ) -> Result<(), EvaluateError> {
        let Self::Full(seq) = self else {
            return Ok(());
        };
        for &(start, off, len, record) in &contig.refs {
            let r = contig.bytes(off, len);
            let got = seq.get(start as usize..(start + len) as usize);
            let same = got.is_some_and(|g| {
                g.iter()
                    .zip(r)
                    .all(|(x, y)| x == y || *x == b'N' || *y == b'N')
            });
            if !same {
                return Err(EvaluateError::RefMismatch {
                    path: path.into(),
                    line: record,
                    chrom: contig.name.clone(),
                    pos: u64::from(start) + 1,
                    found: String::from_utf8_lossy(r).into_owned(),
                    expected: match got {
                        Some(g) => {
                            format!("{} has {}", reference.display(), String::from_utf8_lossy(g))
                        }
                        None => format!(
                            "{} ends at {} on {}",
                            reference.display(),
                            seq.len(),
                            contig.name
                        ),
                    },
                });
            }
        }
        Ok(())
    }

    /// The stretches the REF alleles of both files spell; where they
    /// overlap they must agree.
    pub(crate) fn from_alleles(
        chrom: &str,
        truth: (&Path, Option<&Contig>),
        query: (&Path, Option<&Contig>),
    ) -> Result<Self, EvaluateError> {
        let mut spans: Vec<(u32, &[u8], &Path, u64)> = Vec::new();
        for (path, contig) in [truth, query] {
            if let Some(c) = contig {
                spans.extend(
                    c.refs
                        .iter()
                        .map(|&(s, off, len, rec)| (s, c.bytes(off, len), path, rec)),
                );
            }
        }
        spans.sort_unstable_by_key(|s| s.0);
        let mut segs: Vec<(u32, Vec<u8>, &Path, u64)> = Vec::new();
        for (start, bases, path, record) in spans {
            match segs.last_mut() {
                Some((s, seq, p0, r0)) if start <= *s + seq.len() as u32 => {
                    let end = *s + seq.len() as u32;
                    let overlap = (end - start).min(bases.len() as u32) as usize;
                    let from = (start - *s) as usize;
                    for k in 0..overlap {
                        let (x, y) = (seq[from + k], bases[k]);
                        if x != y && x != b'N' && y != b'N' {
                            return Err(EvaluateError::RefMismatch {
                                path: path.into(),
                                line: record,
                                chrom: chrom.into(),
                                pos: u64::from(start) + k as u64 + 1,
                                found: String::from_utf8_lossy(bases).into_owned(),
                                expected: format!(
                                    "{} record {} has {} there: the two files disagree on the reference",
                                    p0.display(),
                                    r0,
                                    char::from(x)
                                ),
                            });
                        }
                        if x == b'N' {
                            seq[from + k] = y;
                        }
                    }
                    seq.extend_from_slice(&bases[overlap..]);
                    *p0 = path;
                    *r0 = record;
                }
                _ => segs.push((start, bases.to_vec(), path, record)),
            }
        }
        Ok(Self::Sparse(
            segs.into_iter().map(|(s, seq, _, _)| (s, seq)).collect(),
        ))
    }
}
