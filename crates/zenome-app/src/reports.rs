//! Return of results (issue 13): patient reports through review to the
//! collecting facility, consent-gated, and recontact requests.
//!
//! Who does what:
//! - data-centre staff review: draft a report, comment, edit the
//!   interpretation, sign off (a named reviewer, with a fresh TOTP code),
//!   release, re-analyse, raise and confirm recontact requests;
//! - the clinician of the collecting facility receives: reads released
//!   reports of the facility's patients, acknowledges them, records when the
//!   result was conveyed, records recontact outcomes; sees a report stopped
//!   before release as a notice (its reason, not its content);
//! - another facility's clinician: 404; every other role: 403.
//!
//! Consent is read at each step. A report is drafted only for a patient
//! whose consent in force asks for results (`primary_findings`); secondary
//! findings only when `secondary_findings` is chosen. A withdrawal or a
//! changed wish stops every report not yet released (at the consent change
//! itself, and again at sign-off and release), and the facility sees the
//! stop and its reason. A genome on identity hold is never reported.
//!
//! Every step is one transaction: the status (moved only from the status
//! read, so two reviewers cannot both release), the history row and the
//! audit entry.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use zenome_domain::consent::ConsentItems;
use zenome_domain::id::ParticipantId;
use zenome_domain::participant::DiseaseArea;
use zenome_domain::role::Role;
use zenome_reports::{
    Action, CandidateLine, IdentityLine, RecontactReason, RecontactStatus, ReportContent,
    ReportKind, Review, SampleLine, SecondaryLine, SecondaryNote, Status, TherapyLine, TrialLine,
    VariantLine,
};
use zenome_store::{AuditEntry, RecontactRow, ReportRow, ReportUpdate};

use crate::{Actor, App, AppError};

/// A report as a reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportView {
    pub id: String,
    pub participant_id: String,
    pub facility: String,
    pub version: i64,
    pub kind: String,
    pub status: String,
    pub content_sha256: String,
    pub created_at: String,
    pub created_by: String,
    pub signed_off_by: Option<String>,
    pub signed_off_at: Option<String>,
    pub released_at: Option<String>,
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<String>,
    pub conveyed_on: Option<String>,
    pub superseded_by: Option<String>,
    pub stopped_reason: Option<String>,
    /// The content; `None` where the reader may not see it (a stop notice
    /// to the facility).
    #[serde(skip)]
    pub content: Option<ReportContent>,
    /// The history, oldest first.
    pub history: Vec<ReportEventView>,
}

/// One step of a report's history.
#[derive(Debug, Clone, Serialize)]
pub struct ReportEventView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: serde_json::Value,
}

/// A recontact request as a reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct RecontactView {
    pub id: String,
    pub participant_id: String,
    pub facility: String,
    pub reason: String,
    pub detail: String,
    pub status: String,
    pub report_id: Option<String>,
    pub raised_by: String,
    pub raised_at: String,
    pub outcome: Option<String>,
    pub outcome_by: Option<String>,
    pub outcome_at: Option<String>,
}

/// What a re-analysis did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reanalysis {
    /// Participants whose report was compared.
    pub compared: usize,
    /// (participant, new report id, previous report id) where the
    /// actionable content changed.
    pub redrafted: Vec<(String, String, String)>,
    /// Recontact requests proposed.
    pub proposed: Vec<String>,
}

/// The data centre acting on its own (re-analysis after an annotation
/// run): a reviewer's rights, recorded as the local operator.
pub fn system_reviewer() -> Actor {
    Actor {
        role: Role::DataCentreStaff,
        ..Actor::local()
    }
}

