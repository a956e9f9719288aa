//! Cohort variant frequencies under `/api/v1/variants` (issue 8 §5): counts
//! over the participants the caller may count now, with small counts (1–4)
//! shown as `"<5"` to anyone without row-level access, carriers only to
//! callers with it; and loading a stored VCF into the variant store (staff).

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
use zenome_app::variants::{CohortAllele, CohortQuery, Granularity, MAX_REGION_SPAN};
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
    /// `CHROM:START-END`, 1-based inclusive, at most 10 Mb (e.g. `20:1000000-1100000`).
    region: Option<String>,
    /// One allele, `CHROM-POS-REF-ALT` (e.g. `20-1000226-A-T`); inside `region` if both are given.
    variant: Option<String>,
}

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
    /// Homozygous-ALT participants (absent in a boolean answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n_hom_alt: Option<CountDto>,
    /// Participant ids carrying the ALT (row-level access only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carriers: Option<Vec<String>>,
}

/// The alleles of a region, counted over the participants the caller may count now.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrequenciesDto {
    /// `boolean` (presence only), `count` or `record` (with carriers).
    pub granularity: String,
    /// Alleles carried by at least one counted participant, by position.
    pub alleles: Vec<AlleleFreqDto>,
}

fn parse_region(s: &str) -> Result<(String, u64, u64), AppError> {
    let bad = || {
        AppError::invalid(
            "region",
            "expected CHROM:START-END, e.g. 20:1000000-1100000",
        )
    };
    let (chrom, range) = s.rsplit_once(':').ok_or_else(bad)?;
    let (a, b) = range.split_once('-').ok_or_else(bad)?;
    let num = |x: &str| x.replace(',', "").parse::<u64>().map_err(|_| bad());
    let (start, end) = (num(a)?, num(b)?);
    if chrom.is_empty() || start == 0 || start > end {
        return Err(bad());
    }
    if end - start > MAX_REGION_SPAN {
        return Err(AppError::invalid(
            "region",
            format!("spans more than {MAX_REGION_SPAN} bases; ask for a narrower region"),
        ));
    }
    Ok((chrom.to_string(), start, end))
}

fn parse_variant(s: &str) -> Result<(String, u64, String, String), AppError> {
    let bad = || AppError::invalid("variant", "expected CHROM-POS-REF-ALT, e.g. 20-1000226-A-T");
    let parts: Vec<&str> = s.rsplitn(4, '-').collect();
    let [alt, reference, pos, chrom] = parts[..] else {
        return Err(bad());
    };
    let allele = |x: &str| !x.is_empty() && x.bytes().all(|b| b"ACGTNacgtn".contains(&b));
    let pos: u64 = pos.parse().map_err(|_| bad())?;
    if chrom.is_empty() || pos == 0 || !allele(reference) || !allele(alt) {
        return Err(bad());
    }
    Ok((
        chrom.to_string(),
        pos,
        reference.to_ascii_uppercase(),
        alt.to_ascii_uppercase(),
    ))
}

fn query_of(p: &FreqParams) -> Result<CohortQuery, AppError> {
    let region = p.region.as_deref().map(parse_region).transpose()?;
    let variant = p.variant.as_deref().map(parse_variant).transpose()?;
    match (region, variant) {
        (None, None) => Err(AppError::invalid(
            "region",
            "give a region (CHROM:START-END) or a variant (CHROM-POS-REF-ALT)",
        )),
        (Some((chrom, start, end)), None) => Ok(CohortQuery {
            chrom,
            start,
            end,
            reference_bases: None,
            alternate_bases: None,
        }),
        (r, Some((chrom, pos, reference, alt))) => {
            if let Some((c, s, e)) = r
                && (c != chrom || pos < s || pos > e)
            {
                return Err(AppError::invalid("variant", "lies outside the region"));
            }
            Ok(CohortQuery {
                chrom,
                start: pos,
                end: pos,
                reference_bases: Some(reference),
                alternate_bases: Some(alt),
            })
        }
    }
}

fn dto(a: CohortAllele, g: Granularity) -> AlleleFreqDto {
    let masked = |n: u64| (1..5).contains(&n);
    let count = |n: u64| match g {
        Granularity::Boolean => None,
        Granularity::Count if masked(n) => Some(CountDto::Masked("<5".into())),
        _ => Some(CountDto::Exact(n)),
    };
    let af = match g {
        Granularity::Boolean => None,
        Granularity::Count if masked(a.ac) || masked(a.an) => None,
        _ => (a.an > 0).then(|| a.ac as f64 / a.an as f64),
    };
    AlleleFreqDto {
        variant: format!("{}-{}-{}-{}", a.chrom, a.pos, a.reference, a.alternate),
        ac: count(a.ac),
        an: count(a.an),
        n_hom_alt: count(a.n_hom_alt),
        af,
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

/// Cohort allele counts in a region (or of one variant), over the
/// participants the caller may count now: consent in force, and for
/// researchers the dataset members their grants cover for VCF data.
/// Anonymous callers get presence only; counts of 1–4 show as `"<5"` to
/// anyone without row-level access; carriers only with it.
#[utoipa::path(get, path = "/api/v1/variants/frequencies", tag = "variants", params(FreqParams),
    responses(
        (status = 200, description = "the alleles", body = FrequenciesDto),
        (status = 400, description = "a malformed or too wide region or variant (the field is named)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "a bearer token that is not valid", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "a role this server does not know", body = crate::problem::Problem, content_type = "application/problem+json")),
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
    let query = match query_of(&q) {
        Ok(q) => q,
        Err(e) => return bad_request(e),
    };
    match s.app.cohort_variants(a.as_ref(), &query).await {
        Ok(ans) => {
            let g = ans.granularity;
            Json(FrequenciesDto {
                granularity: match g {
                    Granularity::Boolean => "boolean",
                    Granularity::Count => "count",
                    Granularity::Record => "record",
                }
                .into(),
                alleles: ans.alleles.into_iter().map(|a| dto(a, g)).collect(),
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
/// region `CHROM:START-END` or a variant `CHROM-POS-REF-ALT` — parsed and
/// checked exactly as the API's `region` and `variant` parameters are.
pub(crate) fn search_query(text: &str) -> Result<CohortQuery, AppError> {
    let text = text.trim();
    let p = if text.contains(':') {
        FreqParams {
            region: Some(text.to_string()),
            variant: None,
        }
    } else {
        FreqParams {
            region: None,
            variant: Some(text.to_string()),
        }
    };
    query_of(&p)
}

/// For the portal: one allele as the API shows it to a caller of
/// granularity `g` (counts of 1–4 as `"<5"` without row-level access,
/// carriers only with it), so the portal and the API mask alike.
pub(crate) fn masked(a: CohortAllele, g: Granularity) -> AlleleFreqDto {
    dto(a, g)
}
