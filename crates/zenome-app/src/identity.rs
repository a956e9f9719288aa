//! Sample identity served (issue 9): every stored CRAM, BAM or VCF that
//! passed QC is fingerprinted in the background (`zenome-identity`), each
//! new sample is checked against its own participant's other samples (the
//! same library's CRAM and VCF; tumour against normal, allowing for loss of
//! heterozygosity), against the whole cohort (an unexpected match is a
//! duplicate or a swap), against the pedigree its clinical records declare,
//! for genetic sex against the recorded sex and, from reads, for
//! contamination. A failing check puts the library on hold: the participant
//! is then left out of every variant count, dataset release and researcher
//! read (see `Store::identity_blocked`) until data-centre staff release the
//! hold or exclude the library, with a recorded reason, audited.
//!
//! Fingerprints are kept in the identity store's Parquet table
//! (`[identity] dir`, default `DATA_DIR/identity/fingerprints`), each row
//! named by its `identity_samples` id; SQL says whose each one is, and a
//! fingerprint without its row (a stop between the two writes) is ignored.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;
use serde_json::json;
use zenome_domain::id::ParticipantId;
use zenome_domain::lineage::{NodeDetails, NodeId};
use zenome_domain::role::Role;
use zenome_identity::compare::{self, MIN_SITES};
use zenome_identity::pedigree::{self, Declared, MIN_RELATION_SITES};
use zenome_identity::{Assembly, Fingerprint, Panel, Sex, Verdict};
use zenome_store::{AuditEntry, IdentityCheckRow, IdentityHoldRow, IdentitySampleRow, ObjectRow};

use crate::alerts::Event;
use crate::{Actor, App, AppError};

/// Background fingerprinting and the fingerprint cache.
#[derive(Default)]
pub struct IdentityState {
    /// Runs are serialised, so each new sample is compared with every
    /// sample stored before it (a CRAM and its VCF arriving together).
    lock: tokio::sync::Mutex<()>,
    /// Runs started after uploads, kept until they end.
    runs: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// The fingerprint table as last read: its batch files and rows by id.
    cache: std::sync::Mutex<FingerprintCache>,
    /// The panels in use, read once (`configured`, or an assembly's name).
    panels: std::sync::Mutex<HashMap<&'static str, Arc<Panel>>>,
}

#[derive(Default)]
struct FingerprintCache {
    files: usize,
    rows: HashMap<String, Arc<Fingerprint>>,
}

impl std::fmt::Debug for IdentityState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityState")
    }
}

/// What staff decide about a hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldAction {
    /// The sample is who it says (an explained result: a transplant, a
    /// corrected clinical record or pedigree): released for use.
    Release,
    /// The sample is not to be used (a swap, a foreign or contaminated
    /// tube): excluded, its participant left out while its genotypes are in
    /// the variant store.
    Exclude,
}

impl HoldAction {
    /// Parses `release` / `exclude`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "release" => Some(Self::Release),
            "exclude" => Some(Self::Exclude),
            _ => None,
        }
    }

    fn state(self) -> &'static str {
        match self {
            Self::Release => "released",
            Self::Exclude => "excluded",
        }
    }
}

/// A fingerprinted sample as shown to people.
#[derive(Debug, Clone, Serialize)]
pub struct SampleView {
    /// Its id.
    pub id: String,
    /// The stored file.
    pub object_id: String,
    /// The sample name in the file.
    pub sample: String,
    /// Whose, by the lineage.
    pub participant_id: String,
    /// The library.
    pub library_id: String,
    /// The library's barcode.
    pub library_barcode: Option<String>,
    /// Tumour specimen.
    pub tumour: bool,
    /// `genotypes` or `reads`.
    pub evidence: String,
    /// Panel sites called.
    pub n_called: i64,
    /// Sex call, contamination, depth.
    pub summary: serde_json::Value,
    /// When.
    pub at: time::OffsetDateTime,
}

/// A check as shown to people.
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    /// Its id.
    pub id: String,
    /// What was checked.
    pub kind: String,
    /// pass / warn / fail.
    pub verdict: String,
    /// The sample checked.
    pub sample_id: String,
    /// Its participant and library (id, barcode).
    pub sample_side: Side,
    /// The other sample of a pair.
    pub other_id: Option<String>,
    /// The other sample's participant.
    pub other_participant: Option<String>,
    /// Its participant and library.
    pub other_side: Option<Side>,
    /// The numbers behind the verdict.
    pub numbers: serde_json::Value,
    /// One sentence.
    pub message: String,
    /// The hold it opened or joined.
    pub hold_id: Option<String>,
    /// When.
    pub at: time::OffsetDateTime,
}

/// One sample of a check: whose, which library, which file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Side {
    /// The participant.
    pub participant: String,
    /// The library (lineage node id).
    pub library_id: String,
    /// The library's barcode.
    pub library_barcode: Option<String>,
    /// `genotypes` (VCF) or `reads` (CRAM/BAM).
    pub evidence: String,
}

impl CheckView {
    /// The sample of the pair that is not on `library` (or not
    /// `participant`'s): the counterpart a reader of that library's or
    /// participant's page wants named. `None` for one-sample checks.
    pub fn counterpart(&self, library: Option<&str>, participant: Option<&str>) -> Option<&Side> {
        let other = self.other_side.as_ref()?;
        let mine = |s: &Side| {
            library.is_some_and(|l| s.library_id == l)
                || (library.is_none() && participant.is_some_and(|p| s.participant == p))
        };
        if mine(&self.sample_side) && !mine(other) {
            Some(other)
        } else if mine(other) && !mine(&self.sample_side) {
            Some(&self.sample_side)
        } else {
            Some(other)
        }
    }
}

