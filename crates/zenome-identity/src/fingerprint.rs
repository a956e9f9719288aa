//! A fingerprint: one sample's genotypes at the autosomal sites of a panel,
//! as three bit planes (called, heterozygous, homozygous for the panel's B
//! allele; 3 × n/8 bytes — 9 KB on the default 23,770-site panel), plus the
//! chrX and read-depth figures the sex and contamination checks need.
//! Taken from VCF/gVCF genotypes here, from reads in [`crate::reads`].

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use zenome_variants::read::{ABSENT_ALLELE, MISSING_ALLELE, Site, VariantReader};

use crate::IdentityError;
use crate::panel::{Assembly, Panel, SiteClass, normalise_chrom, vcf_assembly};

/// A genotype at a panel site, relative to the panel's alleles A and B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Genotype {
    HomA,
    Het,
    HomB,
    Missing,
}

/// What a fingerprint was taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Evidence {
    /// Called genotypes (VCF/gVCF/BCF).
    Genotypes,
    /// Allele depths of aligned reads (SAM/BAM/CRAM).
    Reads,
}

/// Figures behind the sex check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct XStats {
    /// Called chrX sites outside the pseudo-autosomal regions.
    pub called: u32,
    /// …of which heterozygous.
    pub het: u32,
    /// Mean read depth at chrX sites over the mean at autosomal sites
    /// (reads only): about 0.5 for XY, 1 for XX.
    pub depth_ratio: Option<f32>,
}

/// Figures behind the contamination check (reads only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct DepthStats {
    /// Mean depth over the autosomal sites with any read.
    pub mean_depth: f32,
    /// Homozygous sites with at least 10 reads, used for `contamination`.
    pub hom_sites: u32,
    /// Twice the fraction of reads showing the other allele at those sites:
    /// a foreign DNA fraction of c shows about c/2 there (common sites, AF ≈ 0.5).
    pub contamination: Option<f32>,
}

/// One sample's fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub sample: String,
    /// The file it was taken from (its name).
    pub source: String,
    pub evidence: Evidence,
    pub assembly: Option<Assembly>,
    /// The panel's digest ([`Panel::digest`]).
    pub panel: String,
    /// Number of panel sites (the planes' length in bits).
    pub n_sites: u32,
    pub(crate) called: Vec<u64>,
    pub(crate) het: Vec<u64>,
    pub(crate) hom_b: Vec<u64>,
    pub x: XStats,
    pub depth: Option<DepthStats>,
}

impl Fingerprint {
    /// An empty fingerprint (every site missing).
    pub fn new(sample: &str, source: &str, evidence: Evidence, panel: &Panel) -> Self {
        let words = panel.len().div_ceil(64);
        Self {
            sample: sample.to_string(),
            source: source.to_string(),
            evidence,
            assembly: panel.assembly,
            panel: panel.digest(),
            n_sites: panel.len() as u32,
            called: vec![0; words],
            het: vec![0; words],
            hom_b: vec![0; words],
            x: XStats::default(),
            depth: None,
        }
    }

