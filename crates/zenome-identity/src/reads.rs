//! Fingerprints from aligned reads (SAM, BAM, CRAM): allele depths at the
//! panel's sites, read through the file's index (`.bai`, `.csi`, `.crai`;
//! built on the fly when missing) so only the blocks covering the sites are
//! decoded — sites within 1 kb of each other share one query. Reads that
//! are unmapped, secondary, supplementary, duplicates or QC failures, with
//! mapping quality below 20, and bases below quality 20 are not counted.
//! Genotypes are called from the depths by likelihood (error 2 %), a call
//! needing ten times the likelihood of the next best; one fingerprint per
//! sample (`SM`) of the read groups.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use noodles::core::{Position, Region};
use noodles::sam::alignment::RecordBuf;
use noodles::sam::alignment::record::cigar::op::Kind;
use noodles::sam::alignment::record::data::field::Tag;
use noodles::sam::alignment::record_buf::data::field::Value;
use noodles::{bam, cram, fasta, sam};

use crate::IdentityError;
use crate::fingerprint::{DepthStats, Evidence, Fingerprint, Genotype, XStats};
use crate::panel::{Assembly, Panel, SiteClass, normalise_chrom};

const MIN_MAPQ: u8 = 20;
const MIN_BASEQ: u8 = 20;
const ERROR: f64 = 0.02;
/// Sites closer than this share one index query.
const JOIN: u32 = 1_000;

/// How much of the file a fingerprint read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadCost {
    /// Bytes read from the file (compressed).
    pub bytes_read: u64,
    /// The file's size.
    pub file_size: u64,
}

/// Per sample, per site: reads showing A, reads showing B.
type Depths = Vec<Vec<[u32; 2]>>;

struct Counting<R> {
    inner: R,
    n: std::rc::Rc<std::cell::Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.set(self.n.get() + k as u64);
        Ok(k)
    }
}

impl<R: io::Seek> io::Seek for Counting<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

fn reference_repository(path: &Path) -> Result<fasta::Repository, IdentityError> {
    let reader = fasta::io::indexed_reader::Builder::default()
        .build_from_path(path)
        .map_err(|e| {
            IdentityError::input(
                path,
                format!("cannot open the reference FASTA and its .fai: {e}"),
            )
        })?;
    Ok(fasta::Repository::new(
        fasta::repository::adapters::IndexedReader::new(reader),
    ))
}

/// The samples of the read groups: read-group id → sample index, and the
/// sample names (one unnamed sample `name` when no read group has `SM`).
fn samples(header: &sam::Header, fallback: &str) -> (HashMap<Vec<u8>, usize>, Vec<String>) {
    let mut names: Vec<String> = Vec::new();
    let mut by_rg = HashMap::new();
    for (id, rg) in header.read_groups() {
        let sm = rg
            .other_fields()
            .get(&noodles::sam::header::record::value::map::read_group::tag::SAMPLE)
            .map(|v| v.to_string());
        if let Some(sm) = sm {
            let k = match names.iter().position(|n| *n == sm) {
                Some(k) => k,
                None => {
                    names.push(sm);
                    names.len() - 1
                }
            };
            by_rg.insert(id.to_vec(), k);
        }
    }
    if names.is_empty() {
        names.push(fallback.to_string());
    }
    (by_rg, names)
}

struct Counter<'p> {
    panel: &'p Panel,
    /// per chromosome name as in the file: the panel's (pos, index), sorted
    by_chrom: HashMap<String, Vec<(u32, u32)>>,
    by_rg: HashMap<Vec<u8>, usize>,
    depths: Depths,
}

