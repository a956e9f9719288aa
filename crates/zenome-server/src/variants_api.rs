//! Cohort variant frequencies under `/api/v1/variants` (issue 8 §5): counts
//! over the participants the caller may count now, overall and by subgroup,
//! with small counts (1–4) shown as `"<5"` to anyone without row-level
//! access, carriers only to callers with it, large regions paged with a
//! `next` link; and loading a stored VCF into the variant store (staff).

use axum::Json;
use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use zenome_app::variants::{
    CohortAllele, CohortQuery, Cursor, FrequencyQuery, Granularity, GroupBy, MAX_PAGE,
    MAX_POSITION, Origin, Subgroup, SubgroupCounts,
};
use zenome_app::{Actor, AppError};

use crate::AppState;
use crate::extract::{ApiActor, ApiJson};
use crate::problem::ApiError;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/variants/frequencies", get(frequencies))
        .route("/api/v1/variants/loads", post(load))
}

/// The caller if a bearer token is sent (a bad one is refused), else anonymous.
pub(crate) struct MaybeActor(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Self(None));
        }
        let ApiActor(a) = ApiActor::from_request_parts(parts, state).await?;
        Ok(Self(Some(a)))
    }
}

/// A validation error as 400 problem+json naming the field.
fn bad_request(e: AppError) -> Response {
    let mut p = crate::problem::problem_of(&e);
    p.status = 400;
    let mut resp = (StatusCode::BAD_REQUEST, Json(p)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

fn error(e: AppError) -> Response {
    match e {
        e @ AppError::Invalid { .. } => bad_request(e),
        e => ApiError(e).into_response(),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct FreqParams {
    /// `CHROM:START-END`, 1-based inclusive (e.g. `20:1000000-1100000`), or
    /// `CHROM` for the whole chromosome; large regions come page by page.
    region: Option<String>,
    /// One allele, `CHROM-POS-REF-ALT` (e.g. `20-1000226-A-T`) or HGVS `g.`
    /// (as `hgvs`); inside `region` if both are given.
    variant: Option<String>,
    /// One allele in HGVS genomic notation: `20:g.1000226A>T`,
    /// `NC_000020.10:g.1000226A>T` (RefSeq accessions of GRCh37 and GRCh38),
    /// with `del`, `ins`, `delins`, `dup`; reference bases the description
    /// leaves out are taken from the stored alleles.
    hgvs: Option<String>,
    /// A gene symbol or id (e.g. `APP`, `ENSG00000142192`): its span in the
    /// configured gene model (`[variants] gene_model`).
    gene: Option<String>,
    /// Subgroups to count besides the whole cohort, comma-separated:
    /// `disease_area`, `cancer_site`, `rare_disease_group`, `sex`, `facility`
    /// (count or record access only).
    groups: Option<String>,
    /// Alleles a page, 1 to 10,000 (default 1,000).
    limit: Option<usize>,
    /// Where to resume: the `page_token` of the previous page's `next` link.
    page_token: Option<String>,
    /// `germline` (default: cohort genotypes) or `somatic` (tumours' calls,
    /// counted apart so they never enter a germline frequency).
    origin: Option<String>,
}

/// Alleles a page when `limit` is not given.
const DEFAULT_PAGE: usize = 1000;

/// A count, or `"<5"` when it is 1–4 and the caller has no row-level access.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum CountDto {
    /// The count.
    Exact(u64),
    /// `"<5"`.
    Masked(String),
}

/// One allele of the cohort.
#[derive(Debug, Serialize, ToSchema)]
pub struct AlleleFreqDto {
    /// `CHROM-POS-REF-ALT`.
    pub variant: String,
    /// Chromosome.
    pub chrom: String,
    /// Position (1-based).
    pub pos: u64,
    /// REF.
    #[serde(rename = "ref")]
    pub reference: String,
    /// ALT.
    pub alt: String,
    /// ALT copies (absent in a boolean answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ac: Option<CountDto>,
    /// Called alleles (absent in a boolean answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub an: Option<CountDto>,
    /// AC / AN (absent in a boolean answer and when AC or AN is masked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub af: Option<f64>,
    /// Homozygous-ALT (diploid) participants (absent in a boolean answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_hom_alt: Option<CountDto>,
    /// Hemizygous participants: one called allele, the ALT (males on chrX
    /// outside the PARs, chrY) (absent in a boolean answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_hemi: Option<CountDto>,
    /// Participant ids carrying the ALT (row-level access only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carriers: Option<Vec<String>>,
    /// Counts per subgroup, when `groups` was given.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subgroups: Vec<SubgroupFreqDto>,
    /// The consequence on the canonical transcript (when the configured
    /// gene model covers the chromosome).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consequence: Option<ConsequenceDto>,
}

/// An allele's consequence on its gene's canonical transcript.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsequenceDto {
    pub gene: String,
    pub transcript: String,
    /// Sequence Ontology terms, most severe first.
    pub terms: Vec<String>,
    /// `HIGH`, `MODERATE`, `LOW` or `MODIFIER`.
    pub impact: String,
    pub hgvsc: String,
    pub hgvsp: String,
}

/// An allele's counts in one subgroup of the counted cohort.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubgroupFreqDto {
    /// The grouping: `disease_area`, `cancer_site`, `rare_disease_group`, `sex` or `facility`.
    pub group: String,
    /// The subgroup (`female`, `C34`, `Q`, a facility code…).
    pub value: String,
    /// ALT copies.
    pub ac: CountDto,
    /// Called alleles.
    pub an: CountDto,
    /// AC / AN (absent when AC or AN is masked or AN is 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub af: Option<f64>,
    /// Homozygous-ALT participants.
    pub n_hom_alt: CountDto,
    /// Hemizygous participants.
    pub n_hemi: CountDto,
}

/// The alleles of a region, counted over the participants the caller may count now.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrequenciesDto {
    /// `boolean` (presence only), `count` or `record` (with carriers).
    pub granularity: String,
    /// Alleles carried by at least one counted participant, by position.
    pub alleles: Vec<AlleleFreqDto>,
    /// The next page (this request with `page_token`), when this one is full
    /// and more alleles follow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

fn parse_region(s: &str) -> Result<(String, u64, u64), AppError> {
    let bad = || {
        AppError::invalid(
            "region",
            "expected CHROM:START-END (e.g. 20:1000000-1100000) or CHROM",
        )
    };
    let Some((chrom, range)) = s.rsplit_once(':') else {
        // a whole chromosome
        if s.is_empty() || s.contains(['-', '/', '\\', ' ']) {
            return Err(bad());
        }
        return Ok((s.to_string(), 1, MAX_POSITION));
    };
    let (a, b) = range.split_once('-').ok_or_else(bad)?;
    let num = |x: &str| x.replace(',', "").parse::<u64>().map_err(|_| bad());
    let (start, end) = (num(a)?, num(b)?);
    if chrom.is_empty() || start == 0 || start > end {
        return Err(bad());
    }
    if end > MAX_POSITION {
        return Err(AppError::invalid(
            "region",
            format!("END after the last position ({MAX_POSITION})"),
        ));
    }
    Ok((chrom.to_string(), start, end))
}

/// A chromosome name without a `chr` prefix, for comparing spellings.
fn bare(chrom: &str) -> &str {
    chrom
        .strip_prefix("chr")
        .or_else(|| chrom.strip_prefix("CHR"))
        .unwrap_or(chrom)
}

/// A 404 naming the gene that the model does not hold.
fn unknown_gene(name: &str) -> Response {
    let mut p = crate::problem::problem_of(&AppError::NotFound("gene"));
    p.detail = format!("gene {name:?} is not in the gene model");
    p.field = Some("gene".into());
    let mut resp = (StatusCode::NOT_FOUND, Json(p)).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    resp
}

/// The cohort query the parameters ask for: a region, a gene (through the
/// configured gene model), or one variant (`CHROM-POS-REF-ALT` or HGVS `g.`,
/// inside `region` when both are given).
async fn query_of(app: &zenome_app::App, p: &FreqParams) -> Result<CohortQuery, Response> {
    let bad = |e: AppError| bad_request(e);
    let region = p
        .region
        .as_deref()
        .map(parse_region)
        .transpose()
        .map_err(bad)?;
    let targets: Vec<(&str, &str)> = [
        ("gene", &p.gene),
        ("variant", &p.variant),
        ("hgvs", &p.hgvs),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
    .collect();
    if let [_, (second, _), ..] = targets[..] {
        return Err(bad(AppError::invalid(
            second,
            "give one of gene, variant and hgvs",
        )));
    }
    match (region, targets.first()) {
        (None, None) => Err(bad(AppError::invalid(
            "region",
            "give a region (CHROM:START-END or CHROM), a gene, or a variant (CHROM-POS-REF-ALT or HGVS g.)",
        ))),
        (Some((chrom, start, end)), None) => Ok(CohortQuery {
            chrom,
            start,
            end,
            reference_bases: None,
            alternate_bases: None,
        }),
        (region, Some(&("gene", name))) => {
            if region.is_some() {
                return Err(bad(AppError::invalid(
                    "gene",
                    "give a gene or a region, not both",
                )));
            }
            match app.gene_region(name).await {
                Ok(Some(g)) => Ok(CohortQuery {
                    chrom: g.chrom,
                    start: g.start,
                    end: g.end,
                    reference_bases: None,
                    alternate_bases: None,
                }),
                Ok(None) => Err(unknown_gene(name)),
                Err(e) => Err(error(e)),
            }
        }
        (region, Some(&(field, text))) => {
            let q = app.variant_query(field, text).await.map_err(error)?;
            if let Some((c, s, e)) = region
                && (bare(&c) != bare(&q.chrom) || q.start < s || q.start > e)
            {
                return Err(bad(AppError::invalid(field, "lies outside the region")));
            }
            Ok(q)
        }
    }
}

fn groups_of(p: &FreqParams) -> Result<Vec<GroupBy>, AppError> {
    let Some(list) = p.groups.as_deref() else {
        return Ok(Vec::new());
    };
    list.split(',')
        .map(str::trim)
        .filter(|g| !g.is_empty())
        .map(|g| {
            GroupBy::parse(g).ok_or_else(|| {
                AppError::invalid(
                    "groups",
                    format!(
                        "unknown group {g:?} (known: {})",
                        GroupBy::ALL.map(GroupBy::as_str).join(", ")
                    ),
                )
            })
        })
        .collect()
}

fn paged_query_of(p: &FreqParams, query: CohortQuery) -> Result<FrequencyQuery, AppError> {
    let groups = groups_of(p)?;
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(AppError::invalid(
            "limit",
            format!("between 1 and {MAX_PAGE}"),
        ));
    }
    let after = p
        .page_token
        .as_deref()
        .map(|t| {
            t.parse::<Cursor>()
                .map_err(|e| AppError::invalid("page_token", e.to_string()))
        })
        .transpose()?;
    let origin = match p.origin.as_deref().map(str::parse::<Origin>) {
        None => Origin::Germline,
        Some(Ok(o)) => o,
        Some(Err(m)) => return Err(AppError::invalid("origin", m)),
    };
    Ok(FrequencyQuery {
        query,
        groups,
        after,
        limit,
        origin,
    })
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The link to the page after `token`: this request's parameters with it.
fn next_link(p: &FreqParams, token: &str) -> String {
    let mut q: Vec<(&str, String)> = Vec::new();
    for (k, v) in [
        ("region", &p.region),
        ("gene", &p.gene),
        ("variant", &p.variant),
        ("hgvs", &p.hgvs),
        ("groups", &p.groups),
        ("origin", &p.origin),
    ] {
        if let Some(v) = v {
            q.push((k, v.clone()));
        }
    }
    if let Some(l) = p.limit {
        q.push(("limit", l.to_string()));
    }
    q.push(("page_token", token.to_string()));
    let q: Vec<String> = q
        .into_iter()
        .map(|(k, v)| format!("{k}={}", encode(&v)))
        .collect();
    format!("/api/v1/variants/frequencies?{}", q.join("&"))
}

fn masked(n: u64) -> bool {
    (1..5).contains(&n)
}

fn count_of(g: Granularity, n: u64) -> Option<CountDto> {
    match g {
        Granularity::Boolean => None,
        Granularity::Count if masked(n) => Some(CountDto::Masked("<5".into())),
        _ => Some(CountDto::Exact(n)),
    }
}

fn af_of(g: Granularity, ac: u64, an: u64) -> Option<f64> {
    match g {
        Granularity::Boolean => None,
        Granularity::Count if masked(ac) || masked(an) => None,
        _ => (an > 0).then(|| ac as f64 / an as f64),
    }
}

fn subgroup_dto(s: &Subgroup, c: &SubgroupCounts, g: Granularity) -> Option<SubgroupFreqDto> {
    Some(SubgroupFreqDto {
        group: s.group.as_str().to_string(),
        value: s.value.clone(),
        ac: count_of(g, c.ac)?,
        an: count_of(g, c.an)?,
        af: af_of(g, c.ac, c.an),
        n_hom_alt: count_of(g, c.n_hom_alt)?,
        n_hemi: count_of(g, c.n_hemi)?,
    })
}

fn dto(a: CohortAllele, g: Granularity, subgroups: &[Subgroup]) -> AlleleFreqDto {
    let count = |n: u64| count_of(g, n);
    let af = af_of(g, a.ac, a.an);
    AlleleFreqDto {
        consequence: a.annotation.map(|c| ConsequenceDto {
            gene: c.gene,
            transcript: c.transcript,
            terms: c.consequences.into_iter().map(|(t, _)| t).collect(),
            impact: c.impact,
            hgvsc: c.hgvsc,
            hgvsp: c.hgvsp,
        }),
        variant: format!("{}-{}-{}-{}", a.chrom, a.pos, a.reference, a.alternate),
        ac: count(a.ac),
        an: count(a.an),
        n_hom_alt: count(a.n_hom_alt),
        n_hemi: count(a.n_hemi),
        af,
        subgroups: subgroups
            .iter()
            .zip(&a.subgroups)
            .filter_map(|(s, c)| subgroup_dto(s, c, g))
            .collect(),
        carriers: if g == Granularity::Record {
            a.carriers
        } else {
            None
        },
        chrom: a.chrom,
        pos: a.pos,
        reference: a.reference,
        alt: a.alternate,
    }
}

/// Cohort allele counts in a region (a whole chromosome included, page by
/// page) or of one variant, over the participants the caller may count
/// now: consent in force, and for researchers the dataset members their
/// grants cover for VCF data; overall and, with `groups`, per subgroup.
/// Anonymous callers get presence only; counts of 1–4 show as `"<5"` to
/// anyone without row-level access, in subgroups too; carriers only with it.
#[utoipa::path(get, path = "/api/v1/variants/frequencies", tag = "variants", params(FreqParams),
    responses(
        (status = 200, description = "a page of alleles, with a `next` link when more follow", body = FrequenciesDto),
        (status = 400, description = "a malformed region, variant, hgvs (where it is wrong is said), groups, limit or page_token (the field is named)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "a bearer token that is not valid", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "a role this server does not know, or subgroups asked by a caller with presence-only access", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "a gene the gene model does not hold (named)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security((), ("bearer" = [])))]
pub(crate) async fn frequencies(
    State(s): State<AppState>,
    MaybeActor(a): MaybeActor,
    q: Result<Query<FreqParams>, QueryRejection>,
) -> Response {
    let q = match q {
        Ok(Query(q)) => q,
        Err(e) => return bad_request(AppError::invalid("query", e.body_text())),
    };
    let query = match query_of(&s.app, &q).await {
        Ok(query) => query,
        Err(resp) => return resp,
    };
    let query = match paged_query_of(&q, query) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    match s.app.cohort_frequencies(a.as_ref(), &query).await {
        Ok(ans) => {
            let g = ans.granularity;
            let subgroups = ans.subgroups;
            Json(FrequenciesDto {
                granularity: match g {
                    Granularity::Boolean => "boolean",
                    Granularity::Count => "count",
                    Granularity::Record => "record",
                }
                .into(),
                alleles: ans
                    .alleles
                    .into_iter()
                    .map(|a| dto(a, g, &subgroups))
                    .collect(),
                next: ans.next.map(|c| next_link(&q, &c.to_string())),
            })
            .into_response()
        }
        Err(e) => error(e),
    }
}

/// A stored VCF/BCF object to load into the variant store.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLoadDto {
    /// The object id (as `/ga4gh/drs/v1/objects/{id}`).
    pub object_id: String,
}

/// What a load stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoadDto {
    /// Batch id in the variant store.
    pub batch: u32,
    /// Samples (participants) added.
    pub samples: u32,
    /// Rows (biallelic alleles) stored.
    pub rows: u64,
}

