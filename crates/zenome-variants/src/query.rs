//! The query side of the store beyond one mask: counting several sample
//! masks in one pass over the rows (a cohort and its subgroups), paging a
//! region of any size with a resume cursor, and chromosome names as the
//! store spells them.

use std::fmt;
use std::str::FromStr;

use noodles::core::{Position, Region};

use crate::error::VariantsError;
use crate::genotype::{Counts, SampleMask};
use crate::store::Store;

/// How far before a range [`Store::reference_bases`] looks for a stored
/// REF that spans it.
const REF_LOOKBACK: u32 = 1000;

/// Where a page ended: the last allele handed out. The next page starts
/// right after it, in the store's allele order (position, then the order in
/// which batches first stored the alleles of that position — stable, since
/// batches only append).
///
/// Its text form (a page token) is `POS:REF:ALT`; REF holds no `:` (VCF REF
/// is bases), so an ALT with `:` (a breakend) still parses.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cursor {
    /// Position (1-based) of the last allele handed out.
    pub pos: u32,
    /// Its REF.
    pub reference: String,
    /// Its ALT.
    pub alt: String,
}

/// A page token that is not `POS:REF:ALT`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("page token {token:?}: {message}")]
pub struct CursorError {
    /// The token as given.
    pub token: String,
    /// What is wrong with it.
    pub message: &'static str,
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.pos, self.reference, self.alt)
    }
}

impl FromStr for Cursor {
    type Err = CursorError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = |message| CursorError {
            token: s.to_string(),
            message,
        };
        let mut it = s.splitn(3, ':');
        let (Some(pos), Some(reference), Some(alt)) = (it.next(), it.next(), it.next()) else {
            return Err(err("expected POS:REF:ALT"));
        };
        let pos: u32 = pos
            .parse()
            .ok()
            .filter(|&p| p > 0)
            .ok_or_else(|| err("POS is not a positive integer"))?;
        if reference.is_empty() || alt.is_empty() {
            return Err(err("REF and ALT must not be empty"));
        }
        Ok(Self {
            pos,
            reference: reference.to_string(),
            alt: alt.to_string(),
        })
    }
}

/// One stored allele counted over each of several masks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlleleCounts {
    pub chrom: String,
    pub pos: u32,
    pub reference: String,
    pub alt: String,
    /// One entry per mask of the [`Scan`], in the same order.
    pub counts: Vec<Counts>,
    /// Global indices of the samples of the first mask holding at least one
    /// copy of the ALT, ascending (only when [`Scan::carriers`] is set).
    pub carriers: Vec<u32>,
}

impl AlleleCounts {
    /// The cursor that resumes right after this allele.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            pos: self.pos,
            reference: self.reference.clone(),
            alt: self.alt.clone(),
        }
    }
}

/// What to count over a region.
#[derive(Debug, Clone, Copy)]
pub struct Scan<'a> {
    /// The masks to count over, in one pass; the first one is the cohort
    /// (carriers and the `keep` filter usually look at it).
    pub masks: &'a [&'a SampleMask],
    /// Collect the carriers of the first mask.
    pub carriers: bool,
    /// Resume after this allele (from the previous page).
    pub after: Option<&'a Cursor>,
    /// Hand out at most this many kept alleles (at least 1), then stop with
    /// a cursor if more kept alleles follow.
    pub limit: Option<usize>,
    /// Read only these batches' rows (`None`: every batch). A participant's
    /// own calls are read from its batches without opening the cohort's.
    pub batches: Option<&'a [u32]>,
}

/// The other spellings of a chromosome name (`chr20` ↔ `20`, `chrM` ↔ `MT`).
pub fn chrom_aliases(name: &str) -> Vec<String> {
    let bare = ["chr", "Chr", "CHR"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    let mut out = vec![name.to_string(), bare.to_string(), format!("chr{bare}")];
    if bare.eq_ignore_ascii_case("M") || bare.eq_ignore_ascii_case("MT") {
        out.extend(["MT", "M", "chrM", "chrMT"].map(String::from));
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|n| seen.insert(n.clone()));
    out
}

impl Store {
    /// The reference bases of `chrom:start-end` (1-based, inclusive) as the
    /// stored alleles spell them: the REF of a stored allele that spans the
    /// range (starting at most 1 kb before it). `None` when none does — the
    /// store is no reference genome.
    pub fn reference_bases(
        &self,
        chrom: &str,
        start: u32,
        end: u32,
    ) -> Result<Option<String>, VariantsError> {
        let pos = |p: u32| Position::try_from(p as usize).ok();
        let (Some(a), Some(b)) = (pos(start.saturating_sub(REF_LOOKBACK).max(1)), pos(end)) else {
            return Ok(None);
        };
        if start > end {
            return Ok(None);
        }
        let region = Region::new(chrom, a..=b);
        let scan = Scan {
            masks: &[],
            carriers: false,
            after: None,
            limit: None,
            batches: None,
        };
        let mut found: Vec<String> = Vec::new();
        self.scan_alleles(
            &region,
            &scan,
            &mut |x| x.pos <= start && x.pos as usize + x.reference.len() > end as usize,
            &mut |x| {
                let from = (start - x.pos) as usize;
                let to = (end - x.pos) as usize;
                if let Some(b) = x.reference.get(from..=to) {
                    found.push(b.to_string());
                }
            },
        )?;
        Ok(found.into_iter().next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_tokens_round_trip_and_bad_ones_are_named() {
        let c = Cursor {
            pos: 1000226,
            reference: "A".into(),
            alt: "G]17:198982]".into(),
        };
        assert_eq!(c.to_string().parse::<Cursor>().unwrap(), c);
        for bad in ["", "12", "12:A", "0:A:T", "x:A:T", "12::T"] {
            let e = bad.parse::<Cursor>().unwrap_err();
            assert_eq!(e.token, bad);
        }
    }

    #[test]
    fn chromosome_aliases_cover_the_prefix_and_the_mitochondrion() {
        assert_eq!(chrom_aliases("chr20"), ["chr20", "20"]);
        assert_eq!(chrom_aliases("20"), ["20", "chr20"]);
        assert!(chrom_aliases("MT").contains(&"chrM".to_string()));
    }
}
