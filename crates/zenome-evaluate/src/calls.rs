//! One sample's calls from a VCF/BCF (through `zenome-variants`' reader):
//! every called ALT allele becomes a [`Call`] in its shortest form (common
//! prefix and suffix trimmed), with how many haplotypes carry it. gVCF
//! reference blocks, no-calls, homozygous-reference genotypes, symbolic and
//! `*` alleles are skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use zenome_variants::read::{ABSENT_ALLELE, MISSING_ALLELE, Site, VariantReader};

use crate::error::EvaluateError;

/// One ALT allele of one record in one sample.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Call {
    /// 0-based start of the trimmed REF (for an insertion: the base it is
    /// inserted before).
    pub start: u32,
    /// The record's POS, 0-based.
    pub record_pos: u32,
    pub ref_off: u32,
    pub ref_len: u32,
    pub alt_off: u32,
    pub alt_len: u32,
    /// Haplotypes carrying the allele: 1 (heterozygous) or 2 (homozygous,
    /// or a haploid call).
    pub copies: u8,
    pub pass: bool,
    /// 1-based record number in the file.
    pub record: u64,
}

/// The calls of one contig; allele bytes live in `seq`.
#[derive(Debug, Default)]
pub(crate) struct Contig {
    pub name: String,
    pub calls: Vec<Call>,
    pub seq: Vec<u8>,
    /// Every record's REF as written: (0-based start, offset, length, record).
    pub refs: Vec<(u32, u32, u32, u64)>,
}

impl Contig {
    pub(crate) fn bytes(&self, off: u32, len: u32) -> &[u8] {
        &self.seq[off as usize..(off + len) as usize]
    }
}

/// One side of the comparison.
#[derive(Debug, Default)]
pub(crate) struct CallSet {
    pub path: PathBuf,
    pub sample: String,
    pub records: u64,
    pub skipped: u64,
    /// Contigs with calls, in file order.
    pub contigs: Vec<Contig>,
    /// Contigs the header declares, with their length where given.
    pub declared: Vec<(String, Option<usize>)>,
}

impl CallSet {
    pub(crate) fn contig(&self, name: &str) -> Option<&Contig> {
        self.contigs.iter().find(|c| c.name == name)
    }
}

fn plain(s: &[u8]) -> bool {
    !s.is_empty()
        && s.iter()
            .all(|b| matches!(b.to_ascii_uppercase(), b'A' | b'C' | b'G' | b'T' | b'N'))
}

