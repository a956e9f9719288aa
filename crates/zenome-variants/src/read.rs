//! Reading germline VCF/BCF (plain or BGZF) into sites with their per-sample
//! alleles, behind one thin layer over noodles (record buffers reused).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use noodles::bcf;
use noodles::vcf;
use noodles::vcf::variant::record::samples::Series as _;
use noodles::vcf::variant::record::samples::series::Value;
use noodles::vcf::variant::record::{AlternateBases as _, ReferenceBases as _};

use crate::error::VariantsError;

/// Allele index meaning "not called" (`.`).
pub const MISSING_ALLELE: i16 = -1;
/// Allele slot meaning "no such allele" (the second slot of a haploid call).
pub const ABSENT_ALLELE: i16 = -2;

/// One input record: position, alleles and every sample's two allele slots.
#[derive(Debug, Default, Clone)]
pub struct Site {
    pub chrom: String,
    /// 1-based.
    pub pos: u32,
    pub reference: String,
    pub alts: Vec<String>,
    /// Per sample: allele indices (0 = REF), [`MISSING_ALLELE`] or [`ABSENT_ALLELE`].
    pub alleles: Vec<[i16; 2]>,
    /// 1-based record number in the file body.
    pub record: u64,
    /// The last position a gVCF reference block covers (its INFO `END`), for
    /// VCF records whose only ALT is `<NON_REF>` or `<*>`; else `pos`.
    pub end: u32,
    /// FILTER is `PASS` or `.` (missing).
    pub pass: bool,
}

/// A reader that counts the (compressed) bytes read, for progress bars.
struct Counting<R> {
    inner: R,
    n: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let k = self.inner.read(buf)?;
        self.n.fetch_add(k as u64, Ordering::Relaxed);
        Ok(k)
    }
}

enum Inner {
    Vcf(vcf::io::Reader<Box<dyn BufRead + Send>>, vcf::Record),
    Bcf(
        bcf::io::Reader<noodles::bgzf::io::Reader<Counting<File>>>,
        bcf::Record,
    ),
}

/// Streams the sites of one VCF or BCF file.
pub struct VariantReader {
    inner: Inner,
    header: vcf::Header,
    samples: Vec<String>,
    path: PathBuf,
    record: u64,
    bytes: Arc<AtomicU64>,
    /// Sample columns in the file.
    n_input: usize,
    /// The columns handed out, in this order (`None`: all).
    keep: Option<Vec<usize>>,
    /// Every column's alleles, before `keep` picks.
    all: Vec<[i16; 2]>,
    /// Somatic mode: only passing somatic calls; genotypes from read counts
    /// where a record has no GT.
    somatic: bool,
    somatic_declared: bool,
    filtered: u64,
}

enum Step {
    End,
    Skipped,
    Site,
}

