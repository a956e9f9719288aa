//! QC re-evaluation per sequencing centre (R4.2): a run reads the QC of
//! every file ingested in the window and the baseline before it, judges
//! each centre with [`stats`], and stores the run with every (centre,
//! metric) result in ONE transaction with its audit entry — a run is whole
//! or absent, and runs are kept as history. Metrics that start drifting
//! (not drifting in the previous run) raise one `qc_drift` alert per centre
//! for data-centre staff; the same state seen again raises nothing, so
//! repeated or concurrent runs do not repeat alerts.
//!
//! Who sees what follows the QC pages (`qc_centres`): staff every centre, a
//! sequencing centre its own, nobody else. Runs are started by the server's
//! schedule (`[qc_drift] interval_hours`), by staff (API, portal) and by the
//! local operator (`zenome qc drift`, the demo).

pub mod stats;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;
use time::{Duration, OffsetDateTime};
use zenome_domain::organisation::{OrgCode, OrgKind};
use zenome_domain::role::Role;
use zenome_store::{AuditEntry, QcDriftResultRow, QcDriftRunRow};

use crate::alerts::Event;
use crate::config::QcDriftConfig;
use crate::{Actor, App, AppError};

/// Why a run was made (`qc_drift_runs.reason`).
pub const REASONS: [&str; 3] = ["scheduled", "requested", "initial"];

/// One centre in a run.
#[derive(Debug, Clone, PartialEq)]
pub struct CentreDrift {
    /// Its code.
    pub centre: String,
    /// Its English and Japanese names (empty for a code no longer
    /// registered).
    pub name: String,
    /// Japanese name.
    pub name_ja: String,
    /// `drifting`, `stable` or `not_enough_data`: the worst of its metrics.
    pub verdict: String,
    /// Every metric, in the order of [`stats::METRICS`].
    pub metrics: Vec<QcDriftResultRow>,
}

impl CentreDrift {
    /// Its drifting metrics.
    pub fn drifting(&self) -> impl Iterator<Item = &QcDriftResultRow> {
        self.metrics.iter().filter(|m| m.verdict == "drifting")
    }
}

/// A run with the centres the reader may see.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftReport {
    /// The run.
    pub run: QcDriftRunRow,
    /// Centres, by code.
    pub centres: Vec<CentreDrift>,
}

/// What a run did beyond its report.
#[derive(Debug, Clone, PartialEq)]
pub struct DriftRunOutcome {
    /// The run.
    pub report: DriftReport,
    /// (centre, metric) that started drifting with this run (alerted).
    pub newly_drifting: Vec<(String, String)>,
}

fn settings_of(c: &QcDriftConfig) -> Result<stats::Settings, AppError> {
    let bad = |field: &str, why: &str| AppError::invalid(format!("qc_drift.{field}"), why);
    if c.window_days == 0 {
        return Err(bad("window_days", "must be at least 1"));
    }
    if c.baseline_days == 0 {
        return Err(bad("baseline_days", "must be at least 1"));
    }
    if c.min_files < 2 {
        return Err(bad("min_files", "must be at least 2"));
    }
    for (f, v) in [
        ("failure_z", c.failure_z),
        ("mad_k", c.mad_k),
        ("mad_floor", c.mad_floor),
    ] {
        if !v.is_finite() || v < 0.0 {
            return Err(bad(f, "must be a finite number ≥ 0"));
        }
    }
    Ok(stats::Settings {
        min_files: c.min_files as usize,
        min_failures: c.min_failures as usize,
        failure_z: c.failure_z,
        mad_k: c.mad_k,
        mad_floor: c.mad_floor,
    })
}

fn result_row(centre: &str, m: &stats::MetricResult) -> QcDriftResultRow {
    QcDriftResultRow {
        run_id: String::new(),
        centre: centre.to_string(),
        metric: m.metric.to_string(),
        window_n: m.window.n as i64,
        window_value: m.window.value,
        window_spread: m.window.spread,
        baseline_n: m.baseline.n as i64,
        baseline_value: m.baseline.value,
        baseline_spread: m.baseline.spread,
        programme_n: m.programme.n as i64,
        programme_value: m.programme.value,
        programme_spread: m.programme.spread,
        verdict: m.verdict.as_str().to_string(),
        reason: m.reason.code(),
        note: m.reason.note(),
    }
}

fn worst(metrics: &[QcDriftResultRow]) -> &'static str {
    let rank = |v: &str| match v {
        "drifting" => 2,
        "stable" => 1,
        _ => 0,
    };
    match metrics.iter().map(|m| rank(&m.verdict)).max().unwrap_or(0) {
        2 => "drifting",
        1 => "stable",
        _ => "not_enough_data",
    }
}

