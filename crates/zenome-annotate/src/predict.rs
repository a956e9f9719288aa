//! The effect of one variant allele on every transcript near it: the
//! consequence terms, where in the transcript it falls (exon/intron number,
//! cDNA/CDS/protein positions), the codons and amino acids changed, and the
//! HGVS c./n. and p. descriptions.
//!
//! The allele is trimmed to its minimal form first (shared leading, then
//! trailing bases removed). Consequences are decided on that form; HGVS
//! descriptions on the form shifted to the transcript's 3′ end within its
//! exon or intron, as the HGVS 3′ rule asks (VEP's `shift_hgvs`).
//!
//! Sequences of transcripts are prepared once and kept while input moves
//! along a chromosome; the per-allele work reuses the [`Effect`] buffers, so
//! the steady state allocates nothing.

use std::collections::HashMap;
use std::fmt::Write;

use crate::codon::{Code, complement, reverse_complement, three_letter};
use crate::consequence::{Consequence as C, Consequences};
use crate::error::AnnotateError;
use crate::model::{GeneModel, Strand, Transcript};
use crate::reference::Reference;

/// Up- and downstream distance VEP reports (bases).
pub const FLANK: u32 = 5000;
/// Genomic bases kept beyond each end of a transcript (for 3′ shifting).
const PAD: u32 = 200;

/// One allele, as a VCF record gives it (1-based `pos` of the first REF base).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allele<'a> {
    /// A sequence allele: REF and ALT bases.
    Sequence {
        pos: u32,
        reference: &'a str,
        alternate: &'a str,
    },
    /// A symbolic deletion (`<DEL>`…) of `pos+1..=end`.
    Deletion { pos: u32, end: u32 },
    /// A symbolic insertion (`<INS>`, `<INS:ME:ALU>`…) after `pos`.
    Insertion { pos: u32 },
    /// Another symbolic allele (`<DUP>`, `<INV>`, `<CNV>`) over `pos+1..=end`.
    Other { pos: u32, end: u32 },
}

/// The effect of an allele on one transcript (or on none: intergenic).
#[derive(Debug, Clone, Default)]
pub struct Effect {
    /// Index into [`GeneModel::transcripts`]; `None` for intergenic.
    pub transcript: Option<usize>,
    pub consequences: Consequences,
    /// Exon numbers hit (first, last) and the exon count.
    pub exon: Option<(u32, u32, u32)>,
    /// Intron numbers hit (first, last) and the intron count.
    pub intron: Option<(u32, u32, u32)>,
    /// cDNA position(s), VEP style (`1860`, `1859-1860`, `?-12`).
    pub cdna_position: String,
    pub cds_position: String,
    pub protein_position: String,
    /// `V/E`, `V` (synonymous), `-/KG` (insertion).
    pub amino_acids: String,
    /// `gTg/gAg`.
    pub codons: String,
    /// `ENST00000288602.6:c.1799T>A`.
    pub hgvsc: String,
    /// `ENSP00000288358:p.Val600Glu`.
    pub hgvsp: String,
    /// Up/downstream distance.
    pub distance: Option<u32>,
    /// Protein change in bcftools csq's notation (`600V>600E`), for comparison.
    pub bcftools_aa: String,
}

impl Effect {
    fn reset(&mut self) {
        self.transcript = None;
        self.consequences = Consequences::EMPTY;
        self.exon = None;
        self.intron = None;
        self.cdna_position.clear();
        self.cds_position.clear();
        self.protein_position.clear();
        self.amino_acids.clear();
        self.codons.clear();
        self.hgvsc.clear();
        self.hgvsp.clear();
        self.distance = None;
        self.bcftools_aa.clear();
    }
}

/// A transcript's sequences, prepared once.
struct Prepared {
    /// Genomic position of `genomic[0]`.
    g0: u32,
    /// Forward-strand bases over the span ± PAD.
    genomic: Vec<u8>,
    /// Spliced sequence, transcript orientation.
    cdna: Vec<u8>,
    /// Exons in transcript order: genomic (lo, hi) and the cDNA position of
    /// its first base (1-based).
    exons_tx: Vec<(u32, u32, u32)>,
    /// Coding start and end in cDNA positions (stop included), and the
    /// first base of the first whole codon.
    cds: Option<(u32, u32)>,
    code: Code,
    /// CDS bases before the first whole codon (the 5′-most CDS phase of a
    /// CDS that starts mid-codon), 0 for a complete start.
    lead: u32,
}

impl Prepared {
    /// What Ensembl adds to CDS positions of a CDS that starts mid-codon:
    /// it pads the partial first codon with `N` to a whole codon, so the
    /// first whole codon is codon 2 (c.4), as VEP numbers it.
    fn cds_offset(&self) -> u32 {
        if self.lead == 0 { 0 } else { 3 }
    }
}

impl Prepared {
    /// Whether the CDS starts with a start codon (ATG, translated Met).
    fn has_start(&self) -> bool {
        self.cds.is_some_and(|(c1, c2)| {
            c2 >= c1 + 2
                && self
                    .code
                    .translate(&self.cdna[(c1 - 1) as usize..(c1 + 2) as usize])
                    == b'M'
        })
    }

    /// Whether the CDS ends with a stop codon.
    fn has_stop(&self) -> bool {
        self.cds.is_some_and(|(c1, c2)| {
            c2 >= c1 + 2
                && (c2 - c1 + 1) % 3 == 0
                && self
                    .code
                    .translate(&self.cdna[(c2 - 3) as usize..c2 as usize])
                    == b'*'
        })
    }

    fn base(&self, g: u32) -> u8 {
        if g < self.g0 {
            return b'N';
        }
        *self.genomic.get((g - self.g0) as usize).unwrap_or(&b'N')
    }
}

/// Where a genomic position lies in a transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Exon (genomic-order index).
    Exon(usize),
    /// Intron after genomic-order exon `k`.
    Intron(usize),
    Outside,
}

fn place(t: &Transcript, g: u32) -> Place {
    let i = t.exons.partition_point(|e| e.1 < g);
    match t.exons.get(i) {
        Some(&(s, _)) if s <= g => Place::Exon(i),
        Some(_) if i > 0 => Place::Intron(i - 1),
        _ => Place::Outside,
    }
}

