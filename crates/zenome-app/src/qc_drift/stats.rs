//! The drift tests of a sequencing centre's QC (R4.2) as pure arithmetic: no
//! SQL, no HTTP, no clock. Each centre's files of the recent window are
//! compared with its own baseline (the period just before) and with the rest
//! of the programme over the same window.
//!
//! - **Failure rate** (files failing QC / files): a one-sided two-proportion
//!   z-test with the pooled standard error, flagged when
//!   `z ≥ failure_z` *and* the window holds at least `min_failures` failed
//!   files (so one or two unlucky files never raise a flag however small
//!   the baseline's rate).
//! - **Numeric metrics** (Q30, mean quality, mapped and duplicate
//!   fractions, Ts/Tv, het/hom): the window's median against the
//!   reference's median ± `mad_k` · MAD (the median absolute deviation
//!   scaled by 1.4826, so it estimates σ for normal data), flagged only in
//!   the direction that is worse for that metric (both for Ts/Tv and
//!   het/hom). The MAD is floored at `mad_floor` × |reference median| so a
//!   reference of identical values does not flag every change.
//!
//! Either comparison needs at least `min_files` files on both sides;
//! without that the metric is "not enough data", never a flag.

use std::collections::BTreeMap;

/// Thresholds of the tests (from `[qc_drift]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Files needed on each side of a comparison.
    pub min_files: usize,
    /// Failed files needed in the window to flag its failure rate.
    pub min_failures: usize,
    /// One-sided z above which a failure-rate rise is a drift.
    pub failure_z: f64,
    /// How many (scaled) MADs a median may move the worse way.
    pub mad_k: f64,
    /// Floor of the MAD, as a fraction of the reference median.
    pub mad_floor: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            min_files: 8,
            min_failures: 3,
            failure_z: 3.0,
            mad_k: 3.0,
            mad_floor: 0.01,
        }
    }
}

/// Which way a metric gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Worse {
    /// Lower is worse (Q30, mapped fraction…).
    Lower,
    /// Higher is worse (duplicates, failure rate).
    Higher,
    /// Either way is suspicious (Ts/Tv, het/hom).
    Either,
}

/// A metric the job follows: its name (also the portal's i18n key), the
/// field of the QC JSON it is read from (`None`: the failure rate) and
/// which way is worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// Name on the wire and in the store.
    pub name: &'static str,
    /// Field in the QC JSON of a file.
    pub field: Option<&'static str>,
    /// Which way is worse.
    pub worse: Worse,
}

/// Every metric, failure rate first. The fields are those the ingest's QC
/// carries (`zenome_formats::{FastqQc, AlignmentQc, VariantQc}`): depth,
/// insert size and contamination are not measured at ingest.
pub const METRICS: [Metric; 7] = [
    Metric {
        name: "failure_rate",
        field: None,
        worse: Worse::Higher,
    },
    Metric {
        name: "fastq_q30",
        field: Some("q30_fraction"),
        worse: Worse::Lower,
    },
    Metric {
        name: "fastq_mean_quality",
        field: Some("mean_quality"),
        worse: Worse::Lower,
    },
    Metric {
        name: "alignment_mapped",
        field: Some("mapped_fraction"),
        worse: Worse::Lower,
    },
    Metric {
        name: "alignment_duplicates",
        field: Some("duplicate_fraction"),
        worse: Worse::Higher,
    },
    Metric {
        name: "vcf_ts_tv",
        field: Some("ts_tv"),
        worse: Worse::Either,
    },
    Metric {
        name: "vcf_het_hom",
        field: Some("het_hom_ratio"),
        worse: Worse::Either,
    },
];

/// Where a file falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// The recent window.
    Window,
    /// The centre's baseline (the period before the window).
    Baseline,
}

/// One stored file as the tests see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Its sequencing centre.
    pub centre: String,
    /// Its period.
    pub period: Period,
    /// Whether it failed QC.
    pub failed: bool,
    /// Metric name → value, for the metrics it carries.
    pub values: BTreeMap<&'static str, f64>,
}

impl Sample {
    /// A sample from a file's QC JSON (unknown or non-finite fields are
    /// left out).
    pub fn from_qc(centre: &str, period: Period, failed: bool, qc: &serde_json::Value) -> Self {
        let values = METRICS
            .iter()
            .filter_map(|m| {
                let x = qc.get(m.field?)?.as_f64()?;
                x.is_finite().then_some((m.name, x))
            })
            .collect();
        Self {
            centre: centre.to_string(),
            period,
            failed,
            values,
        }
    }
}

/// A metric over one group of files.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Files carrying the metric.
    pub n: usize,
    /// Failure rate, or median; `None` without files.
    pub value: Option<f64>,
    /// Failed files (failure rate) or scaled MAD (numeric metrics).
    pub spread: Option<f64>,
}