impl Counter<'_> {
    fn add(&mut self, rec: &RecordBuf, header: &sam::Header) {
        let f = rec.flags();
        if f.is_unmapped()
            || f.is_secondary()
            || f.is_supplementary()
            || f.is_duplicate()
            || f.is_qc_fail()
        {
            return;
        }
        if rec.mapping_quality().is_none_or(|q| u8::from(q) < MIN_MAPQ) {
            return;
        }
        let (Some(start), Some(Ok((name, _)))) =
            (rec.alignment_start(), rec.reference_sequence(header))
        else {
            return;
        };
        let Ok(name) = std::str::from_utf8(name) else {
            return;
        };
        let Some(sites) = self.by_chrom.get(name) else {
            return;
        };
        let sample = match rec.data().get(&Tag::READ_GROUP) {
            Some(Value::String(rg)) => match self.by_rg.get(rg.as_slice()) {
                Some(&k) => k,
                None if self.depths.len() == 1 => 0,
                None => return,
            },
            _ if self.depths.len() == 1 => 0,
            _ => return,
        };
        let seq = rec.sequence().as_ref();
        let qual = rec.quality_scores().as_ref();
        let mut rpos = usize::from(start) as u32;
        let mut qpos = 0usize;
        for op in rec.cigar().as_ref() {
            let len = op.len();
            match op.kind() {
                Kind::Match | Kind::SequenceMatch | Kind::SequenceMismatch => {
                    let end = rpos + len as u32; // exclusive
                    let lo = sites.partition_point(|&(p, _)| p < rpos);
                    for &(p, i) in sites[lo..].iter().take_while(|&&(p, _)| p < end) {
                        let q = qpos + (p - rpos) as usize;
                        let (Some(&b), bq) = (seq.get(q), qual.get(q).copied()) else {
                            continue;
                        };
                        if bq.is_some_and(|x| x < MIN_BASEQ) {
                            continue;
                        }
                        let ps = &self.panel.sites()[i as usize];
                        let b = b.to_ascii_uppercase();
                        let d = &mut self.depths[sample][i as usize];
                        if b == ps.a {
                            d[0] += 1;
                        } else if b == ps.b {
                            d[1] += 1;
                        }
                    }
                    rpos = end;
                    qpos += len;
                }
                Kind::Insertion | Kind::SoftClip => qpos += len,
                Kind::Deletion | Kind::Skip => rpos += len as u32,
                Kind::HardClip | Kind::Pad => {}
            }
        }
    }
}

/// The genotype best supported by `a` reads of A and `b` of B, if it is ten
/// times likelier than the next.
pub fn call(a: u32, b: u32) -> Genotype {
    if a + b == 0 {
        return Genotype::Missing;
    }
    let (a, b) = (f64::from(a), f64::from(b));
    let ll = [
        a * (1.0 - ERROR).log10() + b * ERROR.log10(),
        (a + b) * 0.5f64.log10(),
        a * ERROR.log10() + b * (1.0 - ERROR).log10(),
    ];
    let mut order = [0usize, 1, 2];
    order.sort_by(|&x, &y| ll[y].total_cmp(&ll[x]));
    if ll[order[0]] - ll[order[1]] < 1.0 {
        return Genotype::Missing;
    }
    [Genotype::HomA, Genotype::Het, Genotype::HomB][order[0]]
}

fn finish(panel: &Panel, source: &str, names: &[String], depths: Depths) -> Vec<Fingerprint> {
    let mut out = Vec::new();
    for (name, d) in names.iter().zip(depths) {
        let mut fp = Fingerprint::new(name, source, Evidence::Reads, panel);
        let (mut auto_depth, mut auto_n, mut x_depth, mut x_n) = (0u64, 0u64, 0u64, 0u64);
        let (mut minor, mut hom_depth, mut hom_sites) = (0u64, 0u64, 0u32);
        let mut x = XStats::default();
        for (i, (site, &[a, b])) in panel.sites().iter().zip(d.iter()).enumerate() {
            let g = call(a, b);
            let n = u64::from(a + b);
            match site.class {
                SiteClass::Autosome => {
                    fp.set(i as u32, g);
                    if n > 0 {
                        auto_depth += n;
                        auto_n += 1;
                    }
                    if n >= 10 && matches!(g, Genotype::HomA | Genotype::HomB) {
                        minor += u64::from(a.min(b));
                        hom_depth += n;
                        hom_sites += 1;
                    }
                }
                SiteClass::XNonPar => {
                    x_depth += n;
                    x_n += 1;
                    if g != Genotype::Missing {
                        x.called += 1;
                        if g == Genotype::Het {
                            x.het += 1;
                        }
                    }
                }
                SiteClass::Other => {}
            }
        }
        let mean = |s: u64, n: u64| (n > 0).then(|| s as f64 / n as f64);
        let auto_mean = mean(auto_depth, auto_n);
        // depth over all X sites (zero-depth ones included) against the
        // autosomes' over covered sites would bias low: compare like with like
        let all_auto = mean(
            auto_depth,
            panel
                .sites()
                .iter()
                .filter(|s| s.class == SiteClass::Autosome)
                .count() as u64,
        );
        x.depth_ratio = match (mean(x_depth, x_n), all_auto) {
            (Some(xm), Some(am)) if am > 0.0 && x_n >= 20 => Some((xm / am) as f32),
            _ => None,
        };
        fp.x = x;
        fp.depth = Some(DepthStats {
            mean_depth: auto_mean.unwrap_or(0.0) as f32,
            hom_sites,
            contamination: (hom_sites >= 20 && hom_depth > 0)
                .then(|| (2.0 * minor as f64 / hom_depth as f64) as f32),
        });
        out.push(fp);
    }
    out
}

