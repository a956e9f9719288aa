//! Site panels: the common, independent SNPs a fingerprint is taken at.
//! Read from peddy/somalier `.sites` text (`CHROM:POS:REF:ALT`), a sites
//! VCF (somalier's), a BED with REF and ALT columns (NGSCheckMate's), or
//! Picard's haplotype database; the default panels per assembly are built
//! in (see `panels/README.md`). Chromosome names are compared without a
//! `chr` prefix.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::IdentityError;

/// A reference assembly a panel or a file is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Assembly {
    GRCh37,
    GRCh38,
}

impl Assembly {
    pub fn name(self) -> &'static str {
        match self {
            Self::GRCh37 => "GRCh37",
            Self::GRCh38 => "GRCh38",
        }
    }

    /// From the length of chromosome 1 (`##contig`, `@SQ`).
    pub fn from_chr1_length(len: u64) -> Option<Self> {
        match len {
            249_250_621 => Some(Self::GRCh37),
            248_956_422 => Some(Self::GRCh38),
            _ => None,
        }
    }

    /// From a name (`GRCh37`, `hg19`, `b37`, `GRCh38`, `hg38`…), as a whole
    /// word inside `s` (file names, `AS:` tags, `##reference` lines).
    pub fn guess(s: &str) -> Option<Self> {
        let l = s.to_ascii_lowercase();
        let has = |w: &str| {
            l.match_indices(w).any(|(i, _)| {
                let after = l[i + w.len()..].chars().next();
                !after.is_some_and(|c| c.is_ascii_digit())
            })
        };
        let is37 = has("grch37") || has("hg19") || has("b37") || has("hs37");
        let is38 = has("grch38") || has("hg38") || has("hs38");
        match (is37, is38) {
            (true, false) => Some(Self::GRCh37),
            (false, true) => Some(Self::GRCh38),
            _ => None,
        }
    }

    /// The pseudo-autosomal regions of chrX (1-based, inclusive).
    fn x_par(self) -> [(u32, u32); 2] {
        match self {
            Self::GRCh37 => [(60_001, 2_699_520), (154_931_044, 155_260_560)],
            Self::GRCh38 => [(10_001, 2_781_479), (155_701_383, 156_030_895)],
        }
    }
}

/// A chromosome name as panels compare it: no `chr` prefix, `M` as `MT`.
pub fn normalise_chrom(c: &str) -> &str {
    let c = c
        .strip_prefix("chr")
        .or_else(|| c.strip_prefix("Chr"))
        .or_else(|| c.strip_prefix("CHR"))
        .unwrap_or(c);
    if c == "M" { "MT" } else { c }
}

/// Where a site lies, as the checks need to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SiteClass {
    Autosome,
    /// chrX outside the pseudo-autosomal regions.
    XNonPar,
    /// chrY, or chrX inside a pseudo-autosomal region (used by nothing).
    Other,
}

/// One panel SNP: `a` is the REF (or Picard's major allele), `b` the ALT
/// (or minor allele); `af` the frequency of `b` when the panel gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PanelSite {
    pub chrom: String,
    pub pos: u32,
    pub a: u8,
    pub b: u8,
    pub af: Option<f32>,
    pub class: SiteClass,
}

/// A panel: sites in file order, looked up by (chromosome, position).
#[derive(Debug, Clone)]
pub struct Panel {
    /// The assembly, when the panel says or its name does.
    pub assembly: Option<Assembly>,
    /// Where it came from (a path, or `builtin:GRCh37`).
    pub source: String,
    sites: Vec<PanelSite>,
    index: HashMap<(String, u32), u32>,
}

const GRCH37: &[u8] = include_bytes!("../panels/grch37.sites.gz");
const GRCH38: &[u8] = include_bytes!("../panels/grch38.sites.gz");

fn base(s: &str) -> Option<u8> {
    match s.as_bytes() {
        [b] if b"ACGTacgt".contains(b) => Some(b.to_ascii_uppercase()),
        _ => None,
    }
}

