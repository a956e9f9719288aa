//! Portal page for rare-disease candidate diagnoses (issue 12, item 4): the
//! genes ranked for one participant from the HPO terms of the record and
//! the germline variants, with the evidence behind each rank (matched
//! terms with the ancestor they meet at, the variants with consequence,
//! zygosity and cohort frequency, the inheritance that fits) and links to
//! the term browser and the variant browser; for data-centre staff and the
//! participant's own facility.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use zenome_app::AppError;
use zenome_app::prioritise::{RankedGene, TermView};

use super::chart;
use super::{PageCtx, Visit, error_page, page, to_login};
use crate::AppState;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/portal/participants/{id}/candidates", get(candidates_page))
}

/// One matched term: the patient's, the gene's, where they meet.
pub(super) struct MatchRow {
    patient: String,
    patient_label: String,
    gene_term: String,
    gene_label: String,
    common: String,
    common_label: String,
    ic: String,
}

/// One candidate variant.
pub(super) struct VariantRow {
    key: String,
    region: String,
    hgvsc: String,
    hgvsp: String,
    consequence: String,
    zygosity: String,
    cohort_af: String,
}

/// One ranked gene.
pub(super) struct GeneRow {
    rank: usize,
    gene: String,
    score: String,
    phenotype_score: String,
    variant_score: String,
    /// i18n key of the inheritance that fits, `""` for none.
    fit: String,
    modes: Vec<String>,
    matches: Vec<MatchRow>,
    variants: Vec<VariantRow>,
}

fn snake<T: serde::Serialize>(x: &T) -> String {
    serde_json::to_value(x)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn row(g: RankedGene) -> GeneRow {
    GeneRow {
        rank: g.rank,
        gene: g.gene,
        score: format!("{:.3}", g.score),
        phenotype_score: format!("{:.3}", g.phenotype_score),
        variant_score: g
            .variant_score
            .map(|v| format!("{v:.3}"))
            .unwrap_or_default(),
        fit: g
            .inheritance
            .map(|f| format!("fit_{}", snake(&f)))
            .unwrap_or_default(),
        modes: g
            .gene_modes
            .iter()
            .map(|m| format!("mode_{}", snake(m)))
            .collect(),
        matches: g
            .matched_terms
            .into_iter()
            .take(5)
            .map(|m| MatchRow {
                patient: m.patient_term,
                patient_label: m.patient_label,
                gene_term: m.gene_term,
                gene_label: m.gene_label,
                common: m.common_ancestor,
                common_label: m.common_label,
                ic: format!("{:.2}", m.ic),
            })
            .collect(),
        variants: g
            .variants
            .into_iter()
            .map(|v| VariantRow {
                key: format!("{}-{}-{}-{}", v.chrom, v.pos, v.reference, v.alternate),
                region: format!("{}:{}-{}", v.chrom, v.pos, v.pos),
                hgvsc: v.hgvsc,
                hgvsp: v.hgvsp,
                consequence: v.consequence.replace('&', ", "),
                zygosity: v
                    .genotypes
                    .first()
                    .map(|z| format!("zygosity_{}", snake(z)))
                    .unwrap_or_default(),
                cohort_af: v
                    .cohort_af
                    .map(|a| format!("{a:.4}"))
                    .unwrap_or_else(|| "0".into()),
            })
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "candidates.html")]
struct CandidatesPage {
    ctx: PageCtx,
    id: String,
    computed_at: String,
    knowledge: String,
    gene_model: String,
    sex: String,
    terms: Vec<TermView>,
    excluded: Vec<String>,
    replaced: Vec<(String, String)>,
    alleles_read: usize,
    candidates: usize,
    genes: Vec<GeneRow>,
    by_phenotype: Vec<GeneRow>,
    chart: String,
}

async fn candidates_page(
    State(s): State<AppState>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let v = Visit::read(&s, &h, &format!("/portal/participants/{id}/candidates")).await;
    let Some(a) = &v.actor else { return to_login() };
    let Ok(pid) = id.parse() else {
        return error_page(&s, &v, AppError::NotFound("participant"));
    };
    match s.app.candidate_diagnoses(a, &pid).await {
        Ok(c) => {
            let ctx = v.ctx(&s, None);
            let bars: Vec<(String, Option<f64>)> = c
                .genes
                .iter()
                .take(10)
                .map(|g| (g.gene.clone(), Some(g.score)))
                .collect();
            let chart = if bars.is_empty() {
                String::new()
            } else {
                chart::value_bars(ctx.t.t("candidates_chart"), &bars, "#7a4f9f", 3)
            };
            page(
                StatusCode::OK,
                CandidatesPage {
                    ctx,
                    id: c.participant_id,
                    computed_at: c.computed_at,
                    knowledge: c.knowledge,
                    gene_model: c.gene_model,
                    sex: c.sex,
                    terms: c.terms,
                    excluded: c.excluded,
                    replaced: c.replaced,
                    alleles_read: c.alleles_read,
                    candidates: c.candidates,
                    genes: c.genes.into_iter().map(row).collect(),
                    by_phenotype: c.by_phenotype.into_iter().map(row).collect(),
                    chart,
                },
            )
        }
        Err(e) => error_page(&s, &v, e),
    }
}