fn rfc(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn conflict(field: &str, message: String) -> AppError {
    AppError::Conflict {
        field: Some(field.to_string()),
        message,
    }
}

fn step_error(e: zenome_reports::ReportError) -> AppError {
    conflict("status", e.to_string())
}

fn staff_only(actor: &Actor, what: &str) -> Result<(), AppError> {
    if actor.role == Role::DataCentreStaff {
        Ok(())
    } else {
        Err(AppError::Forbidden(format!(
            "role {} may not {what}",
            actor.role.name()
        )))
    }
}

/// The facility a clinician acts for (`None` for staff); other roles 403.
fn reader_facility(actor: &Actor) -> Result<Option<String>, AppError> {
    match &actor.role {
        Role::DataCentreStaff => Ok(None),
        Role::Clinician { facility } => Ok(Some(facility.as_str().to_string())),
        r => Err(AppError::Forbidden(format!(
            "role {} may not see patient reports",
            r.name()
        ))),
    }
}

/// Whether a facility reader may see this report at all, and its content.
fn facility_sees(row: &ReportRow) -> (bool, bool) {
    let status = Status::parse(&row.status).unwrap_or(Status::Draft);
    let was_released = row.released_at.is_some();
    match status {
        s if s.is_released() => (true, true),
        Status::Superseded if was_released => (true, true),
        Status::Stopped => (true, false),
        _ => (false, false),
    }
}

/// Why the consent in force does not allow returning results, if it does not.
fn consent_blocks(items: Option<&ConsentItems>) -> Option<String> {
    match items {
        None => Some("the participant's consent is withdrawn or not in force".into()),
        Some(i) if !i.primary_findings => {
            Some("the participant chose not to receive results (primary findings)".into())
        }
        Some(_) => None,
    }
}

impl App {
    async fn consent_items(&self, id: &ParticipantId) -> Result<Option<ConsentItems>, AppError> {
        let h = self.store().consent_history(id).await?;
        Ok(h.state_at(OffsetDateTime::now_utc())
            .active()
            .map(|a| a.items.clone()))
    }

    fn report_view(
        &self,
        row: ReportRow,
        with_content: bool,
        history: Vec<ReportEventView>,
    ) -> ReportView {
        let content = if with_content {
            ReportContent::from_json(&row.content).ok()
        } else {
            None
        };
        ReportView {
            id: row.id,
            participant_id: row.participant_id,
            facility: row.facility_code,
            version: row.version,
            kind: row.kind,
            status: row.status,
            content_sha256: row.content_sha256,
            created_at: rfc(row.created_at),
            created_by: row.created_by,
            signed_off_by: row.signed_off_by,
            signed_off_at: row.signed_off_at.map(rfc),
            released_at: row.released_at.map(rfc),
            acknowledged_by: row.acknowledged_by,
            acknowledged_at: row.acknowledged_at.map(rfc),
            conveyed_on: row.conveyed_on,
            superseded_by: row.superseded_by,
            stopped_reason: row.stopped_reason,
            content,
            history,
        }
    }

    async fn history(&self, id: &str) -> Result<Vec<ReportEventView>, AppError> {
        Ok(self
            .store()
            .report_events(id)
            .await?
            .into_iter()
            .map(|e| ReportEventView {
                at: rfc(e.at),
                actor: e.actor,
                action: e.action,
                detail: serde_json::from_str(&e.detail).unwrap_or(serde_json::Value::Null),
            })
            .collect())
    }

    /// The report if the actor may see it: staff all; a clinician the
    /// facility's released ones and stop notices (content hidden); another
    /// facility's or an unreleased one 404; other roles 403.
    async fn readable_report(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<(ReportRow, bool), AppError> {
        let facility = reader_facility(actor)?;
        let row = self
            .store()
            .report(id)
            .await?
            .ok_or(AppError::NotFound("report"))?;
        match facility {
            None => Ok((row, true)),
            Some(f) => {
                let (sees, content) = facility_sees(&row);
                if row.facility_code != f || !sees {
                    return Err(AppError::NotFound("report"));
                }
                Ok((row, content))
            }
        }
    }

    /// Reports the actor may see, newest first: staff every report (the
    /// review queue: drafts and signed-off ones first in `status` order of
    /// the caller's choosing); a clinician the facility's released reports
    /// and stop notices.
    pub async fn reports(&self, actor: &Actor) -> Result<Vec<ReportView>, AppError> {
        let facility = reader_facility(actor)?;
        let rows = self.store().reports(facility.as_deref(), &[]).await?;
        let mut out = Vec::new();
        for row in rows {
            let content = match &facility {
                None => true,
                Some(_) => {
                    let (sees, content) = facility_sees(&row);
                    if !sees {
                        continue;
                    }
                    content
                }
            };
            out.push(self.report_view(row, content, Vec::new()));
        }
        Ok(out)
    }

    /// One report with its history.
    pub async fn report(&self, actor: &Actor, id: &str) -> Result<ReportView, AppError> {
        let (row, content) = self.readable_report(actor, id).await?;
        let history = self.history(&row.id).await?;
        Ok(self.report_view(row, content, history))
    }

    /// The report as HTML (`standalone`: a whole document, as in the PDF).
    pub async fn report_html(
        &self,
        actor: &Actor,
        id: &str,
        standalone: bool,
    ) -> Result<String, AppError> {
        let (row, content) = self.readable_report(actor, id).await?;
        if !content {
            return Err(conflict(
                "status",
                format!(
                    "report {id} was stopped before release: {}",
                    row.stopped_reason.unwrap_or_default()
                ),
            ));
        }
        let c = ReportContent::from_json(&row.content)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let status = Status::parse(&row.status).map_err(|e| AppError::Internal(e.to_string()))?;
        let review = Review {
            signed_off_by: row.signed_off_by.clone(),
            signed_off_at: row.signed_off_at.map(rfc),
            released_at: row.released_at.map(rfc),
        };
        Ok(zenome_reports::render_html(&c, status, &review, standalone))
    }

    /// The report as PDF (rendered by headless Chromium from the same HTML).
    pub async fn report_pdf(&self, actor: &Actor, id: &str) -> Result<Vec<u8>, AppError> {
        let html = self.report_html(actor, id, true).await?;
        let opts = zenome_reports::PdfOptions {
            chromium: self.config().reports.chromium.clone(),
            timeout: std::time::Duration::from_secs(self.config().reports.pdf_timeout_secs),
        };
        tokio::task::spawn_blocking(move || zenome_reports::render_pdf(&html, &opts))
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?
            .map_err(|e| conflict("reports", e.to_string()))
    }

    /// Builds a report's content for a participant as things stand now.
    async fn build_content(
        &self,
        staff: &Actor,
        id: &ParticipantId,
        version: u32,
        items: &ConsentItems,
    ) -> Result<ReportContent, AppError> {
        let view = self.participant(staff, id).await?;
        let p = &view.participant;
        let facility = p.facility.as_str().to_string();
        let facility_name = self
            .store()
            .organisations()
            .await?
            .into_iter()
            .find(|o| o.code.as_str() == facility)
            .map(|o| o.name_ja)
            .unwrap_or_default();
        let kind = match p.disease_area {
            DiseaseArea::Cancer => ReportKind::Cancer,
            DiseaseArea::RareDisease => ReportKind::RareDisease,
        };
        let record = self.store().latest_clinical(id).await?;
        let diagnosis = record.as_ref().and_then(|r| {
            let v: serde_json::Value = serde_json::from_str(&r.record).ok()?;
            let d = v.get("groups")?.get("diagnosis")?;
            let name = d
                .get("diagnosis_name")
                .and_then(|x| x.as_str())
                .unwrap_or("");
            let code = d
                .get("icd10")
                .or_else(|| d.get("primary_site"))
                .and_then(|x| x.as_str())
                .unwrap_or("");
            Some(format!("{name} ({code})"))
        });
        // samples and QC
        let mut samples = Vec::new();
        let mut pipelines: Vec<String> = Vec::new();
        for o in self.store().objects_of(id).await? {
            let qc: serde_json::Value = serde_json::from_str(&o.qc).unwrap_or_default();
            let metrics = qc
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(_, v)| v.is_number())
                        .take(4)
                        .map(|(k, v)| format!("{k} {v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            if let Some(p) = &o.pipeline
                && !pipelines.contains(p)
            {
                pipelines.push(p.clone());
            }
            samples.push(SampleLine {
                kind: o.format.to_uppercase(),
                file: o.name.clone(),
                centre: o.centre.clone().unwrap_or_default(),
                qc: o.qc_status.clone(),
                metrics,
            });
        }
        // identity
        let fingerprints = self.store().identity_samples_of(id.as_str()).await?.len();
        let checks = self.store().identity_checks_of(id.as_str()).await?.len();
        let identity = if fingerprints > 0 {
            IdentityLine {
                verdict: "pass".into(),
                detail: format!(
                    "{fingerprints} fingerprinted sample(s), {checks} check(s), no hold"
                ),
            }
        } else {
            IdentityLine {
                verdict: "not_checked".into(),
                detail: "no fingerprint taken (no sequence file at the data centre yet)".into(),
            }
        };
        // findings: what the latest annotation run found
        let f = self.participant_findings(staff, id).await?;
        let mut knowledge: Vec<String> = f
            .run
            .as_ref()
            .map(|r| {
                let mut k = vec![format!("gene model {}", r.gene_model)];
                k.extend(r.knowledge.iter().cloned());
                k
            })
            .unwrap_or_default();
        let variants: Vec<VariantLine> = f
            .findings
            .variants
            .iter()
            .filter(|v| kind == ReportKind::Cancer && v.origin == "somatic")
            .map(|v| VariantLine {
                gene: v.gene.clone(),
                hgvsc: v.hgvsc.clone(),
                hgvsp: v.hgvsp.clone(),
                consequence: v.consequences.join(", "),
                origin: v.origin.clone(),
            })
            .collect();
        let therapies: Vec<TherapyLine> = f
            .findings
            .therapies
            .iter()
            .map(|t| TherapyLine {
                gene: t.gene.clone(),
                variant: t.kb_variant.clone(),
                therapies: t.therapies.join(" + "),
                disease: t.disease.clone(),
                level: t.level.clone().unwrap_or_default(),
                tier: t.amp.clone().unwrap_or_default(),
                source: format!("{} ({})", t.record, t.kb),
            })
            .collect();
        let trials: Vec<TrialLine> = f
            .trials
            .iter()
            .map(|t| TrialLine {
                id: t.id.clone(),
                title: t.title.clone(),
            })
            .collect();
        let (secondary, secondary_note) = if items.secondary_findings {
            (
                f.findings
                    .secondary
                    .iter()
                    .map(|s| SecondaryLine {
                        gene: s.gene.clone(),
                        variant: s.hgvs.clone().unwrap_or(s.variant.clone()),
                        significance: format!("{} ({}★)", s.significance, s.stars),
                        conditions: s.conditions.join(", "),
                    })
                    .collect(),
                SecondaryNote::Included,
            )
        } else {
            (Vec::new(), SecondaryNote::NotWanted)
        };
        // candidate diagnoses (rare disease)
        let mut candidates = Vec::new();
        if kind == ReportKind::RareDisease {
            let c = self.candidate_diagnoses(staff, id).await?;
            knowledge.push(c.knowledge.clone());
            if !knowledge.iter().any(|k| k.contains(&c.gene_model)) {
                knowledge.push(format!("gene model {}", c.gene_model));
            }
            for g in c.genes.iter().take(5) {
                candidates.push(CandidateLine {
                    rank: g.rank,
                    gene: g.gene.clone(),
                    score: g.score,
                    inheritance: g
                        .inheritance
                        .and_then(|f| serde_json::to_value(f).ok())
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    variants: g
                        .variants
                        .iter()
                        .map(|v| {
                            let z = v
                                .genotypes
                                .first()
                                .and_then(|z| serde_json::to_value(z).ok())
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default();
                            format!("{} {} {z}", v.hgvsc, v.hgvsp).trim().to_string()
                        })
                        .collect(),
                    matched_terms: g
                        .matched_terms
                        .iter()
                        .take(3)
                        .map(|m| {
                            format!(
                                "{} {} ↔ {} {}",
                                m.patient_term, m.patient_label, m.gene_term, m.gene_label
                            )
                        })
                        .collect(),
                });
            }
        }
        let pipeline = (!pipelines.is_empty()).then(|| pipelines.join(", "));
        Ok(ReportContent {
            participant_id: id.to_string(),
            facility,
            facility_name,
            kind,
            version,
            generated_at: rfc(OffsetDateTime::now_utc()),
            pipeline,
            diagnosis,
            samples,
            identity,
            variants,
            therapies,
            trials,
            candidates,
            secondary,
            secondary_note,
            knowledge,
            interpretation: String::new(),
            limitations: ReportContent::limitations_for(kind),
        })
    }

    /// Drafts a new report version for a participant (staff). Refused with
    /// the reason when the consent in force does not ask for results or the
    /// genome is on identity hold. An earlier version not yet released is
    /// superseded by the new one.
    pub async fn draft_report(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<ReportView, AppError> {
        staff_only(actor, "draft patient reports")?;
        self.draft_report_inner(actor, id, None).await
    }

    async fn draft_report_inner(
        &self,
        actor: &Actor,
        id: &ParticipantId,
        reason: Option<&str>,
    ) -> Result<ReportView, AppError> {
        let items = self.consent_items(id).await?;
        // 404 before anything is revealed about a participant not there
        self.participant(actor, id).await?;
        if let Some(why) = consent_blocks(items.as_ref()) {
            return Err(conflict("consent", format!("no report for {id}: {why}")));
        }
        if self.store().identity_blocks(id.as_str()).await? {
            return Err(conflict(
                "identity",
                format!(
                    "no report for {id}: its genome is held by an identity check until staff resolve it"
                ),
            ));
        }
        let items = items.expect("checked above");
        let previous = self.store().reports_of_participant(id.as_str()).await?;
        let version = previous.first().map_or(1, |r| r.version + 1);
        let content = self
            .build_content(
                actor,
                id,
                u32::try_from(version).unwrap_or(u32::MAX),
                &items,
            )
            .await?;
        let new_id = uuid::Uuid::new_v4().to_string();
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "report.draft",
                    format!("report:{new_id}"),
                )
                .with_detail(
                    json!({"participant": id.as_str(), "version": version, "reason": reason}),
                ),
            )
            .await?;
        // the version number is taken inside the transaction: a parallel
        // draft gets a unique-constraint conflict, not a duplicate version
        let row = ReportRow {
            id: new_id.clone(),
            participant_id: id.to_string(),
            facility_code: content.facility.clone(),
            version,
            kind: match content.kind {
                ReportKind::Cancer => "cancer".into(),
                ReportKind::RareDisease => "rare_disease".into(),
            },
            status: Status::Draft.name().into(),
            content_sha256: content.digest(),
            content: content.to_json(),
            created_at: tx.at(),
            created_by: actor.audit_name(),
            signed_off_by: None,
            signed_off_at: None,
            released_at: None,
            acknowledged_by: None,
            acknowledged_at: None,
            conveyed_on: None,
            conveyed_by: None,
            superseded_by: None,
            stopped_reason: None,
        };
        tx.insert_report(&row).await?;
        tx.insert_report_event(
            &new_id,
            &actor.audit_name(),
            "draft",
            &json!({"version": version, "reason": reason}),
        )
        .await?;
        for old in previous.iter() {
            let s = Status::parse(&old.status).map_err(|e| AppError::Internal(e.to_string()))?;
            if s.is_final() {
                continue;
            }
            s.apply(Action::Supersede).map_err(step_error)?;
            let u = ReportUpdate {
                superseded_by: Some(new_id.clone()),
                ..ReportUpdate::default()
            };
            if !tx
                .update_report(&old.id, &old.status, Status::Superseded.name(), &u)
                .await?
            {
                return Err(conflict(
                    "status",
                    format!("report {} changed meanwhile; try again", old.id),
                ));
            }
            tx.insert_report_event(
                &old.id,
                &actor.audit_name(),
                "supersede",
                &json!({"by": new_id, "version": version}),
            )
            .await?;
        }
        tx.commit().await?;
        self.report(actor, &new_id).await
    }

    /// Loads a report for a staff step and checks the step is allowed.
    async fn staff_step(
        &self,
        actor: &Actor,
        id: &str,
        action: Action,
    ) -> Result<(ReportRow, Status, Status), AppError> {
        staff_only(actor, "review patient reports")?;
        let row = self
            .store()
            .report(id)
            .await?
            .ok_or(AppError::NotFound("report"))?;
        let from = Status::parse(&row.status).map_err(|e| AppError::Internal(e.to_string()))?;
        let to = from.apply(action).map_err(step_error)?;
        Ok((row, from, to))
    }

    #[allow(clippy::too_many_arguments)]
    async fn write_step(
        &self,
        actor: &Actor,
        row: &ReportRow,
        from: Status,
        to: Status,
        action: Action,
        update: ReportUpdate,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor.audit_name(), format!("report.{}", action.name()), format!("report:{}", row.id))
                    .with_detail(json!({"participant": row.participant_id, "from": from.name(), "to": to.name()})),
            )
            .await?;
        if !tx
            .update_report(&row.id, from.name(), to.name(), &update)
            .await?
        {
            return Err(conflict(
                "status",
                format!("report {} changed meanwhile; reload it", row.id),
            ));
        }
        tx.insert_report_event(&row.id, &actor.audit_name(), action.name(), &detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A reviewer's comment on a draft or signed-off report (staff).
    pub async fn comment_report(
        &self,
        actor: &Actor,
        id: &str,
        text: &str,
    ) -> Result<ReportView, AppError> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 4000 {
            return Err(AppError::Invalid {
                field: "comment".into(),
                reason: "a comment has 1 to 4,000 characters".into(),
            });
        }
        let (row, from, to) = self.staff_step(actor, id, Action::Comment).await?;
        self.write_step(
            actor,
            &row,
            from,
            to,
            Action::Comment,
            ReportUpdate::default(),
            json!({"comment": text}),
        )
        .await?;
        self.report(actor, id).await
    }

    /// Replaces the interpretation of a draft (staff); the history keeps
    /// the text before and after.
    pub async fn edit_interpretation(
        &self,
        actor: &Actor,
        id: &str,
        text: &str,
    ) -> Result<ReportView, AppError> {
        if text.chars().count() > 20_000 {
            return Err(AppError::Invalid {
                field: "interpretation".into(),
                reason: "at most 20,000 characters".into(),
            });
        }
        let (row, from, _) = self
            .staff_step(actor, id, Action::EditInterpretation)
            .await?;
        let mut c = ReportContent::from_json(&row.content)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let before = std::mem::replace(&mut c.interpretation, text.trim().to_string());
        let mut tx = self
            .store()
            .begin(AuditEntry::new(
                actor.audit_name(),
                "report.edit_interpretation",
                format!("report:{id}"),
            ))
            .await?;
        if from != Status::Draft || !tx.set_report_content(id, &c.to_json(), &c.digest()).await? {
            return Err(conflict(
                "status",
                format!("report {id} is no longer a draft"),
            ));
        }
        tx.insert_report_event(
            id,
            &actor.audit_name(),
            Action::EditInterpretation.name(),
            &json!({"before": before, "after": c.interpretation}),
        )
        .await?;
        tx.commit().await?;
        self.report(actor, id).await
    }

    /// Stops a report not yet released (system or staff), with the reason
    /// the facility will see.
    async fn stop_report(
        &self,
        actor_name: &str,
        row: &ReportRow,
        reason: &str,
    ) -> Result<(), AppError> {
        let from = Status::parse(&row.status).map_err(|e| AppError::Internal(e.to_string()))?;
        let to = from.apply(Action::Stop).map_err(step_error)?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor_name, "report.stop", format!("report:{}", row.id))
                    .with_detail(json!({"participant": row.participant_id, "reason": reason})),
            )
            .await?;
        let u = ReportUpdate {
            stopped_reason: Some(reason.to_string()),
            ..ReportUpdate::default()
        };
        if tx
            .update_report(&row.id, from.name(), to.name(), &u)
            .await?
        {
            tx.insert_report_event(
                &row.id,
                actor_name,
                Action::Stop.name(),
                &json!({"reason": reason, "facility_told": true}),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Re-reads consent and identity before sign-off and release: a report
    /// that may no longer go out is stopped (the facility sees why) and the
    /// step refused.
    async fn gate(&self, row: &ReportRow) -> Result<(), AppError> {
        let pid: ParticipantId = row
            .participant_id
            .parse()
            .map_err(|_| AppError::Internal("stored participant id".into()))?;
        let items = self.consent_items(&pid).await?;
        let content = ReportContent::from_json(&row.content)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let mut why = consent_blocks(items.as_ref());
        if why.is_none()
            && let Some(i) = &items
        {
            let wants = i.secondary_findings;
            let has = content.secondary_note == SecondaryNote::Included;
            if wants != has {
                why = Some("the participant changed their wish about secondary findings".into());
            }
        }
        if why.is_none() && self.store().identity_blocks(pid.as_str()).await? {
            why = Some("the genome is held by an identity check".into());
        }
        if let Some(why) = why {
            self.stop_report("system", row, &why).await?;
            return Err(conflict(
                "consent",
                format!(
                    "report {} stopped, not sent: {why}; the facility is told",
                    row.id
                ),
            ));
        }
        Ok(())
    }

    /// Signs a report off (staff): the reviewer is named and proves it is
    /// them now with a TOTP code (a code already used is refused).
    pub async fn sign_off_report(
        &self,
        actor: &Actor,
        id: &str,
        code: &str,
    ) -> Result<ReportView, AppError> {
        let (row, from, to) = self.staff_step(actor, id, Action::SignOff).await?;
        self.gate(&row).await?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "report.sign_off",
                    format!("report:{id}"),
                )
                .with_detail(
                    json!({"participant": row.participant_id, "sha256": row.content_sha256}),
                ),
            )
            .await?;
        self.second_factor(&mut tx, actor, code).await?;
        let reviewer = if actor.display_name.is_empty() {
            actor.username.clone()
        } else {
            format!("{} ({})", actor.display_name, actor.username)
        };
        let u = ReportUpdate {
            signed_off_by: Some(reviewer.clone()),
            signed_off: true,
            ..ReportUpdate::default()
        };
        if !tx.update_report(id, from.name(), to.name(), &u).await? {
            return Err(conflict(
                "status",
                format!("report {id} changed meanwhile; reload it"),
            ));
        }
        tx.insert_report_event(
            id,
            &actor.audit_name(),
            Action::SignOff.name(),
            &json!({"reviewer": reviewer, "sha256": row.content_sha256, "second_factor": "totp"}),
        )
        .await?;
        tx.commit().await?;
        self.report(actor, id).await
    }

    /// Sends a signed-off report to the collecting facility (staff), after
    /// reading consent and identity once more.
    pub async fn release_report(&self, actor: &Actor, id: &str) -> Result<ReportView, AppError> {
        let (row, from, to) = self.staff_step(actor, id, Action::Release).await?;
        self.gate(&row).await?;
        let u = ReportUpdate {
            released: true,
            ..ReportUpdate::default()
        };
        self.write_step(
            actor,
            &row,
            from,
            to,
            Action::Release,
            u,
            json!({"to": row.facility_code}),
        )
        .await?;
        self.report(actor, id).await
    }

    /// A clinician's step on a released report of the facility.
    async fn clinician_step(
        &self,
        actor: &Actor,
        id: &str,
        action: Action,
    ) -> Result<(ReportRow, Status, Status), AppError> {
        let Role::Clinician { .. } = &actor.role else {
            return Err(AppError::Forbidden(format!(
                "role {} may not {} reports: the facility's clinician does",
                actor.role.name(),
                action.name()
            )));
        };
        let (row, content) = self.readable_report(actor, id).await?;
        if !content {
            return Err(AppError::NotFound("report"));
        }
        let from = Status::parse(&row.status).map_err(|e| AppError::Internal(e.to_string()))?;
        let to = from.apply(action).map_err(step_error)?;
        Ok((row, from, to))
    }

    /// The facility's clinician has read the report.
    pub async fn acknowledge_report(
        &self,
        actor: &Actor,
        id: &str,
    ) -> Result<ReportView, AppError> {
        let (row, from, to) = self.clinician_step(actor, id, Action::Acknowledge).await?;
        let u = ReportUpdate {
            acknowledged_by: Some(actor.audit_name()),
            ..ReportUpdate::default()
        };
        self.write_step(actor, &row, from, to, Action::Acknowledge, u, json!({}))
            .await?;
        self.report(actor, id).await
    }

    /// The clinician conveyed the result to the patient on `date`
    /// (`YYYY-MM-DD`, not in the future, not before release).
    pub async fn convey_report(
        &self,
        actor: &Actor,
        id: &str,
        date: &str,
    ) -> Result<ReportView, AppError> {
        let (row, from, to) = self.clinician_step(actor, id, Action::Convey).await?;
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        let day = time::Date::parse(date.trim(), &fmt).map_err(|_| AppError::Invalid {
            field: "conveyed_on".into(),
            reason: format!("{date:?} is not a date (YYYY-MM-DD)"),
        })?;
        let today = OffsetDateTime::now_utc().date();
        let released = row.released_at.map(|t| t.date());
        if day > today + time::Duration::days(1) || released.is_some_and(|r| day < r) {
            return Err(AppError::Invalid {
                field: "conveyed_on".into(),
                reason: format!("{date} is before the report was released or in the future"),
            });
        }
        let u = ReportUpdate {
            conveyed_on: Some(day.to_string()),
            conveyed_by: Some(actor.audit_name()),
            ..ReportUpdate::default()
        };
        self.write_step(
            actor,
            &row,
            from,
            to,
            Action::Convey,
            u,
            json!({"conveyed_on": day.to_string()}),
        )
        .await?;
        self.report(actor, id).await
    }

    /// After a consent change: every report of the participant not yet
    /// released is stopped when the consent no longer allows it or the
    /// wish about secondary findings changed. Returns the reports stopped.
    pub async fn stop_reports_after_consent(
        &self,
        id: &ParticipantId,
    ) -> Result<Vec<String>, AppError> {
        let mut stopped = Vec::new();
        for row in self.store().reports_of_participant(id.as_str()).await? {
            let s = Status::parse(&row.status).map_err(|e| AppError::Internal(e.to_string()))?;
            if !s.is_unreleased() {
                continue;
            }
            if let Err(AppError::Conflict { .. }) = self.gate(&row).await {
                stopped.push(row.id);
            }
        }
        Ok(stopped)
    }

    /// Re-analysis (staff, and after annotation runs): for every
    /// participant with a report, the content is built again; where the
    /// actionable part (therapies, trials, top candidates, secondary
    /// findings) differs from the latest version, a new version is drafted
    /// (the previous one superseded) and a recontact request is proposed
    /// to staff — unless the participant declined recontact.
    pub async fn reanalyse_reports(&self, actor: &Actor) -> Result<Reanalysis, AppError> {
        staff_only(actor, "re-analyse reports")?;
        let mut latest: BTreeMap<String, ReportRow> = BTreeMap::new();
        for r in self.store().reports(None, &[]).await? {
            let e = latest
                .entry(r.participant_id.clone())
                .or_insert_with(|| r.clone());
            if r.version > e.version {
                *e = r;
            }
        }
        let mut out = Reanalysis::default();
        for (pid, row) in latest {
            let s = Status::parse(&row.status).map_err(|e| AppError::Internal(e.to_string()))?;
            if s == Status::Stopped {
                continue;
            }
            let id: ParticipantId = pid
                .parse()
                .map_err(|_| AppError::Internal("stored participant id".into()))?;
            let Some(items) = self.consent_items(&id).await? else {
                continue;
            };
            if consent_blocks(Some(&items)).is_some() || self.store().identity_blocks(&pid).await? {
                continue;
            }
            out.compared += 1;
            let old = ReportContent::from_json(&row.content)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let now = match self.build_content(actor, &id, old.version, &items).await {
                Ok(c) => c,
                Err(AppError::Conflict { .. }) => continue,
                Err(e) => return Err(e),
            };
            if now.actionable_key() == old.actionable_key() {
                continue;
            }
            let new = self
                .draft_report_inner(actor, &id, Some("reanalysis"))
                .await?;
            out.redrafted
                .push((pid.clone(), new.id.clone(), row.id.clone()));
            // the facility had the earlier version: the patient may need telling
            if items.recontact && row.released_at.is_some() {
                let r = self
                    .insert_recontact_row(
                        actor,
                        &id,
                        &row.facility_code,
                        RecontactReason::NewFinding,
                        &format!("re-analysis changed the actionable findings of report version {} (new draft version {})", row.version, new.version),
                        RecontactStatus::Proposed,
                        Some(&new.id),
                    )
                    .await?;
                out.proposed.push(r);
            }
        }
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    async fn insert_recontact_row(
        &self,
        actor: &Actor,
        id: &ParticipantId,
        facility: &str,
        reason: RecontactReason,
        detail: &str,
        status: RecontactStatus,
        report: Option<&str>,
    ) -> Result<String, AppError> {
        let rid = uuid::Uuid::new_v4().to_string();
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    format!("recontact.{}", status.name()),
                    format!("recontact:{rid}"),
                )
                .with_detail(json!({"participant": id.as_str(), "reason": reason.name()})),
            )
            .await?;
        tx.insert_recontact(&RecontactRow {
            id: rid.clone(),
            participant_id: id.to_string(),
            facility_code: facility.to_string(),
            reason: reason.name().into(),
            detail: detail.to_string(),
            status: status.name().into(),
            report_id: report.map(str::to_string),
            raised_by: actor.audit_name(),
            raised_at: tx.at(),
            outcome: None,
            outcome_by: None,
            outcome_at: None,
        })
        .await?;
        tx.commit().await?;
        Ok(rid)
    }

    /// Staff raise a recontact request; it goes to the participant's
    /// facility. Refused when the participant declined recontact (or has no
    /// consent in force).
    pub async fn raise_recontact(
        &self,
        actor: &Actor,
        id: &ParticipantId,
        reason: &str,
        detail: &str,
    ) -> Result<RecontactView, AppError> {
        staff_only(actor, "raise recontact requests")?;
        let reason = RecontactReason::parse(reason).map_err(|e| AppError::Invalid {
            field: "reason".into(),
            reason: e.to_string(),
        })?;
        let detail = detail.trim();
        if detail.is_empty() || detail.chars().count() > 4000 {
            return Err(AppError::Invalid {
                field: "detail".into(),
                reason: "say why, in 1 to 4,000 characters".into(),
            });
        }
        let view = self.participant(actor, id).await?;
        let items = self.consent_items(id).await?;
        if !items.as_ref().is_some_and(|i| i.recontact) {
            return Err(conflict(
                "recontact",
                format!(
                    "participant {id} did not agree to be recontacted (or has no consent in force)"
                ),
            ));
        }
        let rid = self
            .insert_recontact_row(
                actor,
                id,
                view.participant.facility.as_str(),
                reason,
                detail,
                RecontactStatus::Open,
                None,
            )
            .await?;
        self.recontact(actor, &rid).await
    }

    async fn recontact_view(&self, r: RecontactRow) -> RecontactView {
        RecontactView {
            id: r.id,
            participant_id: r.participant_id,
            facility: r.facility_code,
            reason: r.reason,
            detail: r.detail,
            status: r.status,
            report_id: r.report_id,
            raised_by: r.raised_by,
            raised_at: rfc(r.raised_at),
            outcome: r.outcome,
            outcome_by: r.outcome_by,
            outcome_at: r.outcome_at.map(rfc),
        }
    }

    /// Recontact requests the actor may see: staff all; a clinician the
    /// facility's open and closed ones. A participant whose consent in
    /// force does not allow recontact is never listed (the wish may have
    /// changed after the request).
    pub async fn recontacts(&self, actor: &Actor) -> Result<Vec<RecontactView>, AppError> {
        let facility = reader_facility(actor)?;
        let histories = self.store().consent_histories(None).await?;
        let now = OffsetDateTime::now_utc();
        let mut out = Vec::new();
        for r in self.store().recontacts(facility.as_deref()).await? {
            let agrees = histories
                .get(&r.participant_id)
                .and_then(|h| h.state_at(now).active().map(|a| a.items.recontact))
                .unwrap_or(false);
            if !agrees {
                continue;
            }
            if facility.is_some() && !matches!(r.status.as_str(), "open" | "closed") {
                continue;
            }
            out.push(self.recontact_view(r).await);
        }
        Ok(out)
    }

    /// One recontact request (as [`App::recontacts`] filters).
    pub async fn recontact(&self, actor: &Actor, id: &str) -> Result<RecontactView, AppError> {
        self.recontacts(actor)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(AppError::NotFound("recontact request"))
    }

    /// Staff confirm (`true`: sent to the facility) or dismiss a proposed
    /// request.
    pub async fn decide_recontact(
        &self,
        actor: &Actor,
        id: &str,
        confirm: bool,
    ) -> Result<RecontactView, AppError> {
        staff_only(actor, "confirm recontact requests")?;
        self.move_recontact(actor, id, confirm, None).await
    }

    async fn move_recontact(
        &self,
        actor: &Actor,
        id: &str,
        confirm: bool,
        outcome: Option<&str>,
    ) -> Result<RecontactView, AppError> {
        let current = self.recontact(actor, id).await?;
        let from = RecontactStatus::parse(&current.status)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let to = match outcome {
            Some(_) => from.close(),
            None if confirm => from.confirm(),
            None => from.dismiss(),
        }
        .map_err(step_error)?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    format!("recontact.{}", to.name()),
                    format!("recontact:{id}"),
                )
                .with_detail(json!({"participant": current.participant_id})),
            )
            .await?;
        let who = actor.audit_name();
        if !tx
            .update_recontact(
                id,
                from.name(),
                to.name(),
                outcome.map(|o| (o, who.as_str())),
            )
            .await?
        {
            return Err(conflict(
                "status",
                format!("recontact request {id} changed meanwhile"),
            ));
        }
        tx.commit().await?;
        self.recontact(actor, id).await
    }

    /// The facility's clinician records the outcome of an open request.
    pub async fn record_recontact_outcome(
        &self,
        actor: &Actor,
        id: &str,
        outcome: &str,
    ) -> Result<RecontactView, AppError> {
        let Role::Clinician { .. } = &actor.role else {
            return Err(AppError::Forbidden(format!(
                "role {} may not record recontact outcomes: the facility's clinician does",
                actor.role.name()
            )));
        };
        let outcome = outcome.trim();
        if outcome.is_empty() || outcome.chars().count() > 4000 {
            return Err(AppError::Invalid {
                field: "outcome".into(),
                reason: "say what happened, in 1 to 4,000 characters".into(),
            });
        }
        self.move_recontact(actor, id, false, Some(outcome)).await
    }
}