impl Panel {
    fn build(
        assembly: Option<Assembly>,
        source: String,
        raw: Vec<PanelSite>,
    ) -> Result<Self, IdentityError> {
        let mut sites = Vec::with_capacity(raw.len());
        let mut index = HashMap::with_capacity(raw.len());
        for mut s in raw {
            s.class = match (s.chrom.as_str(), assembly) {
                ("X", Some(a)) if a.x_par().iter().any(|&(lo, hi)| s.pos >= lo && s.pos <= hi) => {
                    SiteClass::Other
                }
                ("X", _) => SiteClass::XNonPar,
                ("Y" | "MT", _) => SiteClass::Other,
                _ => SiteClass::Autosome,
            };
            // a position listed twice keeps its first alleles
            if index
                .insert((s.chrom.clone(), s.pos), sites.len() as u32)
                .is_some()
            {
                let k = (s.chrom.clone(), s.pos);
                let first = sites
                    .iter()
                    .position(|x: &PanelSite| x.chrom == k.0 && x.pos == k.1)
                    .expect("indexed") as u32;
                index.insert(k, first);
                continue;
            }
            sites.push(s);
        }
        if sites.is_empty() {
            return Err(IdentityError::Panel {
                path: source.into(),
                line: 0,
                message: "no SNP sites".into(),
            });
        }
        Ok(Self {
            assembly,
            source,
            sites,
            index,
        })
    }

    /// The default panel of an assembly (built in).
    pub fn builtin(assembly: Assembly) -> Self {
        let gz = match assembly {
            Assembly::GRCh37 => GRCH37,
            Assembly::GRCh38 => GRCH38,
        };
        let mut text = String::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_string(&mut text)
            .expect("the built-in panel decompresses");
        let source = format!("builtin:{}", assembly.name());
        Self::parse_text(&source, text.as_bytes(), Some(assembly))
            .expect("the built-in panel parses")
    }

    /// Reads a panel file, detecting its format.
    pub fn from_path(path: &Path) -> Result<Self, IdentityError> {
        let mut f = std::fs::File::open(path).map_err(|e| IdentityError::io(path, e))?;
        let mut magic = [0u8; 2];
        let n = f.read(&mut magic).map_err(|e| IdentityError::io(path, e))?;
        let gz = n == 2 && magic == [0x1f, 0x8b];
        let mut text = Vec::new();
        if gz {
            // a VCF (bgzip) or a gzipped text panel
            let mut d = flate2::read::MultiGzDecoder::new(
                std::fs::File::open(path).map_err(|e| IdentityError::io(path, e))?,
            );
            d.read_to_end(&mut text)
                .map_err(|e| IdentityError::io(path, e))?;
        } else {
            text = std::fs::read(path).map_err(|e| IdentityError::io(path, e))?;
        }
        let name = path.display().to_string();
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        if text.starts_with(b"##fileformat=VCF") {
            return Self::from_vcf(path);
        }
        Self::parse_text(&name, &text, Assembly::guess(&file_name))
    }

    /// Parses `.sites`, BED or Picard haplotype-database text.
    fn parse_text(
        source: &str,
        text: &[u8],
        mut assembly: Option<Assembly>,
    ) -> Result<Self, IdentityError> {
        let err = |line: u64, message: String| IdentityError::Panel {
            path: source.into(),
            line,
            message,
        };
        let mut sites = Vec::new();
        let mut picard = false;
        for (i, line) in BufReader::new(text).lines().enumerate() {
            let no = i as u64 + 1;
            let line = line.map_err(|e| err(no, format!("not text: {e}")))?;
            let line = line.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            if let Some(sq) = line.strip_prefix("@SQ") {
                picard = true;
                // the Picard header: the assembly from chromosome 1's length or its AS tag
                let tag = |t: &str| {
                    sq.split('\t')
                        .find_map(|f| f.strip_prefix(t))
                        .map(str::to_string)
                };
                if let (Some(sn), Some(ln)) = (tag("SN:"), tag("LN:"))
                    && normalise_chrom(&sn) == "1"
                {
                    assembly = ln
                        .parse()
                        .ok()
                        .and_then(Assembly::from_chr1_length)
                        .or(assembly);
                }
                if let Some(a) = tag("AS:").and_then(|a| Assembly::guess(&a)) {
                    assembly = assembly.or(Some(a));
                }
                continue;
            }
            if line.starts_with('@') {
                picard = true;
                continue;
            }
            if line.starts_with("#CHROMOSOME") {
                picard = true;
                continue;
            }
            if line.starts_with('#') || line.starts_with("track") || line.starts_with("browser") {
                continue;
            }
            let site = if picard {
                // CHROMOSOME POSITION NAME MAJOR_ALLELE MINOR_ALLELE MAF …
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() < 6 {
                    return Err(err(
                        no,
                        format!(
                            "expected at least 6 tab-separated fields (CHROMOSOME POSITION NAME MAJOR_ALLELE MINOR_ALLELE MAF), found {}",
                            f.len()
                        ),
                    ));
                }
                let pos = f[1]
                    .parse::<u32>()
                    .map_err(|_| err(no, format!("POSITION {:?} is not a number", f[1])))?;
                let maf = f[5]
                    .parse::<f32>()
                    .ok()
                    .filter(|m| (0.0..=1.0).contains(m))
                    .ok_or_else(|| err(no, format!("MAF {:?} is not between 0 and 1", f[5])))?;
                (f[0], pos, f[3], f[4], Some(maf))
            } else if let [c, p, r, a] = line.split(':').collect::<Vec<_>>()[..] {
                let pos = p
                    .parse::<u32>()
                    .map_err(|_| err(no, format!("position {p:?} is not a number")))?;
                (c, pos, r, a, None)
            } else {
                // BED: chrom, 0-based start, end, name, REF, ALT
                let f: Vec<&str> = line.split('\t').collect();
                if f.len() < 6 {
                    return Err(err(
                        no,
                        "neither CHROM:POS:REF:ALT nor a BED line with name, REF and ALT columns"
                            .into(),
                    ));
                }
                let start = f[1]
                    .parse::<u32>()
                    .map_err(|_| err(no, format!("start {:?} is not a number", f[1])))?;
                (f[0], start + 1, f[4], f[5], None)
            };
            let (chrom, pos, r, a, af) = site;
            // multi-allelic and non-SNP sites (NGSCheckMate lists a few) are
            // not used; anything else that is not a base is an error
            let (Some(ra), Some(aa)) = (base(r), base(a)) else {
                let allele =
                    |x: &str| !x.is_empty() && x.bytes().all(|c| b"ACGTNacgtn,".contains(&c));
                if allele(r) && allele(a) {
                    continue;
                }
                return Err(err(
                    no,
                    format!("{r}>{a}: alleles must be bases (A, C, G or T)"),
                ));
            };
            if pos == 0 {
                return Err(err(no, "position 0".into()));
            }
            sites.push(PanelSite {
                chrom: normalise_chrom(chrom).to_string(),
                pos,
                a: ra,
                b: aa,
                af,
                class: SiteClass::Autosome,
            });
        }
        Self::build(assembly, source.to_string(), sites)
    }

