//! Planning a query: validating it, then handing it to the BGZF planner (BAM, VCF.gz, BCF) or
//! the CRAM planner, which turn index entries into byte ranges of the stored file.

mod bgzf;
mod cram;

use std::io::{Read, Seek};

use noodles::core::{Position, region::Interval};

use crate::{ByteRange, Class, Format, HtsgetError, Piece, Query};

/// Plans the pieces whose concatenation answers `query` on `file` (the plaintext of a stored
/// file of `file_len` bytes) with the help of `index` (the bytes [`crate::build_index`] made, or
/// an index file from samtools, bcftools or tabix: BAI or CSI for BAM, CRAI for CRAM, TBI or CSI
/// for VCF.gz, CSI for BCF).
///
/// The result is the header (always first), the data overlapping the query and the EOF marker,
/// each a [`Piece`], in order. With no reference name the data is the whole file, `*` selects the
/// unplaced unmapped reads of a BAM or CRAM file, and [`Class::Header`] gives the header and EOF
/// marker alone.
///
/// Errors, as htsget names them: `InvalidInput` if `start` or `end` comes without a reference
/// name, with `*`, or with `class=header`; `InvalidRange` if `start > end` or `start` is at or
/// beyond the reference's length (when the header gives one); `NotFound` if the reference is
/// not in the header.
pub fn plan<R: Read + Seek>(
    format: Format,
    file: R,
    file_len: u64,
    index: &[u8],
    query: &Query,
) -> Result<Vec<Piece>, HtsgetError> {
    let request = Request::try_from(query)?;

    match format {
        Format::Cram => cram::plan(file, file_len, index, &request),
        Format::Bam | Format::VcfGz | Format::Bcf => {
            bgzf::plan(format, file, file_len, index, &request)
        }
    }
}

/// A validated query.
#[derive(Debug)]
pub(crate) enum Request {
    /// The header and the EOF marker.
    Header,
    /// Everything.
    WholeFile,
    /// Unplaced unmapped reads (`referenceName=*`).
    Unmapped,
    /// Records overlapping `[start, end)` (0-based) of a named reference.
    Region {
        name: String,
        start: u64,
        end: Option<u64>,
    },
}

impl TryFrom<&Query> for Request {
    type Error = HtsgetError;

    fn try_from(query: &Query) -> Result<Self, Self::Error> {
        let has_bounds = query.start.is_some() || query.end.is_some();

        if query.class == Class::Header {
            return if query.reference_name.is_some() || has_bounds {
                Err(HtsgetError::InvalidInput(
                    "class=header takes no referenceName, start or end".into(),
                ))
            } else {
                Ok(Self::Header)
            };
        }

        if let (Some(start), Some(end)) = (query.start, query.end)
            && start > end
        {
            return Err(HtsgetError::InvalidRange(format!(
                "start ({start}) is greater than end ({end})"
            )));
        }

        match query.reference_name.as_deref() {
            None if has_bounds => Err(HtsgetError::InvalidInput(
                "start and end need a referenceName".into(),
            )),
            None => Ok(Self::WholeFile),
            Some("*") if has_bounds => Err(HtsgetError::InvalidInput(
                "start and end do not apply to referenceName=*".into(),
            )),
            Some("*") => Ok(Self::Unmapped),
            Some("") => Err(HtsgetError::InvalidInput("empty referenceName".into())),
            Some(name) => Ok(Self::Region {
                name: name.to_owned(),
                start: query.start.unwrap_or(0),
                end: query.end,
            }),
        }
    }
}

/// Turns the 0-based half-open `[start, end)` on a reference of length `length` (if known)
/// into a 1-based closed interval no longer than `max_position` (the index's limit).
///
/// `Ok(None)` means no record can overlap (an empty range, or a start beyond what the index
/// addresses); `start` at or beyond a known length is `InvalidRange`.
pub(crate) fn interval(
    name: &str,
    start: u64,
    end: Option<u64>,
    length: Option<usize>,
    max_position: usize,
) -> Result<Option<Interval>, HtsgetError> {
    if let Some(length) = length
        && start >= length as u64
    {
        return Err(HtsgetError::InvalidRange(format!(
            "start ({start}) is not within {name}, of length {length}"
        )));
    }

    let limit = length.unwrap_or(usize::MAX).min(max_position) as u64;
    let last = end.unwrap_or(u64::MAX).min(limit);

    if start >= last {
        return Ok(None);
    }

    let to_position = |n: u64| usize::try_from(n).ok().and_then(Position::new);

    match (to_position(start + 1), to_position(last)) {
        (Some(first), Some(last)) => Ok(Some((first..=last).into())),
        _ => Ok(None),
    }
}

