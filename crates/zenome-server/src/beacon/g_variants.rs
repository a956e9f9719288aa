//! `/api/g_variants`: sequence, range and bracket queries (GET and POST),
//! answered at the granularity the caller may see (boolean for anonymous
//! callers; count or record by grant). Beacon `start`/`end` are 0-based,
//! half-open; the cohort query is 1-based inclusive.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use zenome_app::{Actor, AppError};

use super::BeaconError;
use super::meta::{self, ASSEMBLY, Received};
use crate::AppState;
use crate::extract::ApiActor;

/// The caller: `None` without an `Authorization` header (anonymous); a bad
/// bearer is refused, as on the rest of the API.
pub(crate) struct MaybeActor(pub(crate) Option<Actor>);

impl FromRequestParts<AppState> for MaybeActor {
    type Rejection = BeaconError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(header::AUTHORIZATION) {
            return Ok(Self(None));
        }
        match ApiActor::from_request_parts(parts, state).await {
            Ok(ApiActor(a)) => Ok(Self(Some(a))),
            Err(_) => Err(BeaconError {
                status: StatusCode::UNAUTHORIZED,
                message: "invalid or expired bearer token".into(),
                meta: meta::response("boolean", &Received::default()),
            }),
        }
    }
}

/// Granularity, ordered from least to most revealing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Boolean,
    Count,
    Record,
}

impl Level {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "boolean" => Some(Self::Boolean),
            "count" => Some(Self::Count),
            "record" => Some(Self::Record),
            _ => None,
        }
    }
    fn name(self) -> &'static str {
        match self {
            Self::Boolean => "boolean",
            Self::Count => "count",
            Self::Record => "record",
        }
    }
}

/// The request parameters, from the query string or the POST body.
#[derive(Debug, Default)]
struct Params {
    reference_name: Option<String>,
    start: Vec<u64>,
    end: Vec<u64>,
    reference_bases: Option<String>,
    alternate_bases: Option<String>,
    assembly_id: Option<String>,
    received: Received,
}

/// A validated query, 1-based inclusive positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Validated {
    pub chrom: String,
    pub start: u64,
    pub end: u64,
    pub reference_bases: Option<String>,
    pub alternate_bases: Option<String>,
    /// Bracket query: allowed 0-based end positions of the variant.
    pub end_bracket: Option<(u64, u64)>,
}

/// One allele of the answer, as the Beacon shows it.
#[derive(Debug, Clone)]
pub(crate) struct Allele {
    pub chrom: String,
    pub pos: u64,
    pub reference: String,
    pub alternate: String,
    pub ac: u64,
    pub an: u64,
    pub n_hom_alt: u64,
    pub n_hemi: u64,
    pub carriers: Option<Vec<String>>,
    pub annotation: Option<zenome_app::findings::AlleleAnnotation>,
}

fn bad(msg: impl Into<String>, r: &Received) -> BeaconError {
    BeaconError {
        status: StatusCode::BAD_REQUEST,
        message: msg.into(),
        meta: meta::response("boolean", r),
    }
}

fn numbers(field: &str, s: &str, r: &Received) -> Result<Vec<u64>, BeaconError> {
    s.split(',')
        .map(|p| {
            p.trim()
                .parse::<u64>()
                .map_err(|_| bad(format!("{field}: not a non-negative integer: {p:?}"), r))
        })
        .collect()
}

fn numbers_json(field: &str, v: &Value, r: &Received) -> Result<Vec<u64>, BeaconError> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(|n| vec![n])
            .ok_or_else(|| bad(format!("{field}: not a non-negative integer"), r)),
        Value::String(s) => numbers(field, s, r),
        Value::Array(a) => a
            .iter()
            .map(|x| {
                x.as_u64()
                    .ok_or_else(|| bad(format!("{field}: not a non-negative integer"), r))
            })
            .collect(),
        _ => Err(bad(format!("{field}: expected integers"), r)),
    }
}

fn granularity(s: &str, r: &Received) -> Result<String, BeaconError> {
    Level::parse(s)
        .map(|l| l.name().to_string())
        .ok_or_else(|| bad(format!("requestedGranularity: unknown value {s:?}"), r))
}

fn from_query(pairs: Vec<(String, String)>) -> Result<Params, BeaconError> {
    let mut p = Params {
        received: Received {
            limit: 10,
            ..Received::default()
        },
        ..Params::default()
    };
    for (k, v) in &pairs {
        match k.as_str() {
            "requestedGranularity" => {
                p.received.requested_granularity = Some(granularity(v, &p.received)?)
            }
            "filters" => p.received.filters.extend(
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            ),
            "skip" => p.received.skip = numbers("skip", v, &p.received)?[0],
            "limit" => p.received.limit = numbers("limit", v, &p.received)?[0],
            _ => {}
        }
    }
    for (k, v) in pairs {
        match k.as_str() {
            "referenceName" => p.reference_name = Some(v),
            "start" => p.start = numbers("start", &v, &p.received)?,
            "end" => p.end = numbers("end", &v, &p.received)?,
            "referenceBases" => p.reference_bases = Some(v),
            "alternateBases" => p.alternate_bases = Some(v),
            "assemblyId" => p.assembly_id = Some(v),
            _ => {}
        }
    }
    Ok(p)
}