/// A hold with the checks behind it.
#[derive(Debug, Clone, Serialize)]
pub struct HoldView {
    /// Its id.
    pub id: String,
    /// The library held.
    pub library_id: String,
    /// Its barcode.
    pub library_barcode: Option<String>,
    /// Whose.
    pub participant_id: String,
    /// `open`, `released`, `excluded`.
    pub state: String,
    /// When it was opened.
    pub opened_at: time::OffsetDateTime,
    /// Who resolved it, when, why.
    pub resolved_by: Option<String>,
    /// When.
    pub resolved_at: Option<time::OffsetDateTime>,
    /// The recorded reason.
    pub resolution: Option<String>,
    /// The checks that opened or joined it.
    pub checks: Vec<CheckView>,
}

/// One participant's identity: samples, checks, holds.
#[derive(Debug, Clone, Serialize)]
pub struct ParticipantIdentity {
    /// The participant.
    pub participant_id: String,
    /// Whether the genome may be used now.
    pub blocked: bool,
    /// Fingerprinted samples.
    pub samples: Vec<SampleView>,
    /// Checks involving them, newest first.
    pub checks: Vec<CheckView>,
    /// Holds on the participant's libraries.
    pub holds: Vec<HoldView>,
}

/// One point of the relatedness plot.
#[derive(Debug, Clone, Serialize)]
pub struct RelatednessPoint {
    /// The two samples (identity sample ids).
    pub a: String,
    /// Second sample.
    pub b: String,
    /// Their participants.
    pub a_participant: String,
    /// Second participant.
    pub b_participant: String,
    /// KING-robust kinship.
    pub kinship: f64,
    /// Fraction of sites with no allele shared.
    pub ibs0: f64,
    /// Sites called in both.
    pub n_sites: u32,
    /// `same_participant`, `declared_relatives` or `other`.
    pub expected: &'static str,
}

/// What one fingerprinting run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IdentityRun {
    /// The samples fingerprinted.
    pub samples: Vec<String>,
    /// Checks recorded.
    pub checks: usize,
    /// Of which failed.
    pub failed: usize,
    /// Holds opened (library ids).
    pub holds_opened: Vec<String>,
}

/// The actor of automatic runs.
fn identity_actor() -> Actor {
    Actor {
        user_id: "system".into(),
        username: "system:identity".into(),
        display_name: "Sample identity".into(),
        role: Role::DataCentreStaff,
        via: crate::AuthMethod::Local,
        visa_datasets: None,
        credential: None,
    }
}

/// A sample about to be recorded, with its fingerprint.
struct NewSample {
    row: IdentitySampleRow,
    fp: Fingerprint,
}

/// A check about to be recorded, with the libraries a failure holds.
struct PendingCheck {
    row: IdentityCheckRow,
    hold: Vec<(String, String)>,
}

fn recorded_sex(record: &str) -> Option<Sex> {
    let v: serde_json::Value = serde_json::from_str(record).ok()?;
    let groups = v.get("groups")?;
    for g in ["case_basics", "demographics"] {
        if let Some(s) = groups
            .get(g)
            .and_then(|g| g.get("sex"))
            .and_then(|s| s.as_str())
        {
            return match s {
                "male" => Some(Sex::XY),
                "female" => Some(Sex::XX),
                _ => None,
            };
        }
    }
    None
}

/// The relatives a clinical record declares: relative participant id →
/// relationship code.
fn declared_relatives(record: &str) -> Vec<(String, String)> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(record) else {
        return Vec::new();
    };
    let Some(entries) = v
        .get("groups")
        .and_then(|g| g.get("pedigree"))
        .and_then(|p| p.as_array())
    else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| {
            Some((
                e.get("relative_participant")?.as_str()?.to_string(),
                e.get("relationship")?.as_str()?.to_string(),
            ))
        })
        .collect()
}

fn declared_from_code(code: &str) -> Declared {
    match code {
        "father" | "mother" | "child" => Declared::ParentOffspring,
        "sibling" => Declared::FullSiblings,
        _ => Declared::SameFamily,
    }
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.3}"))
}

impl App {
    fn identity_table_dir(&self) -> PathBuf {
        self.config().identity_dir().join("fingerprints")
    }

    /// The panel for a file: the configured one, or the built-in panel of
    /// the assembly its reference version names (GRCh38 when it names none).
    fn identity_panel(&self, reference: Option<&str>) -> Result<Arc<Panel>, AppError> {
        // read once per server: the configured file, or the built-in
        // panel of an assembly (24,000 sites to parse either way)
        let key = match &self.config().identity.panel {
            Some(_) => "configured",
            None => reference
                .and_then(Assembly::guess)
                .unwrap_or(Assembly::GRCh38)
                .name(),
        };
        let mut panels = self.inner.identity.panels.lock().expect("identity panels");
        if let Some(p) = panels.get(key) {
            return Ok(p.clone());
        }
        let panel = match &self.config().identity.panel {
            Some(p) => Panel::from_path(p)
                .map_err(|e| AppError::Internal(format!("identity panel: {e}")))?,
            None => Panel::builtin(
                reference
                    .and_then(Assembly::guess)
                    .unwrap_or(Assembly::GRCh38),
            ),
        };
        let panel = Arc::new(panel);
        panels.insert(key, panel.clone());
        Ok(panel)
    }