impl App {
    fn may_run_qc_drift(actor: &Actor) -> Result<(), AppError> {
        if actor.via == crate::AuthMethod::Local || actor.role == Role::DataCentreStaff {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!(
                "role {} may not run the QC re-evaluation",
                actor.role.name()
            )))
        }
    }

    /// The centres whose drift the actor may read: the QC pages' rule, and
    /// every centre for the local operator.
    async fn drift_readable(&self, actor: &Actor) -> Result<Option<Vec<OrgCode>>, AppError> {
        if actor.via == crate::AuthMethod::Local {
            return Ok(None);
        }
        self.qc_centres(actor).await.map(Some)
    }

    /// Re-evaluates every centre now and stores the run; `reason` is one of
    /// [`REASONS`]. Staff and the local operator.
    pub async fn run_qc_drift(
        &self,
        actor: &Actor,
        reason: &str,
    ) -> Result<DriftRunOutcome, AppError> {
        Self::may_run_qc_drift(actor)?;
        self.qc_drift_now(&actor.audit_name(), reason).await
    }

    /// Runs when none ran within `[qc_drift] interval_hours` (the server's
    /// schedule; `None` when not due or disabled).
    pub async fn run_qc_drift_if_due(&self) -> Result<Option<DriftRunOutcome>, AppError> {
        let hours = self.config().qc_drift.interval_hours;
        if hours == 0 {
            return Ok(None);
        }
        let last = self.store().qc_drift_runs(1).await?;
        let due = last
            .first()
            .is_none_or(|r| OffsetDateTime::now_utc() - r.at >= Duration::hours(i64::from(hours)));
        if !due {
            return Ok(None);
        }
        self.qc_drift_now("system:qc_drift", "scheduled")
            .await
            .map(Some)
    }

    async fn qc_drift_now(
        &self,
        requested_by: &str,
        reason: &str,
    ) -> Result<DriftRunOutcome, AppError> {
        if !REASONS.contains(&reason) {
            return Err(AppError::invalid(
                "reason",
                format!("expected one of {}", REASONS.join(", ")),
            ));
        }
        let c = &self.config().qc_drift;
        let settings = settings_of(c)?;
        let now = zenome_store::now();
        let window_start = now - Duration::days(i64::from(c.window_days));
        let baseline_start = window_start - Duration::days(i64::from(c.baseline_days));
        let rows = self.store().qc_samples_since(baseline_start).await?;
        let samples: Vec<stats::Sample> = rows
            .iter()
            .filter(|r| r.created_at < now)
            .map(|r| {
                let period = if r.created_at >= window_start {
                    stats::Period::Window
                } else {
                    stats::Period::Baseline
                };
                let qc: serde_json::Value = serde_json::from_str(&r.qc).unwrap_or_default();
                stats::Sample::from_qc(&r.centre, period, r.qc_status == "failed", &qc)
            })
            .collect();
        // every registered centre is judged, with files or not
        let orgs = self.store().organisations().await?;
        let registered: Vec<&str> = orgs
            .iter()
            .filter(|o| o.kind == OrgKind::SequencingCentre)
            .map(|o| o.code.as_str())
            .collect();
        let results = stats::evaluate(&samples, &registered, &settings);
        let rows: Vec<QcDriftResultRow> = results
            .iter()
            .flat_map(|c| c.metrics.iter().map(|m| result_row(&c.centre, m)))
            .collect();
        let drifting: Vec<(String, String)> = rows
            .iter()
            .filter(|r| r.verdict == "drifting")
            .map(|r| (r.centre.clone(), r.metric.clone()))
            .collect();
        let id = uuid::Uuid::now_v7().to_string();
        let run = QcDriftRunRow {
            id: id.clone(),
            seq: 0,
            at: now,
            reason: reason.to_string(),
            requested_by: requested_by.to_string(),
            window_start,
            window_end: now,
            baseline_start,
            settings: serde_json::to_string(c).unwrap_or_default(),
            centres: results.len() as i64,
            drifting: results
                .iter()
                .filter(|r| r.verdict == stats::Verdict::Drifting)
                .count() as i64,
        };
        let entry = AuditEntry::new(requested_by, "qc_drift.run", format!("qc_drift_run:{id}"))
            .with_detail(json!({
                "reason": reason,
                "window_start": window_start.unix_timestamp(),
                "window_end": now.unix_timestamp(),
                "baseline_start": baseline_start.unix_timestamp(),
                "centres": run.centres,
                "drifting": drifting.iter().map(|(c, m)| format!("{c}:{m}")).collect::<Vec<_>>(),
            }));
        let mut tx = self.store().begin(entry).await?;
        // read under the write lock: concurrent runs see each other in
        // commit order, so a drift is "new" exactly once
        let before: BTreeSet<(String, String)> =
            tx.latest_qc_drift_flags().await?.into_iter().collect();
        let stored = tx.insert_qc_drift_run(&run, &rows).await?;
        tx.commit().await?;
        let newly: Vec<(String, String)> = drifting
            .into_iter()
            .filter(|k| !before.contains(k))
            .collect();
        // one alert per centre, naming the metrics that started drifting
        let mut by_centre: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
        for (centre, metric) in &newly {
            if let Some(r) = rows
                .iter()
                .find(|r| &r.centre == centre && &r.metric == metric)
            {
                let e = by_centre.entry(centre.as_str()).or_default();
                e.0.push(metric.clone());
                e.1.push(format!("{metric}: {}", r.note));
            }
        }
        for (centre, (metrics, reasons)) in &by_centre {
            self.observe(Event::QcDrift {
                centre,
                metrics,
                reasons,
                run: &id,
            })
            .await;
        }
        tracing::info!(
            run = %id,
            reason,
            centres = stored.centres,
            drifting = stored.drifting,
            newly_drifting = newly.len(),
            "QC re-evaluation of the sequencing centres"
        );
        let report = self.report_of(stored, rows, None).await?;
        Ok(DriftRunOutcome {
            report,
            newly_drifting: newly,
        })
    }

    async fn report_of(
        &self,
        mut run: QcDriftRunRow,
        rows: Vec<QcDriftResultRow>,
        only: Option<&[OrgCode]>,
    ) -> Result<DriftReport, AppError> {
        let orgs = self.store().organisations().await?;
        let mut by_centre: BTreeMap<String, Vec<QcDriftResultRow>> = BTreeMap::new();
        for mut r in rows {
            r.run_id.clone_from(&run.id);
            by_centre.entry(r.centre.clone()).or_default().push(r);
        }
        let mut centres = Vec::new();
        for (code, mut metrics) in by_centre {
            if only.is_some_and(|o| !o.iter().any(|c| c.as_str() == code)) {
                continue;
            }
            let order = |m: &QcDriftResultRow| {
                stats::METRICS
                    .iter()
                    .position(|x| x.name == m.metric)
                    .unwrap_or(usize::MAX)
            };
            metrics.sort_by_key(order);
            let org = orgs.iter().find(|o| o.code.as_str() == code);
            centres.push(CentreDrift {
                verdict: worst(&metrics).to_string(),
                name: org.map(|o| o.name.clone()).unwrap_or_default(),
                name_ja: org.map(|o| o.name_ja.clone()).unwrap_or_default(),
                centre: code,
                metrics,
            });
        }
        if only.is_some() {
            // a centre sees its own verdict, not how many others drift
            run.centres = centres.len() as i64;
            run.drifting = centres.iter().filter(|c| c.verdict == "drifting").count() as i64;
        }
        Ok(DriftReport { run, centres })
    }

    /// The latest run, with the centres the actor may see (`None` before
    /// the first run).
    pub async fn qc_drift_latest(&self, actor: &Actor) -> Result<Option<DriftReport>, AppError> {
        let only = self.drift_readable(actor).await?;
        let Some(run) = self.store().qc_drift_runs(1).await?.into_iter().next() else {
            return Ok(None);
        };
        let rows = self.store().qc_drift_results(&run.id).await?;
        self.report_of(run, rows, only.as_deref()).await.map(Some)
    }

    /// The newest runs (at most `limit`), newest first, each with the
    /// centres the actor may see.
    pub async fn qc_drift_runs(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<DriftReport>, AppError> {
        let only = self.drift_readable(actor).await?;
        let mut out = Vec::new();
        for run in self.store().qc_drift_runs(limit.clamp(1, 100)).await? {
            let rows = self.store().qc_drift_results(&run.id).await?;
            out.push(self.report_of(run, rows, only.as_deref()).await?);
        }
        Ok(out)
    }

    /// One centre's results over its newest `limit` runs, oldest first,
    /// with each run's time (404 for a centre the actor may not see).
    pub async fn qc_drift_history(
        &self,
        actor: &Actor,
        centre: &OrgCode,
        limit: i64,
    ) -> Result<Vec<(OffsetDateTime, QcDriftResultRow)>, AppError> {
        if let Some(only) = self.drift_readable(actor).await?
            && !only.contains(centre)
        {
            return Err(AppError::NotFound("sequencing centre"));
        }
        Ok(self
            .store()
            .qc_drift_history(centre.as_str(), limit.clamp(1, 1000))
            .await?)
    }
}