/// Predicts effects against a gene model and a reference.
pub struct Annotator<'m> {
    model: &'m GeneModel,
    reference: Reference,
    prepared: HashMap<usize, Prepared>,
    effects: Vec<Effect>,
    len: usize,
    /// Whether to report only canonical transcripts.
    pub canonical_only: bool,
    /// Up/downstream distance reported (VEP's `--distance`; default [`FLANK`];
    /// 0: transcripts the variant does not overlap are not reported).
    pub distance: u32,
    /// Gene-model chromosome → the FASTA's name for it, where they differ.
    pub fasta_names: HashMap<String, String>,
    hits: Vec<usize>,
    scratch_a: Vec<u8>,
    scratch_b: Vec<u8>,
    scratch_alt: Vec<u8>,
    pep_a: Vec<u8>,
    pep_b: Vec<u8>,
    scratch_ins: Vec<u8>,
}

impl<'m> Annotator<'m> {
    pub fn new(model: &'m GeneModel, reference: Reference) -> Self {
        Self {
            model,
            reference,
            prepared: HashMap::new(),
            effects: Vec::new(),
            len: 0,
            canonical_only: false,
            distance: FLANK,
            fasta_names: HashMap::new(),
            hits: Vec::new(),
            scratch_a: Vec::new(),
            scratch_b: Vec::new(),
            scratch_alt: Vec::new(),
            pep_a: Vec::new(),
            pep_b: Vec::new(),
            scratch_ins: Vec::new(),
        }
    }

