//! All pairs of a cohort, or a new batch against the cohort (not the cohort
//! against itself again): popcounts over only the words of the planes that
//! any sample has called (a chr20 cohort uses 10 of the panel's 372 words),
//! split over threads, rows handed back in blocks as they are done.

use std::sync::mpsc;

use crate::compare::PairCounts;
use crate::fingerprint::Fingerprint;

/// One pair's counts (indices into the fingerprint slice, `i < j`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub i: u32,
    pub j: u32,
    pub counts: PairCounts,
}

/// The words of the planes called in at least one fingerprint.
pub fn active_words(fps: &[Fingerprint]) -> Vec<u32> {
    let n = fps.iter().map(|f| f.called.len()).max().unwrap_or(0);
    (0..n)
        .filter(|&k| fps.iter().any(|f| f.called.get(k).is_some_and(|w| *w != 0)))
        .map(|k| k as u32)
        .collect()
}

/// The planes of a cohort over its active words, one contiguous array per
/// plane (sample-major), with what a pair of complete samples needs
/// precomputed: most cohorts are called at every active site, and then a
/// pair costs three popcounts a word instead of six.
struct Packed {
    w: usize,
    c: Vec<u64>,
    h: Vec<u64>,
    b: Vec<u64>,
    a: Vec<u64>,
    /// Called at every site any sample is called at.
    complete: Vec<bool>,
    n_called: Vec<u32>,
    n_het: Vec<u32>,
}

impl Packed {
    fn new(fps: &[Fingerprint], words: &[u32]) -> Self {
        let w = words.len();
        let n = fps.len();
        let mut p = Packed {
            w,
            c: Vec::with_capacity(n * w),
            h: Vec::with_capacity(n * w),
            b: Vec::with_capacity(n * w),
            a: Vec::with_capacity(n * w),
            complete: Vec::with_capacity(n),
            n_called: Vec::with_capacity(n),
            n_het: Vec::with_capacity(n),
        };
        let mut union = vec![0u64; w];
        for f in fps {
            for (k, &word) in words.iter().enumerate() {
                union[k] |= f.called.get(word as usize).copied().unwrap_or(0);
            }
        }
        for f in fps {
            let (mut called, mut het, mut complete) = (0, 0, true);
            for (k, &word) in words.iter().enumerate() {
                let get = |v: &Vec<u64>| v.get(word as usize).copied().unwrap_or(0);
                let (c, h, b) = (get(&f.called), get(&f.het), get(&f.hom_b));
                p.c.push(c);
                p.h.push(h);
                p.b.push(b);
                p.a.push(c & !h & !b);
                called += c.count_ones();
                het += h.count_ones();
                complete &= c == union[k];
            }
            p.complete.push(complete);
            p.n_called.push(called);
            p.n_het.push(het);
        }
        p
    }

    fn counts(&self, i: usize, j: usize) -> PairCounts {
        let (wi, wj) = (i * self.w, j * self.w);
        let w = self.w;
        fn r(v: &[u64], o: usize, w: usize) -> &[u64] {
            &v[o..o + w]
        }
        let (hi, hj, bi, bj, ai, aj) = (
            r(&self.h, wi, w),
            r(&self.h, wj, w),
            r(&self.b, wi, w),
            r(&self.b, wj, w),
            r(&self.a, wi, w),
            r(&self.a, wj, w),
        );
        if self.complete[i] && self.complete[j] {
            let (hh, i0, diff) = complete_pair(hi, hj, bi, bj, ai, aj);
            let n = self.n_called[i];
            return PairCounts {
                n,
                concordant: n - diff,
                ibs0: i0,
                het_het: hh,
                het_a: self.n_het[i],
                het_b: self.n_het[j],
            };
        }
        let (ci, cj) = (r(&self.c, wi, w), r(&self.c, wj, w));
        any_pair([ci, cj, hi, hj, bi, bj, ai, aj])
    }
}

// The kernels are compiled for CPUs with a popcount instruction as well as
// for the baseline, and picked at run time (multiversion): the baseline
// x86-64 has none, and a software popcount is 4–8× slower.

/// Het-het, IBS0 and differing sites of two samples called everywhere.
#[multiversion::multiversion(targets("x86_64+popcnt+avx2", "x86_64+popcnt", "aarch64+neon"))]
fn complete_pair(
    hi: &[u64],
    hj: &[u64],
    bi: &[u64],
    bj: &[u64],
    ai: &[u64],
    aj: &[u64],
) -> (u32, u32, u32) {
    let (mut hh, mut i0, mut diff) = (0u32, 0u32, 0u32);
    for k in 0..hi.len() {
        hh += (hi[k] & hj[k]).count_ones();
        i0 += ((bi[k] & aj[k]) | (ai[k] & bj[k])).count_ones();
        diff += ((hi[k] ^ hj[k]) | (bi[k] ^ bj[k])).count_ones();
    }
    (hh, i0, diff)
}

/// All counts of a pair with missing calls.
#[multiversion::multiversion(targets("x86_64+popcnt+avx2", "x86_64+popcnt", "aarch64+neon"))]
fn any_pair(p: [&[u64]; 8]) -> PairCounts {
    let [ci, cj, hi, hj, bi, bj, ai, aj] = p;
    let mut out = PairCounts::default();
    for k in 0..ci.len() {
        let both = ci[k] & cj[k];
        out.n += both.count_ones();
        out.het_het += (hi[k] & hj[k]).count_ones();
        out.ibs0 += ((bi[k] & aj[k]) | (ai[k] & bj[k])).count_ones();
        out.het_a += (hi[k] & cj[k]).count_ones();
        out.het_b += (hj[k] & ci[k]).count_ones();
        out.concordant += (both & !((hi[k] ^ hj[k]) | (bi[k] ^ bj[k]))).count_ones();
    }
    out
}

