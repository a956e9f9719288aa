//! CIViC loaders: the API JSON shape (`evidence.json`, `variants.json`,
//! `assertions.json`, `genes.json`; arrays of records or one record) and the
//! nightly `ClinicalEvidenceSummaries.tsv` shape, in its gene/variant era
//! (41 or 42 columns, to 2022) and its molecular-profile era (25 columns).
//! The local evidence table is the gene/variant-era TSV (see `local`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::disease::{DiseaseTerm, TermSystem, normalise};
use crate::error::{KnowledgeError, Location, Result};
use crate::evidence::*;
use crate::protein::parse_variant_name;
use crate::source::{KbKind, KnowledgeBase, combine, read_all};

/// The files of a CIViC API-shaped release.
#[derive(Clone, Debug, Default)]
pub struct CivicApiFiles {
    pub evidence: Vec<PathBuf>,
    pub variants: Vec<PathBuf>,
    pub assertions: Vec<PathBuf>,
    pub genes: Vec<PathBuf>,
}

impl CivicApiFiles {
    /// `dir/{evidence,variants,assertions,genes}.json`, those that exist
    /// (`evidence.json` and `variants.json` must).
    pub fn in_dir(dir: &Path) -> Self {
        let some = |name: &str| {
            let p = dir.join(name);
            if name == "evidence.json" || name == "variants.json" || p.exists() {
                vec![p]
            } else {
                vec![]
            }
        };
        Self {
            evidence: some("evidence.json"),
            variants: some("variants.json"),
            assertions: some("assertions.json"),
            genes: some("genes.json"),
        }
    }
}

struct Rec<'a> {
    path: &'a Path,
    at: Location,
    v: &'a Value,
}

impl<'a> Rec<'a> {
    fn err(&self, field: &str, message: impl Into<String>) -> KnowledgeError {
        KnowledgeError::Field {
            path: self.path.to_path_buf(),
            at: self.at.clone(),
            field: field.to_string(),
            message: message.into(),
        }
    }
    fn get(&self, field: &str) -> Option<&'a Value> {
        self.v.get(field).filter(|v| !v.is_null())
    }
    fn str(&self, field: &str) -> Result<&'a str> {
        match self.get(field) {
            Some(Value::String(s)) => Ok(s),
            Some(other) => Err(self.err(field, format!("expected a string, found {other}"))),
            None => Err(self.err(field, "missing")),
        }
    }
    fn opt_str(&self, field: &str) -> Option<&'a str> {
        self.get(field).and_then(Value::as_str)
    }
    fn u64(&self, field: &str) -> Result<u64> {
        match self.get(field) {
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| self.err(field, format!("expected a positive integer, found {v}"))),
            None => Err(self.err(field, "missing")),
        }
    }
    fn sub(&self, field: &str) -> Option<Rec<'a>> {
        self.get(field).map(|v| Rec {
            path: self.path,
            at: self.at.clone(),
            v,
        })
    }
    fn enumerated<T>(
        &self,
        field: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
    ) -> Result<T> {
        let s = self.opt_str(field).unwrap_or("");
        parse(s).ok_or_else(|| self.err(field, format!("expected {expected}, found {s:?}")))
    }
}