/// Against what a centre's window was compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Against {
    /// Its own baseline.
    Baseline,
    /// The rest of the programme over the same window.
    Programme,
}

impl Against {
    /// `baseline` or `programme`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Baseline => "baseline",
            Self::Programme => "programme",
        }
    }
}

/// The verdict on a metric or a centre.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// Too few files to judge.
    NotEnoughData,
    /// Within limits.
    Stable,
    /// Drifted the worse way.
    Drifting,
}

impl Verdict {
    /// `not_enough_data`, `stable` or `drifting`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotEnoughData => "not_enough_data",
            Self::Stable => "stable",
            Self::Drifting => "drifting",
        }
    }
}

/// Why a metric got its verdict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reason {
    /// Fewer than `min_files` on the window side or on both references.
    NotEnoughData {
        /// Files needed.
        min: usize,
    },
    /// Every possible comparison is within its limits.
    WithinLimits,
    /// The failure rate rose beyond the z threshold.
    FailureRateRise {
        /// Against what.
        against: Against,
        /// The statistic.
        z: f64,
        /// The threshold.
        threshold: f64,
    },
    /// The median moved the worse way beyond k·MAD.
    MedianShift {
        /// Against what.
        against: Against,
        /// Window median − reference median.
        shift: f64,
        /// The tolerance (k · floored MAD).
        tolerance: f64,
    },
}

impl Reason {
    /// A stable code: `not_enough_data`, `within_limits`,
    /// `failure_rate_above_baseline|programme`,
    /// `median_below|above_baseline|programme`.
    pub fn code(&self) -> String {
        match self {
            Self::NotEnoughData { .. } => "not_enough_data".into(),
            Self::WithinLimits => "within_limits".into(),
            Self::FailureRateRise { against, .. } => {
                format!("failure_rate_above_{}", against.as_str())
            }
            Self::MedianShift { against, shift, .. } => format!(
                "median_{}_{}",
                if *shift < 0.0 { "below" } else { "above" },
                against.as_str()
            ),
        }
    }

    /// One English sentence with the numbers.
    pub fn note(&self) -> String {
        match self {
            Self::NotEnoughData { min } => {
                format!("fewer than {min} files in the window or in every reference")
            }
            Self::WithinLimits => "within limits".into(),
            Self::FailureRateRise {
                against,
                z,
                threshold,
            } => format!(
                "failure rate above the {} (z = {z:.2} ≥ {threshold:.2})",
                against.as_str()
            ),
            Self::MedianShift {
                against,
                shift,
                tolerance,
            } => format!(
                "median {} the {} by {:.4} (tolerance {tolerance:.4})",
                if *shift < 0.0 { "below" } else { "above" },
                against.as_str(),
                shift.abs()
            ),
        }
    }
}

/// One metric of one centre.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricResult {
    /// The metric.
    pub metric: &'static str,
    /// The centre's window.
    pub window: Summary,
    /// The centre's baseline.
    pub baseline: Summary,
    /// The rest of the programme over the window.
    pub programme: Summary,
    /// The verdict.
    pub verdict: Verdict,
    /// Why.
    pub reason: Reason,
}

/// One centre's report.
#[derive(Debug, Clone, PartialEq)]
pub struct CentreResult {
    /// The centre.
    pub centre: String,
    /// Drifting if any metric drifts; stable if any could be judged.
    pub verdict: Verdict,
    /// Every metric, in the order of [`METRICS`].
    pub metrics: Vec<MetricResult>,
}

/// The median of finite values (mean of the two middle ones for an even
/// count); `None` when empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// The median absolute deviation scaled by 1.4826 (a consistent estimate
/// of σ for normal data); `None` when empty.
pub fn scaled_mad(values: &[f64]) -> Option<f64> {
    let m = median(values)?;
    let dev: Vec<f64> = values.iter().map(|x| (x - m).abs()).collect();
    median(&dev).map(|d| 1.4826 * d)
}

/// The one-sided two-proportion z statistic of `x1/n1` above `x0/n0`, with
/// the pooled standard error; 0 when either side is empty or the pooled
/// proportion is 0 or 1 (no evidence either way).
pub fn two_proportion_z(x1: usize, n1: usize, x0: usize, n0: usize) -> f64 {
    if n1 == 0 || n0 == 0 {
        return 0.0;
    }
    let (x1, n1, x0, n0) = (x1 as f64, n1 as f64, x0 as f64, n0 as f64);
    let p = (x1 + x0) / (n1 + n0);
    if p <= 0.0 || p >= 1.0 {
        return 0.0;
    }
    let se = (p * (1.0 - p) * (1.0 / n1 + 1.0 / n0)).sqrt();
    (x1 / n1 - x0 / n0) / se
}