enum Kind2 {
    Sam,
    Bam,
    Cram,
}

fn sniff(path: &Path) -> Result<Kind2, IdentityError> {
    let mut f = File::open(path).map_err(|e| IdentityError::io(path, e))?;
    let mut m = [0u8; 4];
    let n = f.read(&mut m).map_err(|e| IdentityError::io(path, e))?;
    if n >= 4 && &m == b"CRAM" {
        return Ok(Kind2::Cram);
    }
    if n >= 2 && m[..2] == [0x1f, 0x8b] {
        return Ok(Kind2::Bam);
    }
    Ok(Kind2::Sam)
}

/// Whether `path` looks like an alignment file (SAM, BAM or CRAM) rather
/// than a VCF/BCF.
pub fn is_alignment(path: &Path) -> Result<bool, IdentityError> {
    let mut f = File::open(path).map_err(|e| IdentityError::io(path, e))?;
    let mut head = [0u8; 4];
    let n = f.read(&mut head).map_err(|e| IdentityError::io(path, e))?;
    if n >= 4 && &head == b"CRAM" {
        return Ok(true);
    }
    if n >= 2 && head[..2] == [0x1f, 0x8b] {
        let mut g = noodles::bgzf::io::Reader::new(
            File::open(path).map_err(|e| IdentityError::io(path, e))?,
        );
        let mut m = [0u8; 4];
        return Ok(g.read_exact(&mut m).is_ok() && &m == b"BAM\x01");
    }
    Ok(n >= 1 && head[0] == b'@')
}

fn header_assembly(header: &sam::Header) -> Option<Assembly> {
    for (name, rs) in header.reference_sequences() {
        if normalise_chrom(&String::from_utf8_lossy(name)) == "1" {
            return Assembly::from_chr1_length(usize::from(rs.length()) as u64);
        }
    }
    None
}

