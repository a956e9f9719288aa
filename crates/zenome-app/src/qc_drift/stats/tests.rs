//! Fixed inputs whose verdicts are worked out by hand in the comments.

use super::*;

fn files(centre: &str, period: Period, n: usize, failed: usize) -> Vec<Sample> {
    (0..n)
        .map(|i| Sample {
            centre: centre.into(),
            period,
            failed: i < failed,
            values: BTreeMap::new(),
        })
        .collect()
}

fn valued(centre: &str, period: Period, metric: &'static str, values: &[f64]) -> Vec<Sample> {
    values
        .iter()
        .map(|x| Sample {
            centre: centre.into(),
            period,
            failed: false,
            values: BTreeMap::from([(metric, *x)]),
        })
        .collect()
}

fn metric<'a>(r: &'a [CentreResult], centre: &str, name: &str) -> &'a MetricResult {
    r.iter()
        .find(|c| c.centre == centre)
        .unwrap()
        .metrics
        .iter()
        .find(|m| m.metric == name)
        .unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

#[test]
fn median_and_mad() {
    assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
    assert_eq!(median(&[]), None);
    assert_eq!(median(&[f64::NAN, 1.0]), Some(1.0));
    // median 3, deviations 2 1 0 1 97 → median 1 → 1.4826: the outlier
    // does not move it
    assert!(close(
        scaled_mad(&[1.0, 2.0, 3.0, 4.0, 100.0]).unwrap(),
        1.4826
    ));
}

#[test]
fn two_proportion_z_by_hand() {
    // 10/20 against 1/20: pooled p = 11/40 = 0.275,
    // se = √(0.275 · 0.725 · (1/20 + 1/20)) = 0.14120, z = 0.45 / 0.14120
    assert!(close(two_proportion_z(10, 20, 1, 20), 3.187));
    // 6/20 against 1/20: p = 0.175, se = 0.12016, z = 0.25 / 0.12016
    assert!(close(two_proportion_z(6, 20, 1, 20), 2.081));
    // a fall is negative; nothing failed anywhere is no evidence
    assert!(two_proportion_z(1, 20, 10, 20) < 0.0);
    assert_eq!(two_proportion_z(0, 10, 0, 10), 0.0);
    assert_eq!(two_proportion_z(10, 10, 10, 10), 0.0);
    assert_eq!(two_proportion_z(3, 0, 1, 10), 0.0);
}

#[test]
fn a_failure_rate_rise_is_flagged_and_a_steady_centre_is_not() {
    let mut s = files("SEQ-A", Period::Baseline, 20, 1);
    s.extend(files("SEQ-A", Period::Window, 20, 10));
    s.extend(files("SEQ-B", Period::Baseline, 20, 1));
    s.extend(files("SEQ-B", Period::Window, 20, 1));
    let r = evaluate(&s, &[], &Settings::default());
    assert_eq!(r.len(), 2);
    let a = metric(&r, "SEQ-A", "failure_rate");
    assert_eq!(a.verdict, Verdict::Drifting);
    // z = 3.187 ≥ 3 (see above) with 10 ≥ 3 failed files; the baseline is
    // reported before the programme (SEQ-B's window: the same 1/20)
    match a.reason {
        Reason::FailureRateRise {
            against: Against::Baseline,
            z,
            threshold,
        } => assert!(close(z, 3.187) && threshold == 3.0),
        other => panic!("{other:?}"),
    }
    assert_eq!(a.reason.code(), "failure_rate_above_baseline");
    assert_eq!((a.window.n, a.window.value), (20, Some(0.5)));
    assert_eq!((a.baseline.n, a.baseline.value), (20, Some(0.05)));
    assert_eq!((a.programme.n, a.programme.value), (20, Some(0.05)));
    assert_eq!(r[0].verdict, Verdict::Drifting);
    // SEQ-B: 1/20 against 1/20 (z = 0) and against SEQ-A's 10/20 (negative)
    let b = metric(&r, "SEQ-B", "failure_rate");
    assert_eq!(
        (b.verdict, b.reason),
        (Verdict::Stable, Reason::WithinLimits)
    );
    assert_eq!(r[1].verdict, Verdict::Stable);
}

