//! Annotation and actionability (issue 10): a participant's findings
//! (`/api/v1/participants/{id}/findings`: staff, and the participant's own
//! facility), clinical trials with their eligible patients
//! (`/api/v1/trials`: counts for every role that sees cohort counts, patient
//! ids only for staff and a facility's own), annotation runs and the
//! knowledge-base refresh that re-matches whom a change affects (staff).

use std::collections::BTreeMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use zenome_app::AppError;
use zenome_app::findings::{
    FindingChange, FindingsDoc, HotspotView, ParticipantFindings, RunOutcome, RunView,
    SecondaryView, TherapyView, TrialMatch, TrialView, VariantView,
};

use crate::AppState;
use crate::extract::{ApiActor, ApiJson};
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/participants/{id}/findings",
            get(participant_findings),
        )
        .route("/api/v1/trials", get(list_trials).post(enter_trial))
        .route("/api/v1/trials/{id}", axum::routing::delete(retire_trial))
        .route(
            "/api/v1/annotation/runs",
            get(list_annotation_runs).post(run_annotation),
        )
        .route("/api/v1/knowledge/refresh", post(refresh_knowledge))
}

/// What a run was computed from (R5.1).
#[derive(Debug, Serialize, ToSchema)]
pub struct RunDto {
    id: String,
    /// RFC 3339.
    started_at: String,
    finished_at: String,
    /// `initial`, `variants_loaded`, `knowledge_update`, `requested`.
    reason: String,
    /// Gene model file and the start of its SHA-256.
    gene_model: String,
    /// `kind@version` of every knowledge base used.
    knowledge: Vec<String>,
    code_version: String,
    participants: i64,
    /// Participants whose findings changed.
    changed: i64,
}

impl From<RunView> for RunDto {
    fn from(r: RunView) -> Self {
        Self {
            id: r.id,
            started_at: r.started_at,
            finished_at: r.finished_at,
            reason: r.reason,
            gene_model: r.gene_model,
            knowledge: r.knowledge,
            code_version: r.code_version,
            participants: r.participants,
            changed: r.changed,
        }
    }
}

/// An annotated variant (canonical transcript).
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantDto {
    /// `7-140453136-A-T`.
    key: String,
    chrom: String,
    pos: u64,
    reference: String,
    alternate: String,
    /// `somatic` or `germline`.
    origin: String,
    gene: String,
    transcript: String,
    /// Sequence Ontology terms, most severe first.
    consequences: Vec<String>,
    /// `HIGH`, `MODERATE`, `LOW`, `MODIFIER`.
    impact: String,
    hgvsc: String,
    hgvsp: String,
}

impl From<VariantView> for VariantDto {
    fn from(v: VariantView) -> Self {
        Self {
            key: v.key,
            chrom: v.chrom,
            pos: v.pos,
            reference: v.reference,
            alternate: v.alternate,
            origin: v.origin,
            gene: v.gene,
            transcript: v.transcript,
            consequences: v.consequences,
            impact: v.impact,
            hgvsc: v.hgvsc,
            hgvsp: v.hgvsp,
        }
    }
}

/// A therapy (or diagnostic/prognostic) finding with its evidence.
#[derive(Debug, Serialize, ToSchema)]
pub struct TherapyDto {
    variant: String,
    gene: String,
    /// The knowledge base's name of the variant (`V600E`).
    kb_variant: String,
    therapies: Vec<String>,
    disease: String,
    disease_id: Option<String>,
    /// `patient_cancer_type`, `any_cancer_type` or `other_cancer_type`.
    context: String,
    evidence_type: String,
    /// CIViC evidence level A–E.
    level: Option<String>,
    /// AMP/ASCO/CAP tier and level.
    amp: Option<String>,
    direction: String,
    significance: String,
    /// The source record (`EID3017`, a local id).
    record: String,
    citation: Option<String>,
    /// `kind@version` of the knowledge base.
    kb: String,
    warnings: Vec<String>,
}

impl From<TherapyView> for TherapyDto {
    fn from(t: TherapyView) -> Self {
        Self {
            variant: t.variant,
            gene: t.gene,
            kb_variant: t.kb_variant,
            therapies: t.therapies,
            disease: t.disease,
            disease_id: t.disease_id,
            context: t.context,
            evidence_type: t.evidence_type,
            level: t.level,
            amp: t.amp,
            direction: t.direction,
            significance: t.significance,
            record: t.record,
            citation: t.citation,
            kb: t.kb,
            warnings: t.warnings,
        }
    }
}

/// A somatic variant at a cancer hotspot.
#[derive(Debug, Serialize, ToSchema)]
pub struct HotspotDto {
    variant: String,
    gene: String,
    position: u32,
    same_allele: bool,
    /// Tumours of the patient's type in the hotspot's composition.
    in_patient_type: u32,
    total: u32,
    kb: String,
}

impl From<HotspotView> for HotspotDto {
    fn from(h: HotspotView) -> Self {
        Self {
            variant: h.variant,
            gene: h.gene,
            position: h.position,
            same_allele: h.same_allele,
            in_patient_type: h.in_patient_type,
            total: h.total,
            kb: h.kb,
        }
    }
}

