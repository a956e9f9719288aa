//! Sample identity in the demo (issue 9): a panel of fingerprint sites on
//! the demo's synthetic reference (written beside it as a `.sites` file,
//! the format of peddy's and somalier's panels), one genome per participant
//! at those sites, and the two mix-ups the platform must catch — two
//! cancer participants' tumour tubes swapped with each other, and a third
//! participant's tumour tube holding DNA from outside the cohort.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use crate::DemoError;
use crate::reference::Reference;
use crate::seqfiles::Variant;

/// One site every this many bases, away from the contig ends.
const SPACING: usize = 500;
/// No private variant within this many bases of a site.
const CLEAR: usize = 12;

/// A fingerprint site: contig index, 1-based position, REF, ALT.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Site {
    pub contig: usize,
    pub pos: usize,
    pub reference: u8,
    pub alt: u8,
}

fn transition(b: u8) -> u8 {
    match b {
        b'A' => b'G',
        b'G' => b'A',
        b'C' => b'T',
        _ => b'C',
    }
}

fn transversion(b: u8) -> u8 {
    match b {
        b'A' => b'C',
        b'C' => b'A',
        b'G' => b'T',
        _ => b'G',
    }
}

/// The panel: every [`SPACING`] bases where a read's length around the site
/// is plain sequence; ALT is a transition at two sites in three and a
/// transversion at the third (Ti/Tv 2, as whole genomes have it).
pub(crate) fn sites(reference: &Reference) -> Vec<Site> {
    let mut out = Vec::new();
    for (ci, c) in reference.contigs.iter().enumerate() {
        let len = c.seq.len();
        let mut pos = SPACING;
        while pos + SPACING < len {
            let window = &c.seq[pos.saturating_sub(160)..(pos + 160).min(len)];
            let base = c.seq[pos - 1];
            if window.iter().all(|b| b"ACGT".contains(b)) {
                let alt = if out.len() % 3 == 2 {
                    transversion(base)
                } else {
                    transition(base)
                };
                out.push(Site {
                    contig: ci,
                    pos,
                    reference: base,
                    alt,
                });
            }
            pos += SPACING;
        }
    }
    out
}

/// The panel file beside the reference (`<fasta>.identity.sites`).
pub fn panel_path(reference_fasta: &Path) -> PathBuf {
    let mut p = reference_fasta.as_os_str().to_owned();
    p.push(".identity.sites");
    PathBuf::from(p)
}

/// Writes the panel as `chrom:pos:ref:alt` lines.
pub(crate) fn write_panel(reference: &Reference, path: &Path) -> Result<(), DemoError> {
    let mut text = String::new();
    for s in sites(reference) {
        text.push_str(&format!(
            "{}:{}:{}:{}\n",
            reference.contigs[s.contig].name,
            s.pos,
            char::from(s.reference),
            char::from(s.alt)
        ));
    }
    std::fs::write(path, text).map_err(|e| DemoError::Files(format!("{}: {e}", path.display())))
}

/// A genome at the panel's sites: 0, 1 or 2 ALT copies each, at an allele
/// frequency of one half (the panel's sites are common SNPs).
pub(crate) type Genome = Vec<u8>;

pub(crate) fn draw_genome(rng: &mut ChaCha8Rng, n: usize) -> Genome {
    (0..n)
        .map(|_| u8::from(rng.random_bool(0.5)) + u8::from(rng.random_bool(0.5)))
        .collect()
}

/// A library's calls: its private variants (those clear of the sites) and
/// the genome's ALT genotypes at the sites, sorted.
pub(crate) fn with_genome(
    rng: &mut ChaCha8Rng,
    private: Vec<Variant>,
    sites: &[Site],
    genome: &Genome,
) -> Vec<Variant> {
    let mut out: Vec<Variant> = private
        .into_iter()
        .filter(|v| {
            let (c, pos) = v.locus();
            !sites
                .iter()
                .any(|s| s.contig == c && pos <= s.pos + CLEAR && v.end() + CLEAR >= s.pos)
        })
        .collect();
    for (s, &g) in sites.iter().zip(genome) {
        if g > 0 {
            out.push(Variant::site(
                s.contig,
                s.pos,
                s.reference,
                s.alt,
                g == 2,
                rng.random_range(24..=40),
            ));
        }
    }
    out.sort_by_key(Variant::locus);
    out
}

/// Whose genome each library's tube holds: its participant's, except for
/// the mix-ups. `cases` are cancer participants with a sequenced tumour and
/// normal: the first two have their tumour tubes swapped, the third's
/// tumour tube is from someone outside the cohort.
pub(crate) struct Tubes {
    pub genomes: HashMap<String, Genome>,
    /// library barcode → the genome in its tube, where it is not its own.
    pub mixed: HashMap<String, Genome>,
}

impl Tubes {
    pub(crate) fn new() -> Self {
        Self {
            genomes: HashMap::new(),
            mixed: HashMap::new(),
        }
    }

    /// The participant's own genome, drawn when first needed.
    pub(crate) fn genome(&mut self, rng: &mut ChaCha8Rng, participant: &str, n: usize) -> Genome {
        self.genomes
            .entry(participant.to_string())
            .or_insert_with(|| draw_genome(rng, n))
            .clone()
    }

    /// What the tube of `library` holds.
    pub(crate) fn tube(
        &mut self,
        rng: &mut ChaCha8Rng,
        participant: &str,
        library: &str,
        n: usize,
    ) -> Genome {
        match self.mixed.get(library) {
            Some(g) => g.clone(),
            None => self.genome(rng, participant, n),
        }
    }
}
