//! Rare-disease candidate diagnoses (issue 12, item 4):
//! `GET /api/v1/participants/{id}/candidates`, the genes ranked for a
//! rare-disease participant from the HPO terms of the latest clinical
//! record and the participant's germline variants (data-centre staff, and
//! the participant's own facility).

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;
use zenome_app::AppError;
use zenome_app::prioritise::{CandidateDiagnoses, TermView};

use crate::AppState;
use crate::extract::ApiActor;
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/participants/{id}/candidates", get(candidates))
}

/// A patient's HPO term used in the ranking.
#[derive(Debug, Serialize, ToSchema)]
pub struct TermDto {
    /// `HP:0001166`.
    id: String,
    label: String,
}

impl From<TermView> for TermDto {
    fn from(t: TermView) -> Self {
        Self {
            id: t.id,
            label: t.label,
        }
    }
}

/// A recorded obsolete term and the term used for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReplacedDto {
    recorded: String,
    used: String,
}

/// A participant's candidate diagnoses.
#[derive(Debug, Serialize, ToSchema)]
pub struct CandidatesDto {
    participant_id: String,
    /// RFC 3339: computed on this request, from the record, the variant
    /// store, the cohort and the knowledge as they are now.
    computed_at: String,
    /// The HPO release and gene annotation file.
    knowledge: String,
    /// The gene model the variants were annotated with.
    gene_model: String,
    /// `female`, `male` or `unknown` (the registry's).
    sex: String,
    /// Observed terms used (obsolete ones replaced).
    terms: Vec<TermDto>,
    /// Terms recorded as excluded (not scored).
    excluded: Vec<String>,
    replaced: Vec<ReplacedDto>,
    /// The participant's germline alleles read in annotated genes.
    alleles_read: usize,
    /// Of them, rare with a damaging consequence.
    candidate_variants: usize,
    /// Genes with candidate variants, best first: `{gene, rank, score,
    /// phenotype_score, variant_score, inheritance, gene_modes,
    /// matched_terms: [{patient_term, gene_term, common_ancestor, ic, …}],
    /// variants: [{chrom, pos, reference, alternate, consequence, hgvsc,
    /// hgvsp, cohort_af, genotypes, …}]}`.
    #[schema(value_type = Vec<Object>)]
    genes: Vec<serde_json::Value>,
    /// The genes best matching the phenotypes alone (same shape, no
    /// variants): where to look for what short-variant calls miss.
    #[schema(value_type = Vec<Object>)]
    by_phenotype: Vec<serde_json::Value>,
}

fn values<T: Serialize>(v: Vec<T>) -> Vec<serde_json::Value> {
    v.into_iter()
        .filter_map(|x| serde_json::to_value(x).ok())
        .collect()
}

impl From<CandidateDiagnoses> for CandidatesDto {
    fn from(c: CandidateDiagnoses) -> Self {
        Self {
            participant_id: c.participant_id,
            computed_at: c.computed_at,
            knowledge: c.knowledge,
            gene_model: c.gene_model,
            sex: c.sex,
            terms: c.terms.into_iter().map(Into::into).collect(),
            excluded: c.excluded,
            replaced: c
                .replaced
                .into_iter()
                .map(|(recorded, used)| ReplacedDto { recorded, used })
                .collect(),
            alleles_read: c.alleles_read,
            candidate_variants: c.candidates,
            genes: values(c.genes),
            by_phenotype: values(c.by_phenotype),
        }
    }
}

/// A rare-disease participant's candidate diagnoses: genes ranked from the
/// participant's HPO terms and germline variants, with the evidence.
#[utoipa::path(get, path = "/api/v1/participants/{id}/candidates", tag = "findings",
    params(("id" = String, Path, description = "participant id")),
    responses(
        (status = 200, description = "the ranked genes and what they were computed from", body = CandidatesDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "role without access to patients' findings", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such participant in the caller's scope", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "nothing to rank: not a rare-disease case, no consent in force, no observed HPO terms, no germline calls, a genome on identity hold, or no knowledge configured (the field says which)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn candidates(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    Path(id): Path<String>,
) -> Result<Json<CandidatesDto>, ApiError> {
    let id = id.parse().map_err(|_| AppError::NotFound("participant"))?;
    Ok(Json(s.app.candidate_diagnoses(&a, &id).await?.into()))
}