/// Builds the list of pieces, merging each byte range into the one before when they touch and
/// have the same class.
#[derive(Debug, Default)]
pub(crate) struct Pieces(Vec<Piece>);

impl Pieces {
    pub(crate) fn push_range(&mut self, start: u64, end: u64, class: Class) {
        if start >= end {
            return;
        }

        if let Some(Piece::Range(last)) = self.0.last_mut()
            && last.end == start
            && last.class == Some(class)
        {
            last.end = end;
            return;
        }

        self.0.push(Piece::Range(ByteRange {
            start,
            end,
            class: Some(class),
        }));
    }

    pub(crate) fn push_inline(&mut self, bytes: Vec<u8>) {
        if !bytes.is_empty() {
            self.0.push(Piece::Inline(bytes));
        }
    }

    pub(crate) fn into_vec(self) -> Vec<Piece> {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(
        name: Option<&str>,
        start: Option<u64>,
        end: Option<u64>,
        class: Class,
    ) -> Result<Request, HtsgetError> {
        Request::try_from(&Query {
            reference_name: name.map(str::to_owned),
            start,
            end,
            class,
        })
    }

    #[test]
    fn queries_are_validated_as_htsget_says() {
        assert!(matches!(
            request(None, None, None, Class::Body),
            Ok(Request::WholeFile)
        ));
        assert!(matches!(
            request(None, None, None, Class::Header),
            Ok(Request::Header)
        ));
        assert!(matches!(
            request(Some("*"), None, None, Class::Body),
            Ok(Request::Unmapped)
        ));
        assert!(matches!(
            request(Some("chr1"), Some(5), Some(5), Class::Body),
            Ok(Request::Region {
                start: 5,
                end: Some(5),
                ..
            })
        ));
        assert!(matches!(
            request(Some("chr1"), Some(6), Some(5), Class::Body),
            Err(HtsgetError::InvalidRange(_))
        ));
        assert!(matches!(
            request(None, Some(1), None, Class::Body),
            Err(HtsgetError::InvalidInput(_))
        ));
        assert!(matches!(
            request(Some("*"), None, Some(10), Class::Body),
            Err(HtsgetError::InvalidInput(_))
        ));
        assert!(matches!(
            request(Some("chr1"), None, None, Class::Header),
            Err(HtsgetError::InvalidInput(_))
        ));
    }

    #[test]
    fn intervals_are_one_based_and_clamped() -> Result<(), HtsgetError> {
        let first = interval("sq0", 0, Some(10), Some(100), 1 << 29)?.expect("an interval");
        assert_eq!(first.start(), Position::new(1));
        assert_eq!(first.end(), Position::new(10));

        let open = interval("sq0", 90, None, Some(100), 1 << 29)?.expect("an interval");
        assert_eq!(open.end(), Position::new(100));

        assert!(interval("sq0", 5, Some(5), Some(100), 1 << 29)?.is_none());
        assert!(matches!(
            interval("sq0", 100, None, Some(100), 1 << 29),
            Err(HtsgetError::InvalidRange(_))
        ));
        assert!(interval("sq0", 1 << 29, None, None, 1 << 29)?.is_none());
        Ok(())
    }

    #[test]
    fn touching_ranges_of_one_class_merge() {
        let mut pieces = Pieces::default();
        pieces.push_range(0, 10, Class::Header);
        pieces.push_range(10, 20, Class::Body);
        pieces.push_range(20, 30, Class::Body);
        pieces.push_range(30, 30, Class::Body);
        pieces.push_inline(Vec::new());
        pieces.push_range(40, 50, Class::Body);

        let ranges: Vec<_> = pieces
            .into_vec()
            .into_iter()
            .map(|piece| match piece {
                Piece::Range(range) => (range.start, range.end),
                Piece::Inline(_) => unreachable!(),
            })
            .collect();
        assert_eq!(ranges, [(0, 10), (10, 30), (40, 50)]);
    }
}
