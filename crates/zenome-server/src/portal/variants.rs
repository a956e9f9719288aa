//! The portal's variant browser (issue 8 §8): one search box for a region
//! (`20:1000000-1100000`) or a variant (`20-1000226-A-T`), answered by
//! `App::cohort_variants` over the participants the visitor may count now,
//! and shown as the API shows it — the masking (counts of 1–4 as "<5"
//! without row-level access, carriers only with it) is the API's own
//! `variants_api::masked`, not a copy. Anonymous visitors see presence only,
//! as Beacon answers them. A GET form, like the HPO search: it changes
//! nothing, so it carries no CSRF token; no script.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use zenome_app::AppError;
use zenome_app::variants::Granularity;

use super::{Flash, PageCtx, Visit, flash_error, page};
use crate::AppState;
use crate::variants_api::{AlleleFreqDto, CountDto, masked, search_query};

/// Rows shown at most; a wider answer asks for a narrower region.
pub(crate) const MAX_ROWS: usize = 500;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/variants", get(browser))
}

/// One allele as the table shows it.
struct Row {
    variant: String,
    chrom: String,
    pos: u64,
    reference: String,
    alt: String,
    ac: String,
    an: String,
    af: String,
    hom: String,
    carriers: Vec<String>,
}

#[derive(Template)]
#[template(path = "variants.html")]
struct BrowserPage {
    ctx: PageCtx,
    q: String,
    searched: bool,
    /// `boolean`, `count` or `record`.
    granularity: &'static str,
    rows: Vec<Row>,
    total: usize,
}

fn count(c: &Option<CountDto>) -> String {
    match c {
        Some(CountDto::Exact(n)) => n.to_string(),
        Some(CountDto::Masked(m)) => m.clone(),
        None => String::new(),
    }
}

fn row(a: AlleleFreqDto) -> Row {
    Row {
        ac: count(&a.ac),
        an: count(&a.an),
        hom: count(&a.n_hom_alt),
        af: match (a.af, &a.ac) {
            (Some(f), _) => format!("{f:.4}"),
            // masked AC or AN: no exact frequency either
            (None, Some(_)) => "—".into(),
            (None, None) => String::new(),
        },
        carriers: a.carriers.unwrap_or_default(),
        variant: a.variant,
        chrom: a.chrom,
        pos: a.pos,
        reference: a.reference,
        alt: a.alt,
    }
}

/// What the search box holds, parsed; a bare word is a gene name, which
/// the app cannot look up yet.
fn query_of(text: &str) -> Result<zenome_app::variants::CohortQuery, AppError> {
    let t = text.trim();
    if !t.contains(':') && !t.contains('-') {
        return Err(AppError::invalid(
            "gene",
            "gene search is not available yet: search a region (20:1000000-1100000) or a variant (20-1000226-A-T)",
        ));
    }
    search_query(t)
}

async fn browser(
    State(s): State<AppState>,
    h: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let v = Visit::read(&s, &h, "/variants").await;
    let text: String = q
        .get("q")
        .map(|t| t.trim().chars().take(200).collect())
        .unwrap_or_default();
    let mut flash: Option<Flash> = None;
    let mut status = StatusCode::OK;
    let mut rows = Vec::new();
    let mut total = 0;
    let mut granularity = Granularity::Boolean;
    if !text.is_empty() {
        let answer = match query_of(&text) {
            Ok(query) => s.app.cohort_variants(v.actor.as_ref(), &query).await,
            Err(e) => Err(e),
        };
        match answer {
            Ok(a) => {
                granularity = a.granularity;
                total = a.alleles.len();
                rows = a
                    .alleles
                    .into_iter()
                    .take(MAX_ROWS)
                    .map(|x| row(masked(x, granularity)))
                    .collect();
            }
            Err(e) => {
                status = crate::problem::status_of(&e);
                flash = Some(flash_error(&v, &e));
            }
        }
    }
    page(
        status,
        BrowserPage {
            ctx: v.ctx(&s, flash),
            searched: !text.is_empty() && status == StatusCode::OK,
            q: text,
            granularity: match granularity {
                Granularity::Boolean => "boolean",
                Granularity::Count => "count",
                Granularity::Record => "record",
            },
            rows,
            total,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_word_is_a_gene_and_is_refused_by_name() {
        match query_of("BRCA2") {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "gene"),
            other => panic!("{other:?}"),
        }
        let q = query_of(" 20:1,000,000-1,100,000 ").unwrap();
        assert_eq!((q.chrom.as_str(), q.start, q.end), ("20", 1_000_000, 1_100_000));
        let q = query_of("20-1000226-a-t").unwrap();
        assert_eq!(
            (q.start, q.reference_bases.as_deref(), q.alternate_bases.as_deref()),
            (1_000_226, Some("A"), Some("T"))
        );
        assert!(query_of("20:5-1").is_err());
    }
}