/// The records of one JSON file, each checked to be of `kind` (the API's
/// `type` field) so a swapped file is refused naming both.
fn json_records(path: &Path, kind: &str, bytes: &[u8]) -> Result<Vec<Value>> {
    let v: Value = serde_json::from_slice(bytes).map_err(|source| KnowledgeError::Json {
        path: path.to_path_buf(),
        source,
    })?;
    let records = match v {
        Value::Array(a) => a,
        Value::Object(_) => vec![v],
        other => {
            return Err(KnowledgeError::Shape {
                path: path.to_path_buf(),
                at: Location::File,
                expected: format!("a JSON array of CIViC {kind} records"),
                found: json_kind(&other).into(),
            });
        }
    };
    for (i, r) in records.iter().enumerate() {
        let found = r.get("type").and_then(Value::as_str);
        if !r.is_object() || found != Some(kind) {
            return Err(KnowledgeError::Shape {
                path: path.to_path_buf(),
                at: Location::Record(i as u64 + 1),
                expected: format!("a record with \"type\": \"{kind}\""),
                found: match found {
                    Some(t) => format!("\"type\": \"{t}\""),
                    None => format!("{} without \"type\"", json_kind(r)),
                },
            });
        }
    }
    Ok(records)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

struct VariantRec {
    gene: String,
    name: String,
    coordinates: Option<GenomicAllele>,
}

fn disease(r: &Rec) -> Result<DiseaseTerm> {
    let d = r
        .sub("disease")
        .ok_or_else(|| r.err("disease", "missing"))?;
    Ok(DiseaseTerm {
        id: d
            .get("doid")
            .and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_u64().map(|n| n.to_string()))
            })
            .filter(|s| !s.is_empty())
            .map(|s| normalise(TermSystem::Doid, &s)),
        name: d.str("name")?.to_string(),
    })
}

