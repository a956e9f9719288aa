//! The comparison, contig by contig:
//!
//! 1. every call is put in its shortest form and its indel shifted as far
//!    left as the known reference bases allow (vt/bcftools norm);
//! 2. calls with the same normalised allele and the same number of copies
//!    match at once;
//! 3. what is left is grouped into loci (calls closer than the window), and
//!    in each locus the largest sets of truth and query calls whose two
//!    haplotypes spell the same sequences are matched (every phasing of
//!    the heterozygous calls is tried, as vcfeval does), so a complex
//!    allele matches its decomposed pieces and a shifted or split indel
//!    its other spelling;
//! 4. among the calls still unmatched, those that match when genotypes are
//!    ignored are genotype errors (`fp_gt`): the query call a false
//!    positive, the truth call a false negative, as hap.py counts them.
//!
//! Reference bases between the calls come from the FASTA when given; else
//! only from the REF alleles of the two files, and a base neither spells
//! is a placeholder that matches only itself (the locus is then
//! `unresolved` when it stays unmatched).

use std::collections::HashMap;
use std::path::Path;

use crate::bases::{Bases, Fasta};
use crate::calls::{self, CallSet, Contig, Primitive};
use crate::error::EvaluateError;
use crate::metrics::{Filter, IndelClass, Tally, VariantType};
use crate::regions::{self, Regions};
use crate::{BaseSource, CallSet as SideSummary, Options, Report};

/// Most calls per side a locus may hold to be compared haplotype by
/// haplotype (2^n subsets × phasings are tried).
const MAX_LOCUS_CALLS: usize = 8;

pub(crate) fn run(
    truth_path: &Path,
    query_path: &Path,
    options: &Options,
) -> Result<Report, EvaluateError> {
    let (truth, query) = std::thread::scope(|s| {
        let t = s.spawn(|| calls::read(truth_path, options.truth_sample.as_deref()));
        let q = calls::read(query_path, options.query_sample.as_deref());
        (t.join().expect("reader thread"), q)
    });
    let (truth, query) = (truth?, query?);
    let mut notes = Vec::new();
    let regions = match &options.regions {
        Some(p) => {
            let (r, n) = Regions::read(p)?;
            notes.extend(n);
            Some((p.as_path(), r))
        }
        None => None,
    };
    let mut fasta = options.reference.as_deref().map(Fasta::open).transpose()?;
    check_assembly(&truth, &query, regions.as_ref(), fasta.as_ref())?;

    let mut names: Vec<&str> = truth.contigs.iter().map(|c| c.name.as_str()).collect();
    for c in &query.contigs {
        if !names.contains(&c.name.as_str()) {
            names.push(&c.name);
        }
    }
    let mut acc = Acc::default();
    for name in names {
        let (tc, qc) = (truth.contig(name), query.contig(name));
        let bases = match (&mut fasta, &options.reference) {
            (Some(f), Some(path)) => {
                let b = Bases::Full(f.load(name)?);
                if let Some(c) = tc {
                    b.check(truth_path, c, path)?;
                }
                if let Some(c) = qc {
                    b.check(query_path, c, path)?;
                }
                b
            }
            _ => Bases::from_alleles(name, (truth_path, tc), (query_path, qc))?,
        };
        let intervals = regions.as_ref().map(|(_, r)| r.of(name));
        evaluate_contig(tc, qc, &bases, intervals, options.window, &mut acc);
    }
    if let Some((p, r)) = &regions {
        notes.push(format!(
            "{}: {} bases in confident regions; {} query call(s) outside them counted as unk",
            p.display(),
            r.bases(),
            acc.outside_query
        ));
    }
    if acc.capped > 0 {
        notes.push(format!(
            "{} locus/loci held more than {MAX_LOCUS_CALLS} unmatched calls on one side and were compared allele by allele only",
            acc.capped
        ));
    }
    if fasta.is_none() && acc.unresolved > 0 {
        notes.push(format!(
            "{} locus/loci left unmatched touch reference bases neither file carries; give --reference to compare their haplotypes in full",
            acc.unresolved
        ));
    }
    let side = |s: &CallSet| SideSummary {
        path: s.path.display().to_string(),
        sample: s.sample.clone(),
        records: s.records,
        skipped: s.skipped,
    };
    let mut summary = Vec::new();
    for t in [VariantType::Indel, VariantType::Snp] {
        for f in [Filter::All, Filter::Pass] {
            summary.push(acc.tally[type_index(t)][filter_index(f)].row(t, f));
        }
    }
    let mut indel_sizes = Vec::new();
    for f in [Filter::All, Filter::Pass] {
        for (k, c) in IndelClass::ALL.iter().enumerate() {
            indel_sizes.push(acc.sizes[k][filter_index(f)].size_row(*c, f));
        }
    }
    Ok(Report {
        truth: side(&truth),
        query: side(&query),
        summary,
        indel_sizes,
        base_source: if fasta.is_some() {
            BaseSource::Reference
        } else {
            BaseSource::RefAlleles
        },
        unresolved_loci: acc.unresolved,
        capped_loci: acc.capped,
        notes,
    })
}