    /// The gene model.
    pub fn model(&self) -> &'m GeneModel {
        self.model
    }

    /// The reference.
    pub fn reference(&mut self) -> &mut Reference {
        &mut self.reference
    }

    /// Whether `reference` matches the FASTA at `chrom:pos` (`None`: the
    /// FASTA's bases, when they differ).
    pub fn check_ref(
        &mut self,
        chrom: &str,
        pos: u32,
        reference: &str,
    ) -> Result<Option<String>, AnnotateError> {
        let len = reference.len() as u32;
        let got = self.reference.fetch(chrom, pos, pos + len.max(1) - 1)?;
        let same = got.len() == reference.len()
            && got
                .iter()
                .zip(reference.bytes())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b) || b == b'N' || b == b'n' || *a == b'N');
        Ok(if same {
            None
        } else {
            Some(String::from_utf8_lossy(got).into_owned())
        })
    }

    fn slot(&mut self) -> &mut Effect {
        if self.len == self.effects.len() {
            self.effects.push(Effect::default());
        }
        let e = &mut self.effects[self.len];
        e.reset();
        self.len += 1;
        e
    }

    /// The effects of `allele` on `chrom` (the gene model's spelling and the
    /// FASTA's), one per transcript within [`Annotator::distance`], or one
    /// intergenic.
    pub fn annotate(
        &mut self,
        chrom: &str,
        allele: Allele<'_>,
    ) -> Result<&[Effect], AnnotateError> {
        self.len = 0;
        // minimal form: [vs, ve] reference bases replaced by `alt`
        let (vs, ve, kind) = match allele {
            Allele::Sequence {
                pos,
                reference,
                alternate,
            } => {
                let (r, a) = (reference.as_bytes(), alternate.as_bytes());
                let mut pre = 0;
                while pre < r.len() && pre < a.len() && r[pre].eq_ignore_ascii_case(&a[pre]) {
                    pre += 1;
                }
                let mut suf = 0;
                while suf < r.len() - pre
                    && suf < a.len() - pre
                    && r[r.len() - 1 - suf].eq_ignore_ascii_case(&a[a.len() - 1 - suf])
                {
                    suf += 1;
                }
                let vs = pos + pre as u32;
                let ve = pos + (r.len() - suf) as u32 - 1; // ve = vs-1 for an insertion
                self.scratch_alt.clear();
                self.scratch_alt.extend_from_slice(&a[pre..a.len() - suf]);
                self.scratch_alt.make_ascii_uppercase();
                (vs, ve, Kind::Sequence)
            }
            Allele::Deletion { pos, end } => (pos + 1, end.max(pos + 1), Kind::Deletion),
            Allele::Insertion { pos } => (pos + 1, pos, Kind::Insertion),
            Allele::Other { pos, end } => (pos + 1, end.max(pos + 1), Kind::Other),
        };
        // evict prepared transcripts the input has moved past
        if self.prepared.len() > 256 {
            let model = self.model;
            self.prepared.retain(|&i, _| {
                let t = &model.transcripts()[i];
                t.chrom == chrom && t.end + FLANK >= vs
            });
        }
        let mut hits = std::mem::take(&mut self.hits);
        hits.clear();
        let lo = vs.min(ve);
        let hi = ve.max(vs);
        let canonical_only = self.canonical_only;
        self.model
            .overlapping(chrom, lo, hi, self.distance, |i, t| {
                if !canonical_only || t.canonical {
                    hits.push(i);
                }
            });
        let mut result = Ok(());
        for &i in &hits {
            result = self.one(chrom, i, vs, ve, kind);
            if result.is_err() {
                break;
            }
        }
        self.hits = hits;
        result?;
        if self.len == 0 {
            let e = self.slot();
            e.consequences.insert(C::Intergenic);
        }
        Ok(&self.effects[..self.len])
    }

    fn prepare(&mut self, i: usize) -> Result<(), AnnotateError> {
        if self.prepared.contains_key(&i) {
            return Ok(());
        }
        let t = &self.model.transcripts()[i];
        let g0 = t.start.saturating_sub(PAD).max(1);
        let chrom = self.fasta_names.get(&t.chrom).unwrap_or(&t.chrom);
        let genomic = self.reference.fetch(chrom, g0, t.end + PAD)?.to_vec();
        let mut p = Prepared {
            g0,
            genomic,
            cdna: Vec::with_capacity(t.spliced_len() as usize),
            exons_tx: Vec::with_capacity(t.exons.len()),
            cds: None,
            code: Code::for_chrom(&t.chrom),
            lead: 0,
        };
        let order: Vec<(u32, u32)> = match t.strand {
            Strand::Forward => t.exons.clone(),
            Strand::Reverse => t.exons.iter().rev().copied().collect(),
        };
        for (s, e) in order {
            p.exons_tx.push((s, e, p.cdna.len() as u32 + 1));
            let mut part: Vec<u8> = (s..=e).map(|g| p.base(g)).collect();
            if t.strand == Strand::Reverse {
                reverse_complement(&mut part);
            }
            p.cdna.extend_from_slice(&part);
        }
        if let Some(c) = &t.coding {
            let (a, b) = match t.strand {
                Strand::Forward => (c.start, c.end),
                Strand::Reverse => (c.end, c.start),
            };
            if let (Some(x), Some(y)) = (cdna_of(&p, t, a), cdna_of(&p, t, b)) {
                p.cds = Some((x + c.phase as u32, y));
                p.lead = c.phase as u32;
            }
        }
        self.prepared.insert(i, p);
        Ok(())
    }

    fn one(
        &mut self,
        chrom: &str,
        i: usize,
        vs: u32,
        ve: u32,
        kind: Kind,
    ) -> Result<(), AnnotateError> {
        let _ = chrom;
        let model = self.model;
        let t = &model.transcripts()[i];
        let insertion = ve < vs;
        // outside the transcript: up/downstream
        let (inside_lo, inside_hi) = if insertion { (ve, vs) } else { (vs, ve) };
        let outside_before = if insertion {
            vs <= t.start
        } else {
            ve < t.start
        };
        let outside_after = if insertion { ve >= t.end } else { vs > t.end };
        if outside_before || outside_after {
            let d = if outside_before {
                t.start - inside_hi.min(t.start)
            } else {
                inside_lo.max(t.end) - t.end
            };
            let d = d.max(1);
            if d > self.distance {
                return Ok(());
            }
            let upstream = outside_before == (t.strand == Strand::Forward);
            let e = self.slot();
            e.transcript = Some(i);
            e.distance = Some(d);
            e.consequences
                .insert(if upstream { C::Upstream } else { C::Downstream });
            return Ok(());
        }
        self.prepare(i)?;
        let mut out = Effect::default();
        std::mem::swap(&mut out, self.slot());
        out.transcript = Some(i);
        let r = self.fill(&mut out, i, vs, ve, kind);
        std::mem::swap(&mut out, &mut self.effects[self.len - 1]);
        r
    }

    fn fill(
        &mut self,
        e: &mut Effect,
        i: usize,
        vs: u32,
        ve: u32,
        kind: Kind,
    ) -> Result<(), AnnotateError> {
        let model = self.model;
        let t = &model.transcripts()[i];
        let p = &self.prepared[&i];
        let insertion = ve < vs;
        let coding_tx = t.coding.is_some() && p.cds.is_some();
        let n_exons = t.exons.len() as u32;
        let tx_num = |k: usize| -> u32 {
            match t.strand {
                Strand::Forward => k as u32 + 1,
                Strand::Reverse => n_exons - k as u32,
            }
        };
        let intron_num = |k: usize| -> u32 {
            match t.strand {
                Strand::Forward => k as u32 + 1,
                Strand::Reverse => n_exons - 1 - k as u32,
            }
        };
        // which exons/introns the allele touches
        let (a, b) = if insertion { (ve, vs) } else { (vs, ve) };
        let (pa, pb) = (place(t, a), place(t, b));
        let mut exon_hit: Option<(u32, u32)> = None;
        let mut intron_hit: Option<(u32, u32)> = None;
        let note = |slot: &mut Option<(u32, u32)>, n: u32| {
            *slot = Some(match *slot {
                None => (n, n),
                Some((x, y)) => (x.min(n), y.max(n)),
            });
        };
        let mut any_exonic = false;
        let mut any_intronic_core = false;
        let mut splice = Consequences::EMPTY;
        let site_hit = |lo: u32, hi: u32| -> bool {
            if lo > hi {
                return false;
            }
            if insertion {
                lo <= a && b <= hi
            } else {
                vs <= hi && ve >= lo
            }
        };
        let region_hit = |lo: u32, hi: u32| -> bool {
            if lo > hi {
                return false;
            }
            if insertion {
                (lo <= a && a <= hi) || (lo <= b && b <= hi)
            } else {
                vs <= hi && ve >= lo
            }
        };
        for (k, &(s, en)) in t.exons.iter().enumerate() {
            let hit = if insertion {
                s <= a && b <= en
            } else {
                vs <= en && ve >= s
            };
            if hit {
                any_exonic = true;
                note(&mut exon_hit, tx_num(k));
            }
            if k + 1 < t.exons.len() {
                let (ia, ib) = (en + 1, t.exons[k + 1].0 - 1);
                if ia > ib {
                    continue;
                }
                let ihit = if insertion {
                    ia <= a && b <= ib
                } else {
                    vs <= ib && ve >= ia
                };
                let touches = ihit || region_hit(ia.saturating_sub(3), ib + 3);
                if !touches {
                    continue;
                }
                if ihit {
                    note(&mut intron_hit, intron_num(k));
                }
                let (donor, acceptor, d5, dreg, ppt) = match t.strand {
                    Strand::Forward => (
                        (ia, ia + 1),
                        (ib.saturating_sub(1), ib),
                        ia + 4,
                        (ia + 2, ia + 5),
                        (ib.saturating_sub(16), ib.saturating_sub(2)),
                    ),
                    Strand::Reverse => (
                        (ib.saturating_sub(1), ib),
                        (ia, ia + 1),
                        ib.saturating_sub(4),
                        (ib.saturating_sub(5), ib.saturating_sub(2)),
                        (ia + 2, ia + 16),
                    ),
                };
                let clip = |(lo, hi): (u32, u32)| (lo.max(ia), hi.min(ib));
                let (dl, dh) = clip(donor);
                let (al, ah) = clip(acceptor);
                let sd = site_hit(dl, dh);
                let sa = site_hit(al, ah);
                if sd {
                    splice.insert(C::SpliceDonor);
                }
                if sa {
                    splice.insert(C::SpliceAcceptor);
                }
                if d5 >= ia && d5 <= ib && site_hit(d5, d5) {
                    splice.insert(C::SpliceDonor5thBase);
                }
                let (rl, rh) = clip(dreg);
                if site_hit(rl, rh) {
                    splice.insert(C::SpliceDonorRegion);
                }
                let (ql, qh) = clip(ppt);
                if site_hit(ql, qh) {
                    splice.insert(C::SplicePolypyrimidineTract);
                }
                // splice region: 3-8 intronic bases at either end, 1-3 exonic
                let intr = [
                    clip((ia + 2, ia + 7)),
                    clip((ib.saturating_sub(7), ib.saturating_sub(2))),
                ];
                let ex = [(ia.saturating_sub(3), ia - 1), (ib + 1, ib + 3)];
                if intr
                    .iter()
                    .chain(ex.iter())
                    .any(|&(lo, hi)| region_hit(lo, hi))
                {
                    splice.insert(C::SpliceRegion);
                }
                // an intronic base other than the two-base sites
                if ihit {
                    let core = if insertion {
                        !(sd || sa)
                    } else {
                        let lo = vs.max(ia);
                        let hi = ve.min(ib);
                        (lo..=hi).any(|g| !((dl..=dh).contains(&g) || (al..=ah).contains(&g)))
                    };
                    if core {
                        any_intronic_core = true;
                    }
                }
            }
        }
        if let Some((x, y)) = exon_hit {
            e.exon = Some((x, y, n_exons));
        }
        if let Some((x, y)) = intron_hit {
            e.intron = Some((x, y, n_exons.saturating_sub(1)));
        }
        let mut cons = splice;
        if any_intronic_core {
            cons.insert(C::Intron);
        }
        let whole_exon = match (pa, pb) {
            (Place::Exon(x), Place::Exon(y)) => x == y,
            _ => false,
        };
        // cDNA positions (VEP: "?" for an end outside the exons)
        let cdna_a = cdna_of(p, t, a);
        let cdna_b = cdna_of(p, t, b);
        if any_exonic {
            let (x, y) = match t.strand {
                Strand::Forward => (cdna_a, cdna_b),
                Strand::Reverse => (cdna_b, cdna_a),
            };
            write_range(&mut e.cdna_position, x, y);
        }
        if matches!(kind, Kind::Deletion | Kind::Insertion | Kind::Other) {
            if any_exonic {
                if coding_tx {
                    let (c1, c2) = p.cds.expect("coding");
                    let (x, y) = ordered(cdna_a, cdna_b);
                    let in_cds = match (x, y) {
                        (Some(x), Some(y)) => x <= c2 && y >= c1,
                        _ => true,
                    };
                    if in_cds {
                        cons.insert(C::CodingSequence);
                    } else if y.is_some_and(|y| y < c1) {
                        cons.insert(C::FivePrimeUtr);
                    } else {
                        cons.insert(C::ThreePrimeUtr);
                    }
                } else {
                    cons.insert(C::NonCodingTranscriptExon);
                }
            }
            cons.insert(match kind {
                Kind::Deletion => C::FeatureTruncation,
                Kind::Insertion => C::FeatureElongation,
                _ => C::CodingSequence,
            });
            if kind == Kind::Other {
                cons.remove(C::CodingSequence);
                if any_exonic && coding_tx {
                    cons.insert(C::CodingSequence);
                }
            }
            finish(e, t, cons, coding_tx);
            return Ok(());
        }
        if any_exonic {
            if !coding_tx {
                cons.insert(C::NonCodingTranscriptExon);
            } else if !whole_exon {
                // across an exon boundary: VEP names the coding/UTR overlap only
                let (c1, c2) = p.cds.expect("coding");
                let (x, y) = ordered(cdna_a, cdna_b);
                let lo = x.or(y).unwrap_or(0);
                let hi = y.or(x).unwrap_or(0);
                if hi >= c1 && lo <= c2 {
                    cons.insert(C::CodingSequence);
                    if lo <= c1 + 2 && hi >= c1 && p.has_start() {
                        cons.insert(C::StartLost);
                    }
                    if hi >= c2 - 2 && lo <= c2 && p.has_stop() {
                        cons.insert(C::StopLost);
                    }
                }
                if lo < c1 {
                    cons.insert(C::FivePrimeUtr);
                }
                if hi > c2 {
                    cons.insert(C::ThreePrimeUtr);
                }
            } else {
                self.coding_effect(e, i, vs, ve, &mut cons);
            }
        }
        finish(e, t, cons, coding_tx);
        self.hgvsc(e, i, vs, ve);
        Ok(())
    }

    /// Consequences, positions, codons and HGVS p. of an allele wholly inside
    /// one exon of a coding transcript.
    fn coding_effect(
        &mut self,
        e: &mut Effect,
        i: usize,
        vs: u32,
        ve: u32,
        cons: &mut Consequences,
    ) {
        let model = self.model;
        let t = &model.transcripts()[i];
        let p = &self.prepared[&i];
        let coding = t.coding.as_ref().expect("coding");
        let (c1, c2) = p.cds.expect("coding");
        let insertion = ve < vs;
        let ga = if insertion { ve } else { vs };
        let gb = if insertion { vs } else { ve };
        let (Some(xa), Some(xb)) = (cdna_of(p, t, ga), cdna_of(p, t, gb)) else {
            return;
        };
        // cDNA interval in transcript orientation: [cs, ce]; insertion between ce and cs
        let (cs, ce) = match t.strand {
            Strand::Forward => {
                if insertion {
                    (xb, xa)
                } else {
                    (xa, xb)
                }
            }
            Strand::Reverse => {
                if insertion {
                    (xa, xb)
                } else {
                    (xb, xa)
                }
            }
        };
        // alt in transcript orientation
        let mut alt = std::mem::take(&mut self.scratch_alt);
        if t.strand == Strand::Reverse {
            reverse_complement(&mut alt);
        }
        let alt_len = alt.len() as i64;
        let ref_len = if insertion { 0 } else { (ce - cs + 1) as i64 };
        let delta = alt_len - ref_len;
        // UTRs
        let utr5 = if insertion { cs <= c1 } else { ce < c1 };
        let utr3 = if insertion { ce >= c2 } else { cs > c2 };
        if utr5 || utr3 {
            cons.insert(if utr5 {
                C::FivePrimeUtr
            } else {
                C::ThreePrimeUtr
            });
            self.restore_alt(alt, t.strand);
            return;
        }
        if !insertion && (cs < c1 || ce > c2) {
            // partly UTR, partly coding
            if cs < c1 {
                cons.insert(C::FivePrimeUtr);
                if !coding.start_incomplete && p.has_start() {
                    cons.insert(C::StartLost);
                }
            }
            if ce > c2 {
                cons.insert(C::ThreePrimeUtr);
                if !coding.end_incomplete && p.has_stop() {
                    cons.insert(C::StopLost);
                }
            }
            cons.insert(C::CodingSequence);
            self.restore_alt(alt, t.strand);
            return;
        }
        // coding offsets (0-based from the first whole codon)
        let cds = &p.cdna[(c1 - 1) as usize..c2 as usize];
        let tail = &p.cdna[c2 as usize..];
        let s0 = (cs - c1) as usize;
        let rl = ref_len as usize;
        // CDS / protein positions
        {
            let (x, y) = if insertion { (cs - 1, cs) } else { (cs, ce) };
            let off = p.cds_offset() as i64 - c1 as i64 + 1;
            let (x, y) = (x as i64 + off, y as i64 + off);
            write_range_i(&mut e.cds_position, x, y);
        }
        let first_codon = s0 / 3;
        let win_a = if insertion && s0.is_multiple_of(3) {
            s0
        } else {
            first_codon * 3
        };
        let win_b = if insertion {
            if s0.is_multiple_of(3) {
                s0
            } else {
                first_codon * 3 + 3
            }
        } else {
            (s0 + rl).div_ceil(3) * 3
        };
        let prot_a = if insertion && s0.is_multiple_of(3) {
            s0 / 3
        } else {
            first_codon + 1
        };
        let prot_b = if insertion && s0.is_multiple_of(3) {
            s0 / 3 + 1
        } else {
            win_b / 3
        };
        let aa_off = (p.cds_offset() / 3) as usize;
        write_range_i(
            &mut e.protein_position,
            (prot_a + aa_off) as i64,
            (prot_b + aa_off) as i64,
        );
        if win_b > cds.len() {
            cons.insert(C::IncompleteTerminalCodon);
            cons.insert(C::CodingSequence);
            self.restore_alt(alt, t.strand);
            return;
        }
        // codon windows
        let code = p.code;
        let ref_w = &cds[win_a..win_b];
        let mut alt_w = std::mem::take(&mut self.scratch_a);
        alt_w.clear();
        alt_w.extend_from_slice(&cds[win_a..s0]);
        alt_w.extend_from_slice(&alt);
        alt_w.extend_from_slice(&cds[(s0 + rl).min(cds.len())..win_b]);
        // Codons: changed bases upper-case
        {
            let lower = |b: u8| b.to_ascii_lowercase() as char;
            let upper = |b: u8| b.to_ascii_uppercase() as char;
            if ref_w.is_empty() {
                e.codons.push('-');
            }
            for (k, &b) in ref_w.iter().enumerate() {
                let changed = win_a + k >= s0 && win_a + k < s0 + rl;
                e.codons.push(if changed { upper(b) } else { lower(b) });
            }
            e.codons.push('/');
            if alt_w.is_empty() {
                e.codons.push('-');
            }
            let pre = s0 - win_a;
            for (k, &b) in alt_w.iter().enumerate() {
                let changed = k >= pre && k < pre + alt.len();
                e.codons.push(if changed { upper(b) } else { lower(b) });
            }
        }
        let translate = |seq: &[u8], out: &mut Vec<u8>| {
            out.clear();
            for c in seq.chunks(3) {
                out.push(if c.len() == 3 {
                    code.translate(c)
                } else {
                    b'X'
                });
            }
        };
        let mut ref_aa = std::mem::take(&mut self.pep_a);
        let mut alt_aa = std::mem::take(&mut self.pep_b);
        translate(ref_w, &mut ref_aa);
        let frameshift = delta.rem_euclid(3) != 0;
        let start_codon = first_codon == 0 && !coding.start_incomplete && p.has_start();
        let protein = t
            .coding
            .as_ref()
            .and_then(|c| c.protein_id.clone())
            .unwrap_or_else(|| t.versioned_id());
        if frameshift {
            cons.insert(C::Frameshift);
            if start_codon && win_a == 0 {
                cons.insert(C::StartLost);
            }
            if win_b >= cds.len() && !coding.end_incomplete && p.has_stop() {
                cons.insert(C::StopLost);
            }
            // amino acids: VEP shows the window's peptide and X for the alt
            e.amino_acids.push_str(&String::from_utf8_lossy(&ref_aa));
            if ref_aa.is_empty() {
                e.amino_acids.push('-');
            }
            // …and the alt window translated, a partial codon as X (`K/KX`)
            e.amino_acids.push('/');
            translate(&alt_w, &mut alt_aa);
            if alt_aa.is_empty() {
                e.amino_acids.push('-');
            }
            e.amino_acids.push_str(&String::from_utf8_lossy(&alt_aa));
            // HGVS p.: translate the new frame to its first stop
            let mut seq = std::mem::take(&mut self.scratch_b);
            seq.clear();
            seq.extend_from_slice(&cds[first_codon * 3..s0]);
            seq.extend_from_slice(&alt);
            seq.extend_from_slice(&cds[(s0 + rl).min(cds.len())..]);
            seq.extend_from_slice(tail);
            translate_to_stop(code, &seq, &mut alt_aa);
            let mut k = 0;
            loop {
                let r = cds
                    .get((first_codon + k) * 3..(first_codon + k) * 3 + 3)
                    .map(|c| code.translate(c));
                let a = alt_aa.get(k).copied();
                match (r, a) {
                    (Some(r), Some(a)) if r == a && r != b'*' => k += 1,
                    _ => break,
                }
            }
            let pos = first_codon + k + 1 + aa_off;
            let r = cds
                .get((first_codon + k) * 3..(first_codon + k) * 3 + 3)
                .map(|c| code.translate(c))
                .unwrap_or(b'X');
            let a = alt_aa.get(k).copied();
            let _ = write!(e.hgvsp, "{protein}:p.");
            match a {
                _ if start_codon && pos == 1 => {
                    let _ = write!(e.hgvsp, "Met1?");
                }
                Some(b'*') if r != b'*' => {
                    let _ = write!(e.hgvsp, "{}{pos}Ter", three_letter(r));
                }
                Some(a) => {
                    let stop = alt_aa[k..].iter().position(|&x| x == b'*');
                    let n = stop
                        .map(|s| (s + 1).to_string())
                        .unwrap_or_else(|| "?".into());
                    if r == b'*' {
                        let _ = write!(e.hgvsp, "Ter{pos}{}extTer{n}", three_letter(a));
                    } else {
                        let _ = write!(
                            e.hgvsp,
                            "{}{pos}{}fsTer{n}",
                            three_letter(r),
                            three_letter(a)
                        );
                    }
                }
                None => {
                    let _ = write!(e.hgvsp, "{}{pos}fsTer?", three_letter(r));
                }
            }
            bcftools_aa(
                &mut e.bcftools_aa,
                prot_a,
                &ref_aa,
                &alt_aa[..alt_aa.len().min(ref_aa.len().max(1) + 20)],
            );
            self.scratch_b = seq;
        } else {
            translate(&alt_w, &mut alt_aa);
            // trim the peptides
            let (pre, suf) = shared_ends(&ref_aa, &alt_aa);
            let rd = &ref_aa[pre..ref_aa.len() - suf];
            let ad = &alt_aa[pre..alt_aa.len() - suf];
            let ref_stop = ref_aa.contains(&b'*');
            let alt_stop = alt_aa.contains(&b'*');
            if start_codon
                && win_a == 0
                && !(alt_aa.first() == Some(&b'M') && ref_aa.first() == Some(&b'M'))
            {
                cons.insert(C::StartLost);
            } else if start_codon
                && win_a == 0
                && (!rd.is_empty() || !ad.is_empty() || delta != 0)
                && pre == 0
            {
                cons.insert(C::StartRetained);
            }
            if ref_stop && !alt_stop && !coding.end_incomplete {
                cons.insert(C::StopLost);
            } else if ref_stop
                && alt_stop
                && ((rd.is_empty() && ad.is_empty())
                    || (rd.len() == 1 && rd[0] == b'*' && ad.last() == Some(&b'*')))
            {
                cons.insert(C::StopRetained);
            }
            if !ref_stop && alt_stop {
                cons.insert(C::StopGained);
            }
            if delta > 0 {
                cons.insert(C::InframeInsertion);
            } else if delta < 0 {
                cons.insert(C::InframeDeletion);
            } else if rd.is_empty() && ad.is_empty() {
                if !cons.contains(C::StopRetained) && !cons.contains(C::StartRetained) {
                    cons.insert(C::Synonymous);
                }
            } else if !cons.contains(C::StopGained)
                && !cons.contains(C::StopLost)
                && !cons.contains(C::StartLost)
            {
                if rd.len() == 1 && ad.len() == 1 || rd.len() == ad.len() {
                    cons.insert(C::Missense);
                } else {
                    cons.insert(C::ProteinAltering);
                }
            }
            // Amino_acids
            if rd.is_empty() && ad.is_empty() {
                e.amino_acids.push_str(&String::from_utf8_lossy(&ref_aa));
            } else {
                e.amino_acids
                    .push_str(if ref_aa.is_empty() { "-" } else { "" });
                e.amino_acids.push_str(&String::from_utf8_lossy(&ref_aa));
                e.amino_acids.push('/');
                e.amino_acids
                    .push_str(if alt_aa.is_empty() { "-" } else { "" });
                e.amino_acids.push_str(&String::from_utf8_lossy(&alt_aa));
            }
            bcftools_aa(&mut e.bcftools_aa, prot_a, &ref_aa, &alt_aa);
            // HGVS p.
            let _ = write!(e.hgvsp, "{protein}:p.");
            if cons.contains(C::StartLost) {
                e.hgvsp.push_str("Met1?");
            } else if delta == 0 {
                if rd.is_empty() {
                    let pos = first_codon + 1 + aa_off;
                    let aa = ref_aa.first().copied().unwrap_or(b'X');
                    let _ = write!(e.hgvsp, "{}{pos}=", three_letter(aa));
                } else if rd.len() == 1 && ad.len() == 1 {
                    let pos = first_codon + pre + 1 + aa_off;
                    if rd[0] == b'*' {
                        let n = extension(code, tail, &cds[win_b..]);
                        let _ = write!(e.hgvsp, "Ter{pos}{}extTer{n}", three_letter(ad[0]));
                    } else {
                        let _ = write!(
                            e.hgvsp,
                            "{}{pos}{}",
                            three_letter(rd[0]),
                            three_letter(ad[0])
                        );
                    }
                } else {
                    let pos = first_codon + pre + 1 + aa_off;
                    let end = pos + rd.len() - 1;
                    let _ = write!(
                        e.hgvsp,
                        "{}{pos}_{}{end}delins",
                        three_letter(rd[0]),
                        three_letter(rd[rd.len() - 1])
                    );
                    for &a in ad {
                        e.hgvsp.push_str(three_letter(a));
                        if a == b'*' {
                            break;
                        }
                    }
                }
            } else {
                self.hgvsp_indel(e, i, first_codon, s0, rl, &alt);
            }
        }
        self.scratch_a = alt_w;
        self.pep_a = ref_aa;
        self.pep_b = alt_aa;
        self.restore_alt(alt, t.strand);
    }

    /// HGVS p. of an in-frame insertion or deletion: peptides from the
    /// changed codon to the stop, trimmed from the N-terminus first, so the
    /// change sits at its most C-terminal place (the HGVS 3′ rule).
    fn hgvsp_indel(
        &mut self,
        e: &mut Effect,
        i: usize,
        first_codon: usize,
        s0: usize,
        rl: usize,
        alt: &[u8],
    ) {
        let model = self.model;
        let t = &model.transcripts()[i];
        let p = &self.prepared[&i];
        let (c1, c2) = p.cds.expect("coding");
        let cds = &p.cdna[(c1 - 1) as usize..c2 as usize];
        let tail = &p.cdna[c2 as usize..];
        let code = p.code;
        let mut r = Vec::new();
        translate_to_stop(code, &cds[first_codon * 3..], &mut r);
        let mut seq = Vec::with_capacity(cds.len() - first_codon * 3 + alt.len() + tail.len());
        seq.extend_from_slice(&cds[first_codon * 3..s0]);
        seq.extend_from_slice(alt);
        seq.extend_from_slice(&cds[(s0 + rl).min(cds.len())..]);
        seq.extend_from_slice(tail);
        let mut a = Vec::new();
        translate_to_stop(code, &seq, &mut a);
        let (pre, suf) = shared_ends(&r, &a);
        let rd = &r[pre..r.len() - suf];
        let ad = &a[pre..a.len() - suf];
        let base = first_codon + pre; // 0-based protein index of the first changed residue
        let aa_at = |k: usize| -> u8 {
            cds.get(k * 3..k * 3 + 3)
                .map(|c| code.translate(c))
                .unwrap_or(b'X')
        };
        // printed positions as VEP numbers them (see Prepared::cds_offset)
        let o = (p.cds_offset() / 3) as usize;
        let w = &mut e.hgvsp;
        if rd.is_empty() && ad.is_empty() {
            let _ = write!(
                w,
                "{}{}=",
                three_letter(aa_at(first_codon)),
                first_codon + 1 + o
            );
        } else if rd.is_empty() {
            // insertion between base-1 and base; a copy of what precedes is a dup
            let n = ad.len();
            if base >= n && (0..n).all(|k| aa_at(base - n + k) == ad[k]) {
                if n == 1 {
                    let _ = write!(w, "{}{}dup", three_letter(ad[0]), base + o);
                } else {
                    let _ = write!(
                        w,
                        "{}{}_{}{}dup",
                        three_letter(aa_at(base - n)),
                        base - n + 1 + o,
                        three_letter(aa_at(base - 1)),
                        base + o
                    );
                }
            } else if ad.contains(&b'*') && base > 0 {
                let _ = write!(
                    w,
                    "{}{}_{}{}ins",
                    three_letter(aa_at(base - 1)),
                    base + o,
                    three_letter(aa_at(base)),
                    base + 1 + o
                );
                for &x in ad.iter().take_while(|&&x| x != b'*') {
                    w.push_str(three_letter(x));
                }
                w.push_str("Ter");
            } else if base > 0 {
                let _ = write!(
                    w,
                    "{}{}_{}{}ins",
                    three_letter(aa_at(base - 1)),
                    base + o,
                    three_letter(aa_at(base)),
                    base + 1 + o
                );
                for &x in ad {
                    w.push_str(three_letter(x));
                }
            } else {
                w.push('?');
            }
        } else if ad.is_empty() {
            if rd.len() == 1 {
                let _ = write!(w, "{}{}del", three_letter(rd[0]), base + 1 + o);
            } else {
                let _ = write!(
                    w,
                    "{}{}_{}{}del",
                    three_letter(rd[0]),
                    base + 1 + o,
                    three_letter(rd[rd.len() - 1]),
                    base + rd.len() + o
                );
            }
        } else {
            if rd.len() == 1 {
                let _ = write!(w, "{}{}delins", three_letter(rd[0]), base + 1 + o);
            } else {
                let _ = write!(
                    w,
                    "{}{}_{}{}delins",
                    three_letter(rd[0]),
                    base + 1 + o,
                    three_letter(rd[rd.len() - 1]),
                    base + rd.len() + o
                );
            }
            for &x in ad {
                w.push_str(three_letter(x));
            }
        }
        let _ = t;
    }

    fn restore_alt(&mut self, mut alt: Vec<u8>, strand: Strand) {
        if strand == Strand::Reverse {
            reverse_complement(&mut alt);
        }
        self.scratch_alt = alt;
    }

    /// HGVS c./n. of the allele, 3′-shifted within its exon or intron.
    fn hgvsc(&mut self, e: &mut Effect, i: usize, vs: u32, ve: u32) {
        let model = self.model;
        let t = &model.transcripts()[i];
        let p = &self.prepared[&i];
        let insertion = ve < vs;
        let alt = &self.scratch_alt;
        // both ends must be inside the transcript
        let (ga, gb) = if insertion { (ve, vs) } else { (vs, ve) };
        if ga < t.start || gb > t.end {
            return;
        }
        let mut vs = vs;
        let mut ve = ve;
        let mut ins = std::mem::take(&mut self.scratch_ins);
        ins.clear();
        ins.extend_from_slice(alt);
        if ins.is_empty() || insertion {
            // pure deletion or insertion: shift 3′ within the same exon/intron
            let same = |a: u32, b: u32| place(t, a) == place(t, b) && place(t, a) != Place::Outside;
            match t.strand {
                Strand::Forward => loop {
                    if insertion {
                        let next = vs;
                        if ins.is_empty()
                            || p.base(next) != ins[0]
                            || !same(ve, next + 1)
                            || next + 1 > t.end
                        {
                            break;
                        }
                        ins.rotate_left(1);
                        vs += 1;
                        ve += 1;
                    } else {
                        let next = ve + 1;
                        if next > t.end || p.base(next) != p.base(vs) || !same(vs, next) {
                            break;
                        }
                        vs += 1;
                        ve += 1;
                    }
                },
                Strand::Reverse => loop {
                    if insertion {
                        let prev = ve;
                        let last = ins.len().wrapping_sub(1);
                        if ins.is_empty()
                            || p.base(prev) != ins[last]
                            || prev <= t.start
                            || !same(prev - 1, vs)
                        {
                            break;
                        }
                        ins.rotate_right(1);
                        vs -= 1;
                        ve -= 1;
                    } else {
                        let prev = vs - 1;
                        if prev < t.start || p.base(prev) != p.base(ve) || !same(prev, ve) {
                            break;
                        }
                        vs -= 1;
                        ve -= 1;
                    }
                },
            }
        }
        let coding = p.cds.is_some();
        let _ = write!(
            e.hgvsc,
            "{}:{}.",
            t.hgvs_id(),
            if coding { 'c' } else { 'n' }
        );
        let to_tx = |s: &[u8]| -> Vec<u8> {
            let mut v = s.to_vec();
            if t.strand == Strand::Reverse {
                reverse_complement(&mut v);
            }
            v
        };
        // transcript-order ends: first (5′) and last (3′)
        let (g5, g3) = match t.strand {
            Strand::Forward => (vs, ve),
            Strand::Reverse => (ve, vs),
        };
        if insertion {
            let n = ins.len() as u32;
            // a copy of the bases 5′ of the insertion point is a dup
            let (dup_lo, dup_hi) = match t.strand {
                Strand::Forward => (ve + 1 - n.min(ve), ve),
                Strand::Reverse => (vs, vs + n - 1),
            };
            let prev: Vec<u8> = (dup_lo..=dup_hi).map(|g| p.base(g)).collect();
            if n > 0 && prev == ins && dup_lo >= t.start && dup_hi <= t.end {
                let (d5, d3) = match t.strand {
                    Strand::Forward => (dup_lo, dup_hi),
                    Strand::Reverse => (dup_hi, dup_lo),
                };
                pos_c(&mut e.hgvsc, p, t, d5);
                if d5 != d3 {
                    e.hgvsc.push('_');
                    pos_c(&mut e.hgvsc, p, t, d3);
                }
                e.hgvsc.push_str("dup");
            } else {
                // flanks in transcript order
                let (f5, f3) = match t.strand {
                    Strand::Forward => (ve, vs),
                    Strand::Reverse => (vs, ve),
                };
                pos_c(&mut e.hgvsc, p, t, f5);
                e.hgvsc.push('_');
                pos_c(&mut e.hgvsc, p, t, f3);
                e.hgvsc.push_str("ins");
                e.hgvsc.push_str(&String::from_utf8_lossy(&to_tx(&ins)));
            }
            self.scratch_ins = ins;
            return;
        }
        pos_c(&mut e.hgvsc, p, t, g5);
        if g5 != g3 {
            e.hgvsc.push('_');
            pos_c(&mut e.hgvsc, p, t, g3);
        }
        if ins.is_empty() {
            e.hgvsc.push_str("del");
        } else if vs == ve && ins.len() == 1 {
            let r = p.base(vs);
            let (r, a) = match t.strand {
                Strand::Forward => (r, ins[0]),
                Strand::Reverse => (complement(r), complement(ins[0])),
            };
            let _ = write!(e.hgvsc, "{}>{}", r as char, a as char);
        } else {
            e.hgvsc.push_str("delins");
            e.hgvsc.push_str(&String::from_utf8_lossy(&to_tx(&ins)));
        }
        self.scratch_ins = ins;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sequence,
    Deletion,
    Insertion,
    Other,
}