fn from_body(body: &[u8]) -> Result<Params, BeaconError> {
    let mut p = Params {
        received: Received {
            limit: 10,
            ..Received::default()
        },
        ..Params::default()
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(p);
    }
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("request body: not JSON: {e}"), &p.received))?;
    let q = &v["query"];
    let g = q["requestedGranularity"]
        .as_str()
        .or_else(|| v["meta"]["requestedGranularity"].as_str());
    if let Some(g) = g {
        p.received.requested_granularity = Some(granularity(g, &p.received)?);
    }
    if let Some(fs) = q["filters"].as_array() {
        for f in fs {
            match f.as_str().or_else(|| f["id"].as_str()) {
                Some(id) => p.received.filters.push(id.to_string()),
                None => return Err(bad("filters: each filter needs an id", &p.received)),
            }
        }
    }
    if let Some(n) = q["pagination"]["skip"].as_u64() {
        p.received.skip = n;
    }
    if let Some(n) = q["pagination"]["limit"].as_u64() {
        p.received.limit = n;
    }
    let rp = &q["requestParameters"];
    let text = |k: &str| -> Result<Option<String>, BeaconError> {
        match &rp[k] {
            Value::Null => Ok(None),
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(n.to_string())),
            _ => Err(bad(format!("{k}: expected a string"), &p.received)),
        }
    };
    let reference_name = text("referenceName")?;
    let reference_bases = text("referenceBases")?;
    let alternate_bases = text("alternateBases")?;
    let assembly_id = text("assemblyId")?;
    p.reference_name = reference_name;
    p.reference_bases = reference_bases;
    p.alternate_bases = alternate_bases;
    p.assembly_id = assembly_id;
    if !rp["start"].is_null() {
        p.start = numbers_json("start", &rp["start"], &p.received)?;
    }
    if !rp["end"].is_null() {
        p.end = numbers_json("end", &rp["end"], &p.received)?;
    }
    Ok(p)
}

fn bases(field: &str, s: &str, r: &Received) -> Result<String, BeaconError> {
    let up = s.to_ascii_uppercase();
    if !up.is_empty() && up.bytes().all(|b| b"ACGTN".contains(&b)) {
        Ok(up)
    } else {
        Err(bad(
            format!("{field}: malformed allele {s:?} (expected [ACGTN]+)"),
            r,
        ))
    }
}

fn validate(p: &Params) -> Result<Validated, BeaconError> {
    let r = &p.received;
    if let Some(a) = &p.assembly_id
        && !(a.eq_ignore_ascii_case(ASSEMBLY)
            || a.to_ascii_lowercase()
                .starts_with(&format!("{}.", ASSEMBLY.to_ascii_lowercase())))
    {
        return Err(bad(
            format!("assemblyId: unknown assembly {a:?} (this Beacon holds {ASSEMBLY})"),
            r,
        ));
    }
    let name = p
        .reference_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| bad("referenceName: required", r))?;
    let chrom = name
        .strip_prefix("chr")
        .or_else(|| name.strip_prefix("CHR"))
        .unwrap_or(name);
    if chrom.is_empty()
        || !chrom
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(bad(
            format!("referenceName: not a chromosome name: {name:?}"),
            r,
        ));
    }
    let reference_bases = match p.reference_bases.as_deref() {
        None => None,
        Some(s) => Some(bases("referenceBases", s, r)?),
    };
    let alternate_bases = match p.alternate_bases.as_deref() {
        None => None,
        Some(s) => {
            let b = bases("alternateBases", s, r)?;
            // `N` is the Beacon wildcard: any alternate allele.
            (b != "N").then_some(b)
        }
    };
    let any_alt = p.alternate_bases.is_some();
    let (start, end, end_bracket) = match (p.start.as_slice(), p.end.as_slice()) {
        ([], _) => return Err(bad("start: required", r)),
        (&[s], []) => {
            if !any_alt {
                return Err(bad(
                    "alternateBases: required in a sequence query (or give end for a range query)",
                    r,
                ));
            }
            (s + 1, s + 1, None)
        }
        (&[s], &[e]) => {
            if s > e {
                return Err(bad(format!("start ({s}) is after end ({e})"), r));
            }
            (s + 1, e.max(s + 1), None)
        }
        (&[s1, s2], &[e1, e2]) => {
            if s1 > s2 || e1 > e2 {
                return Err(bad("start and end brackets must be min,max", r));
            }
            if s1 > e2 {
                return Err(bad(format!("start ({s1}) is after end ({e2})"), r));
            }
            (s1 + 1, s2 + 1, Some((e1, e2)))
        }
        _ => {
            return Err(bad(
                "start/end: give start (sequence), start and end (range), or start=a,b and end=c,d (bracket)",
                r,
            ));
        }
    };
    Ok(Validated {
        chrom: chrom.to_string(),
        start,
        end,
        reference_bases,
        alternate_bases,
        end_bracket,
    })
}

