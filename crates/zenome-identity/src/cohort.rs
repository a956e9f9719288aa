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
    mut sink: impl FnMut(Vec<Pair>),
) {
    let words = active_words(fps);
    let n = fps.len();
    let threads = threads.max(1);
    // rows j (the later sample of each pair) dealt out round-robin in
    // blocks, so threads get similar work (row j has j pairs)
    const BLOCK: usize = 16;
    let (tx, rx) = mpsc::sync_channel::<Vec<Pair>>(threads * 4);
    std::thread::scope(|s| {
        for t in 0..threads {
            let tx = tx.clone();
            let words = &words;
            let keep = &keep;
            s.spawn(move || {
                let mut start = new_from + t * BLOCK;
                while start < n {
                    let mut out = Vec::new();
                    for j in start..(start + BLOCK).min(n) {
                        for i in 0..j {
                            let p = Pair {
                                i: i as u32,
                                j: j as u32,
                                counts: crate::compare::counts_over(&fps[i], &fps[j], Some(words)),
                            };
                            if keep(&p) {
                                out.push(p);
                            }
                        }
                    }
                    if !out.is_empty() && tx.send(out).is_err() {
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