    /// The fingerprints of the table, by id (re-read when a batch was added).
    fn cached_fingerprints(&self) -> Result<HashMap<String, Arc<Fingerprint>>, AppError> {
        let dir = self.identity_table_dir();
        let files = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| {
                        let n = e.file_name();
                        let n = n.to_string_lossy();
                        n.starts_with("batch-") && n.ends_with(".parquet")
                    })
                    .count()
            })
            .unwrap_or(0);
        let mut cache = self.inner.identity.cache.lock().expect("identity cache");
        if cache.files != files || (files > 0 && cache.rows.is_empty()) {
            let rows = if files == 0 {
                Vec::new()
            } else {
                zenome_identity::table::read_all(&dir)
                    .map_err(|e| AppError::Internal(format!("fingerprint table: {e}")))?
            };
            cache.rows = rows
                .into_iter()
                .map(|f| (f.sample.clone(), Arc::new(f)))
                .collect();
            cache.files = files;
        }
        Ok(cache.rows.clone())
    }

    /// The library a node hangs under, and whether its specimen is tumour.
    async fn library_of(&self, node: &str) -> Result<(String, bool), AppError> {
        let chain = self.store().ancestry(&NodeId::new(node)).await?;
        let library = chain
            .iter()
            .find(|n| matches!(n.details, NodeDetails::Library { .. }))
            .ok_or_else(|| AppError::Internal(format!("node {node} has no library above it")))?;
        let tumour = chain.iter().any(|n| {
            matches!(n.details, NodeDetails::Specimen { specimen_type, .. } if specimen_type.is_tumour())
        });
        Ok((library.id.to_string(), tumour))
    }

    /// After a CRAM, BAM or VCF was stored and passed QC: fingerprints and
    /// checks it in the background. A failure is audited, recorded
    /// (`identity_runs`) and alerted; `POST /api/v1/identity/fingerprints`
    /// retries it.
    pub(crate) fn fingerprint_after_ingest(&self, object_id: String) {
        if self.config().identity.disabled {
            return;
        }
        let app = self.clone();
        let handle = tokio::spawn(async move {
            let result = match app.store().object(&object_id).await {
                Ok(Some(obj)) => app.fingerprint_stored(&obj).await,
                Ok(None) => Err(AppError::NotFound("object")),
                Err(e) => Err(e.into()),
            };
            match result {
                Ok(run) => tracing::info!(
                    object = object_id,
                    samples = run.samples.len(),
                    failed = run.failed,
                    holds = run.holds_opened.len(),
                    "stored file fingerprinted and checked"
                ),
                Err(e) => app.record_identity_failure(&object_id, &e).await,
            }
        });
        let mut runs = self.inner.identity.runs.lock().expect("identity runs");
        runs.retain(|h| !h.is_finished());
        runs.push(handle);
    }

    async fn record_identity_failure(&self, object: &str, e: &AppError) {
        let reason = match e {
            AppError::Internal(m) => m.clone(),
            other => other.to_string(),
        };
        tracing::error!(object, error = %reason, "fingerprinting a stored file failed");
        let entry = AuditEntry::new(
            "system:identity",
            "identity.failed",
            format!("object:{object}"),
        )
        .with_detail(json!({ "reason": reason }));
        let done = async {
            let mut tx = self.store().begin(entry).await?;
            tx.set_identity_run(object, "failed", Some(&reason)).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = done {
            tracing::error!(object, error = %e, "cannot record a fingerprinting failure");
        }
        self.observe(Event::IdentityFailed {
            object,
            reason: &reason,
        })
        .await;
    }

    /// Start-up: stored sequence files never fingerprinted (a stop between
    /// registration and the run) are done now, in the background. Returns
    /// how many were started.
    pub async fn fingerprint_unprocessed(&self) -> Result<usize, AppError> {
        if self.config().identity.disabled {
            return Ok(0);
        }
        let pending = self.store().never_fingerprinted().await?;
        for o in &pending {
            self.fingerprint_after_ingest(o.id.clone());
        }
        Ok(pending.len())
    }

    /// Waits for the fingerprinting runs started after uploads (tests,
    /// shutdown, the demo).
    pub async fn settle_identity(&self) {
        loop {
            let pending: Vec<_> =
                std::mem::take(&mut *self.inner.identity.runs.lock().expect("identity runs"));
            if pending.is_empty() {
                return;
            }
            for h in pending {
                let _ = h.await;
            }
        }
    }

    /// Fingerprints a stored object now (data-centre staff): the retry of
    /// a failed automatic run, or a file stored before identity checks
    /// existed. A file already fingerprinted is refused (409).
    pub async fn fingerprint_object(
        &self,
        actor: &Actor,
        object_id: &str,
    ) -> Result<IdentityRun, AppError> {
        require_staff(actor, "fingerprint files")?;
        let obj = self.object_for(actor, object_id, None).await?;
        if !matches!(obj.format.as_str(), "cram" | "bam" | "vcf") {
            return Err(AppError::invalid(
                "object_id",
                format!("a {} file carries no genotypes to fingerprint", obj.format),
            ));
        }
        if let Some((state, _)) = self.store().identity_run(&obj.id).await?
            && state == "done"
        {
            return Err(AppError::Conflict {
                field: Some("object_id".into()),
                message: "this file is fingerprinted already".into(),
            });
        }
        match self.fingerprint_stored(&obj).await {
            Ok(run) => Ok(run),
            Err(e) => {
                self.record_identity_failure(&obj.id, &e).await;
                Err(e)
            }
        }
    }

    /// Fingerprints one stored object and runs every check on its samples,
    /// recording samples, checks, holds and the run in one transaction.
    async fn fingerprint_stored(&self, obj: &ObjectRow) -> Result<IdentityRun, AppError> {
        let _one_at_a_time = self.inner.identity.lock.lock().await;
        let actor = identity_actor();
        let samples = self.take_fingerprints(&actor, obj).await?;
        // the table first (written once, named by the new ids), then the rows
        let fps: Vec<Fingerprint> = samples.iter().map(|s| s.fp.clone()).collect();
        let dir = self.identity_table_dir();
        if !fps.is_empty() {
            tokio::task::spawn_blocking(move || zenome_identity::table::append(&dir, &fps))
                .await
                .map_err(|e| AppError::Internal(format!("fingerprint table: {e}")))?
                .map_err(|e| AppError::Internal(format!("fingerprint table: {e}")))?;
        }
        let checks = self.run_checks(&samples).await?;
        let failed = checks.iter().filter(|c| c.row.verdict == "fail").count();
        let entry = AuditEntry::new(
            "system:identity",
            "identity.checked",
            format!("object:{}", obj.id),
        )
        .with_detail(json!({
            "samples": samples.iter().map(|s| &s.row.id).collect::<Vec<_>>(),
            "checks": checks.len(),
            "failed": failed,
        }));
        let mut tx = self.store().begin(entry).await?;
        for s in &samples {
            tx.insert_identity_sample(&s.row).await?;
        }
        let opened = record_checks(&mut tx, &checks).await?;
        tx.set_identity_run(&obj.id, "done", None).await?;
        tx.commit().await?;
        self.alert_holds(&opened).await;
        Ok(IdentityRun {
            samples: samples.iter().map(|s| s.row.id.clone()).collect(),
            checks: checks.len(),
            failed,
            holds_opened: opened.into_iter().map(|(l, _, _)| l).collect(),
        })
    }

    /// Decrypts the object to a temporary file and fingerprints each of
    /// its samples; maps each to its participant and library.
    async fn take_fingerprints(
        &self,
        actor: &Actor,
        obj: &ObjectRow,
    ) -> Result<Vec<NewSample>, AppError> {
        let is_vcf = obj.format == "vcf";
        let declared = if is_vcf {
            self.store().vcf_samples(&obj.node_id).await?
        } else {
            Vec::new()
        };
        let (own_library, own_tumour) = self.library_of(&obj.node_id).await?;
        let dir = self.config().identity_dir();
        let tmp = dir.join(format!(".incoming-{}", uuid::Uuid::new_v4()));
        let written = self.decrypt_to(actor, obj, &tmp).await;
        let taken = match written {
            Ok(()) => {
                let panel = self.identity_panel(obj.reference.as_deref())?;
                let reference = self.config().files.reference_fasta.clone();
                let path = tmp.clone();
                tokio::task::spawn_blocking(move || {
                    zenome_identity::fingerprints(&panel, &path, reference.as_deref())
                })
                .await
                .map_err(|e| AppError::Internal(format!("fingerprinting: {e}")))
            }
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&tmp).await;
        let fps = taken?.map_err(|e| AppError::invalid("file", e.to_string()))?;
        let now = zenome_store::now();
        let mut out = Vec::new();
        for mut fp in fps {
            let (participant, library, tumour) = if declared.is_empty() {
                (
                    obj.participant_id.to_string(),
                    own_library.clone(),
                    own_tumour,
                )
            } else {
                let Some(c) = declared.iter().find(|c| c.sample == fp.sample) else {
                    return Err(AppError::invalid(
                        "samples",
                        format!("the column {:?} was not declared", fp.sample),
                    ));
                };
                (c.participant_id.clone(), c.library_id.clone(), c.tumour)
            };
            let id = uuid::Uuid::new_v4().to_string();
            let sex = compare::sex(&fp);
            let (_, contamination) = compare::check_contamination(&fp);
            let summary = json!({
                "n_called": fp.n_called(),
                "n_het": fp.n_het(),
                "sex": sex,
                "contamination": contamination,
                "mean_depth": fp.depth.map(|d| d.mean_depth),
                "source": obj.name,
            });
            let sample = std::mem::replace(&mut fp.sample, id.clone());
            fp.source = obj.name.clone();
            out.push(NewSample {
                row: IdentitySampleRow {
                    id,
                    object_id: obj.id.clone(),
                    sample,
                    participant_id: participant,
                    library_id: library,
                    tumour,
                    evidence: match fp.evidence {
                        zenome_identity::Evidence::Reads => "reads",
                        zenome_identity::Evidence::Genotypes => "genotypes",
                    }
                    .into(),
                    panel: fp.panel.clone(),
                    n_called: i64::from(fp.n_called()),
                    summary: summary.to_string(),
                    at: now,
                },
                fp,
            });
        }
        Ok(out)
    }

    /// Every check of the new samples: per sample (coverage, sex,
    /// contamination), and each against the cohort and each other.
    async fn run_checks(&self, new: &[NewSample]) -> Result<Vec<PendingCheck>, AppError> {
        let now = zenome_store::now();
        let mut out = Vec::new();
        let check = |sample: &str,
                     other: Option<&str>,
                     kind: &str,
                     verdict: Verdict,
                     numbers: serde_json::Value,
                     message: String| IdentityCheckRow {
            id: uuid::Uuid::new_v4().to_string(),
            sample_id: sample.to_string(),
            other_id: other.map(str::to_string),
            kind: kind.into(),
            verdict: verdict.as_str().into(),
            numbers: numbers.to_string(),
            message,
            hold_id: None,
            at: now,
        };
        // the cohort on the same panel, then the new samples after it
        let cohort_rows = self.store().identity_cohort().await?;
        let cached = self.cached_fingerprints()?;
        let mut rows: Vec<IdentitySampleRow> = Vec::new();
        let mut fps: Vec<Fingerprint> = Vec::new();
        for r in cohort_rows {
            if new.iter().any(|n| n.row.id == r.id) {
                continue;
            }
            if let Some(fp) = cached.get(&r.id)
                && new.first().is_some_and(|n| n.fp.panel == fp.panel)
            {
                rows.push(r);
                fps.push((**fp).clone());
            }
        }
        let new_from = rows.len();
        for n in new {
            rows.push(n.row.clone());
            fps.push(n.fp.clone());
        }
        // clinical records: recorded sex and declared relatives
        let ids: Vec<ParticipantId> = rows
            .iter()
            .map(|r| r.participant_id.as_str())
            .collect::<HashSet<_>>()
            .into_iter()
            .filter_map(|p| p.parse().ok())
            .collect();
        let records = self.store().latest_clinical_of(&ids).await?;
        let mut declared: HashMap<(String, String), Declared> = HashMap::new();
        for (p, r) in &records {
            for (q, code) in declared_relatives(&r.record) {
                let d = declared_from_code(&code);
                declared.insert((p.clone(), q.clone()), d);
                declared.insert((q, p.clone()), d);
            }
        }

        for n in new {
            let r = &n.row;
            let called = n.fp.n_called();
            if called < MIN_SITES {
                out.push(PendingCheck {
                    row: check(
                        &r.id,
                        None,
                        "coverage",
                        Verdict::Warn,
                        json!({ "n_called": called, "min_sites": MIN_SITES }),
                        format!(
                            "insufficient data: {called} panel sites called (at least {MIN_SITES} needed for a verdict)"
                        ),
                    ),
                    hold: Vec::new(),
                });
            }
            let call = compare::sex(&n.fp);
            if call.x_sites > 0 || call.x_depth_ratio.is_some() {
                let recorded = records
                    .get(&r.participant_id)
                    .and_then(|c| recorded_sex(&c.record));
                let verdict = compare::check_sex(&call, recorded);
                let message = match verdict {
                    Verdict::Fail => format!(
                        "genetic sex {:?} contradicts the recorded sex {:?}",
                        call.sex,
                        recorded.unwrap_or(Sex::Unknown)
                    ),
                    Verdict::Pass => {
                        format!("genetic sex {:?} agrees with the clinical record", call.sex)
                    }
                    Verdict::Warn => format!(
                        "genetic sex cannot be compared ({:?} from {} chrX sites; recorded {:?})",
                        call.sex,
                        call.x_sites,
                        recorded.unwrap_or(Sex::Unknown)
                    ),
                };
                out.push(PendingCheck {
                    hold: if verdict == Verdict::Fail {
                        vec![(r.library_id.clone(), r.participant_id.clone())]
                    } else {
                        Vec::new()
                    },
                    row: check(
                        &r.id,
                        None,
                        "sex",
                        verdict,
                        json!({ "call": call, "recorded": recorded }),
                        message,
                    ),
                });
            }
            if r.evidence == "reads" {
                let (verdict, estimate) = compare::check_contamination(&n.fp);
                out.push(PendingCheck {
                    hold: if verdict == Verdict::Fail {
                        vec![(r.library_id.clone(), r.participant_id.clone())]
                    } else {
                        Vec::new()
                    },
                    row: check(
                        &r.id,
                        None,
                        "contamination",
                        verdict,
                        json!({ "estimate": estimate }),
                        match estimate {
                            Some(c) => format!("estimated contamination {:.1} %", c * 100.0),
                            None => {
                                "contamination cannot be estimated (too few deep homozygous sites)"
                                    .into()
                            }
                        },
                    ),
                });
            }
        }

        // pairs: each new sample against the cohort and the other new ones
        let mut pairs = Vec::new();
        let all = fps.clone();
        tokio::task::spawn_blocking(move || {
            let mut got = Vec::new();
            zenome_identity::cohort::pairs(&all, new_from, 2, |_| true, |b| got.extend(b));
            got
        })
        .await
        .map_err(|e| AppError::Internal(format!("identity pairs: {e}")))?
        .into_iter()
        .for_each(|p| pairs.push(p));
        for p in pairs {
            let (i, j) = (p.i as usize, p.j as usize);
            let (ra, rb) = (&rows[i], &rows[j]);
            let c = p.counts;
            if ra.participant_id == rb.participant_id {
                // expected the same individual; a tumour is compared with
                // its normal allowing for loss of heterozygosity
                let loh = ra.tumour != rb.tumour;
                let (normal, tumour) = if ra.tumour { (j, i) } else { (i, j) };
                let cmp = compare::compare(&fps[normal], &fps[tumour], None, loh);
                let verdict = compare::check_same(&cmp);
                let kind = if ra.library_id == rb.library_id {
                    "same_library"
                } else if loh {
                    "tumour_normal"
                } else {
                    "same_participant"
                };
                let what = match kind {
                    "same_library" => "the two files of one library",
                    "tumour_normal" => "the tumour and its matched normal",
                    _ => "two samples of one participant",
                };
                let message = match cmp.same_individual {
                    Some(true) => format!(
                        "{what} are the same individual (LOD {:.1}, {} sites)",
                        cmp.lod, cmp.n_sites
                    ),
                    Some(false) => format!(
                        "{what} are NOT the same individual (LOD {:.1}, concordance {}, opposite homozygotes at {} of {} sites)",
                        cmp.lod,
                        fmt_opt(cmp.concordance),
                        cmp.ibs0,
                        cmp.n_sites
                    ),
                    None => format!(
                        "insufficient data to tell whether {what} are the same individual ({} shared sites, LOD {:.1})",
                        cmp.n_sites, cmp.lod
                    ),
                };
                let mut hold = Vec::new();
                if verdict == Verdict::Fail {
                    hold.push((rb.library_id.clone(), rb.participant_id.clone()));
                    if ra.library_id != rb.library_id {
                        hold.push((ra.library_id.clone(), ra.participant_id.clone()));
                    }
                }
                out.push(PendingCheck {
                    row: check(&rb.id, Some(&ra.id), kind, verdict, json!(cmp), message),
                    hold,
                });
                continue;
            }
            // different participants: only what matters is recorded
            let concordance = c.concordance().unwrap_or(0.0);
            let kinship = c.kinship();
            let decl = declared
                .get(&(ra.participant_id.clone(), rb.participant_id.clone()))
                .copied();
            let maybe_same = c.n >= MIN_SITES && concordance > 0.8;
            if maybe_same {
                let cmp = compare::compare(&fps[i], &fps[j], None, ra.tumour != rb.tumour);
                if cmp.same_individual == Some(true) {
                    out.push(PendingCheck {
                        row: check(
                            &rb.id,
                            Some(&ra.id),
                            "cohort_match",
                            Verdict::Fail,
                            json!(cmp),
                            format!(
                                "samples of participants {} and {} are the same individual (LOD {:.1}, {} sites): a duplicate or a swap",
                                rb.participant_id, ra.participant_id, cmp.lod, cmp.n_sites
                            ),
                        ),
                        hold: vec![
                            (rb.library_id.clone(), rb.participant_id.clone()),
                            (ra.library_id.clone(), ra.participant_id.clone()),
                        ],
                    });
                    continue;
                }
            }
            if let Some(d) = decl
                && d != Declared::SameFamily
            {
                let pc = pedigree::check_pair(&ra.participant_id, &rb.participant_id, d, &c);
                let message = match pc.verdict {
                    Verdict::Fail => format!(
                        "declared {:?} with participant {}, but the genomes say {} (kinship {}, IBS0 {})",
                        d,
                        ra.participant_id,
                        pc.observed.map_or("nothing", |o| o.as_str()),
                        fmt_opt(pc.kinship),
                        fmt_opt(pc.ibs0_fraction)
                    ),
                    Verdict::Pass => format!(
                        "declared {:?} with participant {}, as the genomes show",
                        d, ra.participant_id
                    ),
                    Verdict::Warn => format!(
                        "declared {:?} with participant {}: too few shared sites to tell ({}, {} needed)",
                        d, ra.participant_id, pc.n_sites, MIN_RELATION_SITES
                    ),
                };
                out.push(PendingCheck {
                    hold: if pc.verdict == Verdict::Fail {
                        vec![(rb.library_id.clone(), rb.participant_id.clone())]
                    } else {
                        Vec::new()
                    },
                    row: check(
                        &rb.id,
                        Some(&ra.id),
                        "pedigree",
                        pc.verdict,
                        json!(pc),
                        message,
                    ),
                });
                continue;
            }
            if c.n >= MIN_RELATION_SITES && kinship.is_some_and(|k| k > 0.177) {
                out.push(PendingCheck {
                    row: check(
                        &rb.id,
                        Some(&ra.id),
                        "undeclared_relative",
                        Verdict::Warn,
                        json!({ "counts": c, "kinship": kinship, "ibs0_fraction": c.ibs0_fraction() }),
                        format!(
                            "first-degree relative (or closer) of participant {}, not declared in the pedigree (kinship {})",
                            ra.participant_id,
                            fmt_opt(kinship)
                        ),
                    ),
                    hold: Vec::new(),
                });
            }
        }
        Ok(out)
    }

    async fn alert_holds(&self, opened: &[(String, String, String)]) {
        for (library, participant, reason) in opened {
            self.observe(Event::IdentityHold {
                library,
                participant,
                reason,
            })
            .await;
        }
    }

    /// Relabels the library of an open hold (data-centre staff): it is
    /// `extract`'s participant's (an extract node id or barcode), so the
    /// library and everything under it move there, with the reason,
    /// audited; the hold closes as `relabelled` and the library's samples
    /// are checked again against the cohort under their new participant —
    /// a relabel the genomes contradict opens a new hold. Refused (409)
    /// when the library's genotypes are in the variant store (they are
    /// stored under the old participant id: exclude it and have the file
    /// sent again), or when the participant has no consent in force.
    pub async fn relabel_identity_hold(
        &self,
        actor: &Actor,
        hold_id: &str,
        extract: &str,
        reason: &str,
    ) -> Result<HoldView, AppError> {
        require_staff(actor, "resolve identity holds")?;
        let reason = check_reason(reason)?;
        let hold = self
            .store()
            .identity_hold(hold_id)
            .await?
            .ok_or(AppError::NotFound("hold"))?;
        if hold.state != "open" {
            return Err(AppError::Conflict {
                field: Some("hold".into()),
                message: format!("the hold is {} already", hold.state),
            });
        }
        let extract = extract.trim();
        let target = match extract.parse::<zenome_domain::id::Barcode>() {
            Ok(b) => self.store().node_by_barcode(&b).await?,
            Err(_) => self.store().node(&NodeId::new(extract)).await?,
        }
        .filter(|n| matches!(n.details, NodeDetails::Extract { .. }))
        .ok_or_else(|| {
            AppError::invalid("extract", "no such extract (give its barcode or node id)")
        })?;
        let library = self
            .store()
            .node(&NodeId::new(&hold.library_id))
            .await?
            .ok_or(AppError::NotFound("library"))?;
        if target.participant == library.participant {
            return Err(AppError::invalid(
                "extract",
                "the extract is the library's own participant's: release the hold instead",
            ));
        }
        let consent = self.store().consent_history(&target.participant).await?;
        if consent
            .state_at(time::OffsetDateTime::now_utc())
            .active()
            .is_none()
        {
            return Err(AppError::invalid(
                "extract",
                format!("participant {} has no consent in force", target.participant),
            ));
        }
        if self
            .store()
            .library_in_variant_store(&hold.library_id)
            .await?
        {
            return Err(AppError::Conflict {
                field: Some("hold".into()),
                message: format!(
                    "the library's genotypes are in the variant store under participant {}; exclude it and have the centre send the file again",
                    library.participant
                ),
            });
        }
        let to = target.participant.to_string();
        let entry = AuditEntry::new(
            actor.audit_name(),
            "identity.library_relabelled",
            format!("library:{}", hold.library_id),
        )
        .with_detail(json!({
            "hold": hold.id,
            "from": library.participant.as_str(),
            "to": to,
            "extract": target.id.as_str(),
            "reason": reason,
        }));
        let mut tx = self.store().begin(entry).await?;
        if !tx
            .resolve_identity_hold(&hold.id, "relabelled", &actor.username, reason)
            .await?
        {
            return Err(AppError::Conflict {
                field: Some("hold".into()),
                message: "the hold was resolved meanwhile".into(),
            });
        }
        tx.relabel_library(&hold.library_id, &to, target.id.as_str())
            .await?;
        tx.commit().await?;
        self.recheck_library(&hold.library_id).await?;
        let row = self
            .store()
            .identity_hold(hold_id)
            .await?
            .ok_or(AppError::NotFound("hold"))?;
        self.hold_view(row).await
    }

    /// Runs every check again for a library's samples (after a relabel),
    /// recording the new checks and any hold they open.
    async fn recheck_library(&self, library: &str) -> Result<usize, AppError> {
        let _one_at_a_time = self.inner.identity.lock.lock().await;
        let cached = self.cached_fingerprints()?;
        let mut samples = Vec::new();
        for row in self.store().identity_samples_of_library(library).await? {
            if let Some(fp) = cached.get(&row.id) {
                samples.push(NewSample {
                    fp: (**fp).clone(),
                    row,
                });
            }
        }
        if samples.is_empty() {
            return Ok(0);
        }
        let checks = self.run_checks(&samples).await?;
        let entry = AuditEntry::new(
            "system:identity",
            "identity.rechecked",
            format!("library:{library}"),
        )
        .with_detail(json!({
            "checks": checks.len(),
            "failed": checks.iter().filter(|c| c.row.verdict == "fail").count(),
        }));
        let mut tx = self.store().begin(entry).await?;
        let opened = record_checks(&mut tx, &checks).await?;
        tx.commit().await?;
        self.alert_holds(&opened).await;
        Ok(checks.len())
    }

    /// Closes an open hold (data-centre staff) as released or excluded,
    /// with the reason, audited. A hold already closed is a 409.
    pub async fn resolve_identity_hold(
        &self,
        actor: &Actor,
        hold_id: &str,
        action: HoldAction,
        reason: &str,
    ) -> Result<HoldView, AppError> {
        require_staff(actor, "resolve identity holds")?;
        let reason = check_reason(reason)?;
        let hold = self
            .store()
            .identity_hold(hold_id)
            .await?
            .ok_or(AppError::NotFound("hold"))?;
        let entry = AuditEntry::new(
            actor.audit_name(),
            match action {
                HoldAction::Release => "identity.hold_released",
                HoldAction::Exclude => "identity.library_excluded",
            },
            format!("library:{}", hold.library_id),
        )
        .with_detail(
            json!({ "hold": hold.id, "participant": hold.participant_id, "reason": reason }),
        );
        let mut tx = self.store().begin(entry).await?;
        if !tx
            .resolve_identity_hold(&hold.id, action.state(), &actor.username, reason)
            .await?
        {
            return Err(AppError::Conflict {
                field: Some("hold".into()),
                message: format!("the hold is {} already", hold.state),
            });
        }
        tx.commit().await?;
        let row = self
            .store()
            .identity_hold(hold_id)
            .await?
            .ok_or(AppError::NotFound("hold"))?;
        self.hold_view(row).await
    }

    async fn check_views(&self, rows: Vec<IdentityCheckRow>) -> Result<Vec<CheckView>, AppError> {
        let mut sides: HashMap<String, Side> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for c in rows {
            let sample_side = self
                .side(&mut sides, &c.sample_id)
                .await?
                .unwrap_or_default();
            let other_side = match &c.other_id {
                Some(o) => self.side(&mut sides, o).await?,
                None => None,
            };
            out.push(CheckView {
                id: c.id,
                kind: c.kind,
                verdict: c.verdict,
                sample_id: c.sample_id,
                sample_side,
                other_id: c.other_id,
                other_participant: other_side.as_ref().map(|s| s.participant.clone()),
                other_side,
                numbers: serde_json::from_str(&c.numbers).unwrap_or(serde_json::Value::Null),
                message: c.message,
                hold_id: c.hold_id,
                at: c.at,
            });
        }
        Ok(out)
    }

    /// One sample's side of a check, looked up once per view.
    async fn side(
        &self,
        seen: &mut HashMap<String, Side>,
        sample: &str,
    ) -> Result<Option<Side>, AppError> {
        if let Some(s) = seen.get(sample) {
            return Ok(Some(s.clone()));
        }
        let Some(row) = self.store().identity_sample(sample).await? else {
            return Ok(None);
        };
        let side = Side {
            library_barcode: self.barcode_of(&row.library_id).await?,
            participant: row.participant_id,
            library_id: row.library_id,
            evidence: row.evidence,
        };
        seen.insert(sample.to_string(), side.clone());
        Ok(Some(side))
    }

    async fn barcode_of(&self, library: &str) -> Result<Option<String>, AppError> {
        Ok(self
            .store()
            .node(&NodeId::new(library))
            .await?
            .and_then(|n| n.barcode.map(|b| b.to_string())))
    }

    async fn hold_view(&self, h: IdentityHoldRow) -> Result<HoldView, AppError> {
        let checks = self
            .check_views(self.store().identity_checks_of_hold(&h.id).await?)
            .await?;
        Ok(HoldView {
            library_barcode: self.barcode_of(&h.library_id).await?,
            id: h.id,
            library_id: h.library_id,
            participant_id: h.participant_id,
            state: h.state,
            opened_at: h.opened_at,
            resolved_by: h.resolved_by,
            resolved_at: h.resolved_at,
            resolution: h.resolution,
            checks,
        })
    }

    /// The hold queue (data-centre staff): holds in `state` (`open`,
    /// `released`, `excluded`; `None` all), oldest first, with their checks.
    pub async fn identity_holds(
        &self,
        actor: &Actor,
        state: Option<&str>,
    ) -> Result<Vec<HoldView>, AppError> {
        require_staff(actor, "see the identity hold queue")?;
        if let Some(s) = state
            && !matches!(s, "open" | "released" | "excluded")
        {
            return Err(AppError::invalid("state", "open, released or excluded"));
        }
        let mut out = Vec::new();
        for h in self.store().identity_holds(state).await? {
            out.push(self.hold_view(h).await?);
        }
        Ok(out)
    }

    /// One participant's identity page: staff, and the participant's own
    /// facility (read only); out of scope is 404.
    pub async fn participant_identity(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<ParticipantIdentity, AppError> {
        match actor.role {
            Role::DataCentreStaff | Role::FacilitySubmitter { .. } | Role::Clinician { .. } => {}
            _ => {
                return Err(AppError::Forbidden(format!(
                    "role {} may not see sample identity",
                    actor.role.name()
                )));
            }
        }
        // scope: a facility sees only its own participants (404 otherwise)
        self.participant(actor, id).await?;
        let p = id.as_str();
        let mut samples = Vec::new();
        for s in self.store().identity_samples_of(p).await? {
            samples.push(SampleView {
                library_barcode: self.barcode_of(&s.library_id).await?,
                id: s.id,
                object_id: s.object_id,
                sample: s.sample,
                participant_id: s.participant_id,
                library_id: s.library_id,
                tumour: s.tumour,
                evidence: s.evidence,
                n_called: s.n_called,
                summary: serde_json::from_str(&s.summary).unwrap_or(serde_json::Value::Null),
                at: s.at,
            });
        }
        let checks = self
            .check_views(self.store().identity_checks_of(p).await?)
            .await?;
        let mut holds = Vec::new();
        for h in self.store().identity_holds_of(p).await? {
            holds.push(self.hold_view(h).await?);
        }
        Ok(ParticipantIdentity {
            participant_id: p.to_string(),
            blocked: self.store().identity_blocks(p).await?,
            samples,
            checks,
            holds,
        })
    }

    /// Whether a participant's genome may be used now (no library on hold
    /// or excluded): what a patient report asks before it is drafted.
    pub async fn identity_clear(&self, id: &ParticipantId) -> Result<bool, AppError> {
        Ok(!self.store().identity_blocks(id.as_str()).await?)
    }

    /// The relatedness plot's points (data-centre staff): every pair of the
    /// cohort's fingerprints (kinship against IBS0, as somalier draws it)
    /// up to `max_samples` samples; beyond, the pairs the checks recorded.
    pub async fn identity_relatedness(
        &self,
        actor: &Actor,
        max_samples: usize,
    ) -> Result<Vec<RelatednessPoint>, AppError> {
        require_staff(actor, "see the relatedness plot")?;
        let rows = self.store().identity_cohort().await?;
        let cached = self.cached_fingerprints()?;
        let mut kept = Vec::new();
        let mut fps = Vec::new();
        let panel = rows
            .iter()
            .find_map(|r| cached.get(&r.id).map(|f| f.panel.clone()));
        for r in rows {
            if let Some(fp) = cached.get(&r.id)
                && Some(&fp.panel) == panel.as_ref()
            {
                kept.push(r);
                fps.push((**fp).clone());
            }
        }
        let ids: Vec<ParticipantId> = kept
            .iter()
            .filter_map(|r| r.participant_id.parse().ok())
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let records = self.store().latest_clinical_of(&ids).await?;
        let mut relatives: HashSet<(String, String)> = HashSet::new();
        for (p, r) in &records {
            for (q, _) in declared_relatives(&r.record) {
                relatives.insert((p.clone(), q.clone()));
                relatives.insert((q, p.clone()));
            }
        }
        let expected = |a: &IdentitySampleRow, b: &IdentitySampleRow| {
            if a.participant_id == b.participant_id {
                "same_participant"
            } else if relatives.contains(&(a.participant_id.clone(), b.participant_id.clone())) {
                "declared_relatives"
            } else {
                "other"
            }
        };
        let mut out = Vec::new();
        if kept.len() <= max_samples {
            let got = tokio::task::spawn_blocking(move || {
                let mut got = Vec::new();
                zenome_identity::cohort::pairs(&fps, 0, 2, |_| true, |b| got.extend(b));
                got
            })
            .await
            .map_err(|e| AppError::Internal(format!("identity pairs: {e}")))?;
            for p in got {
                let (a, b) = (&kept[p.i as usize], &kept[p.j as usize]);
                if let (Some(k), Some(i0)) = (p.counts.kinship(), p.counts.ibs0_fraction()) {
                    out.push(RelatednessPoint {
                        a: a.id.clone(),
                        b: b.id.clone(),
                        a_participant: a.participant_id.clone(),
                        b_participant: b.participant_id.clone(),
                        kinship: k,
                        ibs0: i0,
                        n_sites: p.counts.n,
                        expected: expected(a, b),
                    });
                }
            }
        } else {
            let by_id: HashMap<&str, &IdentitySampleRow> =
                kept.iter().map(|r| (r.id.as_str(), r)).collect();
            for c in self.store().identity_pair_checks().await? {
                let Some(other) = c.other_id.as_deref() else {
                    continue;
                };
                let (Some(a), Some(b)) = (by_id.get(c.sample_id.as_str()), by_id.get(other)) else {
                    continue;
                };
                let n: serde_json::Value = serde_json::from_str(&c.numbers).unwrap_or_default();
                let k = n.get("kinship").and_then(|v| v.as_f64());
                let i0 = n.get("ibs0_fraction").and_then(|v| v.as_f64());
                if let (Some(k), Some(i0)) = (k, i0) {
                    out.push(RelatednessPoint {
                        a: a.id.clone(),
                        b: b.id.clone(),
                        a_participant: a.participant_id.clone(),
                        b_participant: b.participant_id.clone(),
                        kinship: k,
                        ibs0: i0,
                        n_sites: n.get("n_sites").and_then(|v| v.as_u64()).unwrap_or(0) as u32,
                        expected: expected(a, b),
                    });
                }
            }
        }
        Ok(out)
    }
}

fn check_reason(reason: &str) -> Result<&str, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(AppError::invalid(
            "reason",
            "say why, in 1 to 2000 characters",
        ));
    }
    Ok(reason)
}

/// Records checks and the holds their failures open or join; returns the
/// holds opened (library, participant, reason).
async fn record_checks(
    tx: &mut zenome_store::WriteTx,
    checks: &[PendingCheck],
) -> Result<Vec<(String, String, String)>, AppError> {
    let mut opened = Vec::new();
    for c in checks {
        let mut row = c.row.clone();
        let mut holds = Vec::new();
        for (library, participant) in &c.hold {
            let (id, new) = tx.open_identity_hold(library, participant).await?;
            if new {
                opened.push((library.clone(), participant.clone(), c.row.message.clone()));
            }
            row.hold_id.get_or_insert(id.clone());
            holds.push(id);
        }
        tx.insert_identity_check(&row).await?;
        holds.dedup();
        for h in holds {
            tx.link_identity_check(&h, &row.id).await?;
        }
    }
    Ok(opened)
}

fn require_staff(actor: &Actor, what: &str) -> Result<(), AppError> {
    if actor.role == Role::DataCentreStaff {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role {} may not {what}",
            actor.role.name()
        )))
    }
}