    /// Sets the genotype of autosomal site `i`.
    pub fn set(&mut self, i: u32, g: Genotype) {
        let (w, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        self.called[w] &= !bit;
        self.het[w] &= !bit;
        self.hom_b[w] &= !bit;
        match g {
            Genotype::Missing => {}
            Genotype::HomA => self.called[w] |= bit,
            Genotype::Het => {
                self.called[w] |= bit;
                self.het[w] |= bit;
            }
            Genotype::HomB => {
                self.called[w] |= bit;
                self.hom_b[w] |= bit;
            }
        }
    }

    pub fn get(&self, i: u32) -> Genotype {
        let (w, bit) = ((i / 64) as usize, 1u64 << (i % 64));
        if self.called[w] & bit == 0 {
            Genotype::Missing
        } else if self.het[w] & bit != 0 {
            Genotype::Het
        } else if self.hom_b[w] & bit != 0 {
            Genotype::HomB
        } else {
            Genotype::HomA
        }
    }

    /// Called autosomal sites.
    pub fn n_called(&self) -> u32 {
        self.called.iter().map(|w| w.count_ones()).sum()
    }

    /// Heterozygous autosomal sites.
    pub fn n_het(&self) -> u32 {
        self.het.iter().map(|w| w.count_ones()).sum()
    }

    /// The planes as bytes (little-endian words), for the cohort table.
    pub fn planes(&self) -> [Vec<u8>; 3] {
        let bytes = |v: &[u64]| v.iter().flat_map(|w| w.to_le_bytes()).collect();
        [bytes(&self.called), bytes(&self.het), bytes(&self.hom_b)]
    }

    /// Rebuilds the planes from [`Fingerprint::planes`] bytes.
    pub(crate) fn set_planes(&mut self, planes: [&[u8]; 3]) -> Result<(), String> {
        let words = (self.n_sites as usize).div_ceil(64);
        let mut out = [vec![], vec![], vec![]];
        for (k, p) in planes.iter().enumerate() {
            if p.len() != words * 8 {
                return Err(format!(
                    "a plane of {} bytes for {} sites",
                    p.len(),
                    self.n_sites
                ));
            }
            out[k] = p
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes")))
                .collect();
        }
        let [c, h, b] = out;
        self.called = c;
        self.het = h;
        self.hom_b = b;
        Ok(())
    }
}

/// The genotype of one sample's two allele slots at a panel site whose
/// alleles are `a`/`b`; `bases[k]` is allele k's base (None: not a single
/// base). A third allele, or a missing one, makes the call missing.
fn genotype(slots: [i16; 2], bases: &[Option<u8>], a: u8, b: u8) -> Genotype {
    let mut n_b = 0;
    let mut n = 0;
    for s in slots {
        if s == ABSENT_ALLELE {
            continue;
        }
        if s == MISSING_ALLELE {
            return Genotype::Missing;
        }
        match bases.get(s as usize).copied().flatten() {
            Some(x) if x == b => n_b += 1,
            Some(x) if x == a => {}
            _ => return Genotype::Missing,
        }
        n += 1;
    }
    match (n, n_b) {
        (0, _) => Genotype::Missing,
        // a haploid call (chrX in XY) counts as homozygous
        (1, 0) | (2, 0) => Genotype::HomA,
        (1, 1) | (2, 2) => Genotype::HomB,
        _ => Genotype::Het,
    }
}

/// Fingerprints of every sample of a VCF, gVCF or BCF (plain or bgzip):
/// genotypes at the panel's sites; gVCF reference blocks make the sites they
/// cover homozygous for REF. A file on another assembly than the panel is
/// refused naming both.
pub fn from_vcf(panel: &Panel, path: &Path) -> Result<Vec<Fingerprint>, IdentityError> {
    let mut r = VariantReader::open(path).map_err(|e| IdentityError::input(path, e))?;
    if let (Some(file), Some(p)) = (vcf_assembly(r.header()), panel.assembly)
        && file != p
    {
        return Err(IdentityError::Assembly {
            path: path.into(),
            file: file.name().into(),
            panel: p.name().into(),
        });
    }
    let source = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let names = r.samples().to_vec();
    if names.is_empty() {
        return Err(IdentityError::input(path, "the VCF has no sample columns"));
    }
    let first = Fingerprint::new(&names[0], &source, Evidence::Genotypes, panel);
    let mut fps: Vec<Fingerprint> = names
        .iter()
        .map(|n| Fingerprint {
            sample: n.clone(),
            ..first.clone()
        })
        .collect();
    // per chromosome, the panel's sites by position (for reference blocks)
    let mut by_chrom: HashMap<&str, Vec<(u32, u32)>> = HashMap::new();
    for (i, s) in panel.sites().iter().enumerate() {
        by_chrom
            .entry(s.chrom.as_str())
            .or_default()
            .push((s.pos, i as u32));
    }
    for v in by_chrom.values_mut() {
        v.sort_unstable();
    }
    // chrX genotypes per sample and site, kept apart from the planes
    let mut x: Vec<HashMap<u32, Genotype>> = vec![HashMap::new(); names.len()];
    let mut set_by_record = vec![false; panel.len()];
    let mut site = Site::default();
    let mut bases: Vec<Option<u8>> = Vec::new();
    let mut pending: Vec<(u32, bool, Vec<Genotype>)> = Vec::with_capacity(64);
    let mut spare: Vec<Vec<Genotype>> = Vec::new();
    while r
        .next_site(&mut site)
        .map_err(|e| IdentityError::input(path, e))?
    {
        let chrom = normalise_chrom(&site.chrom);
        let Some(positions) = by_chrom.get(chrom) else {
            continue;
        };
        if site.end > site.pos {
            // a reference block: every panel site inside is REF/REF where called
            let lo = positions.partition_point(|&(p, _)| p < site.pos);
            for &(_, i) in positions[lo..].iter().take_while(|&&(p, _)| p <= site.end) {
                if set_by_record[i as usize] {
                    continue;
                }
                let ps = &panel.sites()[i as usize];
                let Some(rb) = site.reference.bytes().next() else {
                    continue;
                };
                let rb = rb.to_ascii_uppercase();
                let g = if rb == ps.a {
                    Genotype::HomA
                } else if rb == ps.b {
                    Genotype::HomB
                } else {
                    continue;
                };
                for (k, slots) in site.alleles.iter().enumerate() {
                    if slots[0] == 0 && (slots[1] == 0 || slots[1] == ABSENT_ALLELE) {
                        put(&mut fps[k], &mut x[k], ps.class, i, g);
                    }
                }
            }
            continue;
        }
        // the chromosome's sorted sites, already at hand: no allocation per record
        let Ok(k) = positions.binary_search_by_key(&site.pos, |&(p, _)| p) else {
            continue;
        };
        let i = positions[k].1;
        if site.reference.len() != 1 {
            continue;
        }
        let ps = &panel.sites()[i as usize];
        bases.clear();
        bases.push(
            site.reference
                .bytes()
                .next()
                .map(|b| b.to_ascii_uppercase()),
        );
        for a in &site.alts {
            bases.push(match a.as_bytes() {
                [b] => Some(b.to_ascii_uppercase()),
                _ => None,
            });
        }
        // another record at the same site already gave calls: keep them
        // where this one has none
        let first = !set_by_record[i as usize];
        set_by_record[i as usize] = true;
        if ps.class != SiteClass::Autosome {
            for (k, slots) in site.alleles.iter().enumerate() {
                let g = genotype(*slots, &bases, ps.a, ps.b);
                if g == Genotype::Missing && !first {
                    continue;
                }
                put(&mut fps[k], &mut x[k], ps.class, i, g);
            }
            continue;
        }
        // autosomal calls wait in a block of records and are written sample
        // by sample, so each sample's plane words stay in cache (written
        // record by record, 5,000 samples cost three cache misses a call)
        let mut codes = spare.pop().unwrap_or_default();
        codes.clear();
        codes.extend(
            site.alleles
                .iter()
                .map(|slots| genotype(*slots, &bases, ps.a, ps.b)),
        );
        pending.push((i, first, codes));
        if pending.len() == 64 {
            flush(&mut fps, &mut pending, &mut spare);
        }
    }
    flush(&mut fps, &mut pending, &mut spare);
    for (fp, xs) in fps.iter_mut().zip(x) {
        fp.x.called = xs.values().filter(|g| **g != Genotype::Missing).count() as u32;
        fp.x.het = xs.values().filter(|g| **g == Genotype::Het).count() as u32;
    }
    Ok(fps)
}

/// Writes the pending records' autosomal calls, sample by sample.
fn flush(
    fps: &mut [Fingerprint],
    pending: &mut Vec<(u32, bool, Vec<Genotype>)>,
    spare: &mut Vec<Vec<Genotype>>,
) {
    for (k, fp) in fps.iter_mut().enumerate() {
        for (i, first, codes) in pending.iter() {
            let g = codes[k];
            if g == Genotype::Missing && !first {
                continue;
            }
            fp.set(*i, g);
        }
    }
    spare.extend(pending.drain(..).map(|(_, _, c)| c));
}

fn put(
    fp: &mut Fingerprint,
    x: &mut HashMap<u32, Genotype>,
    class: SiteClass,
    i: u32,
    g: Genotype,
) {
    match class {
        SiteClass::Autosome => fp.set(i, g),
        SiteClass::XNonPar => {
            x.insert(i, g);
        }
        SiteClass::Other => {}
    }
}