#[test]
fn a_small_rise_or_too_few_failures_is_not_a_drift() {
    // 6/20 against 1/20: z = 2.08 < 3
    let mut s = files("SEQ-A", Period::Baseline, 20, 1);
    s.extend(files("SEQ-A", Period::Window, 20, 6));
    let r = evaluate(&s, &[], &Settings::default());
    assert_eq!(r[0].verdict, Verdict::Stable);
    // 2/8 against 0/40: p = 2/48, se = √(0.04167 · 0.95833 · 0.15) = 0.07739,
    // z = 0.25 / 0.07739 = 3.23 ≥ 3, but only 2 < 3 failed files
    let mut s = files("SEQ-A", Period::Baseline, 40, 0);
    s.extend(files("SEQ-A", Period::Window, 8, 2));
    let r = evaluate(&s, &[], &Settings::default());
    assert!(close(two_proportion_z(2, 8, 0, 40), 3.23));
    assert_eq!(r[0].metrics[0].verdict, Verdict::Stable);
}

#[test]
fn too_few_files_is_not_enough_data() {
    // every one of the 5 recent files failed, but 5 < 8
    let mut s = files("SEQ-A", Period::Baseline, 20, 0);
    s.extend(files("SEQ-A", Period::Window, 5, 5));
    let r = evaluate(&s, &[], &Settings::default());
    let a = &r[0].metrics[0];
    assert_eq!(a.verdict, Verdict::NotEnoughData);
    assert_eq!(a.reason.code(), "not_enough_data");
    assert_eq!(r[0].verdict, Verdict::NotEnoughData);
    // a centre with files only in its baseline is judged too: no data
    let r = evaluate(
        &files("SEQ-A", Period::Baseline, 20, 0),
        &[],
        &Settings::default(),
    );
    assert_eq!(r[0].verdict, Verdict::NotEnoughData);
    // and a registered centre without any file
    let r = evaluate(&[], &["SEQ-Z"], &Settings::default());
    assert_eq!((r.len(), r[0].verdict), (1, Verdict::NotEnoughData));
    assert_eq!(r[0].metrics.len(), METRICS.len());
}

#[test]
fn a_median_drop_beyond_k_mad_is_flagged_the_worse_way_only() {
    // baseline Q30 0.90 … 0.97: median 0.935; deviations 0.005 ×2, 0.015 ×2,
    // 0.025 ×2, 0.035 ×2 → median 0.02 → scaled 0.029652; tolerance
    // 3 × 0.029652 = 0.088956
    let base = [0.90, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97];
    let mut s = valued("SEQ-A", Period::Baseline, "fastq_q30", &base);
    // window median (0.83 + 0.85) / 2 = 0.84: 0.095 below > 0.088956
    s.extend(valued(
        "SEQ-A",
        Period::Window,
        "fastq_q30",
        &[0.80, 0.81, 0.82, 0.83, 0.85, 0.86, 0.87, 0.88],
    ));
    let r = evaluate(&s, &[], &Settings::default());
    let m = metric(&r, "SEQ-A", "fastq_q30");
    assert_eq!(m.verdict, Verdict::Drifting);
    assert_eq!(m.reason.code(), "median_below_baseline");
    match m.reason {
        Reason::MedianShift {
            shift, tolerance, ..
        } => assert!(close(shift, -0.095) && close(tolerance, 0.088956)),
        other => panic!("{other:?}"),
    }
    assert!(close(m.window.value.unwrap(), 0.84));
    assert!(close(m.baseline.value.unwrap(), 0.935));
    // the failure rate has 16 files and no failure: stable
    assert_eq!(r[0].metrics[0].verdict, Verdict::Stable);

    // window median 0.86: 0.075 below, within 0.088956
    let mut s = valued("SEQ-A", Period::Baseline, "fastq_q30", &base);
    s.extend(valued(
        "SEQ-A",
        Period::Window,
        "fastq_q30",
        &[0.82, 0.83, 0.84, 0.85, 0.87, 0.88, 0.89, 0.90],
    ));
    let r = evaluate(&s, &[], &Settings::default());
    assert_eq!(metric(&r, "SEQ-A", "fastq_q30").verdict, Verdict::Stable);

    // a rise of Q30 (0.955, +0.02) or even of 0.12 is better, not a drift
    let mut s = valued(
        "SEQ-A",
        Period::Baseline,
        "fastq_q30",
        &[0.80, 0.81, 0.82, 0.83, 0.84, 0.85, 0.86, 0.87],
    );
    s.extend(valued(
        "SEQ-A",
        Period::Window,
        "fastq_q30",
        &[0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99],
    ));
    let r = evaluate(&s, &[], &Settings::default());
    assert_eq!(metric(&r, "SEQ-A", "fastq_q30").verdict, Verdict::Stable);
}