fn therapies(r: &Rec) -> Vec<String> {
    r.get("drugs")
        .or_else(|| r.get("therapies"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|d| d.get("name").and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn coordinates(r: &Rec) -> Option<GenomicAllele> {
    let c = r.sub("coordinates")?;
    let assembly = Assembly::parse(c.opt_str("reference_build")?)?;
    let reference = c
        .opt_str("reference_bases")
        .unwrap_or("")
        .to_ascii_uppercase();
    let alternate = c
        .opt_str("variant_bases")
        .unwrap_or("")
        .to_ascii_uppercase();
    if reference.is_empty() || alternate.is_empty() {
        return None;
    }
    Some(GenomicAllele {
        assembly,
        chrom: crate::evidence::normalise_chrom(c.opt_str("chromosome")?),
        pos: c.u64("start").ok()?,
        reference,
        alternate,
    })
}

struct Common {
    evidence_type: EvidenceType,
    direction: Direction,
    significance: Significance,
    status: Status,
    interaction: Option<TherapyInteraction>,
}

fn common(r: &Rec) -> Result<Common> {
    Ok(Common {
        evidence_type: r.enumerated(
            "evidence_type",
            EvidenceType::parse,
            "a CIViC evidence type",
        )?,
        direction: r.enumerated(
            "evidence_direction",
            Direction::parse,
            "Supports, Does Not Support or N/A",
        )?,
        significance: Significance::parse(
            r.opt_str("clinical_significance")
                .or_else(|| r.opt_str("significance"))
                .unwrap_or(""),
        ),
        status: r.enumerated("status", Status::parse, "accepted, submitted or rejected")?,
        interaction: r.enumerated(
            "drug_interaction_type",
            TherapyInteraction::parse,
            "Combination, Sequential or Substitutes",
        )?,
    })
}

fn evidence_item(r: &Rec, variants: &BTreeMap<u64, VariantRec>) -> Result<Option<EvidenceItem>> {
    let id = r.u64("id")?;
    let variant_id = r.u64("variant_id")?;
    let Some(v) = variants.get(&variant_id) else {
        return Ok(None);
    };
    let c = common(r)?;
    Ok(Some(EvidenceItem {
        id: RecordId::CivicEvidence(id),
        gene: v.gene.clone(),
        variant_name: v.name.clone(),
        variant: parse_variant_name(&v.name),
        coordinates: v.coordinates.clone(),
        disease: disease(r)?,
        therapies: therapies(r),
        interaction: c.interaction,
        evidence_type: c.evidence_type,
        level: Some(r.enumerated("evidence_level", EvidenceLevel::parse, "a level A to E")?),
        amp: None,
        direction: c.direction,
        significance: c.significance,
        origin: r.enumerated("variant_origin", KbOrigin::parse, "a CIViC variant origin")?,
        status: c.status,
        citation: r.sub("source").map(|s| Citation {
            source_type: s.opt_str("source_type").unwrap_or("").to_string(),
            id: s
                .get("citation_id")
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                .unwrap_or_default(),
            text: s.opt_str("citation").unwrap_or("").to_string(),
        }),
    }))
}

fn assertion(r: &Rec) -> Result<EvidenceItem> {
    let c = common(r)?;
    let gene = r.sub("gene").ok_or_else(|| r.err("gene", "missing"))?;
    let variant = r
        .sub("variant")
        .ok_or_else(|| r.err("variant", "missing"))?;
    let name = variant.str("name")?.to_string();
    let amp = match r.opt_str("amp_level") {
        None | Some("") => None,
        Some(s) => Some(AmpClass::parse(s).ok_or_else(|| {
            r.err(
                "amp_level",
                format!("expected e.g. \"Tier I - Level A\", found {s:?}"),
            )
        })?),
    };
    Ok(EvidenceItem {
        id: RecordId::CivicAssertion(r.u64("id")?),
        gene: gene.str("name")?.to_string(),
        variant: parse_variant_name(&name),
        variant_name: name,
        coordinates: None,
        disease: disease(r)?,
        therapies: therapies(r),
        interaction: c.interaction,
        evidence_type: c.evidence_type,
        level: None,
        amp,
        direction: c.direction,
        significance: c.significance,
        origin: r.enumerated("variant_origin", KbOrigin::parse, "a CIViC variant origin")?,
        status: c.status,
        citation: None,
    })
}

/// Loads an API-shaped CIViC release. The version is `release` when given,
/// else the date of the latest `updated_at` of any record read.
pub fn load_civic_api(files: &CivicApiFiles, release: Option<&str>) -> Result<EvidenceSet> {
    let mut digests = Vec::new();
    let mut paths = Vec::new();
    let mut latest = String::new();
    let mut read = |list: &[PathBuf], kind: &str| -> Result<Vec<(PathBuf, u64, Value)>> {
        let mut out = Vec::new();
        for p in list {
            let l = read_all(p)?;
            digests.push(l.sha256);
            paths.push(p.clone());
            for (i, v) in json_records(p, kind, &l.bytes)?.into_iter().enumerate() {
                if let Some(u) = v.get("updated_at").and_then(Value::as_str)
                    && u > latest.as_str()
                {
                    latest = u.to_string();
                }
                out.push((p.clone(), i as u64 + 1, v));
            }
        }
        Ok(out)
    };
    let genes = read(&files.genes, "gene")?;
    let variants = read(&files.variants, "variant")?;
    let evidence = read(&files.evidence, "evidence")?;
    let assertions = read(&files.assertions, "assertion")?;
    let _ = genes; // gene records carry no evidence of their own; read for shape and version

    let mut by_variant = BTreeMap::new();
    let mut embedded = Vec::new();
    for (p, i, v) in &variants {
        let r = Rec {
            path: p,
            at: Location::Record(*i),
            v,
        };
        let gene = r.str("entrez_name")?.to_string();
        let name = r.str("name")?.to_string();
        by_variant.insert(
            r.u64("id")?,
            VariantRec {
                gene,
                name,
                coordinates: coordinates(&r),
            },
        );
        for e in r
            .get("_evidence_items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            embedded.push((p.clone(), *i, e.clone()));
        }
    }
    let mut items = Vec::new();
    let mut unresolved = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for (p, i, v) in evidence.iter().chain(embedded.iter()) {
        let r = Rec {
            path: p,
            at: Location::Record(*i),
            v,
        };
        let id = r.u64("id")?;
        if !seen.insert(id) {
            continue;
        }
        match evidence_item(&r, &by_variant)? {
            Some(item) => items.push(item),
            None => unresolved.push(RecordId::CivicEvidence(id)),
        }
    }
    for (p, i, v) in &assertions {
        items.push(assertion(&Rec {
            path: p,
            at: Location::Record(*i),
            v,
        })?);
    }
    let version = match release {
        Some(r) => r.to_string(),
        None if !latest.is_empty() => latest.get(..10).unwrap_or(&latest).to_string(),
        None => {
            return Err(KnowledgeError::Shape {
                path: files.evidence.first().cloned().unwrap_or_default(),
                at: Location::File,
                expected: "records with updated_at, or a release date from the caller".into(),
                found: "neither".into(),
            });
        }
    };
    Ok(EvidenceSet {
        kb: KnowledgeBase {
            kind: KbKind::Civic,
            version,
            paths,
            sha256: combine(&digests),
        },
        items,
        unresolved,
    })
}

/// Columns of CIViC's nightly `ClinicalEvidenceSummaries.tsv` in the
/// gene/variant era (releases to 2022); a trailing `is_flagged` column was
/// added later in that era and is accepted.
pub const NIGHTLY_V1_COLUMNS: [&str; 41] = [
    "gene",
    "entrez_id",
    "variant",
    "disease",
    "doid",
    "phenotypes",
    "drugs",
    "drug_interaction_type",
    "evidence_type",
    "evidence_direction",
    "evidence_level",
    "clinical_significance",
    "evidence_statement",
    "citation_id",
    "source_type",
    "asco_abstract_id",
    "citation",
    "nct_ids",
    "rating",
    "evidence_status",
    "evidence_id",
    "variant_id",
    "gene_id",
    "chromosome",
    "start",
    "stop",
    "reference_bases",
    "variant_bases",
    "representative_transcript",
    "chromosome2",
    "start2",
    "stop2",
    "representative_transcript2",
    "ensembl_version",
    "reference_build",
    "variant_summary",
    "variant_origin",
    "last_review_date",
    "evidence_civic_url",
    "variant_civic_url",
    "gene_civic_url",
];

/// Columns of the nightly evidence TSV in the molecular-profile era (2023–).
pub const NIGHTLY_V2_COLUMNS: [&str; 25] = [
    "molecular_profile",
    "molecular_profile_id",
    "disease",
    "doid",
    "phenotypes",
    "therapies",
    "therapy_interaction_type",
    "evidence_type",
    "evidence_direction",
    "evidence_level",
    "significance",
    "evidence_statement",
    "citation_id",
    "source_type",
    "asco_abstract_id",
    "citation",
    "nct_ids",
    "rating",
    "evidence_status",
    "evidence_id",
    "variant_origin",
    "last_review_date",
    "evidence_civic_url",
    "molecular_profile_civic_url",
    "is_flagged",
];

/// Which nightly shape a header is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NightlyShape {
    /// Gene/variant era: self-contained rows with coordinates.
    GeneVariant,
    /// Molecular-profile era: the profile name (`BRAF V600E`) is split into
    /// gene and variant; no coordinates (they are in VariantSummaries).
    MolecularProfile,
}

fn nightly_shape(path: &Path, header: &[String]) -> Result<NightlyShape> {
    let h: Vec<&str> = header.iter().map(String::as_str).collect();
    if h == NIGHTLY_V1_COLUMNS
        || (h.len() == 42 && h[..41] == NIGHTLY_V1_COLUMNS && h[41] == "is_flagged")
    {
        return Ok(NightlyShape::GeneVariant);
    }
    if h == NIGHTLY_V2_COLUMNS {
        return Ok(NightlyShape::MolecularProfile);
    }
    // name the closer shape's difference
    let (name, want): (&str, &[&str]) = if h.contains(&"molecular_profile") {
        ("molecular-profile era", &NIGHTLY_V2_COLUMNS)
    } else {
        ("gene/variant era", &NIGHTLY_V1_COLUMNS)
    };
    Err(KnowledgeError::Shape {
        path: path.to_path_buf(),
        at: Location::Line(1),
        expected: format!("CIViC nightly evidence header, {name}: {}", want.join(",")),
        found: column_diff(want, &h),
    })
}

/// `found 12 columns: a,b,…; missing x,y; unexpected z`.
pub(crate) fn column_diff(want: &[&str], found: &[&str]) -> String {
    let missing: Vec<&str> = want
        .iter()
        .filter(|w| !found.contains(w))
        .copied()
        .collect();
    let extra: Vec<&str> = found
        .iter()
        .filter(|f| !want.contains(f))
        .copied()
        .collect();
    let mut s = format!("{} columns: {}", found.len(), found.join(","));
    if !missing.is_empty() {
        s += &format!("; missing {}", missing.join(","));
    }
    if !extra.is_empty() {
        s += &format!("; unexpected {}", extra.join(","));
    }
    if missing.is_empty() && extra.is_empty() {
        s += "; same columns in another order";
    }
    s
}

/// Loads a TSV in CIViC's nightly evidence shape as `kind` (CIViC itself or
/// the local table). The version is `release` when given, else the latest
/// `last_review_date`.
pub(crate) fn load_evidence_tsv(
    path: &Path,
    kind: KbKind,
    release: Option<&str>,
) -> Result<EvidenceSet> {
    let l = read_all(path)?;
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(b'\t')
        .quoting(false)
        .flexible(true)
        .from_reader(l.bytes.as_slice());
    let csv_err = |line: u64| {
        move |source| KnowledgeError::Csv {
            path: path.to_path_buf(),
            at: Location::Line(line),
            source,
        }
    };
    let header: Vec<String> = rdr
        .headers()
        .map_err(csv_err(1))?
        .iter()
        .map(|s| s.trim_end_matches('\r').to_string())
        .collect();
    let shape = nightly_shape(path, &header)?;
    if kind == KbKind::LocalEvidence && shape != NightlyShape::GeneVariant {
        return Err(KnowledgeError::Shape {
            path: path.to_path_buf(),
            at: Location::Line(1),
            expected: "the gene/variant-era CIViC evidence header (local table)".into(),
            found: "the molecular-profile-era header".into(),
        });
    }
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .expect("checked header")
    };
    let mut items = Vec::new();
    let mut latest = String::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i as u64 + 2;
        let rec = rec.map_err(csv_err(line))?;
        if rec.len() != header.len() {
            return Err(KnowledgeError::Shape {
                path: path.to_path_buf(),
                at: Location::Line(line),
                expected: format!("{} tab-separated fields", header.len()),
                found: format!("{}", rec.len()),
            });
        }
        let get = |name: &str| rec.get(col(name)).unwrap_or("").trim();
        let field = |name: &str, message: String| KnowledgeError::Field {
            path: path.to_path_buf(),
            at: Location::Line(line),
            field: name.to_string(),
            message,
        };
        let parse = |name: &str, expected: &str, ok: bool| -> Result<()> {
            if ok {
                Ok(())
            } else {
                Err(field(
                    name,
                    format!("expected {expected}, found {:?}", get(name)),
                ))
            }
        };
        let (gene, variant_name) = match shape {
            NightlyShape::GeneVariant => (get("gene").to_string(), get("variant").to_string()),
            NightlyShape::MolecularProfile => {
                let mp = get("molecular_profile");
                match mp.split_once(' ') {
                    Some((g, v)) => (g.to_string(), v.to_string()),
                    None => (mp.to_string(), String::new()),
                }
            }
        };
        if gene.is_empty() {
            return Err(field("gene", "empty".into()));
        }
        let level = EvidenceLevel::parse(get("evidence_level"));
        parse("evidence_level", "a level A to E", level.is_some())?;
        let evidence_type = EvidenceType::parse(get("evidence_type"));
        parse(
            "evidence_type",
            "a CIViC evidence type",
            evidence_type.is_some(),
        )?;
        let direction = Direction::parse(get("evidence_direction"));
        parse(
            "evidence_direction",
            "Supports, Does Not Support or N/A",
            direction.is_some(),
        )?;
        let status = Status::parse(get("evidence_status"));
        parse(
            "evidence_status",
            "accepted, submitted or rejected",
            status.is_some(),
        )?;
        let origin = KbOrigin::parse(get("variant_origin"));
        parse("variant_origin", "a CIViC variant origin", origin.is_some())?;
        let (drugs, inter, signif) = match shape {
            NightlyShape::GeneVariant => {
                ("drugs", "drug_interaction_type", "clinical_significance")
            }
            NightlyShape::MolecularProfile => {
                ("therapies", "therapy_interaction_type", "significance")
            }
        };
        let interaction = TherapyInteraction::parse(get(inter));
        parse(
            inter,
            "Combination, Sequential or Substitutes",
            interaction.is_some(),
        )?;
        let id_text = get("evidence_id");
        let id = match kind {
            KbKind::LocalEvidence if !id_text.is_empty() => RecordId::Local(id_text.to_string()),
            _ => RecordId::CivicEvidence(id_text.parse().map_err(|_| {
                field(
                    "evidence_id",
                    format!("expected a number, found {id_text:?}"),
                )
            })?),
        };
        let coordinates = match shape {
            NightlyShape::GeneVariant => {
                let (chrom, start, r, a, build) = (
                    get("chromosome"),
                    get("start"),
                    get("reference_bases"),
                    get("variant_bases"),
                    get("reference_build"),
                );
                match (Assembly::parse(build), start.parse::<u64>()) {
                    (Some(assembly), Ok(pos))
                        if !chrom.is_empty() && !r.is_empty() && !a.is_empty() =>
                    {
                        Some(GenomicAllele {
                            assembly,
                            chrom: normalise_chrom(chrom),
                            pos,
                            reference: r.to_ascii_uppercase(),
                            alternate: a.to_ascii_uppercase(),
                        })
                    }
                    _ => None,
                }
            }
            NightlyShape::MolecularProfile => None,
        };
        let doid = get("doid");
        let reviewed = get("last_review_date");
        if reviewed > latest.as_str() {
            latest = reviewed.to_string();
        }
        items.push(EvidenceItem {
            id,
            variant: parse_variant_name(&variant_name),
            gene,
            variant_name,
            coordinates,
            disease: DiseaseTerm {
                id: (!doid.is_empty()).then(|| normalise(TermSystem::Doid, doid)),
                name: get("disease").to_string(),
            },
            therapies: get(drugs)
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            interaction: interaction.flatten(),
            evidence_type: evidence_type.expect("checked"),
            level,
            amp: None,
            direction: direction.expect("checked"),
            significance: Significance::parse(get(signif)),
            origin: origin.expect("checked"),
            status: status.expect("checked"),
            citation: (!get("citation_id").is_empty()).then(|| Citation {
                source_type: get("source_type").to_string(),
                id: get("citation_id").to_string(),
                text: get("citation").to_string(),
            }),
        });
    }
    if items.is_empty() {
        return Err(KnowledgeError::Empty {
            path: path.to_path_buf(),
        });
    }
    let version = match release {
        Some(r) => r.to_string(),
        None if !latest.is_empty() => latest.get(..10).unwrap_or(&latest).to_string(),
        None => {
            return Err(KnowledgeError::Shape {
                path: path.to_path_buf(),
                at: Location::File,
                expected: "last_review_date values, or a release from the caller".into(),
                found: "neither".into(),
            });
        }
    };
    Ok(EvidenceSet {
        kb: KnowledgeBase {
            kind,
            version,
            paths: vec![path.to_path_buf()],
            sha256: combine(&[l.sha256]),
        },
        items,
        unresolved: Vec::new(),
    })
}