/// Loads a stored VCF/BCF object into the variant store (data-centre
/// staff). Every sample name must be a registered participant id; unknown
/// ones are refused by name and nothing is stored. A file already loaded is 409.
#[utoipa::path(post, path = "/api/v1/variants/loads", tag = "variants", request_body = NewLoadDto,
    responses(
        (status = 201, description = "loaded", body = LoadDto),
        (status = 401, description = "not authenticated", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not data-centre staff", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such object", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 409, description = "already loaded, or bad records (named)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "sample names that are not registered participants (named)", body = crate::problem::Problem, content_type = "application/problem+json")),
    security(("bearer" = [])))]
pub(crate) async fn load(
    State(s): State<AppState>,
    ApiActor(a): ApiActor,
    ApiJson(b): ApiJson<NewLoadDto>,
) -> Result<(StatusCode, Json<LoadDto>), ApiError> {
    let l = s.app.load_variant_object(&a, &b.object_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(LoadDto {
            batch: l.batch,
            samples: l.samples,
            rows: l.rows,
        }),
    ))
}

/// For the portal's variant browser: the query of a search-box text — a
/// region `CHROM:START-END`, a variant (`CHROM-POS-REF-ALT` or HGVS `g.`),
/// or a gene symbol or id — parsed and checked as the API's `region`,
/// `variant`, `hgvs` and `gene` parameters are.
pub(crate) async fn search_query(
    app: &zenome_app::App,
    text: &str,
) -> Result<CohortQuery, AppError> {
    let text = text.trim();
    if text.contains(":g.") {
        return app.variant_query("hgvs", text).await;
    }
    if text.contains(':') {
        let (chrom, start, end) = parse_region(text)?;
        return Ok(CohortQuery {
            chrom,
            start,
            end,
            reference_bases: None,
            alternate_bases: None,
        });
    }
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() == 4 && parts[1].bytes().all(|b| b.is_ascii_digit()) {
        return app.variant_query("variant", text).await;
    }
    match app.gene_region(text).await? {
        Some(g) => Ok(CohortQuery {
            chrom: g.chrom,
            start: g.start,
            end: g.end,
            reference_bases: None,
            alternate_bases: None,
        }),
        None => Err(AppError::invalid(
            "gene",
            format!("gene {text:?} is not in the gene model"),
        )),
    }
}

/// For the portal: one allele as the API shows it to a caller of
/// granularity `g` (counts of 1–4 as `"<5"` without row-level access,
/// carriers only with it), so the portal and the API mask alike.
pub(crate) fn masked_allele(a: CohortAllele, g: Granularity) -> AlleleFreqDto {
    dto(a, g, &[])
}
