//! Whether a stretch of one BGZF block's data is made of whole records, so a plan can take the
//! block as a plain byte range instead of re-encoding part of it.
//!
//! BAM and BCF records carry their length, so a stretch can be walked record by record; each
//! record is also checked for plausibility (reference ids in range, sample count equal to the
//! header's, a NUL-terminated read name) so that the tail of a record split across blocks is not
//! mistaken for whole records. VCF lines carry no length: only a block's end can be checked (it
//! ends a line if its last byte is a newline); whether a block starts a line is unknowable.

/// What a record looks like in one format.
#[derive(Debug, Clone, Copy)]
pub(crate) enum RecordLayout {
    Bam {
        reference_count: usize,
    },
    Bcf {
        contig_count: usize,
        sample_count: usize,
    },
    Vcf,
}

impl RecordLayout {
    /// Whether `data[..until]` (the start of a block up to a known record start) holds only
    /// whole records.
    pub(crate) fn prefix_is_whole(self, data: &[u8], until: usize) -> bool {
        match self {
            _ if until == 0 => true,
            Self::Vcf => false,
            _ => self.walk(data, 0, until),
        }
    }

    /// Whether `data[from..]` (from a known record end to the end of a block) holds only whole
    /// records.
    pub(crate) fn suffix_is_whole(self, data: &[u8], from: usize) -> bool {
        match self {
            _ if from >= data.len() => true,
            Self::Vcf => data.last() == Some(&b'\n'),
            _ => self.walk(data, from, data.len()),
        }
    }

    /// Walks records from `from`; true if they end exactly at `to`.
    fn walk(self, data: &[u8], from: usize, to: usize) -> bool {
        let Some(data) = data.get(..to) else {
            return false;
        };

        let mut pos = from;

        while pos < to {
            let record = &data[pos..];

            let len = match self {
                Self::Bam { reference_count } => bam_record_len(record, reference_count),
                Self::Bcf {
                    contig_count,
                    sample_count,
                } => bcf_record_len(record, contig_count, sample_count),
                Self::Vcf => None,
            };

            match len {
                Some(len) if len <= record.len() => pos += len,
                _ => return false,
            }
        }

        pos == to
    }
}

fn i32_at(src: &[u8], i: usize) -> Option<i32> {
    src.get(i..i + 4)
        .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u32_at(src: &[u8], i: usize) -> Option<u32> {
    src.get(i..i + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn u16_at(src: &[u8], i: usize) -> Option<u16> {
    src.get(i..i + 2).map(|b| u16::from_le_bytes([b[0], b[1]]))
}

fn reference_id_is_valid(id: i32, count: usize) -> bool {
    id == -1 || usize::try_from(id).is_ok_and(|id| id < count)
}

/// The length of the plausible BAM record at the start of `src` (SAM spec § 4.2).
fn bam_record_len(src: &[u8], reference_count: usize) -> Option<usize> {
    const FIXED_LEN: usize = 32;

    let block_size = usize::try_from(i32_at(src, 0)?).ok()?;
    let reference_id = i32_at(src, 4)?;
    let pos = i32_at(src, 8)?;
    let l_read_name = usize::from(*src.get(12)?);
    let n_cigar_op = usize::from(u16_at(src, 16)?);
    let l_seq = usize::try_from(i32_at(src, 20)?).ok()?;
    let next_reference_id = i32_at(src, 24)?;
    let next_pos = i32_at(src, 28)?;

    let variable_len = l_read_name + 4 * n_cigar_op + l_seq.div_ceil(2) + l_seq;

    let plausible = block_size >= FIXED_LEN
        && reference_id_is_valid(reference_id, reference_count)
        && reference_id_is_valid(next_reference_id, reference_count)
        && pos >= -1
        && next_pos >= -1
        && l_read_name >= 1
        && FIXED_LEN + variable_len <= block_size
        && src.get(4 + FIXED_LEN + l_read_name - 1) == Some(&0);

    plausible.then_some(4 + block_size)
}

/// The length of the plausible BCF record at the start of `src` (VCF spec § 6.3).
fn bcf_record_len(src: &[u8], contig_count: usize, sample_count: usize) -> Option<usize> {
    const MIN_SHARED_LEN: usize = 24;

    let l_shared = usize::try_from(u32_at(src, 0)?).ok()?;
    let l_indiv = usize::try_from(u32_at(src, 4)?).ok()?;
    let chrom = i32_at(src, 8)?;
    let pos = i32_at(src, 12)?;
    let n_allele = u16_at(src, 26)?;
    let n_sample = usize::try_from(u32_at(src, 28)? & 0x00ff_ffff).ok()?;

    let plausible = l_shared >= MIN_SHARED_LEN
        && usize::try_from(chrom).is_ok_and(|id| id < contig_count)
        && pos >= -1
        && n_allele >= 1
        && n_sample == sample_count;

    plausible.then_some(8 + l_shared + l_indiv)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal BAM record: unmapped, read name "r", no CIGAR, no sequence.
    fn bam_record(reference_id: i32) -> Vec<u8> {
        let mut body = Vec::new();
        body.extend_from_slice(&reference_id.to_le_bytes());
        body.extend_from_slice(&(-1i32).to_le_bytes()); // pos
        body.extend_from_slice(&[2, 0]); // l_read_name, mapq
        body.extend_from_slice(&4680u16.to_le_bytes()); // bin
        body.extend_from_slice(&0u16.to_le_bytes()); // n_cigar_op
        body.extend_from_slice(&4u16.to_le_bytes()); // flag
        body.extend_from_slice(&0i32.to_le_bytes()); // l_seq
        body.extend_from_slice(&(-1i32).to_le_bytes()); // next_refID
        body.extend_from_slice(&(-1i32).to_le_bytes()); // next_pos
        body.extend_from_slice(&0i32.to_le_bytes()); // tlen
        body.extend_from_slice(b"r\0");

        let mut record = (body.len() as i32).to_le_bytes().to_vec();
        record.extend(body);
        record
    }

    #[test]
    fn whole_bam_records_are_recognised() {
        let layout = RecordLayout::Bam { reference_count: 1 };
        let mut data = bam_record(0);
        let first_len = data.len();
        data.extend(bam_record(-1));

        assert!(layout.prefix_is_whole(&data, first_len));
        assert!(layout.suffix_is_whole(&data, first_len));
        assert!(layout.suffix_is_whole(&data, 0));
        // A block that starts with the tail of a record.
        assert!(!layout.prefix_is_whole(&data[3..], first_len - 3));
        // A block that ends inside a record.
        assert!(!layout.suffix_is_whole(&data[..data.len() - 1], first_len));
        // A reference id beyond the header's references.
        assert!(!RecordLayout::Bam { reference_count: 0 }.suffix_is_whole(&data, 0));
    }

    #[test]
    fn vcf_blocks_end_lines_only_with_a_newline() {
        let layout = RecordLayout::Vcf;
        assert!(layout.suffix_is_whole(b"1\t2\n1\t3\n", 4));
        assert!(!layout.suffix_is_whole(b"1\t2\n1\t3", 4));
        assert!(!layout.prefix_is_whole(b"1\t2\n1\t3\n", 4));
        assert!(layout.prefix_is_whole(b"1\t2\n", 0));
    }
}