/// Reads `path`, picking `sample` (required when there are several).
pub(crate) fn read(path: &Path, sample: Option<&str>) -> Result<CallSet, EvaluateError> {
    let variants = |e: zenome_variants::VariantsError| match e {
        zenome_variants::VariantsError::Input {
            path,
            record,
            message,
        } => EvaluateError::VcfLine {
            path,
            line: record,
            message,
        },
        other => EvaluateError::VcfLine {
            path: path.into(),
            line: 0,
            message: other.to_string(),
        },
    };
    let mut reader = VariantReader::open(path).map_err(variants)?;
    let samples = reader.file_samples();
    let column = match (sample, samples.len()) {
        (_, 0) => return Err(EvaluateError::NoSamples { path: path.into() }),
        (None, 1) => 0,
        (None, _) => {
            return Err(EvaluateError::SampleRequired {
                path: path.into(),
                samples,
            });
        }
        (Some(s), _) => {
            samples
                .iter()
                .position(|n| n == s)
                .ok_or_else(|| EvaluateError::UnknownSample {
                    path: path.into(),
                    sample: s.into(),
                    samples: samples.clone(),
                })?
        }
    };
    let name = samples[column].clone();
    reader
        .select_columns(&[(column, name.clone())])
        .map_err(variants)?;
    let declared = reader
        .header()
        .contigs()
        .iter()
        .map(|(n, c)| (n.clone(), c.length()))
        .collect();
    let mut set = CallSet {
        path: path.into(),
        sample: name,
        declared,
        ..CallSet::default()
    };
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut site = Site::default();
    let mut current: Option<usize> = None;
    let mut last_pos = 0u32;
    while reader.next_site(&mut site).map_err(variants)? {
        set.records += 1;
        let ci = match current {
            Some(i) if set.contigs[i].name == site.chrom => i,
            _ => {
                if index.contains_key(&site.chrom) {
                    return Err(EvaluateError::VcfLine {
                        path: path.into(),
                        line: site.record,
                        message: format!(
                            "records of {} are not together (the contig appears again after another); sort the file (bcftools sort)",
                            site.chrom
                        ),
                    });
                }
                index.insert(site.chrom.clone(), set.contigs.len());
                set.contigs.push(Contig {
                    name: site.chrom.clone(),
                    ..Contig::default()
                });
                last_pos = 0;
                let i = set.contigs.len() - 1;
                current = Some(i);
                i
            }
        };
        if site.pos < last_pos {
            return Err(EvaluateError::Unsorted {
                path: path.into(),
                line: site.record,
                chrom: site.chrom.clone(),
                pos: u64::from(site.pos),
                previous: u64::from(last_pos),
            });
        }
        last_pos = site.pos;
        let contig = &mut set.contigs[ci];
        let reference = site.reference.as_bytes();
        if site.pos == 0 {
            return Err(EvaluateError::VcfLine {
                path: path.into(),
                line: site.record,
                message: "POS 0".into(),
            });
        }
        let pos0 = site.pos - 1;
        if !plain(reference) {
            set.skipped += 1;
            continue;
        }
        let ref_off = contig.seq.len() as u32;
        contig
            .seq
            .extend(reference.iter().map(u8::to_ascii_uppercase));
        contig
            .refs
            .push((pos0, ref_off, reference.len() as u32, site.record));
        let [a, b] = site.alleles[0];
        let haploid = b == ABSENT_ALLELE;
        let called: Vec<i16> = [a, b]
            .into_iter()
            .filter(|&x| x > 0 && x != ABSENT_ALLELE && x != MISSING_ALLELE)
            .collect();
        if called.is_empty() {
            set.skipped += 1;
            continue;
        }
        let mut kept = 0;
        for (k, &allele) in called.iter().enumerate() {
            if k == 1 && called[0] == allele {
                continue; // homozygous: one call with two copies
            }
            let copies = if haploid || (called.len() == 2 && called[0] == called[1]) {
                2
            } else {
                1
            };
            let Some(alt) = site.alts.get(allele as usize - 1) else {
                return Err(EvaluateError::VcfLine {
                    path: path.into(),
                    line: site.record,
                    message: format!(
                        "GT names allele {allele} but the record has {} ALT allele(s)",
                        site.alts.len()
                    ),
                });
            };
            let alt = alt.as_bytes();
            if !plain(alt) {
                continue; // symbolic (<DEL>, <NON_REF>) or '*'
            }
            let r = &contig.seq[ref_off as usize..ref_off as usize + reference.len()];
            let alt_up: Vec<u8> = alt.iter().map(u8::to_ascii_uppercase).collect();
            if r == alt_up.as_slice() {
                continue;
            }
            let (s, rl, al) = trim(r, &alt_up);
            let alt_off = contig.seq.len() as u32;
            contig.seq.extend_from_slice(&alt_up[s..s + al]);
            contig.calls.push(Call {
                start: pos0 + s as u32,
                record_pos: pos0,
                ref_off: ref_off + s as u32,
                ref_len: rl as u32,
                alt_off,
                alt_len: al as u32,
                copies,
                pass: site.pass,
                record: site.record,
            });
            kept += 1;
        }
        if kept == 0 {
            set.skipped += 1;
        }
    }
    Ok(set)
}

/// Trims the common suffix, then the common prefix: (prefix length, REF
/// length left, ALT length left).
pub(crate) fn trim(r: &[u8], a: &[u8]) -> (usize, usize, usize) {
    let mut rl = r.len();
    let mut al = a.len();
    while rl > 0 && al > 0 && r[rl - 1] == a[al - 1] {
        rl -= 1;
        al -= 1;
    }
    let mut s = 0;
    while s < rl && s < al && r[s] == a[s] {
        s += 1;
    }
    (s, rl - s, al - s)
}

/// One primitive event of an allele, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Primitive {
    Snp {
        transition: bool,
    },
    /// Length change (negative: deletion).
    Indel {
        delta: i64,
    },
}

fn transition(a: u8, b: u8) -> bool {
    matches!(
        (a, b),
        (b'A', b'G') | (b'G', b'A') | (b'C', b'T') | (b'T', b'C')
    )
}

/// Decomposes a trimmed allele into SNPs and indels, as hap.py's
/// pre-processing does: substitutions of equal length become SNPs, a
/// complex allele is aligned to its REF (fewest events, gaps grouped).
pub(crate) fn primitives(r: &[u8], a: &[u8], out: &mut Vec<Primitive>) {
    out.clear();
    if r.len() == a.len() {
        for (&x, &y) in r.iter().zip(a) {
            if x != y {
                out.push(Primitive::Snp {
                    transition: transition(x, y),
                });
            }
        }
        return;
    }
    if r.is_empty() || a.is_empty() || r.len() * a.len() > 40_000 {
        out.push(Primitive::Indel {
            delta: a.len() as i64 - r.len() as i64,
        });
        return;
    }
    align(r, a, out);
}