/// A germline secondary finding (ACMG SF gene, ClinVar P/LP).
#[derive(Debug, Serialize, ToSchema)]
pub struct SecondaryDto {
    variant: String,
    gene: String,
    /// ClinVar VariationID.
    variation_id: u64,
    significance: String,
    /// ClinVar review status and its stars.
    review: String,
    stars: u8,
    conditions: Vec<String>,
    hgvs: Option<String>,
    acmg: Vec<String>,
    kb: Vec<String>,
    warnings: Vec<String>,
}

impl From<SecondaryView> for SecondaryDto {
    fn from(s: SecondaryView) -> Self {
        Self {
            variant: s.variant,
            gene: s.gene,
            variation_id: s.variation_id,
            significance: s.significance,
            review: s.review,
            stars: s.stars,
            conditions: s.conditions,
            hgvs: s.hgvs,
            acmg: s.acmg,
            kb: s.kb,
            warnings: s.warnings,
        }
    }
}

/// One change of findings between two runs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeDto {
    /// `added`, `removed` or `changed`.
    change: String,
    /// `therapy`, `hotspot` or `secondary`.
    kind: String,
    key: String,
    before: Option<String>,
    after: Option<String>,
}

impl From<FindingChange> for ChangeDto {
    fn from(c: FindingChange) -> Self {
        Self {
            change: c.change,
            kind: c.kind,
            key: c.key,
            before: c.before,
            after: c.after,
        }
    }
}

/// A trial the participant matches, with each criterion's reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialMatchDto {
    id: String,
    title: String,
    reasons: Vec<String>,
}

impl From<TrialMatch> for TrialMatchDto {
    fn from(t: TrialMatch) -> Self {
        Self {
            id: t.id,
            title: t.title,
            reasons: t.reasons,
        }
    }
}

/// A participant's findings.
#[derive(Debug, Serialize, ToSchema)]
pub struct FindingsDto {
    participant_id: String,
    /// The run that computed them (absent: never annotated).
    run: Option<RunDto>,
    variants: Vec<VariantDto>,
    therapies: Vec<TherapyDto>,
    hotspots: Vec<HotspotDto>,
    secondary_findings: Vec<SecondaryDto>,
    warnings: Vec<String>,
    /// Variants that could not be annotated (chromosome outside the gene
    /// model/reference, or REF disagreeing with the reference).
    not_annotated: u64,
    /// The participant's current wish to receive secondary findings (null:
    /// no consent in force).
    wants_secondary_findings: Option<bool>,
    /// A library on identity hold: nothing may be reported.
    identity_blocked: bool,
    /// Secondary findings left out because the participant did not choose
    /// to receive them (counted for the facility; staff see them).
    secondary_withheld: usize,
    trials: Vec<TrialMatchDto>,
    /// What the latest run changed.
    changes: Vec<ChangeDto>,
}

impl From<ParticipantFindings> for FindingsDto {
    fn from(p: ParticipantFindings) -> Self {
        let FindingsDoc {
            variants,
            therapies,
            hotspots,
            secondary,
            warnings,
            not_annotated,
        } = p.findings;
        Self {
            participant_id: p.participant_id,
            run: p.run.map(Into::into),
            variants: variants.into_iter().map(Into::into).collect(),
            therapies: therapies.into_iter().map(Into::into).collect(),
            hotspots: hotspots.into_iter().map(Into::into).collect(),
            secondary_findings: secondary.into_iter().map(Into::into).collect(),
            warnings,
            not_annotated,
            wants_secondary_findings: p.wants_secondary_findings,
            identity_blocked: p.identity_blocked,
            secondary_withheld: p.secondary_withheld,
            trials: p.trials.into_iter().map(Into::into).collect(),
            changes: p.changes.into_iter().map(Into::into).collect(),
        }
    }
}

/// A participant's annotated variants, therapies with evidence levels,
/// hotspots, secondary findings and matching trials.
#[utoipa::path(get, path = "/api/v1/participants/{id}/findings", tag = "findings",
    params(("id" = String, Path, description = "participant id")),
    responses(
        (status = 200, description = "the participant's current findings and the run that made them", body = FindingsDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "role without access to patients' findings", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such participant in the caller's scope", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn participant_findings(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<FindingsDto>, ApiError> {
    let id = id.parse().map_err(|_| AppError::NotFound("participant"))?;
    Ok(Json(s.app.participant_findings(&a, &id).await?.into()))
}

/// A trial with its eligible patients.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrialDto {
    id: String,
    title: String,
    /// `file` (the configured trials file) or `entered` (by staff).
    source: String,
    /// The criteria in words.
    criteria: Vec<String>,
    /// Eligible patients (consent in force), all facilities.
    eligible: usize,
    /// The eligible patients the caller may see: all for data-centre staff,
    /// a facility's own for the facility, none for other roles.
    patients: Vec<String>,
}

impl From<TrialView> for TrialDto {
    fn from(t: TrialView) -> Self {
        Self {
            id: t.id,
            title: t.title,
            source: t.source,
            criteria: t.criteria,
            eligible: t.eligible,
            patients: t.patients,
        }
    }
}