fn type_index(t: VariantType) -> usize {
    match t {
        VariantType::Snp => 0,
        VariantType::Indel => 1,
    }
}

fn filter_index(f: Filter) -> usize {
    match f {
        Filter::All => 0,
        Filter::Pass => 1,
    }
}

/// Refuses truth and query (and regions, reference) that do not describe
/// the same assembly with the same contig names.
fn check_assembly(
    truth: &CallSet,
    query: &CallSet,
    regions: Option<&(&Path, Regions)>,
    fasta: Option<&Fasta>,
) -> Result<(), EvaluateError> {
    let mismatch = |detail: String| Err(EvaluateError::AssemblyMismatch { detail });
    for (name, tlen) in &truth.declared {
        if let Some((_, qlen)) = query.declared.iter().find(|(n, _)| n == name)
            && let (Some(a), Some(b)) = (tlen, qlen)
            && a != b
        {
            return mismatch(format!(
                "contig {name} is {a} bp in {} but {b} bp in {}",
                truth.path.display(),
                query.path.display()
            ));
        }
    }
    let used = |s: &CallSet| -> Vec<String> { s.contigs.iter().map(|c| c.name.clone()).collect() };
    let (tu, qu) = (used(truth), used(query));
    if !tu.is_empty() && !qu.is_empty() && !tu.iter().any(|n| qu.contains(n)) {
        return mismatch(format!(
            "{} has calls on {} but {} on {}; no contig name is shared (e.g. chr21 vs 21)",
            truth.path.display(),
            shorten(&tu),
            query.path.display(),
            shorten(&qu)
        ));
    }
    if let Some((path, r)) = regions {
        let rc: Vec<String> = r.contigs().map(str::to_string).collect();
        if !tu.is_empty() && !tu.iter().any(|n| rc.contains(n)) {
            return mismatch(format!(
                "{} names contigs {} but {} has calls on {}",
                path.display(),
                shorten(&rc),
                truth.path.display(),
                shorten(&tu)
            ));
        }
    }
    if let Some(f) = fasta {
        let fc = f.contigs();
        for (s, used) in [(truth, &tu), (query, &qu)] {
            for n in used {
                let Some((_, flen)) = fc.iter().find(|(c, _)| c == n) else {
                    let names: Vec<String> = fc.iter().map(|(c, _)| c.clone()).collect();
                    return mismatch(format!(
                        "{} has calls on {n}, which the reference does not have (it has {})",
                        s.path.display(),
                        shorten(&names)
                    ));
                };
                if let Some((_, Some(dlen))) = s.declared.iter().find(|(c, _)| c == n)
                    && *dlen as u64 != *flen
                {
                    return mismatch(format!(
                        "contig {n} is {dlen} bp in {} but {flen} bp in the reference",
                        s.path.display()
                    ));
                }
            }
        }
    }
    Ok(())
}

fn shorten(names: &[String]) -> String {
    let mut s: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
    if names.len() > 5 {
        s.push("…");
    }
    s.join(", ")
}

#[derive(Default)]
struct Acc {
    /// [SNP, INDEL] × [ALL, PASS]
    tally: [[Tally; 2]; 2],
    /// size class × [ALL, PASS]
    sizes: [[Tally; 2]; 6],
    unresolved: u64,
    capped: u64,
    outside_query: u64,
}

/// A call in normalised form; its alleles live in an arena.
#[derive(Debug, Clone, Copy)]
struct Norm {
    start: u32,
    off: u32,
    ref_len: u32,
    alt_len: u32,
    copies: u8,
    pass: bool,
    conf: bool,
}

