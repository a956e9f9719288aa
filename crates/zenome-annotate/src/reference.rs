//! The reference sequence, read from an indexed FASTA (plain + `.fai`, or
//! bgzip + `.fai` + `.gzi`) through noodles. Only a window of one
//! chromosome is held at a time, grown or moved as sorted input moves on,
//! so memory stays at the window (1 Mb, or the longest transcript asked
//! for), not the genome.

use std::path::{Path, PathBuf};

use noodles::core::{Position, Region};
use noodles::fasta;

use crate::error::AnnotateError;

/// Least bases fetched at a time.
const WINDOW: u32 = 1 << 20;

/// An indexed reference FASTA with one cached window.
pub struct Reference {
    path: PathBuf,
    reader: fasta::io::IndexedReader<fasta::io::BufReader<std::fs::File>>,
    /// Chromosome name → its length, as the index lists them.
    lengths: Vec<(String, u32)>,
    chrom: String,
    /// 1-based first position of `window`.
    start: u32,
    window: Vec<u8>,
}

impl Reference {
    /// Opens a FASTA with its index beside it.
    pub fn open(path: &Path) -> Result<Self, AnnotateError> {
        let reader = fasta::io::indexed_reader::Builder::default()
            .build_from_path(path)
            .map_err(|e| AnnotateError::io(path, e))?;
        let lengths = reader
            .index()
            .as_ref()
            .iter()
            .map(|r| {
                (
                    String::from_utf8_lossy(r.name()).into_owned(),
                    u32::try_from(r.length()).unwrap_or(u32::MAX),
                )
            })
            .collect();
        Ok(Self {
            path: path.to_path_buf(),
            reader,
            lengths,
            chrom: String::new(),
            start: 0,
            window: Vec::new(),
        })
    }

    /// The FASTA's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The chromosome's length, or `None` when the FASTA lacks it.
    pub fn length(&self, chrom: &str) -> Option<u32> {
        self.lengths
            .iter()
            .find(|(n, _)| n == chrom)
            .map(|(_, l)| *l)
    }

    /// Every chromosome name in the FASTA.
    pub fn chromosomes(&self) -> impl Iterator<Item = &str> {
        self.lengths.iter().map(|(n, _)| n.as_str())
    }

    /// Bases `start..=end` (1-based, clipped to the chromosome), upper-case.
    /// Errors when the chromosome is not in the FASTA.
    pub fn fetch(&mut self, chrom: &str, start: u32, end: u32) -> Result<&[u8], AnnotateError> {
        let len = self
            .length(chrom)
            .ok_or_else(|| AnnotateError::MissingChromosome {
                path: self.path.clone(),
                chrom: chrom.to_string(),
                fasta: self.path.clone(),
            })?;
        let start = start.max(1);
        let end = end.min(len);
        if end < start {
            return Ok(&[]);
        }
        let have = self.chrom == chrom
            && start >= self.start
            && (end as u64) < self.start as u64 + self.window.len() as u64;
        if !have {
            let from = start;
            let to = end.max(start.saturating_add(WINDOW)).min(len);
            let region = Region::new(
                chrom,
                Position::try_from(from as usize).map_err(|e| {
                    AnnotateError::io(&self.path, std::io::Error::other(e.to_string()))
                })?..=Position::try_from(to as usize).map_err(|e| {
                    AnnotateError::io(&self.path, std::io::Error::other(e.to_string()))
                })?,
            );
            let rec = self
                .reader
                .query(&region)
                .map_err(|e| AnnotateError::io(&self.path, e))?;
            self.window.clear();
            self.window.extend_from_slice(rec.sequence().as_ref());
            self.window.make_ascii_uppercase();
            self.chrom.clear();
            self.chrom.push_str(chrom);
            self.start = from;
        }
        let a = (start - self.start) as usize;
        let b = (end - self.start) as usize + 1;
        Ok(&self.window[a..b.min(self.window.len())])
    }
}