/// The lengths of the longest shared prefix of `a` and `b`, then of the
/// longest shared suffix of what remains (prefix first: a change in a
/// repeat lands at its 3′/C-terminal end, as HGVS wants).
fn shared_ends(a: &[u8], b: &[u8]) -> (usize, usize) {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    (pre, suf)
}

/// Translates `seq` codon by codon into `out` up to and including the
/// first stop (a trailing partial codon is dropped).
fn translate_to_stop(code: Code, seq: &[u8], out: &mut Vec<u8>) {
    out.clear();
    for c in seq.chunks_exact(3) {
        let aa = code.translate(c);
        out.push(aa);
        if aa == b'*' {
            break;
        }
    }
}

/// Adds the transcript-level terms and sets nothing else.
fn finish(e: &mut Effect, t: &Transcript, mut cons: Consequences, coding_tx: bool) {
    if !coding_tx && !cons.is_empty() && !cons.contains(C::NonCodingTranscriptExon) {
        cons.insert(C::NonCodingTranscript);
    }
    if !coding_tx && cons.contains(C::Intron) {
        cons.insert(C::NonCodingTranscript);
    }
    if t.biotype == "nonsense_mediated_decay" {
        cons.insert(C::NmdTranscript);
    }
    if cons.is_empty() {
        cons.insert(if coding_tx {
            C::CodingSequence
        } else {
            C::NonCodingTranscript
        });
    }
    e.consequences = cons;
}