/// Loads CIViC's nightly `ClinicalEvidenceSummaries.tsv` (either era).
pub fn load_civic_nightly(path: &Path, release: Option<&str>) -> Result<EvidenceSet> {
    load_evidence_tsv(path, KbKind::Civic, release)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protein::VariantSpec;

    fn tsv(header: &[&str], rows: &[&str]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ev.tsv");
        let mut text = header.join("\t") + "\n";
        for r in rows {
            text += r;
            text += "\n";
        }
        std::fs::write(&p, text).unwrap();
        (dir, p)
    }

    #[test]
    fn molecular_profile_era_rows_split_the_profile_name() {
        let row = "BRAF V600E\t12\tMelanoma\t1909\t\tDabrafenib,Trametinib\tCombination\tPredictive\tSupports\tA\t\
                   Sensitivity/Response\tstatement\t22608338\tPubMed\t\tFlaherty et al., 2012\t\t5\taccepted\t1409\t\
                   Somatic\t2023-03-01 10:00:00 UTC\turl\turl\tfalse";
        let complex = "EGFR L858R AND EGFR T790M\t4176\tLung Non-small Cell Carcinoma\t3908\t\tOsimertinib\t\tPredictive\t\
                       Supports\tB\tSensitivity/Response\ts\t1\tPubMed\t\tc\t\t4\tsubmitted\t9000\tSomatic\t2023-01-01\tu\tu\tfalse";
        let (_d, p) = tsv(&NIGHTLY_V2_COLUMNS, &[row, complex]);
        let set = load_civic_nightly(&p, None).unwrap();
        assert_eq!(set.kb.version, "2023-03-01");
        let e = &set.items[0];
        assert_eq!(
            (e.gene.as_str(), e.variant_name.as_str()),
            ("BRAF", "V600E")
        );
        assert!(matches!(e.variant, VariantSpec::Substitution(_)));
        assert_eq!(e.therapies, ["Dabrafenib", "Trametinib"]);
        assert_eq!(e.interaction, Some(TherapyInteraction::Combination));
        assert_eq!(e.disease.id.as_deref(), Some("DOID:1909"));
        assert_eq!(e.id, RecordId::CivicEvidence(1409));
        assert!(e.coordinates.is_none());
        assert!(
            matches!(set.items[1].variant, VariantSpec::Unmatched(_)),
            "complex profiles are not matched"
        );
    }

    #[test]
    fn gene_variant_era_with_is_flagged_and_unknown_vocabulary() {
        let mut header: Vec<&str> = NIGHTLY_V1_COLUMNS.to_vec();
        header.push("is_flagged");
        let mut f = vec![""; 42];
        for (k, v) in [
            ("gene", "BRAF"),
            ("variant", "V600E"),
            ("disease", "Melanoma"),
            ("doid", "1909"),
            ("drugs", "Vemurafenib"),
            ("evidence_type", "Predictive"),
            ("evidence_direction", "Supports"),
            ("evidence_level", "A"),
            ("clinical_significance", "Sensitivity/Response"),
            ("evidence_status", "accepted"),
            ("evidence_id", "95"),
            ("chromosome", "7"),
            ("start", "140453136"),
            ("reference_bases", "A"),
            ("variant_bases", "T"),
            ("reference_build", "GRCh37"),
            ("variant_origin", "Somatic"),
        ] {
            f[header.iter().position(|h| *h == k).unwrap()] = v;
        }
        let good = f.join("\t");
        let (_d, p) = tsv(&header, &[&good]);
        let set = load_civic_nightly(&p, Some("01-Feb-2022")).unwrap();
        assert_eq!(set.kb.version, "01-Feb-2022");
        assert_eq!(set.items[0].coordinates.as_ref().unwrap().pos, 140453136);
        let bad = good.replace("\tPredictive\t", "\tPrognosis\t");
        let (_d, p) = tsv(&header, &[&good, &bad]);
        let msg = load_civic_nightly(&p, Some("x")).unwrap_err().to_string();
        assert!(
            msg.contains("line 3") && msg.contains("evidence_type") && msg.contains("Prognosis"),
            "{msg}"
        );
    }
}