/// Affine-gap alignment (mismatch 1, gap open 2, extend 1 per base).
fn align(r: &[u8], a: &[u8], out: &mut Vec<Primitive>) {
    const INF: u32 = u32::MAX / 4;
    let (n, m) = (r.len(), a.len());
    let w = m + 1;
    // three layers: M (match/mismatch), D (deletion: REF base unused), I (insertion)
    let mut mm = vec![INF; (n + 1) * w];
    let mut dd = vec![INF; (n + 1) * w];
    let mut ii = vec![INF; (n + 1) * w];
    mm[0] = 0;
    for i in 0..=n {
        for j in 0..=m {
            let k = i * w + j;
            if i > 0 && j > 0 {
                let p = (i - 1) * w + j - 1;
                let best = mm[p].min(dd[p]).min(ii[p]);
                mm[k] = best + u32::from(r[i - 1] != a[j - 1]);
            }
            if i > 0 {
                let p = (i - 1) * w + j;
                dd[k] = (mm[p].min(ii[p]) + 3).min(dd[p] + 1);
            }
            if j > 0 {
                let p = i * w + j - 1;
                ii[k] = (mm[p].min(dd[p]) + 3).min(ii[p] + 1);
            }
        }
    }
    // trace back
    let (mut i, mut j) = (n, m);
    let end = n * w + m;
    let mut layer = if mm[end] <= dd[end] && mm[end] <= ii[end] {
        0
    } else if dd[end] <= ii[end] {
        1
    } else {
        2
    };
    let mut events: Vec<Primitive> = Vec::new();
    let mut gap: i64 = 0;
    let flush = |gap: &mut i64, events: &mut Vec<Primitive>| {
        if *gap != 0 {
            events.push(Primitive::Indel { delta: *gap });
            *gap = 0;
        }
    };
    while i > 0 || j > 0 {
        let k = i * w + j;
        match layer {
            0 => {
                flush(&mut gap, &mut events);
                if r[i - 1] != a[j - 1] {
                    events.push(Primitive::Snp {
                        transition: transition(r[i - 1], a[j - 1]),
                    });
                }
                let p = (i - 1) * w + j - 1;
                let target = mm[k] - u32::from(r[i - 1] != a[j - 1]);
                layer = if mm[p] == target {
                    0
                } else if dd[p] == target {
                    1
                } else {
                    2
                };
                i -= 1;
                j -= 1;
            }
            1 => {
                if gap > 0 {
                    flush(&mut gap, &mut events);
                }
                gap -= 1;
                let p = (i - 1) * w + j;
                layer = if dd[p] + 1 == dd[k] {
                    1
                } else if mm[p] + 3 == dd[k] {
                    0
                } else {
                    2
                };
                i -= 1;
            }
            _ => {
                if gap < 0 {
                    flush(&mut gap, &mut events);
                }
                gap += 1;
                let p = i * w + j - 1;
                layer = if ii[p] + 1 == ii[k] {
                    2
                } else if mm[p] + 3 == ii[k] {
                    0
                } else {
                    1
                };
                j -= 1;
            }
        }
    }
    flush(&mut gap, &mut events);
    events.reverse();
    out.extend(events);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prims(r: &str, a: &str) -> Vec<Primitive> {
        let (s, rl, al) = trim(r.as_bytes(), a.as_bytes());
        let mut out = Vec::new();
        primitives(&r.as_bytes()[s..s + rl], &a.as_bytes()[s..s + al], &mut out);
        out
    }

    #[test]
    fn alleles_decompose_as_happy_counts_them() {
        assert_eq!(prims("A", "G"), [Primitive::Snp { transition: true }]);
        assert_eq!(
            prims("AC", "GA"),
            [
                Primitive::Snp { transition: true },
                Primitive::Snp { transition: false }
            ]
        );
        assert_eq!(prims("CTT", "C"), [Primitive::Indel { delta: -2 }]);
        assert_eq!(prims("C", "CAAA"), [Primitive::Indel { delta: 3 }]);
        // hap.py's decomp example: one complex allele is a deletion and two SNPs
        let p = prims(
            "TTTTTCCACCTTGCTTTTACTTTTTTTTTTA",
            "TTTTCCACCTTCCTTTTACTTTTTTTTTTT",
        );
        let snps = p
            .iter()
            .filter(|x| matches!(x, Primitive::Snp { .. }))
            .count();
        let indels: Vec<_> = p
            .iter()
            .filter(|x| matches!(x, Primitive::Indel { .. }))
            .collect();
        assert_eq!((snps, indels.len()), (2, 1), "{p:?}");
        assert_eq!(indels[0], &Primitive::Indel { delta: -1 });
    }
}