/// The cDNA position (1-based) of genomic `g`, if exonic.
fn cdna_of(p: &Prepared, t: &Transcript, g: u32) -> Option<u32> {
    for &(lo, hi, first) in &p.exons_tx {
        if g >= lo && g <= hi {
            return Some(match t.strand {
                Strand::Forward => first + (g - lo),
                Strand::Reverse => first + (hi - g),
            });
        }
    }
    None
}

fn ordered(a: Option<u32>, b: Option<u32>) -> (Option<u32>, Option<u32>) {
    match (a, b) {
        (Some(x), Some(y)) => (Some(x.min(y)), Some(x.max(y))),
        o => o,
    }
}

fn write_range(out: &mut String, a: Option<u32>, b: Option<u32>) {
    let f = |x: Option<u32>| x.map(|x| x.to_string()).unwrap_or_else(|| "?".into());
    if a == b {
        out.push_str(&f(a));
    } else {
        let _ = write!(out, "{}-{}", f(a), f(b));
    }
}

fn write_range_i(out: &mut String, a: i64, b: i64) {
    if a == b {
        let _ = write!(out, "{a}");
    } else {
        let _ = write!(out, "{a}-{b}");
    }
}

/// Codons from the end of the CDS to the first stop of the 3′ UTR (for
/// `extTer`), `?` when none.
fn extension(code: Code, tail: &[u8], _rest: &[u8]) -> String {
    for (k, c) in tail.chunks(3).enumerate() {
        if c.len() == 3 && code.translate(c) == b'*' {
            return (k + 1).to_string();
        }
    }
    "?".into()
}