    /// A sites VCF: its biallelic SNPs (REF, first ALT); the assembly from
    /// the header's chromosome 1 length or `##reference`.
    fn from_vcf(path: &Path) -> Result<Self, IdentityError> {
        let mut r = zenome_variants::read::VariantReader::open(path)
            .map_err(|e| IdentityError::input(path, e))?;
        let assembly = vcf_assembly(r.header());
        let mut site = zenome_variants::read::Site::default();
        let mut sites = Vec::new();
        while r
            .next_site(&mut site)
            .map_err(|e| IdentityError::input(path, e))?
        {
            let (Some(ra), Some(aa)) = (
                base(&site.reference),
                site.alts.first().and_then(|a| base(a)),
            ) else {
                continue;
            };
            sites.push(PanelSite {
                chrom: normalise_chrom(&site.chrom).to_string(),
                pos: site.pos,
                a: ra,
                b: aa,
                af: None,
                class: SiteClass::Autosome,
            });
        }
        Self::build(assembly, path.display().to_string(), sites)
    }

    pub fn sites(&self) -> &[PanelSite] {
        &self.sites
    }

    pub fn len(&self) -> usize {
        self.sites.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sites.is_empty()
    }

    /// The index of the site at (chromosome, position), any naming.
    pub fn find(&self, chrom: &str, pos: u32) -> Option<u32> {
        // no allocation for the common case of a name without `chr`
        let c = normalise_chrom(chrom);
        self.index.get(&(c.to_string(), pos)).copied()
    }

    /// Whether the panel has any site on this chromosome.
    pub fn has_chrom(&self, chrom: &str) -> bool {
        let c = normalise_chrom(chrom);
        self.sites.iter().any(|s| s.chrom == c)
    }

    /// A short digest of the sites, so fingerprints taken on different
    /// panels are never compared.
    pub fn digest(&self) -> String {
        // FNV-1a over the sites: stable, no extra dependency
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for s in &self.sites {
            for b in s.chrom.bytes().chain(s.pos.to_le_bytes()).chain([s.a, s.b]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x100_0000_01b3);
            }
        }
        format!("{h:016x}")
    }
}

/// The assembly a VCF header declares: chromosome 1's `##contig` length,
/// else a name in `##reference` or `##assembly`.
pub fn vcf_assembly(header: &noodles::vcf::Header) -> Option<Assembly> {
    for (name, contig) in header.contigs() {
        if normalise_chrom(name) == "1"
            && let Some(len) = contig.length()
            && let Some(a) = Assembly::from_chr1_length(len as u64)
        {
            return Some(a);
        }
    }
    for key in ["reference", "assembly"] {
        if let Some(v) = header.other_records().get(key) {
            let text = format!("{v:?}");
            if let Some(a) = Assembly::guess(&text) {
                return Some(a);
            }
        }
    }
    None
}