/// Clinical trials and how many patients match each.
#[utoipa::path(get, path = "/api/v1/trials", tag = "findings",
    responses(
        (status = 200, description = "trials with eligible counts (and patients where the caller may see them)", body = [TrialDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "role without access to trials", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_trials(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<TrialDto>>, ApiError> {
    Ok(Json(
        s.app
            .trials(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// A trial as staff enter it: the fields of a `[[trial]]` of the
/// zenome-trials/1 file.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrialRequestDto {
    /// Unique, never reused.
    id: String,
    title: String,
    /// ICD-O-3 topography prefixes (`C34`) or OncoTree codes (`NSCLC`); any of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    cancer_types: Vec<String>,
    /// `{gene, variant?, origin?}`: any of them (`variant` a protein change
    /// `G12C` or codon `V600`; `origin` `somatic`, `germline` or `any`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<Object>)]
    biomarkers: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    min_age: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    max_age: Option<u32>,
    /// `any`, `female` or `male`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sex: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    prior_therapy_required: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    prior_therapy_excluded: Vec<String>,
}

/// Data-centre staff enter a trial; it is matched from then on.
#[utoipa::path(post, path = "/api/v1/trials", tag = "findings", request_body = TrialRequestDto,
    responses(
        (status = 201, description = "the trial with its eligible patients now", body = TrialDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "the id is in use (in the file or entered before), or annotation is not configured", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a criterion that cannot be read (named, with what was expected)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn enter_trial(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(req): ApiJson<TrialRequestDto>,
) -> Result<(axum::http::StatusCode, Json<TrialDto>), ApiError> {
    let json = serde_json::to_string(&req).map_err(|e| AppError::Internal(e.to_string()))?;
    let t = s.app.add_trial(&a, &json).await?;
    Ok((axum::http::StatusCode::CREATED, Json(t.into())))
}

/// Data-centre staff retire an entered trial (kept, no longer matched).
#[utoipa::path(delete, path = "/api/v1/trials/{id}", tag = "findings",
    params(("id" = String, Path, description = "trial id")),
    responses(
        (status = 204, description = "retired"),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no active entered trial with this id", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn retire_trial(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, ApiError> {
    s.app.retire_trial(&a, &id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Annotation runs, newest first.
#[utoipa::path(get, path = "/api/v1/annotation/runs", tag = "findings",
    responses(
        (status = 200, description = "runs, newest first", body = [RunDto]),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn list_annotation_runs(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<Vec<RunDto>>, ApiError> {
    Ok(Json(
        s.app
            .annotation_runs(&a)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    ))
}

/// Which participants to annotate now.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRequestDto {
    /// Participant ids; absent: every participant in the variant store.
    #[serde(default)]
    participants: Option<Vec<String>>,
}

/// A run's outcome: the run and whose findings changed, with how.
#[derive(Debug, Serialize, ToSchema)]
pub struct RunOutcomeDto {
    run: RunDto,
    /// Participant id → the changes of its findings.
    changed: BTreeMap<String, Vec<ChangeDto>>,
}

impl From<RunOutcome> for RunOutcomeDto {
    fn from(o: RunOutcome) -> Self {
        Self {
            run: o.run.into(),
            changed: o
                .changed
                .into_iter()
                .map(|(p, c)| (p, c.into_iter().map(Into::into).collect()))
                .collect(),
        }
    }
}

fn not_configured() -> ApiError {
    AppError::Conflict {
        field: Some("annotation".into()),
        message: "annotation is not configured: set [annotation] gene_model (or [variants] gene_model), [files] reference_fasta and the knowledge bases, and load variants".into(),
    }
    .into()
}

/// Annotates participants now (all in the variant store, or those named).
#[utoipa::path(post, path = "/api/v1/annotation/runs", tag = "findings", request_body = RunRequestDto,
    responses(
        (status = 200, description = "the run and whose findings changed", body = RunOutcomeDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "annotation is not configured, or no variant store", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a knowledge base or the gene model cannot be read (named, with what was expected)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn run_annotation(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(req): ApiJson<RunRequestDto>,
) -> Result<Json<RunOutcomeDto>, ApiError> {
    match s
        .app
        .run_annotation(&a, "requested", req.participants)
        .await?
    {
        Some(o) => Ok(Json(o.into())),
        None => Err(not_configured()),
    }
}

/// Reloads the knowledge bases and gene model from their files; when a
/// version changed, re-matches the participants the change can affect.
#[utoipa::path(post, path = "/api/v1/knowledge/refresh", tag = "findings",
    responses(
        (status = 200, description = "the run and whose findings changed", body = RunOutcomeDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "annotation is not configured, or no variant store", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a knowledge base of another version or shape (named, with what was expected)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn refresh_knowledge(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
) -> Result<Json<RunOutcomeDto>, ApiError> {
    match s.app.refresh_knowledge(&a).await? {
        Some(o) => Ok(Json(o.into())),
        None => Err(not_configured()),
    }
}