/// Calls `sink` with blocks of pairs `(i, j)`, `i < j`, `j ≥ new_from`:
/// every pair when `new_from` is 0, else each fingerprint from `new_from`
/// on against all before it and among themselves. `keep` drops pairs
/// before they are sent (e.g. keep only related ones). Uses `threads`
/// threads (at least 1).
pub fn pairs(
    fps: &[Fingerprint],
    new_from: usize,
    threads: usize,
    keep: impl Fn(&Pair) -> bool + Sync,
    sink: impl FnMut(Vec<Pair>),
) {
    pairs_with(fps, new_from, threads, keep, |block| block, sink);
}

/// As [`pairs`], with each block turned into `T` by `map` on the worker
/// thread that counted it.
pub fn pairs_with<T: Send>(
    fps: &[Fingerprint],
    new_from: usize,
    threads: usize,
    keep: impl Fn(&Pair) -> bool + Sync,
    map: impl Fn(Vec<Pair>) -> T + Sync,
    sink: impl FnMut(T),
) {
    drive(
        fps,
        new_from,
        threads,
        Vec::new,
        |out: &mut Vec<Pair>, p| {
            if keep(&p) {
                out.push(p);
            }
        },
        |out| (!out.is_empty()).then(|| map(out)),
        sink,
    );
}

/// As [`pairs`], but each pair goes straight into an accumulator of the
/// worker thread that counted it (`add`, e.g. formatting a table row into
/// a byte buffer), and `sink` gets the accumulators block by block: no
/// pair is stored (the 12.5 million pairs of 5,000 samples would be
/// 350 MB), so writing a whole cohort's table costs its formatting only.
pub fn pairs_fold<A: Send>(
    fps: &[Fingerprint],
    new_from: usize,
    threads: usize,
    new_acc: impl Fn() -> A + Sync,
    add: impl Fn(&mut A, Pair) + Sync,
    sink: impl FnMut(A),
) {
    drive(fps, new_from, threads, new_acc, add, Some, sink);
}

/// The worker loop behind [`pairs`], [`pairs_with`] and [`pairs_fold`].
fn drive<A, T: Send>(
    fps: &[Fingerprint],
    new_from: usize,
    threads: usize,
    new_acc: impl Fn() -> A + Sync,
    add: impl Fn(&mut A, Pair) + Sync,
    finish: impl Fn(A) -> Option<T> + Sync,
    mut sink: impl FnMut(T),
) {
    let words = active_words(fps);
    let packed = Packed::new(fps, &words);
    let n = fps.len();
    let threads = threads.max(1);
    // rows j (the later sample of each pair) dealt out round-robin in
    // blocks, so threads get similar work (row j has j pairs)
    const BLOCK: usize = 16;
    const ITILE: usize = 32;
    let (tx, rx) = mpsc::sync_channel::<T>(threads * 4);
    std::thread::scope(|s| {
        for t in 0..threads {
            let tx = tx.clone();
            let packed = &packed;
            let (new_acc, add, finish) = (&new_acc, &add, &finish);
            s.spawn(move || {
                let mut start = new_from + t * BLOCK;
                while start < n {
                    let mut acc = new_acc();
                    let end = (start + BLOCK).min(n);
                    // a tile of earlier samples stays in cache while the
                    // block's rows are compared with it
                    for i0 in (0..end).step_by(ITILE) {
                        for j in start..end {
                            for i in i0..(i0 + ITILE).min(j) {
                                add(
                                    &mut acc,
                                    Pair {
                                        i: i as u32,
                                        j: j as u32,
                                        counts: packed.counts(i, j),
                                    },
                                );
                            }
                        }
                    }
                    if let Some(block) = finish(acc)
                        && tx.send(block).is_err()
                    {
                        return;
                    }
                    start += threads * BLOCK;
                }
            });
        }
        drop(tx);
        for block in rx {
            sink(block);
        }
    });
}

/// The header of the pair table (plink2 `.kin0` columns plus the relation).
pub const KIN0_HEADER: &str = "#ID1\tID2\tNSNP\tHETHET\tIBS0\tKINSHIP\tRELATION";

fn push_u32(out: &mut Vec<u8>, mut v: u32) {
    let mut buf = [0u8; 10];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// Appends one row of the pair table to `out` (kinship to 4 decimals,
/// written without the float formatter: 12.5 million rows are a hot path).
pub fn kin0_row(out: &mut Vec<u8>, a: &str, b: &str, c: &PairCounts) {
    out.extend_from_slice(a.as_bytes());
    out.push(b'\t');
    out.extend_from_slice(b.as_bytes());
    for v in [c.n, c.het_het, c.ibs0] {
        out.push(b'\t');
        push_u32(out, v);
    }
    out.push(b'\t');
    let rel = match c.kinship() {
        Some(k) if k.is_finite() => {
            let scaled = (k * 10_000.0).round() as i64;
            if scaled < 0 {
                out.push(b'-');
            }
            let m = scaled.unsigned_abs();
            push_u32(out, (m / 10_000) as u32);
            out.push(b'.');
            let frac = (m % 10_000) as u32;
            for d in [1000, 100, 10, 1] {
                out.push(b'0' + ((frac / d) % 10) as u8);
            }
            if c.n >= crate::pedigree::MIN_RELATION_SITES {
                crate::Relation::from_kinship(k).as_str()
            } else {
                "insufficient_data"
            }
        }
        _ => {
            out.extend_from_slice(b"nan");
            "insufficient_data"
        }
    };
    out.push(b'\t');
    out.extend_from_slice(rel.as_bytes());
    out.push(b'\n');
}
