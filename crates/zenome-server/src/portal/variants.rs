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
use zenome_app::cohort_summary::{GenomeCounts, VariantSummary};
use zenome_app::variants::Granularity;

use super::{Flash, PageCtx, Visit, chart, flash_error, page};
use crate::AppState;
use crate::variants_api::{AlleleFreqDto, CountDto, masked_allele, search_query};

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
    /// Gene, protein change and most severe term on the canonical transcript.
    consequence: String,
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
        consequence: a
            .consequence
            .map(|c| {
                let p = c
                    .hgvsp
                    .split_once(':')
                    .map(|(_, p)| p.to_string())
                    .unwrap_or_default();
                format!(
                    "{} {} {}",
                    c.gene,
                    p,
                    c.terms.first().cloned().unwrap_or_default()
                )
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
            })
            .unwrap_or_default(),
        variant: a.variant,
        chrom: a.chrom,
        pos: a.pos,
        reference: a.reference,
        alt: a.alt,
    }
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
        let answer = match search_query(&s.app, &text).await {
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
                    .map(|x| row(masked_allele(x, granularity)))
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

// ---------- the public page's variant charts (R9.1) ----------

/// A count as the public sees it: 1–4 as "<5".
fn public_count(n: u64) -> String {
    if (1..5).contains(&n) {
        "<5".into()
    } else {
        n.to_string()
    }
}

/// One disease area (or all) in the fallback table.
pub(crate) struct AreaRow {
    pub(crate) label: String,
    pub(crate) genomes: String,
    pub(crate) mean: String,
    pub(crate) ti_tv: String,
}

/// The variant charts of the public page, drawn and tabulated.
pub(crate) struct SummaryView {
    pub(crate) genomes: String,
    pub(crate) ti_tv: String,
    pub(crate) mean: String,
    pub(crate) histogram: String,
    pub(crate) bins: Vec<(String, String)>,
    pub(crate) titv_chart: String,
    pub(crate) area_chart: String,
    pub(crate) areas: Vec<AreaRow>,
}

/// Equal-width bins over the per-genome counts (ascending), at most 10.
fn bins(per_genome: &[u64]) -> Vec<(u64, u64, u64)> {
    let (Some(&lo), Some(&hi)) = (per_genome.first(), per_genome.last()) else {
        return Vec::new();
    };
    let width = (hi - lo + 1).div_ceil(10).max(1);
    let mut out: Vec<(u64, u64, u64)> = Vec::new();
    let mut start = lo;
    while start <= hi {
        let end = start + width - 1;
        let n = per_genome
            .iter()
            .filter(|&&x| x >= start && x <= end)
            .count() as u64;
        out.push((start, end, n));
        start = end + 1;
    }
    out
}

/// The view of a summary; `None` when no genome may be counted.
pub(crate) fn summary_view(tr: super::Tr, vs: &VariantSummary) -> Option<SummaryView> {
    if vs.all.genomes == 0 {
        return None;
    }
    // a mean or a ratio over fewer than 5 genomes is theirs alone: not shown
    let enough = |c: &GenomeCounts| c.genomes >= 5;
    let ratio = |c: &GenomeCounts| c.ti_tv().filter(|_| enough(c));
    let mean = |c: &GenomeCounts| c.mean_non_ref().filter(|_| enough(c));
    let fmt = |v: Option<f64>, d: usize| v.map_or_else(|| "—".to_string(), |v| format!("{v:.d$}"));
    let hist: Vec<(String, Option<i64>)> = if enough(&vs.all) {
        bins(&vs.per_genome)
            .into_iter()
            .map(|(a, b, n)| {
                let label = if a == b {
                    a.to_string()
                } else {
                    format!("{a}–{b}")
                };
                (label, (!(1..5).contains(&n)).then_some(n as i64))
            })
            .collect()
    } else {
        Vec::new()
    };
    let mut rows: Vec<(String, &GenomeCounts)> = vs
        .by_area
        .iter()
        .map(|(a, c)| (tr.code(a.as_str()).to_string(), c))
        .collect();
    rows.push((tr.t("vs_all").to_string(), &vs.all));
    Some(SummaryView {
        genomes: public_count(vs.all.genomes),
        ti_tv: fmt(ratio(&vs.all), 2),
        mean: fmt(mean(&vs.all), 1),
        histogram: chart::histogram(tr.t("vs_per_genome"), &hist, "#1a5276"),
        bins: hist
            .iter()
            .map(|(l, n)| (l.clone(), n.map_or_else(|| "<5".into(), |n| n.to_string())))
            .collect(),
        titv_chart: chart::value_bars(
            tr.t("vs_titv"),
            &rows
                .iter()
                .map(|(l, c)| (l.clone(), ratio(c)))
                .collect::<Vec<_>>(),
            "#117a65",
            2,
        ),
        area_chart: chart::value_bars(
            tr.t("vs_by_area"),
            &rows
                .iter()
                .map(|(l, c)| (l.clone(), mean(c)))
                .collect::<Vec<_>>(),
            "#c0392b",
            1,
        ),
        areas: rows
            .iter()
            .map(|(l, c)| AreaRow {
                label: l.clone(),
                genomes: public_count(c.genomes),
                mean: fmt(mean(c), 1),
                ti_tv: fmt(ratio(c), 2),
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_cover_every_genome_once() {
        let v: Vec<u64> = (100..=357).collect();
        let b = bins(&v);
        assert!(b.len() <= 10);
        assert_eq!(b.iter().map(|x| x.2).sum::<u64>(), v.len() as u64);
        assert_eq!((b[0].0, b.last().unwrap().1 >= 357), (100, true));
        assert_eq!(bins(&[7, 7]), vec![(7, 7, 2)]);
    }
}