impl Norm {
    fn end(&self) -> u32 {
        self.start + self.ref_len
    }
}

struct Side {
    norm: Vec<Norm>,
    arena: Vec<u8>,
}

impl Side {
    fn alleles(&self, n: &Norm) -> (&[u8], &[u8]) {
        let o = n.off as usize;
        let r = n.ref_len as usize;
        (
            &self.arena[o..o + r],
            &self.arena[o + r..o + r + n.alt_len as usize],
        )
    }
}

fn normalise(contig: Option<&Contig>, bases: &Bases, intervals: Option<&[(u32, u32)]>) -> Side {
    let mut side = Side {
        norm: Vec::new(),
        arena: Vec::new(),
    };
    let Some(c) = contig else { return side };
    side.norm.reserve(c.calls.len());
    let mut buf = Vec::new();
    for call in &c.calls {
        let r = c.bytes(call.ref_off, call.ref_len);
        let a = c.bytes(call.alt_off, call.alt_len);
        let mut start = call.start;
        let off = side.arena.len() as u32;
        if (r.is_empty()) != (a.is_empty()) {
            buf.clear();
            buf.extend_from_slice(if r.is_empty() { a } else { r });
            while start > 0 {
                match bases.get(start - 1) {
                    Some(b) if Some(&b) == buf.last() => {
                        buf.rotate_right(1);
                        start -= 1;
                    }
                    _ => break,
                }
            }
            // a deletion's REF or an insertion's ALT: the other is empty
            side.arena.extend_from_slice(&buf);
        } else {
            side.arena.extend_from_slice(r);
            side.arena.extend_from_slice(a);
        }
        let conf = intervals.is_none_or(|iv| regions::contains(iv, call.record_pos));
        side.norm.push(Norm {
            start,
            off,
            ref_len: call.ref_len,
            alt_len: call.alt_len,
            copies: call.copies,
            pass: call.pass,
            conf,
        });
    }
    side
}