impl VariantReader {
    /// Opens `path`, detecting BGZF/plain and VCF/BCF from the first bytes.
    pub fn open(path: &Path) -> Result<Self, VariantsError> {
        let io_err = |e| VariantsError::io(path, e);
        let mut magic = [0u8; 2];
        let mut f = File::open(path).map_err(io_err)?;
        let gz = f.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
        let bytes = Arc::new(AtomicU64::new(0));
        let counting = || -> Result<Counting<File>, VariantsError> {
            Ok(Counting {
                inner: File::open(path).map_err(io_err)?,
                n: bytes.clone(),
            })
        };
        let is_bcf = if gz {
            let mut probe = noodles::bgzf::io::Reader::new(File::open(path).map_err(io_err)?);
            let mut m = [0u8; 3];
            probe.read_exact(&mut m).is_ok() && &m == b"BCF"
        } else {
            magic == *b"BC"
        };
        let (inner, header) = if is_bcf {
            if !gz {
                return Err(VariantsError::Input {
                    path: path.into(),
                    record: 0,
                    message: "uncompressed BCF is not supported; compress it with bgzip".into(),
                });
            }
            let mut r = bcf::io::Reader::new(counting()?);
            let header = r.read_header().map_err(|e| input(path, 0, e))?;
            (Inner::Bcf(r, bcf::Record::default()), header)
        } else {
            let br: Box<dyn BufRead + Send> = if gz {
                let workers = NonZero::new(2).expect("2 > 0");
                Box::new(noodles::bgzf::io::MultithreadedReader::with_worker_count(
                    workers,
                    counting()?,
                ))
            } else {
                Box::new(BufReader::with_capacity(1 << 16, counting()?))
            };
            let mut r = vcf::io::Reader::new(br);
            let header = r.read_header().map_err(|e| input(path, 0, e))?;
            (Inner::Vcf(r, vcf::Record::default()), header)
        };
        let samples: Vec<String> = header.sample_names().iter().cloned().collect();
        let somatic_declared = header.infos().contains_key("SOMATIC");
        Ok(Self {
            inner,
            header,
            n_input: samples.len(),
            samples,
            path: path.into(),
            record: 0,
            bytes,
            keep: None,
            all: Vec::new(),
            somatic: false,
            somatic_declared,
            filtered: 0,
        })
    }

    /// Hands out only these columns (file index, name to give it), in this
    /// order; the other columns are read past.
    pub fn select_columns(&mut self, columns: &[(usize, String)]) -> Result<(), VariantsError> {
        if let Some((i, _)) = columns.iter().find(|(i, _)| *i >= self.n_input) {
            return Err(input(
                &self.path,
                0,
                format!("no sample column {} (the file has {})", i + 1, self.n_input),
            ));
        }
        self.keep = Some(columns.iter().map(|(i, _)| *i).collect());
        self.samples = columns.iter().map(|(_, n)| n.clone()).collect();
        Ok(())
    }

    /// Somatic mode (see [`crate::somatic`]): records that are not passing
    /// somatic calls are skipped (counted by [`Self::filtered_records`]), and
    /// a record without GT gets genotypes from its read counts.
    pub fn somatic_calls(&mut self) {
        self.somatic = true;
    }

    /// Records skipped in somatic mode.
    pub fn filtered_records(&self) -> u64 {
        self.filtered
    }

    /// The file's sample column names, whatever [`Self::select_columns`] picked.
    pub fn file_samples(&self) -> Vec<String> {
        self.header.sample_names().iter().cloned().collect()
    }

    /// The sample names, in column order.
    pub fn samples(&self) -> &[String] {
        &self.samples
    }