fn failure_summary<'a>(files: impl Iterator<Item = &'a Sample>) -> Summary {
    let (mut n, mut failed) = (0usize, 0usize);
    for s in files {
        n += 1;
        failed += usize::from(s.failed);
    }
    Summary {
        n,
        value: (n > 0).then(|| failed as f64 / n as f64),
        spread: Some(failed as f64),
    }
}

fn values_of<'a>(metric: &str, files: impl Iterator<Item = &'a Sample>) -> Vec<f64> {
    files
        .filter_map(|s| s.values.get(metric).copied())
        .collect()
}

fn numeric_summary(values: &[f64]) -> Summary {
    Summary {
        n: values.len(),
        value: median(values),
        spread: scaled_mad(values),
    }
}

/// The failure-rate test of one comparison; `None` when either side is too
/// small.
fn failure_test(w: &Summary, r: &Summary, against: Against, s: &Settings) -> Option<Reason> {
    if w.n < s.min_files || r.n < s.min_files {
        return None;
    }
    let failed = |x: &Summary| x.spread.unwrap_or(0.0) as usize;
    let z = two_proportion_z(failed(w), w.n, failed(r), r.n);
    Some(if z >= s.failure_z && failed(w) >= s.min_failures {
        Reason::FailureRateRise {
            against,
            z,
            threshold: s.failure_z,
        }
    } else {
        Reason::WithinLimits
    })
}

/// The median test of one comparison; `None` when either side is too small.
fn median_test(
    w: &Summary,
    r: &Summary,
    worse: Worse,
    against: Against,
    s: &Settings,
) -> Option<Reason> {
    if w.n < s.min_files || r.n < s.min_files {
        return None;
    }
    let (wm, rm) = (w.value?, r.value?);
    let mad = r.spread.unwrap_or(0.0).max(s.mad_floor * rm.abs());
    let tolerance = s.mad_k * mad;
    let shift = wm - rm;
    let worse_way = match worse {
        Worse::Lower => -shift,
        Worse::Higher => shift,
        Worse::Either => shift.abs(),
    };
    Some(if worse_way > tolerance {
        Reason::MedianShift {
            against,
            shift,
            tolerance,
        }
    } else {
        Reason::WithinLimits
    })
}

/// Judges every centre of `centres` and every centre with a file in either
/// period, by centre code.
pub fn evaluate(samples: &[Sample], centres: &[&str], s: &Settings) -> Vec<CentreResult> {
    let mut centres: Vec<&str> = samples
        .iter()
        .map(|x| x.centre.as_str())
        .chain(centres.iter().copied())
        .collect();
    centres.sort_unstable();
    centres.dedup();
    centres
        .into_iter()
        .map(|c| evaluate_centre(samples, c, s))
        .collect()
}

fn evaluate_centre(samples: &[Sample], centre: &str, s: &Settings) -> CentreResult {
    let window = || {
        samples
            .iter()
            .filter(move |x| x.centre == centre && x.period == Period::Window)
    };
    let baseline = || {
        samples
            .iter()
            .filter(move |x| x.centre == centre && x.period == Period::Baseline)
    };
    let rest = || {
        samples
            .iter()
            .filter(move |x| x.centre != centre && x.period == Period::Window)
    };
    let metrics: Vec<MetricResult> = METRICS
        .iter()
        .map(|m| {
            let (w, b, p) = if m.field.is_none() {
                (
                    failure_summary(window()),
                    failure_summary(baseline()),
                    failure_summary(rest()),
                )
            } else {
                (
                    numeric_summary(&values_of(m.name, window())),
                    numeric_summary(&values_of(m.name, baseline())),
                    numeric_summary(&values_of(m.name, rest())),
                )
            };
            let test = |r: &Summary, against| {
                if m.field.is_none() {
                    failure_test(&w, r, against, s)
                } else {
                    median_test(&w, r, m.worse, against, s)
                }
            };
            let tests = [test(&b, Against::Baseline), test(&p, Against::Programme)];
            let flagged = tests
                .iter()
                .flatten()
                .find(|r| **r != Reason::WithinLimits)
                .copied();
            let (verdict, reason) = match (flagged, tests.iter().any(Option::is_some)) {
                (Some(r), _) => (Verdict::Drifting, r),
                (None, true) => (Verdict::Stable, Reason::WithinLimits),
                (None, false) => (
                    Verdict::NotEnoughData,
                    Reason::NotEnoughData { min: s.min_files },
                ),
            };
            MetricResult {
                metric: m.name,
                window: w,
                baseline: b,
                programme: p,
                verdict,
                reason,
            }
        })
        .collect();
    let verdict = metrics
        .iter()
        .map(|m| m.verdict)
        .max()
        .unwrap_or(Verdict::NotEnoughData);
    CentreResult {
        centre: centre.to_string(),
        verdict,
        metrics,
    }
}

#[cfg(test)]
mod tests;