/// Fingerprints of the samples of a SAM, BAM or CRAM file. `reference` is
/// the FASTA (with `.fai`) CRAM needs. BAM and CRAM are read through their
/// index, built in memory when the file has none.
pub fn from_alignment(
    panel: &Panel,
    path: &Path,
    reference: Option<&Path>,
) -> Result<(Vec<Fingerprint>, ReadCost), IdentityError> {
    let source = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let file_size = std::fs::metadata(path)
        .map_err(|e| IdentityError::io(path, e))?
        .len();
    let input = |e: io::Error| IdentityError::input(path, e);
    let bytes = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let open = || -> Result<Counting<File>, IdentityError> {
        Ok(Counting {
            inner: File::open(path).map_err(|e| IdentityError::io(path, e))?,
            n: bytes.clone(),
        })
    };
    let kind = sniff(path)?;
    let (header, names, depths) = match kind {
        Kind2::Sam => {
            let mut r = sam::io::Reader::new(BufReader::new(open()?));
            let header = r.read_header().map_err(input)?;
            let mut c = counter(panel, &header, &source, path)?;
            let mut rec = RecordBuf::default();
            while r.read_record_buf(&header, &mut rec).map_err(input)? != 0 {
                c.add(&rec, &header);
            }
            let names = samples(&header, &source).1;
            (header, names, c.depths)
        }
        Kind2::Bam => {
            let index = match bam::fs::read_associated_index(path) {
                Ok(i) => i,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    bam::fs::index(path).map_err(|e| {
                        IdentityError::input(path, format!("no index, and indexing failed: {e}"))
                    })?
                }
                Err(e) => return Err(IdentityError::input(path, format!("its index: {e}"))),
            };
            let mut r = bam::io::IndexedReader::new(open()?, index);
            let header = r.read_header().map_err(input)?;
            let mut c = counter(panel, &header, &source, path)?;
            let mut rec = RecordBuf::default();
            for region in regions(&c) {
                let q = match r.query(&header, &region) {
                    Ok(q) => q,
                    // a chromosome the index does not know holds no reads
                    Err(e) if e.kind() == io::ErrorKind::InvalidInput => continue,
                    Err(e) => return Err(input(e)),
                };
                let mut q = q;
                let mut raw = bam::Record::default();
                while q.read_record(&mut raw).map_err(input)? != 0 {
                    rec.try_clone_from_alignment_record(&header, &raw)
                        .map_err(input)?;
                    c.add(&rec, &header);
                }
            }
            let names = samples(&header, &source).1;
            (header, names, c.depths)
        }
        Kind2::Cram => {
            let Some(reference) = reference else {
                return Err(IdentityError::input(
                    path,
                    "a CRAM needs its reference FASTA (--reference)",
                ));
            };
            let repo = reference_repository(reference)?;
            let index = match cram::fs::read_associated_index(path) {
                Ok(i) => i,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    // built as the ingest builds it: noodles' own indexer
                    // decodes multi-reference slices without a reference
                    // and panics on reference-based records
                    let fail = |e: String| {
                        IdentityError::input(path, format!("no index, and indexing failed: {e}"))
                    };
                    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
                    let crai = zenome_htsget::build_index(zenome_htsget::Format::Cram, file)
                        .map_err(|e| fail(e.to_string()))?;
                    cram::crai::io::Reader::new(&crai[..])
                        .read_index()
                        .map_err(|e| fail(e.to_string()))?
                }
                Err(e) => return Err(IdentityError::input(path, format!("its index: {e}"))),
            };
            let mut r = cram::io::indexed_reader::Builder::default()
                .set_reference_sequence_repository(repo)
                .set_index(index)
                .build_from_reader(open()?)
                .map_err(input)?;
            let header = r.read_header().map_err(input)?;
            let mut c = counter(panel, &header, &source, path)?;
            for region in regions(&c) {
                let q = match r.query(&header, &region) {
                    Ok(q) => q,
                    Err(e) if e.kind() == io::ErrorKind::InvalidInput => continue,
                    Err(e) => return Err(input(e)),
                };
                let mut q = q;
                let mut rec = RecordBuf::default();
                while q.read_record_buf(&mut rec).map_err(input)? != 0 {
                    c.add(&rec, &header);
                }
            }
            let names = samples(&header, &source).1;
            (header, names, c.depths)
        }
    };
    let _ = header;
    Ok((
        finish(panel, &source, &names, depths),
        ReadCost {
            bytes_read: bytes.get(),
            file_size,
        },
    ))
}

/// The counter for a file: the panel's sites under the file's chromosome
/// names; a file on another assembly than the panel is refused.
fn counter<'p>(
    panel: &'p Panel,
    header: &sam::Header,
    source: &str,
    path: &Path,
) -> Result<Counter<'p>, IdentityError> {
    if let (Some(file), Some(p)) = (header_assembly(header), panel.assembly)
        && file != p
    {
        return Err(IdentityError::Assembly {
            path: PathBuf::from(path),
            file: file.name().into(),
            panel: p.name().into(),
        });
    }
    let mut by_norm: HashMap<&str, Vec<(u32, u32)>> = HashMap::new();
    for (i, s) in panel.sites().iter().enumerate() {
        by_norm
            .entry(s.chrom.as_str())
            .or_default()
            .push((s.pos, i as u32));
    }
    let mut by_chrom = HashMap::new();
    for (name, _) in header.reference_sequences() {
        let name = String::from_utf8_lossy(name).into_owned();
        if let Some(v) = by_norm.get(normalise_chrom(&name)) {
            let mut v = v.clone();
            v.sort_unstable();
            by_chrom.insert(name, v);
        }
    }
    let (by_rg, names) = samples(header, source);
    Ok(Counter {
        panel,
        by_chrom,
        by_rg,
        depths: vec![vec![[0, 0]; panel.len()]; names.len()],
    })
}

/// The query regions: the panel's sites, neighbours within [`JOIN`] joined.
fn regions(c: &Counter<'_>) -> Vec<Region> {
    let mut out = Vec::new();
    let mut names: Vec<&String> = c.by_chrom.keys().collect();
    names.sort();
    for name in names {
        let sites = &c.by_chrom[name];
        let mut i = 0;
        while i < sites.len() {
            let start = sites[i].0;
            let mut end = start;
            while i + 1 < sites.len() && sites[i + 1].0 - end <= JOIN {
                i += 1;
                end = sites[i].0;
            }
            i += 1;
            if let (Ok(s), Ok(e)) = (
                Position::try_from(start as usize),
                Position::try_from(end as usize),
            ) {
                out.push(Region::new(name.as_str(), s..=e));
            }
        }
    }
    out
}
