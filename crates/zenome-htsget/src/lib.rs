//! Format-level half of Zenome's GA4GH htsget 1.3 server, on noodles.
//!
//! Two jobs, both on the *plaintext* of a stored file:
//!
//! - at ingest, [`build_index`] streams a coordinate-sorted file once and returns the bytes of
//!   its index: BAI for BAM, CRAI for CRAM, TBI for bgzipped VCF, CSI for BCF (CSI also for BAM
//!   and VCF when a reference sequence is longer than BAI/TBI can address, 2^29 - 1);
//! - per request, [`plan`] reads the file's header and that index and returns the [`Piece`]s whose
//!   concatenation is a valid file of the same format holding every record that overlaps the
//!   queried region (a superset, as htsget allows): byte ranges of the stored file, plus small
//!   inline BGZF blocks or markers the server serves as `data:` URLs.
//!
//! Planning never hands out a byte range that starts or ends inside a record: where a BGZF block
//! holds both wanted records and the tail of an unwanted record (or header bytes), the planner
//! decompresses that one block and re-encodes the wanted part as an [`Piece::Inline`] block.
//! Files written by htslib (which starts a new BGZF block rather than split a BAM or BCF record)
//! therefore plan to plain ranges; files written by `bgzip` or noodles get a few inline blocks.
//!
//! Header pieces always come first. Use [`piece_classes`] to label every piece with its htsget
//! `class` (the spec wants all URLs of a ticket labelled, or none).

mod bgzf_block;
mod cram_container;
mod error;
mod index;
mod plan;
mod record_boundary;

use std::fmt;

pub use self::{error::HtsgetError, index::build_index, plan::plan};

/// A file format that can be indexed and range-queried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// BAM (BGZF-compressed), indexed by BAI (or CSI).
    Bam,
    /// CRAM 3.x, indexed by CRAI.
    Cram,
    /// Bgzipped VCF, indexed by TBI (or CSI).
    VcfGz,
    /// BCF (BGZF-compressed), indexed by CSI.
    Bcf,
}

impl Format {
    /// The htsget `format` name of this format (`BAM`, `CRAM`, `VCF`, `BCF`).
    pub fn htsget_name(self) -> &'static str {
        match self {
            Self::Bam => "BAM",
            Self::Cram => "CRAM",
            Self::VcfGz => "VCF",
            Self::Bcf => "BCF",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Bam => "BAM",
            Self::Cram => "CRAM",
            Self::VcfGz => "VCF.gz",
            Self::Bcf => "BCF",
        })
    }
}

/// An htsget region query, already parsed from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// `referenceName`: none for the whole file, `*` for unplaced unmapped reads (BAM, CRAM).
    pub reference_name: Option<String>,
    /// `start`: 0-based, inclusive.
    pub start: Option<u64>,
    /// `end`: 0-based, exclusive.
    pub end: Option<u64>,
    /// `class`: the header alone, or the whole stream (header, records, EOF marker).
    pub class: Class,
}

impl Query {
    /// A query for the whole file.
    pub fn whole_file() -> Self {
        Self {
            reference_name: None,
            start: None,
            end: None,
            class: Class::Body,
        }
    }

    /// A query for the header alone.
    pub fn header() -> Self {
        Self {
            class: Class::Header,
            ..Self::whole_file()
        }
    }

    /// A query for records overlapping `[start, end)` (0-based, half-open) of a reference.
    pub fn region(reference_name: impl Into<String>, start: Option<u64>, end: Option<u64>) -> Self {
        Self {
            reference_name: Some(reference_name.into()),
            start,
            end,
            class: Class::Body,
        }
    }
}

/// An htsget data class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// The header only.
    Header,
    /// Header plus data (as a query class); the data part (as the class of a piece).
    Body,
}

impl Class {
    /// The htsget wire name: `header` or `body`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Header => "header",
            Self::Body => "body",
        }
    }
}

/// A byte range `[start, end)` of the stored plaintext file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte, 0-based.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// `Some(Header)` for the header block(s), `Some(Body)` for everything else.
    pub class: Option<Class>,
}

impl ByteRange {
    /// The number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the range is empty (the planner never returns one).
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// The HTTP `Range` header value, whose bounds are inclusive: `bytes=START-LAST`.
    pub fn http_range(&self) -> String {
        format!("bytes={}-{}", self.start, self.end.saturating_sub(1))
    }
}

/// One part of a planned response, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Bytes of the stored plaintext file.
    Range(ByteRange),
    /// Bytes the server sends itself as a `data:` URL: the BGZF EOF block or CRAM EOF container
    /// when the stored file lacks one, or one BGZF block re-encoded from part of a stored block.
    Inline(Vec<u8>),
}

/// The htsget `class` of each piece of a plan returned by [`plan`].
///
/// A `Range` carries its class. An `Inline` piece is `header` when it is the first piece (the
/// planner sends the whole header inline, and then only, when the header ends inside a BGZF
/// block) and `body` everywhere else.
pub fn piece_classes(pieces: &[Piece]) -> Vec<Class> {
    pieces
        .iter()
        .enumerate()
        .map(|(i, piece)| match piece {
            Piece::Range(range) => range.class.unwrap_or(Class::Body),
            Piece::Inline(_) if i == 0 => Class::Header,
            Piece::Inline(_) => Class::Body,
        })
        .collect()
}