pub(crate) async fn get_variants(
    State(s): State<AppState>,
    MaybeActor(actor): MaybeActor,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Json<Value>, BeaconError> {
    let p = from_query(pairs)?;
    answer(&s, actor.as_ref(), p).await
}

pub(crate) async fn post_variants(
    State(s): State<AppState>,
    MaybeActor(actor): MaybeActor,
    body: Bytes,
) -> Result<Json<Value>, BeaconError> {
    let p = from_body(&body)?;
    answer(&s, actor.as_ref(), p).await
}

fn app_error(e: AppError, r: &Received) -> BeaconError {
    let (status, message) = match &e {
        AppError::Unauthorized => (StatusCode::UNAUTHORIZED, e.to_string()),
        AppError::Forbidden(_) => (StatusCode::FORBIDDEN, e.to_string()),
        AppError::Invalid { .. } | AppError::Rejected { .. } => {
            (StatusCode::BAD_REQUEST, e.to_string())
        }
        AppError::NotFound(_) => (StatusCode::NOT_FOUND, e.to_string()),
        _ => {
            tracing::error!(error = %e, "beacon query failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error".to_string(),
            )
        }
    };
    BeaconError {
        status,
        message,
        meta: meta::response("boolean", r),
    }
}

/// RefSeq accessions of the GRCh37 chromosomes, for VRS sequence ids.
fn refseq(chrom: &str) -> Option<&'static str> {
    Some(match chrom {
        "1" => "NC_000001.10",
        "2" => "NC_000002.11",
        "3" => "NC_000003.11",
        "4" => "NC_000004.11",
        "5" => "NC_000005.9",
        "6" => "NC_000006.11",
        "7" => "NC_000007.13",
        "8" => "NC_000008.10",
        "9" => "NC_000009.11",
        "10" => "NC_000010.10",
        "11" => "NC_000011.9",
        "12" => "NC_000012.11",
        "13" => "NC_000013.10",
        "14" => "NC_000014.8",
        "15" => "NC_000015.9",
        "16" => "NC_000016.9",
        "17" => "NC_000017.10",
        "18" => "NC_000018.9",
        "19" => "NC_000019.9",
        "20" => "NC_000020.10",
        "21" => "NC_000021.8",
        "22" => "NC_000022.10",
        "X" => "NC_000023.10",
        "Y" => "NC_000024.9",
        "MT" | "M" => "NC_012920.1",
        _ => return None,
    })
}

/// One allele in the default genomic-variation model (legacy variation
/// with a VRS 1.3 sequence location, 0-based interval).
fn record(a: &Allele) -> Value {
    let start = a.pos - 1;
    let end = start + a.reference.len() as u64;
    let variant_type = match (a.reference.len(), a.alternate.len()) {
        (1, 1) => "SNP",
        (r, l) if r == l => "MNP",
        (r, l) if r > l => "DEL",
        _ => "INS",
    };
    let sequence_id = refseq(&a.chrom)
        .map(|r| format!("refseq:{r}"))
        .unwrap_or_else(|| format!("{ASSEMBLY}:{}", a.chrom));
    let af = if a.an == 0 {
        0.0
    } else {
        a.ac as f64 / a.an as f64
    };
    let mut v = json!({
        "variantInternalId": format!("{}:{}:{}>{}", a.chrom, a.pos, a.reference, a.alternate),
        "variation": {
            "variantType": variant_type,
            "referenceBases": a.reference,
            "alternateBases": a.alternate,
            "location": {
                "type": "SequenceLocation",
                "sequence_id": sequence_id,
                "interval": {
                    "type": "SequenceInterval",
                    "start": { "type": "Number", "value": start },
                    "end": { "type": "Number", "value": end }
                }
            }
        },
        "identifiers": { "genomicHGVSId": format!("{}:g.{}{}>{}", sequence_id.trim_start_matches("refseq:"), a.pos, a.reference, a.alternate) },
        "frequencyInPopulations": [{
            "source": "Zenome cohort",
            "sourceReference": "https://zenome.jp",
            "frequencies": [{
                "population": "Zenome cohort (participants whose consent and the caller's grant allow)",
                "alleleFrequency": af,
                "alleleCount": a.ac,
                "alleleNumber": a.an,
                "alleleCountHomozygous": a.n_hom_alt,
                "alleleCountHemizygous": a.n_hemi
            }]
        }]
    });
    if let Some(an) = &a.annotation {
        // the consequence on the canonical transcript (Beacon v2
        // genomicVariations molecularAttributes)
        let mut m = json!({
            "geneIds": [an.gene],
            "molecularEffects": an
                .consequences
                .iter()
                .map(|(label, id)| json!({ "id": id, "label": label }))
                .collect::<Vec<_>>(),
        });
        if let Some(p) = &an.protein_change {
            m["aminoacidChanges"] = json!([p]);
        }
        v["molecularAttributes"] = m;
        if !an.hgvsc.is_empty() {
            v["identifiers"]["proteinHGVSIds"] = json!(if an.hgvsp.is_empty() {
                vec![]
            } else {
                vec![an.hgvsp.clone()]
            });
            v["identifiers"]["transcriptHGVSIds"] = json!([an.hgvsc]);
        }
    }
    if let Some(c) = &a.carriers {
        // Carriers are participant ids: the individual, and the biosample
        // (required by the model) named by the same id.
        v["caseLevelData"] = c
            .iter()
            .map(|id| json!({ "biosampleId": id, "individualId": id }))
            .collect();
    }
    v
}