fn evaluate_contig(
    truth: Option<&Contig>,
    query: Option<&Contig>,
    bases: &Bases,
    intervals: Option<&[(u32, u32)]>,
    window: u32,
    acc: &mut Acc,
) {
    let t = normalise(truth, bases, intervals);
    let q = normalise(query, bases, intervals);
    // truth calls outside the confident regions are not evaluated
    let t_in: Vec<usize> = (0..t.norm.len())
        .filter(|&i| t.norm[i].conf && t.norm[i].pass)
        .collect();
    let mut prims = Vec::new();
    for filter in [Filter::All, Filter::Pass] {
        let q_in: Vec<usize> = (0..q.norm.len())
            .filter(|&i| q.norm[i].conf && (filter == Filter::All || q.norm[i].pass))
            .collect();
        let mut tm = vec![false; t.norm.len()];
        let mut qm = vec![false; q.norm.len()];
        let mut qgt = vec![false; q.norm.len()];
        exact(&t, &q, &t_in, &q_in, &mut tm, &mut qm, false);
        let (unres, capped) = loci(&t, &q, &t_in, &q_in, bases, window, &mut tm, &mut qm, false);
        // genotype errors: alleles that match once genotypes are ignored
        let mut tm2 = tm.clone();
        let mut qm2 = qm.clone();
        exact(&t, &q, &t_in, &q_in, &mut tm2, &mut qm2, true);
        let (unres2, _) = loci(
            &t, &q, &t_in, &q_in, bases, window, &mut tm2, &mut qm2, true,
        );
        for i in 0..q.norm.len() {
            qgt[i] = qm2[i] && !qm[i];
        }
        if filter == Filter::All {
            acc.unresolved += unres.min(unres2);
            acc.capped += capped;
        }
        // count, record by record as hap.py does
        if let Some(c) = truth {
            count(c, &t, filter, Role::Truth, &tm, &[], acc, &mut prims);
        }
        if let Some(c) = query {
            count(c, &q, filter, Role::Query, &qm, &qgt, acc, &mut prims);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Truth,
    Query,
}

/// One counted variant: a record's called alleles (or, for a query record
/// with one MNP or complex allele, each of its decomposed pieces).
struct Counted {
    indel: Option<i64>,
    ti: u64,
    tv: u64,
    /// 0 het, 1 hom, 2 het-alt
    genotype: u8,
}

#[allow(clippy::too_many_arguments)]
fn count(
    c: &Contig,
    side: &Side,
    filter: Filter,
    role: Role,
    matched: &[bool],
    gt_only: &[bool],
    acc: &mut Acc,
    prims: &mut Vec<Primitive>,
) {
    let fi = filter_index(filter);
    let mut counted: Vec<Counted> = Vec::new();
    let mut k = 0;
    while k < c.calls.len() {
        let record = c.calls[k].record;
        let mut e = k + 1;
        while e < c.calls.len() && c.calls[e].record == record {
            e += 1;
        }
        let group = k..e;
        k = e;
        let first = &side.norm[group.start];
        let in_scope = match role {
            Role::Truth => first.conf && first.pass,
            Role::Query => filter == Filter::All || first.pass,
        };
        if !in_scope {
            continue;
        }
        let unk = role == Role::Query && !first.conf;
        if role == Role::Query && filter == Filter::All && unk {
            acc.outside_query += 1;
        }
        let tp = group.clone().all(|i| matched[i]);
        let gt = !tp && role == Role::Query && group.clone().all(|i| matched[i] || gt_only[i]);
        counted.clear();
        let het_alt = group.len() > 1;
        let mut snp_only = true;
        let (mut ti, mut tv, mut indel) = (0, 0, None);
        let mut pieces: Vec<Counted> = Vec::new();
        for i in group.clone() {
            let call = &c.calls[i];
            calls::primitives(
                c.bytes(call.ref_off, call.ref_len),
                c.bytes(call.alt_off, call.alt_len),
                prims,
            );
            let genotype = u8::from(side.norm[i].copies == 2);
            if role == Role::Query && !het_alt && prims.len() > 1 {
                pieces.extend(prims.iter().map(|p| match p {
                    Primitive::Snp { transition } => Counted {
                        indel: None,
                        ti: u64::from(*transition),
                        tv: u64::from(!*transition),
                        genotype,
                    },
                    Primitive::Indel { delta } => Counted {
                        indel: Some(*delta),
                        ti: 0,
                        tv: 0,
                        genotype,
                    },
                }));
                continue;
            }
            for p in prims.iter() {
                match p {
                    Primitive::Snp { transition: true } => ti += 1,
                    Primitive::Snp { transition: false } => tv += 1,
                    Primitive::Indel { delta } => {
                        snp_only = false;
                        indel.get_or_insert(*delta);
                    }
                }
            }
        }
        if pieces.is_empty() {
            let genotype = if het_alt {
                2
            } else {
                u8::from(side.norm[group.start].copies == 2)
            };
            pieces.push(Counted {
                indel: if snp_only {
                    None
                } else {
                    Some(indel.unwrap_or(0))
                },
                ti: if snp_only { ti } else { 0 },
                tv: if snp_only { tv } else { 0 },
                genotype,
            });
        }
        for v in &pieces {
            for tl in targets(acc, v.indel, fi) {
                match role {
                    Role::Truth => {
                        tl.truth_total += 1;
                        tl.truth_tp += u64::from(tp);
                        tl.truth_ti += v.ti;
                        tl.truth_tv += v.tv;
                        tl.truth_het += u64::from(v.genotype == 0);
                        tl.truth_hom += u64::from(v.genotype == 1);
                    }
                    Role::Query => {
                        tl.query_total += 1;
                        if unk {
                            tl.unk += 1;
                        } else if tp {
                            tl.query_tp += 1;
                        } else {
                            tl.fp += 1;
                            tl.fp_gt += u64::from(gt);
                        }
                        tl.query_ti += v.ti;
                        tl.query_tv += v.tv;
                        tl.query_het += u64::from(v.genotype == 0);
                        tl.query_hom += u64::from(v.genotype == 1);
                    }
                }
            }
        }
    }
}

/// The tallies a counted variant adds to: its type's, and for an indel its
/// size class's.
fn targets(acc: &mut Acc, indel: Option<i64>, fi: usize) -> impl Iterator<Item = &mut Tally> {
    let (by_type, by_size) = (&mut acc.tally, &mut acc.sizes);
    match indel {
        None => vec![&mut by_type[0][fi]].into_iter(),
        Some(delta) => {
            let k = IndelClass::ALL
                .iter()
                .position(|c| *c == IndelClass::of(delta))
                .expect("a class");
            vec![&mut by_type[1][fi], &mut by_size[k][fi]].into_iter()
        }
    }
}

/// Matches calls with the same normalised allele (and, unless
/// `squash`, the same number of copies).
fn exact(
    t: &Side,
    q: &Side,
    t_in: &[usize],
    q_in: &[usize],
    tm: &mut [bool],
    qm: &mut [bool],
    squash: bool,
) {
    fn key(s: &Side, i: usize) -> (u32, &[u8], &[u8]) {
        let n = &s.norm[i];
        let (r, a) = s.alleles(n);
        (n.start, r, a)
    }
    let mut ti: Vec<usize> = t_in.iter().copied().filter(|&i| !tm[i]).collect();
    let mut qi: Vec<usize> = q_in.iter().copied().filter(|&i| !qm[i]).collect();
    // calls arrive sorted by record position; normalisation can reorder
    ti.sort_by(|&a, &b| key(t, a).cmp(&key(t, b)));
    qi.sort_by(|&a, &b| key(q, a).cmp(&key(q, b)));
    let (mut x, mut y) = (0, 0);
    while x < ti.len() && y < qi.len() {
        let (kt, kq) = (key(t, ti[x]), key(q, qi[y]));
        match kt.cmp(&kq) {
            std::cmp::Ordering::Less => x += 1,
            std::cmp::Ordering::Greater => y += 1,
            std::cmp::Ordering::Equal => {
                // the runs of this key on both sides
                let xe = (x..ti.len())
                    .find(|&k| key(t, ti[k]) != kt)
                    .unwrap_or(ti.len());
                let ye = (y..qi.len())
                    .find(|&k| key(q, qi[k]) != kq)
                    .unwrap_or(qi.len());
                for &a in &ti[x..xe] {
                    if let Some(&b) = qi[y..ye]
                        .iter()
                        .find(|&&b| !qm[b] && (squash || q.norm[b].copies == t.norm[a].copies))
                    {
                        tm[a] = true;
                        qm[b] = true;
                    }
                }
                x = xe;
                y = ye;
            }
        }
    }
}

/// Groups the unmatched calls into loci and matches haplotypes in each.
/// Returns (loci left partly unmatched that touch unknown bases, loci too
/// large).
#[allow(clippy::too_many_arguments)]
fn loci(
    t: &Side,
    q: &Side,
    t_in: &[usize],
    q_in: &[usize],
    bases: &Bases,
    window: u32,
    tm: &mut [bool],
    qm: &mut [bool],
    squash: bool,
) -> (u64, u64) {
    // (start, end, side 0 truth / 1 query, index)
    let mut items: Vec<(u32, u32, u8, usize)> = Vec::new();
    items.extend(
        t_in.iter()
            .filter(|&&i| !tm[i])
            .map(|&i| (t.norm[i].start, t.norm[i].end(), 0, i)),
    );
    items.extend(
        q_in.iter()
            .filter(|&&i| !qm[i])
            .map(|&i| (q.norm[i].start, q.norm[i].end(), 1, i)),
    );
    items.sort_unstable();
    let (mut unresolved, mut capped) = (0, 0);
    let mut k = 0;
    while k < items.len() {
        let mut end = items[k].1;
        let mut e = k + 1;
        while e < items.len() && items[e].0 <= end.saturating_add(window) {
            end = end.max(items[e].1);
            e += 1;
        }
        let group = &items[k..e];
        k = e;
        let ti: Vec<usize> = group.iter().filter(|g| g.2 == 0).map(|g| g.3).collect();
        let qi: Vec<usize> = group.iter().filter(|g| g.2 == 1).map(|g| g.3).collect();
        if ti.is_empty() || qi.is_empty() {
            continue;
        }
        if ti.len() > MAX_LOCUS_CALLS || qi.len() > MAX_LOCUS_CALLS {
            capped += 1;
            continue;
        }
        let ws = group.iter().map(|g| g.0).min().expect("non-empty");
        let we = group.iter().map(|g| g.1).max().expect("non-empty").max(ws);
        let tokens: Vec<u32> = (ws..we)
            .map(|p| bases.get(p).map_or(256 + (p - ws), u32::from))
            .collect();
        let unknown = tokens.iter().any(|&x| x >= 256);
        let tv: Vec<&Norm> = ti.iter().map(|&i| &t.norm[i]).collect();
        let qv: Vec<&Norm> = qi.iter().map(|&i| &q.norm[i]).collect();
        let (tmask, qmask) = best_match(t, &tv, q, &qv, ws, &tokens, squash);
        for (j, &i) in ti.iter().enumerate() {
            tm[i] |= tmask >> j & 1 == 1;
        }
        for (j, &i) in qi.iter().enumerate() {
            qm[i] |= qmask >> j & 1 == 1;
        }
        let all =
            tmask.count_ones() as usize == ti.len() && qmask.count_ones() as usize == qi.len();
        if unknown && !all {
            unresolved += 1;
        }
    }
    (unresolved, capped)
}

type Haps = (Vec<u32>, Vec<u32>);

/// Every (subset, phasing) of one side's calls: the pair of haplotype
/// sequences it spells, with the largest subset spelling it.
fn spellings(
    side: &Side,
    calls: &[&Norm],
    ws: u32,
    tokens: &[u32],
    squash: bool,
) -> HashMap<Haps, u32> {
    let mut out: HashMap<Haps, u32> = HashMap::new();
    let n = calls.len();
    for mask in 0u32..(1 << n) {
        let chosen: Vec<usize> = (0..n).filter(|&j| mask >> j & 1 == 1).collect();
        let hets: Vec<usize> = chosen
            .iter()
            .copied()
            .filter(|&j| !squash && calls[j].copies == 1)
            .collect();
        let phasings: u32 = if hets.is_empty() {
            1
        } else {
            1 << (hets.len() - 1)
        };
        for phase in 0..phasings {
            let mut on: [Vec<usize>; 2] = [Vec::new(), Vec::new()];
            for &j in &chosen {
                match hets.iter().position(|&h| h == j) {
                    // the first het is fixed on haplotype 0: swapping both
                    // haplotypes spells the same pair
                    Some(0) => on[0].push(j),
                    Some(p) => on[(phase >> (p - 1) & 1) as usize].push(j),
                    None => {
                        on[0].push(j);
                        on[1].push(j);
                    }
                }
            }
            let (Some(a), Some(b)) = (
                spell(side, calls, &on[0], ws, tokens),
                spell(side, calls, &on[1], ws, tokens),
            ) else {
                continue;
            };
            let key = if a <= b { (a, b) } else { (b, a) };
            let count = mask.count_ones();
            let best = out.entry(key).or_insert(mask);
            if count > best.count_ones() {
                *best = mask;
            }
        }
    }
    out
}

/// The haplotype spelled by `chosen` over the window, or `None` when two of
/// them overlap.
fn spell(
    side: &Side,
    calls: &[&Norm],
    chosen: &[usize],
    ws: u32,
    tokens: &[u32],
) -> Option<Vec<u32>> {
    let mut v: Vec<&Norm> = chosen.iter().map(|&j| calls[j]).collect();
    v.sort_by_key(|n| (n.start, n.end()));
    let mut out = Vec::with_capacity(tokens.len() + 8);
    let mut pos = ws;
    let mut last_insertion: Option<u32> = None;
    for n in v {
        if n.start < pos {
            return None;
        }
        if n.ref_len == 0 {
            if last_insertion == Some(n.start) && pos == n.start {
                return None;
            }
            last_insertion = Some(n.start);
        }
        out.extend_from_slice(&tokens[(pos - ws) as usize..(n.start - ws) as usize]);
        let (_, alt) = side.alleles(n);
        out.extend(alt.iter().map(|&b| u32::from(b)));
        pos = n.end();
    }
    out.extend_from_slice(&tokens[(pos - ws) as usize..]);
    Some(out)
}

/// The truth and query subsets (bit masks) that spell the same pair of
/// haplotypes with the most calls in all.
fn best_match(
    t: &Side,
    tv: &[&Norm],
    q: &Side,
    qv: &[&Norm],
    ws: u32,
    tokens: &[u32],
    squash: bool,
) -> (u32, u32) {
    let ts = spellings(t, tv, ws, tokens, squash);
    let qs = spellings(q, qv, ws, tokens, squash);
    let mut best = (0u32, 0u32);
    let mut score = 0;
    for (haps, &tmask) in &ts {
        if let Some(&qmask) = qs.get(haps) {
            let s = tmask.count_ones() + qmask.count_ones();
            if s > score || s == score && s > 0 && tmask.count_ones() > best.0.count_ones() {
                score = s;
                best = (tmask, qmask);
            }
        }
    }
    best
}