/// bcftools csq's protein notation: `600V>600E`, `4G` (synonymous).
fn bcftools_aa(out: &mut String, pos: usize, r: &[u8], a: &[u8]) {
    let r = String::from_utf8_lossy(r);
    let a = String::from_utf8_lossy(a);
    if r == a {
        let _ = write!(out, "{pos}{r}");
    } else {
        let _ = write!(out, "{pos}{r}>{pos}{a}");
    }
}

/// Writes the c./n. coordinate of genomic `g`: `1799`, `-12`, `*30`,
/// `100+5`, `101-2`.
fn pos_c(out: &mut String, p: &Prepared, t: &Transcript, g: u32) {
    let c_of = |x: u32, out: &mut String| match p.cds {
        Some((c1, c2)) => {
            // a CDS starting mid-codon: its first bases are the end of
            // Ensembl's N-padded codon 1 (c.2, c.3), the first whole codon c.4
            let first = c1 - p.lead;
            if x < first {
                let _ = write!(out, "-{}", first - x);
            } else if x > c2 {
                let _ = write!(out, "*{}", x - c2);
            } else {
                let _ = write!(out, "{}", x + p.cds_offset() + 1 - c1);
            }
        }
        None => {
            let _ = write!(out, "{x}");
        }
    };
    if let Some(x) = cdna_of(p, t, g) {
        c_of(x, out);
        return;
    }
    // intronic: nearest exon boundary in transcript order
    match place(t, g) {
        Place::Intron(k) => {
            let (lo_exon_end, hi_exon_start) = (t.exons[k].1, t.exons[k + 1].0);
            let (d_lo, d_hi) = (g - lo_exon_end, hi_exon_start - g);
            let (anchor, d, after) = match t.strand {
                // 5′ exon is the lower one
                Strand::Forward => {
                    if d_lo <= d_hi {
                        (lo_exon_end, d_lo, true)
                    } else {
                        (hi_exon_start, d_hi, false)
                    }
                }
                Strand::Reverse => {
                    if d_hi <= d_lo {
                        (hi_exon_start, d_hi, true)
                    } else {
                        (lo_exon_end, d_lo, false)
                    }
                }
            };
            if let Some(x) = cdna_of(p, t, anchor) {
                c_of(x, out);
                let _ = write!(out, "{}{d}", if after { '+' } else { '-' });
            }
        }
        _ => out.push('?'),
    }
}