    /// Bytes of the file read so far (compressed).
    pub fn bytes_read(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    /// The file's header.
    pub fn header(&self) -> &vcf::Header {
        &self.header
    }

    /// Reads the next record into `site` (buffers reused); false at the end.
    pub fn next_site(&mut self, site: &mut Site) -> Result<bool, VariantsError> {
        loop {
            match self.read_one(site)? {
                Step::End => return Ok(false),
                Step::Skipped => continue,
                Step::Site => break,
            }
        }
        if let Some(keep) = &self.keep {
            std::mem::swap(&mut self.all, &mut site.alleles);
            site.alleles.clear();
            site.alleles.extend(keep.iter().map(|&i| self.all[i]));
        }
        Ok(true)
    }

    fn read_one(&mut self, site: &mut Site) -> Result<Step, VariantsError> {
        let n = self.n_input;
        site.alleles.resize(n, [MISSING_ALLELE, MISSING_ALLELE]);
        let path = self.path.clone();
        let (somatic, declared) = (self.somatic, self.somatic_declared);
        match &mut self.inner {
            Inner::Vcf(r, rec) => {
                if r.read_record(rec)
                    .map_err(|e| input(&path, self.record + 1, e))?
                    == 0
                {
                    return Ok(Step::End);
                }
                self.record += 1;
                let no = self.record;
                if somatic
                    && !crate::somatic::keep_record(
                        rec.filters().as_ref(),
                        rec.info().as_ref(),
                        declared,
                    )
                {
                    self.filtered += 1;
                    return Ok(Step::Skipped);
                }
                site.record = no;
                site.chrom.clear();
                site.chrom.push_str(rec.reference_sequence_name());
                site.pos = match rec.variant_start() {
                    Some(Ok(p)) => usize::from(p) as u32,
                    Some(Err(e)) => return Err(input(&path, no, e)),
                    None => return Err(input(&path, no, "missing POS")),
                };
                site.pass = matches!(rec.filters().as_ref(), "PASS" | "." | "");
                site.reference.clear();
                site.reference.push_str(rec.reference_bases());
                set_alts(&mut site.alts, rec.alternate_bases().as_ref());
                site.end = site.pos;
                if matches!(site.alts.as_slice(), [a] if a == "<NON_REF>" || a == "<*>") {
                    let info = rec.info();
                    let info: &str = info.as_ref();
                    if let Some(e) = info
                        .split(';')
                        .find_map(|kv| kv.strip_prefix("END="))
                        .and_then(|v| v.parse::<u32>().ok())
                    {
                        site.end = e.max(site.pos);
                    }
                }
                let samples = rec.samples();
                if n > 0 && samples.is_empty() {
                    // a line cut short (a copy killed mid-write) must not
                    // pass as a record without calls
                    return Err(input(
                        &path,
                        no,
                        format!(
                            "no FORMAT and sample columns, but the header names {n} sample(s): is the file cut short?"
                        ),
                    ));
                }
                let has_gt = samples.keys().iter().next() == Some("GT");
                let mut k = 0;
                if has_gt {
                    for s in samples.iter() {
                        if k >= n {
                            break;
                        }
                        let raw = s.as_ref().as_bytes();
                        // the common diploid one-digit call ("0|1", "1/1") without a split
                        site.alleles[k] = match raw {
                            [a @ b'0'..=b'9', b'|' | b'/', b @ b'0'..=b'9']
                            | [a @ b'0'..=b'9', b'|' | b'/', b @ b'0'..=b'9', b':', ..] => {
                                [i16::from(a - b'0'), i16::from(b - b'0')]
                            }
                            _ => {
                                let end = raw.iter().position(|&c| c == b':').unwrap_or(raw.len());
                                let gt = &s.as_ref()[..end];
                                parse_gt(gt).map_err(|m| input(&path, no, m))?
                            }
                        };
                        k += 1;
                    }
                }
                if !has_gt && somatic {
                    let keys: Vec<&str> = samples.keys().iter().collect();
                    for s in samples.iter() {
                        if k >= n {
                            break;
                        }
                        site.alleles[k] = crate::somatic::genotype_from_counts(
                            &keys,
                            s.as_ref(),
                            &site.reference,
                            &site.alts,
                        );
                        k += 1;
                    }
                }
                if has_gt && k < n {
                    return Err(input(
                        &path,
                        no,
                        format!(
                            "{k} sample column(s), but the header names {n}: is the file cut short?"
                        ),
                    ));
                }
                for a in &mut site.alleles[k..] {
                    *a = [MISSING_ALLELE, MISSING_ALLELE];
                }
            }
            Inner::Bcf(r, rec) => {
                if r.read_record(rec)
                    .map_err(|e| input(&path, self.record + 1, e))?
                    == 0
                {
                    return Ok(Step::End);
                }
                self.record += 1;
                let no = self.record;
                let header = &self.header;
                if somatic {
                    use vcf::variant::record::Filters as _;
                    let filters = rec.filters();
                    let pass = filters.is_empty()
                        || filters.is_pass(header).map_err(|e| input(&path, no, e))?;
                    let flagged = !declared || rec.info().get(header, "SOMATIC").is_some();
                    if !(pass && flagged) {
                        self.filtered += 1;
                        return Ok(Step::Skipped);
                    }
                }
                site.record = no;
                site.pass = {
                    use vcf::variant::record::Filters as _;
                    let filters = rec.filters();
                    filters.is_empty()
                        || filters.is_pass(header).map_err(|e| input(&path, no, e))?
                };
                let name = vcf::variant::Record::reference_sequence_name(&*rec, header)
                    .map_err(|e| input(&path, no, e))?;
                site.chrom.clear();
                site.chrom.push_str(name);
                site.pos = match rec.variant_start() {
                    Some(Ok(p)) => usize::from(p) as u32,
                    Some(Err(e)) => return Err(input(&path, no, e)),
                    None => return Err(input(&path, no, "missing POS")),
                };
                site.reference.clear();
                for b in rec.reference_bases().iter() {
                    site.reference
                        .push(char::from(b.map_err(|e| input(&path, no, e))?));
                }
                site.end = site.pos;
                site.alts.clear();
                for a in rec.alternate_bases().iter() {
                    site.alts
                        .push(a.map_err(|e| input(&path, no, e))?.to_string());
                }
                for a in site.alleles.iter_mut() {
                    *a = [MISSING_ALLELE, MISSING_ALLELE];
                }
                let samples = rec.samples().map_err(|e| input(&path, no, e))?;
                if let Some(series) = samples.select(header, "GT") {
                    let series = series.map_err(|e| input(&path, no, e))?;
                    for (k, v) in series.iter(header).enumerate().take(n) {
                        let v = v.map_err(|e| input(&path, no, e))?;
                        if let Some(Value::Genotype(g)) = v {
                            let mut slots = [ABSENT_ALLELE, ABSENT_ALLELE];
                            for (j, a) in g.iter().enumerate() {
                                let (a, _) = a.map_err(|e| input(&path, no, e))?;
                                if j >= 2 {
                                    return Err(input(
                                        &path,
                                        no,
                                        "ploidy above 2 is not supported",
                                    ));
                                }
                                slots[j] = a.map_or(MISSING_ALLELE, |a| a as i16);
                            }
                            if slots[0] == ABSENT_ALLELE {
                                slots = [MISSING_ALLELE, MISSING_ALLELE];
                            }
                            site.alleles[k] = slots;
                        }
                    }
                }
            }
        }
        Ok(Step::Site)
    }
}

fn set_alts(alts: &mut Vec<String>, raw: &str) {
    alts.clear();
    if raw == "." || raw.is_empty() {
        return;
    }
    alts.extend(raw.split(',').map(str::to_string));
}

/// Parses a VCF GT value (`0/1`, `1|0`, `.`, `1`, `./1`).
pub fn parse_gt(gt: &str) -> Result<[i16; 2], String> {
    let b = gt.as_bytes();
    let allele = |s: &[u8]| -> Result<i16, String> {
        if s == b"." {
            return Ok(MISSING_ALLELE);
        }
        let mut v: i32 = 0;
        if s.is_empty() {
            return Err(format!("invalid GT {gt:?}"));
        }
        for &c in s {
            if !c.is_ascii_digit() {
                return Err(format!("invalid GT {gt:?}"));
            }
            v = v * 10 + i32::from(c - b'0');
            if v > i32::from(i16::MAX) {
                return Err(format!("invalid GT {gt:?}"));
            }
        }
        Ok(v as i16)
    };
    match b.iter().position(|&c| c == b'/' || c == b'|') {
        None => Ok([allele(b)?, ABSENT_ALLELE]),
        Some(i) => {
            let rest = &b[i + 1..];
            if rest.iter().any(|&c| c == b'/' || c == b'|') {
                return Err(format!("ploidy above 2 is not supported (GT {gt:?})"));
            }
            Ok([allele(&b[..i])?, allele(rest)?])
        }
    }
}

fn input(path: &Path, record: u64, e: impl std::fmt::Display) -> VariantsError {
    VariantsError::Input {
        path: path.into(),
        record,
        message: e.to_string(),
    }
}