/// The response body for the alleles the cohort gave, at `level`.
pub(crate) fn shape(level: Level, alleles: &[Allele], r: &Received) -> Value {
    let exists = !alleles.is_empty();
    let meta = meta::response(level.name(), r);
    match level {
        Level::Boolean => json!({ "meta": meta, "responseSummary": { "exists": exists } }),
        Level::Count => json!({
            "meta": meta,
            "responseSummary": { "exists": exists, "numTotalResults": alleles.len() }
        }),
        Level::Record => {
            let results: Vec<Value> = alleles
                .iter()
                .skip(r.skip as usize)
                .take(if r.limit == 0 {
                    usize::MAX
                } else {
                    r.limit as usize
                })
                .map(record)
                .collect();
            json!({
                "meta": meta,
                "responseSummary": { "exists": exists, "numTotalResults": alleles.len() },
                "response": { "resultSets": [{
                    "id": "zenome",
                    "setType": "dataset",
                    "exists": exists,
                    "resultsCount": alleles.len(),
                    "results": results
                }] }
            })
        }
    }
}

async fn answer(
    s: &AppState,
    actor: Option<&Actor>,
    p: Params,
) -> Result<Json<Value>, BeaconError> {
    let v = validate(&p)?;
    let r = &p.received;
    let requested = r
        .requested_granularity
        .as_deref()
        .and_then(Level::parse)
        .unwrap_or(Level::Boolean);
    let (allowed, alleles) = cohort(s, actor, &v, &r.filters)
        .await
        .map_err(|e| app_error(e, r))?;
    let mut alleles: Vec<Allele> = alleles
        .into_iter()
        .filter(|a| match v.end_bracket {
            None => true,
            Some((lo, hi)) => {
                let end0 = a.pos - 1 + a.reference.len() as u64;
                (lo..=hi).contains(&end0)
            }
        })
        .collect();
    let level = if actor.is_none() {
        Level::Boolean
    } else {
        requested.min(allowed)
    };
    if level < Level::Record {
        for a in &mut alleles {
            a.carriers = None;
        }
    }
    Ok(Json(shape(level, &alleles, r)))
}

/// Asks the app for the alleles of the query, with the granularity the
/// caller is allowed (consent and grants applied by the app).
async fn cohort(
    s: &AppState,
    actor: Option<&Actor>,
    v: &Validated,
    filters: &[String],
) -> Result<(Level, Vec<Allele>), AppError> {
    use zenome_app::variants::{CohortQuery, Granularity};
    let q = CohortQuery {
        chrom: v.chrom.clone(),
        start: v.start,
        end: v.end,
        reference_bases: v.reference_bases.clone(),
        alternate_bases: v.alternate_bases.clone(),
    };
    let a = s.app.cohort_variants_filtered(actor, &q, filters).await?;
    let level = match a.granularity {
        Granularity::Boolean => Level::Boolean,
        Granularity::Count => Level::Count,
        Granularity::Record => Level::Record,
    };
    let alleles = a
        .alleles
        .into_iter()
        .map(|a| Allele {
            chrom: a.chrom,
            pos: a.pos,
            reference: a.reference,
            alternate: a.alternate,
            ac: a.ac,
            an: a.an,
            n_hom_alt: a.n_hom_alt,
            n_hemi: a.n_hemi,
            carriers: a.carriers,
            annotation: a.annotation,
        })
        .collect();
    Ok((level, alleles))
}