#[test]
fn ts_tv_drifts_either_way() {
    // baseline 2.00 … 2.14 by 0.02: median 2.07, MAD 0.04 → scaled 0.059304,
    // tolerance 0.177912; a window of 2.23 … 2.37 (median 2.30) is 0.23 above
    let base = [2.00, 2.02, 2.04, 2.06, 2.08, 2.10, 2.12, 2.14];
    let high: Vec<f64> = base.iter().map(|x| x + 0.23).collect();
    let low: Vec<f64> = base.iter().map(|x| x - 0.23).collect();
    for (window, code) in [
        (high, "median_above_baseline"),
        (low, "median_below_baseline"),
    ] {
        let mut s = valued("SEQ-A", Period::Baseline, "vcf_ts_tv", &base);
        s.extend(valued("SEQ-A", Period::Window, "vcf_ts_tv", &window));
        let r = evaluate(&s, &[], &Settings::default());
        let m = metric(&r, "SEQ-A", "vcf_ts_tv");
        assert_eq!(
            (m.verdict, m.reason.code().as_str()),
            (Verdict::Drifting, code)
        );
    }
}

#[test]
fn identical_baseline_values_use_the_mad_floor() {
    // MAD 0 → floor 0.01 × 0.90 = 0.009, tolerance 0.027
    let base = [0.90; 8];
    for (w, verdict) in [(0.88, Verdict::Stable), (0.86, Verdict::Drifting)] {
        let mut s = valued("SEQ-A", Period::Baseline, "alignment_mapped", &base);
        s.extend(valued("SEQ-A", Period::Window, "alignment_mapped", &[w; 8]));
        let r = evaluate(&s, &[], &Settings::default());
        assert_eq!(
            metric(&r, "SEQ-A", "alignment_mapped").verdict,
            verdict,
            "{w}"
        );
    }
}

#[test]
fn a_centre_without_a_baseline_is_judged_against_the_programme() {
    // SEQ-NEW has no history; the rest of the programme's window (SEQ-B)
    // has duplicate fractions around 0.10 with MAD 0.01 → scaled 0.014826,
    // tolerance 0.044478; SEQ-NEW's median 0.20 is 0.10 above (worse)
    let rest = [0.08, 0.09, 0.09, 0.10, 0.10, 0.11, 0.11, 0.12];
    let mut s = valued("SEQ-B", Period::Window, "alignment_duplicates", &rest);
    s.extend(valued(
        "SEQ-NEW",
        Period::Window,
        "alignment_duplicates",
        &[0.20; 8],
    ));
    let r = evaluate(&s, &[], &Settings::default());
    let m = metric(&r, "SEQ-NEW", "alignment_duplicates");
    assert_eq!(m.verdict, Verdict::Drifting);
    assert_eq!(m.reason.code(), "median_above_programme");
    assert_eq!(m.baseline.n, 0);
    // and SEQ-B, lower than SEQ-NEW, is not flagged against it
    assert_eq!(
        metric(&r, "SEQ-B", "alignment_duplicates").verdict,
        Verdict::Stable
    );
}

#[test]
fn qc_json_fields_are_read_by_kind() {
    let fastq = serde_json::json!({"kind": "Fastq", "q30_fraction": 0.91, "mean_quality": 35.2, "reads": 10});
    let s = Sample::from_qc("SEQ-A", Period::Window, false, &fastq);
    assert_eq!(
        s.values,
        BTreeMap::from([("fastq_mean_quality", 35.2), ("fastq_q30", 0.91)])
    );
    let vcf = serde_json::json!({"kind": "Variants", "ts_tv": null, "het_hom_ratio": 1.6});
    let s = Sample::from_qc("SEQ-A", Period::Window, true, &vcf);
    assert_eq!(s.values, BTreeMap::from([("vcf_het_hom", 1.6)]));
}
