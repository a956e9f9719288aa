//! Clinical information (R2): records judged against the versioned
//! dictionary of `zenome-clinical` and stored as append-only versions; bulk
//! submissions that store every record or none; the consent gates (a
//! participant without consent in force gets no new data, items that link
//! to outside data need the linkage consent, a withdrawn participant leaves
//! every export); and the exports — flat tables per item group and GA4GH
//! Phenopackets for rare disease.

use std::collections::BTreeMap;

use time::OffsetDateTime;
use zenome_clinical::{Area, Dictionaries, Hpo, Record};
use zenome_domain::access::DataType;
use zenome_domain::consent::ConsentState;
use zenome_domain::id::ParticipantId;
use zenome_domain::participant::DiseaseArea;
use zenome_store::{AuditEntry, ClinicalRow, NewClinical};

use crate::config::ClinicalConfig;
use crate::error::SubmissionProblem;
use crate::{Actor, App, AppError, policy};

/// The dictionary versions and the phenotype ontology in force.
#[derive(Debug)]
pub struct Catalog {
    dicts: Dictionaries,
    hpo: Hpo,
}

impl Catalog {
    /// Loads the configured dictionary and HPO, or the built-in ones.
    pub fn load(c: &ClinicalConfig) -> Result<Self, AppError> {
        let dicts = match &c.dictionary_dir {
            Some(dir) => Dictionaries::load(dir).map_err(|e| {
                AppError::Internal(format!("clinical dictionary {}: {e}", dir.display()))
            })?,
            None => Dictionaries::builtin(),
        };
        let hpo = match &c.hpo_obo {
            Some(path) => {
                let f = std::fs::File::open(path)
                    .map_err(|e| AppError::Internal(format!("HPO {}: {e}", path.display())))?;
                Hpo::from_obo(std::io::BufReader::new(f))
                    .map_err(|e| AppError::Internal(format!("HPO {}: {e}", path.display())))?
            }
            None => Hpo::builtin(),
        };
        Ok(Self { dicts, hpo })
    }
}

/// Where a submission came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A portal form.
    Form,
    /// The JSON API, one record.
    Api,
    /// A bulk CSV file.
    BulkCsv,
    /// A bulk JSON file.
    BulkJson,
    /// An imported Phenopacket.
    Phenopacket,
    /// The demo.
    Demo,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Form => "form",
            Source::Api => "api",
            Source::BulkCsv => "bulk_csv",
            Source::BulkJson => "bulk_json",
            Source::Phenopacket => "phenopacket",
            Source::Demo => "demo",
        }
    }
}

/// One record of a submission, with where its parts came from in a bulk
/// file (so a problem can name the line).
#[derive(Debug, Clone)]
pub struct Submission {
    /// The record.
    pub record: Record,
    /// The line (or entry number) of the record as a whole.
    pub row: Option<usize>,
    /// Lines of single entries: (group, index) → line.
    pub rows: BTreeMap<(String, Option<usize>), usize>,
}

impl Submission {
    /// A record with no file positions.
    pub fn one(record: Record) -> Self {
        Self {
            record,
            row: None,
            rows: BTreeMap::new(),
        }
    }
}

fn area_of(a: DiseaseArea) -> Area {
    match a {
        DiseaseArea::Cancer => Area::Cancer,
        DiseaseArea::RareDisease => Area::RareDisease,
    }
}

fn problem(
    row: Option<usize>,
    participant: &str,
    path: &str,
    rule: &str,
    en: String,
    ja: String,
) -> SubmissionProblem {
    SubmissionProblem {
        row,
        participant: Some(participant.to_string()).filter(|p| !p.is_empty()),
        path: path.to_string(),
        item: None,
        rule: rule.to_string(),
        message_en: en,
        message_ja: ja,
    }
}

/// The key a record is counted under on the public page: the ICD-O-3
/// site (`C34`) for cancer, the ICD-10 chapter letter of the diagnosis
/// (`G`, `Q`, `E`…) for rare disease.
pub fn summary_key(r: &Record) -> Option<String> {
    let diagnosis = r.groups.get("diagnosis")?;
    let (_, first) = diagnosis.entries().into_iter().next()?;
    match r.area {
        Area::Cancer => first
            .get("primary_site")
            .and_then(|v| v.as_str())
            .and_then(|s| s.get(..3))
            .map(str::to_string),
        Area::RareDisease => first
            .get("icd10")
            .and_then(|v| v.as_str())
            .and_then(|s| s.get(..1))
            .map(str::to_ascii_uppercase),
    }
}

impl App {
    /// The dictionary versions in force.
    pub fn dictionaries(&self) -> &Dictionaries {
        &self.inner.clinical.dicts
    }

    /// The Human Phenotype Ontology in force.
    pub fn hpo(&self) -> &Hpo {
        &self.inner.clinical.hpo
    }

    /// The latest clinical record of a participant the actor may read.
    pub async fn clinical_record(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<Option<ClinicalRow>, AppError> {
        self.readable_participant(actor, id).await?;
        Ok(self.store().latest_clinical(id).await?)
    }

    /// The participant, if the actor may read their records (out of scope
    /// answers as unknown).
    pub(crate) async fn readable_participant(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<zenome_domain::participant::Participant, AppError> {
        policy::participant_scope_or_absent(actor)?;
        let p = self
            .store()
            .participant(id)
            .await?
            .ok_or(AppError::NotFound("participant"))?;
        policy::can_read_participant(actor, &p.participant)?;
        Ok(p.participant)
    }

    /// Every version of a participant's record, oldest first.
    pub async fn clinical_history(
        &self,
        actor: &Actor,
        id: &ParticipantId,
    ) -> Result<Vec<ClinicalRow>, AppError> {
        self.readable_participant(actor, id).await?;
        Ok(self.store().clinical_history(id).await?)
    }

    /// Judges and stores one record as the participant's next version.
    pub async fn submit_clinical(
        &self,
        actor: &Actor,
        record: Record,
        source: Source,
    ) -> Result<ClinicalRow, AppError> {
        let mut rows = self
            .submit_clinical_batch(actor, vec![Submission::one(record)], source)
            .await?;
        Ok(rows.remove(0))
    }

    /// Judges every record; stores all of them (each as its participant's
    /// next version, in one transaction) or, if anything is wrong, none —
    /// and then lists every problem.
    pub async fn submit_clinical_batch(
        &self,
        actor: &Actor,
        items: Vec<Submission>,
        source: Source,
    ) -> Result<Vec<ClinicalRow>, AppError> {
        if !matches!(
            actor.role,
            zenome_domain::role::Role::FacilitySubmitter { .. }
        ) {
            return Err(AppError::Forbidden(format!(
                "role {} may not submit clinical records",
                actor.role.name()
            )));
        }
        if items.is_empty() {
            return Err(AppError::invalid("records", "no records to submit"));
        }
        let now = OffsetDateTime::now_utc();
        // the participants and their consents, read in a few queries for
        // the whole submission rather than two per record
        let ids: Vec<ParticipantId> = items
            .iter()
            .filter_map(|s| s.record.participant.parse().ok())
            .collect();
        let participants = self.store().participants_by_id(&ids).await?;
        let consents = self.store().consent_histories_of(&ids).await?;
        let never_consented = zenome_domain::consent::ConsentHistory::default();
        let mut problems = Vec::new();
        let mut ready: Vec<(ParticipantId, &Submission)> = Vec::with_capacity(items.len());
        let mut seen = std::collections::HashSet::new();
        for s in &items {
            let r = &s.record;
            let pid_text = r.participant.as_str();
            let id: ParticipantId = match pid_text.parse() {
                Ok(id) => id,
                Err(e) => {
                    problems.push(problem(
                        s.row,
                        pid_text,
                        "participant",
                        "malformed_participant_id",
                        format!("participant: {e}"),
                        format!("participant: 参加者IDが正しくありません（{e}）"),
                    ));
                    continue;
                }
            };
            if !seen.insert(id.clone()) {
                problems.push(problem(
                    s.row,
                    pid_text,
                    "participant",
                    "duplicate_entry",
                    format!("participant {id} appears twice in one submission"),
                    format!("参加者 {id} が1回の登録に2回含まれています"),
                ));
                continue;
            }
            let Some(p) = participants.get(id.as_str()) else {
                problems.push(not_found(s.row, pid_text));
                continue;
            };
            if policy::can_write_participant(actor, &p.participant).is_err() {
                // another facility's participant: answered as unknown
                problems.push(not_found(s.row, pid_text));
                continue;
            }
            if area_of(p.participant.disease_area) != r.area {
                problems.push(problem(
                    s.row,
                    pid_text,
                    "area",
                    "wrong_area",
                    format!(
                        "area: the record is for {}, but participant {id} is registered in {}",
                        r.area.as_str(),
                        p.participant.disease_area.as_str()
                    ),
                    format!(
                        "area: 記録は{}ですが、参加者 {id} は{}で登録されています",
                        r.area.label_ja(),
                        area_of(p.participant.disease_area).label_ja()
                    ),
                ));
                continue;
            }
            let consent = consents.get(id.as_str()).unwrap_or(&never_consented);
            let linkage = match consent.state_at(now) {
                ConsentState::Active(a) => a.items.data_linkage,
                ConsentState::Withdrawn { .. } => {
                    problems.push(problem(
                        s.row,
                        pid_text,
                        "participant",
                        "consent_withdrawn",
                        format!(
                            "participant {id} has withdrawn consent: no new data may be recorded"
                        ),
                        format!("参加者 {id} は同意を撤回しています。新しいデータは登録できません"),
                    ));
                    continue;
                }
                ConsentState::NotGiven => {
                    problems.push(problem(
                        s.row,
                        pid_text,
                        "participant",
                        "consent_not_given",
                        format!("participant {id} has no consent in force: record consent first"),
                        format!(
                            "参加者 {id} の同意が登録されていません。先に同意を登録してください"
                        ),
                    ));
                    continue;
                }
            };
            let ctx = zenome_clinical::Context {
                linkage_consent: linkage,
            };
            let found = zenome_clinical::validate(self.dictionaries(), self.hpo(), r, &ctx);
            if found.is_empty() {
                ready.push((id, s));
            }
            for f in found {
                let row = f
                    .group
                    .as_ref()
                    .and_then(|g| s.rows.get(&(g.clone(), f.index)).copied())
                    .or(s.row);
                problems.push(SubmissionProblem {
                    row,
                    participant: Some(pid_text.to_string()),
                    path: f.path,
                    item: f.item,
                    rule: f.rule.as_str().to_string(),
                    message_en: f.message_en,
                    message_ja: f.message_ja,
                });
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.row.unwrap_or(0));
            return Err(AppError::Rejected {
                what: if items.len() == 1 {
                    "clinical record".into()
                } else {
                    format!("bulk submission of {} records", items.len())
                },
                problems,
            });
        }
        let target = if ready.len() == 1 {
            format!("participant:{}", ready[0].0)
        } else {
            format!("clinical:{} records", ready.len())
        };
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor.audit_name(), "clinical.submit", target)
                    .with_detail(serde_json::json!({ "source": source.as_str() })),
            )
            .await?;
        // the consents judged above, confirmed on the state this transaction
        // commits on: a withdrawal or amendment that landed in between wins
        let ids: Vec<ParticipantId> = ready.iter().map(|(id, _)| id.clone()).collect();
        let current = tx.consent_histories_of(&ids).await?;
        let changed: Vec<SubmissionProblem> = ready
            .iter()
            .filter(|(id, _)| current.get(id.as_str()) != consents.get(id.as_str()))
            .map(|(id, s)| {
                problem(
                    s.row,
                    id.as_str(),
                    "participant",
                    "consent_changed",
                    format!("participant {id}'s consent changed while this submission was checked: submit it again"),
                    format!("確認中に参加者 {id} の同意が変更されました。もう一度登録してください"),
                )
            })
            .collect();
        if !changed.is_empty() {
            // dropping the transaction rolls it back, audit entry included
            return Err(AppError::Rejected {
                what: "clinical submission".into(),
                problems: changed,
            });
        }
        let mut out = Vec::with_capacity(ready.len());
        for (id, s) in ready {
            let text = serde_json::to_string(&s.record)
                .map_err(|e| AppError::Internal(format!("record: {e}")))?;
            let row = tx
                .insert_clinical(
                    &uuid::Uuid::now_v7().to_string(),
                    &NewClinical {
                        participant_id: id,
                        dictionary_version: s.record.dictionary.clone(),
                        record: text,
                        source: source.as_str(),
                        summary_key: summary_key(&s.record),
                    },
                    &actor.audit_name(),
                )
                .await?;
            out.push(row);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The latest records the actor may export, for participants whose
    /// consent is in force now (a withdrawn participant leaves every export
    /// from the moment of withdrawal). Staff: all; a facility: its own; a
    /// researcher: the members of `dataset` under a grant for clinical data.
    pub async fn clinical_export(
        &self,
        actor: &Actor,
        dataset: Option<&str>,
        ip: Option<&str>,
    ) -> Result<Vec<Record>, AppError> {
        use zenome_domain::role::Role;
        let now = OffsetDateTime::now_utc();
        // one query for the records and at most one for consent, whatever
        // the number of participants (an export may hold 10^5 of them)
        let rows = match (&actor.role, dataset) {
            (Role::Researcher { .. }, Some(d)) => {
                // membership, grant and each participant's consent now are
                // checked by `dataset_participants`; keep its survivors
                let (_auth, ids) = self
                    .dataset_participants(actor, d, DataType::Clinical, ip)
                    .await?;
                let allowed: std::collections::HashSet<&str> =
                    ids.iter().map(ParticipantId::as_str).collect();
                self.store()
                    .latest_clinical_in_dataset(d)
                    .await?
                    .into_iter()
                    .filter(|r| allowed.contains(r.participant_id.as_str()))
                    .collect()
            }
            (Role::Researcher { .. }, None) => {
                return Err(AppError::invalid(
                    "dataset",
                    "name the dataset your grant covers",
                ));
            }
            _ => {
                let facility = match policy::participant_scope(actor)? {
                    policy::ParticipantScope::All => None,
                    policy::ParticipantScope::Facility(f) => Some(f),
                };
                let facility = facility.as_ref().map(|f| f.as_str());
                let rows = self.store().latest_clinical_all(facility).await?;
                let consents = self.store().consent_histories(facility).await?;
                rows.into_iter()
                    .filter(|r| {
                        consents
                            .get(r.participant_id.as_str())
                            .is_some_and(|h| h.state_at(now).active().is_some())
                    })
                    .collect::<Vec<_>>()
            }
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let rec: Record = serde_json::from_str(&r.record)
                .map_err(|e| AppError::Internal(format!("stored record {}: {e}", r.id)))?;
            out.push(rec);
        }
        self.record_access(
            AuditEntry::new(
                actor.audit_name(),
                "clinical.export",
                format!("dataset:{}", dataset.unwrap_or("registry")),
            )
            .with_detail(serde_json::json!({ "records": out.len() })),
            None,
            ip,
        )
        .await?;
        Ok(out)
    }
}

fn from_bulk(p: zenome_clinical::bulk::BulkProblem) -> SubmissionProblem {
    SubmissionProblem {
        row: p.row,
        participant: None,
        path: p.column.clone().unwrap_or_else(|| "file".into()),
        item: p.item.or(p.column),
        rule: p.rule.as_str().to_string(),
        message_en: p.message_en,
        message_ja: p.message_ja,
    }
}

impl App {
    /// A bulk CSV of one item group (header `participant` + item ids): each
    /// participant's rows replace that group in their latest record, under
    /// the latest dictionary version, and every resulting record is judged.
    /// All are stored, or none and every problem is listed with its line.
    pub async fn submit_clinical_csv(
        &self,
        actor: &Actor,
        group_id: &str,
        area: Area,
        bytes: &[u8],
    ) -> Result<Vec<ClinicalRow>, AppError> {
        let dict = self
            .dictionaries()
            .latest()
            .ok_or_else(|| AppError::Internal("no clinical dictionary".into()))?;
        let rejected = |problems: Vec<SubmissionProblem>| AppError::Rejected {
            what: format!("CSV of {group_id}"),
            problems,
        };
        let rows = zenome_clinical::bulk::parse_csv(bytes, dict, group_id, area).map_err(|ps| {
            let who = participants_by_line(bytes);
            rejected(
                ps.into_iter()
                    .map(|p| {
                        let row = p.row;
                        let mut q = from_bulk(p);
                        q.participant = row.and_then(|r| who.get(&r).cloned());
                        q
                    })
                    .collect(),
            )
        })?;
        let Some(group) = dict.group(group_id) else {
            return Err(AppError::invalid("group", "unknown item group"));
        };
        if rows.is_empty() {
            return Err(rejected(vec![SubmissionProblem {
                row: None,
                participant: None,
                path: "file".into(),
                item: None,
                rule: "empty_file".into(),
                message_en: "the file has a header but no rows".into(),
                message_ja: "ヘッダー行のみでデータ行がありません".into(),
            }]));
        }
        let by_participant = zenome_clinical::bulk::by_participant(rows);
        let ids: Vec<ParticipantId> = by_participant
            .keys()
            .filter_map(|p| p.parse().ok())
            .collect();
        let mut latest = self.store().latest_clinical_of(&ids).await?;
        let mut subs = Vec::new();
        for (participant, rows) in by_participant {
            let stored = participant
                .parse::<ParticipantId>()
                .ok()
                .and_then(|id| latest.remove(id.as_str()));
            let mut record = match stored {
                Some(r) => serde_json::from_str::<Record>(&r.record)
                    .map_err(|e| AppError::Internal(format!("stored record {}: {e}", r.id)))?,
                None => Record::new(dict.version.clone(), participant.clone(), area),
            };
            record.dictionary = dict.version.clone();
            record.area = area;
            zenome_clinical::bulk::merge_group(&mut record, group, &rows);
            let mut map = BTreeMap::new();
            for (i, r) in rows.iter().enumerate() {
                let index = group.repeating.then_some(i);
                map.insert((group.id.clone(), index), r.row);
            }
            subs.push(Submission {
                record,
                row: rows.first().map(|r| r.row),
                rows: map,
            });
        }
        self.submit_clinical_batch(actor, subs, Source::BulkCsv)
            .await
    }

    /// A "wide" bulk CSV: one row per participant, columns `participant`
    /// and `group.item` of any non-repeating groups (e.g. `case_basics.sex`,
    /// `diagnosis.primary_site`), as spreadsheets and REDCap exports hold
    /// them — so a hospital can create first records (which need both
    /// required groups) from one file. Each group's columns are judged as a
    /// CSV of that group; the rows keep their line numbers.
    pub async fn submit_clinical_wide_csv(
        &self,
        actor: &Actor,
        area: Area,
        bytes: &[u8],
    ) -> Result<Vec<ClinicalRow>, AppError> {
        let dict = self
            .dictionaries()
            .latest()
            .ok_or_else(|| AppError::Internal("no clinical dictionary".into()))?;
        let rejected = |problems: Vec<SubmissionProblem>| AppError::Rejected {
            what: "wide CSV".into(),
            problems,
        };
        let (text, _) =
            zenome_clinical::bulk::decode(bytes).map_err(|p| rejected(vec![from_bulk(p)]))?;
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let mut rows: Vec<csv::StringRecord> = Vec::new();
        for (i, r) in reader.records().enumerate() {
            match r {
                Ok(r) => rows.push(r),
                Err(e) => {
                    return Err(rejected(vec![SubmissionProblem {
                        row: Some(i + 1),
                        participant: None,
                        path: "file".into(),
                        item: None,
                        rule: "malformed_csv".into(),
                        message_en: format!("line {}: {e}", i + 1),
                        message_ja: format!("{}行目: CSVとして読めません（{e}）", i + 1),
                    }]));
                }
            }
        }
        let Some(header) = rows.first().cloned() else {
            return Err(AppError::invalid("file", "the file is empty"));
        };
        // columns by group; `participant` goes to every group
        let mut problems = Vec::new();
        let mut pcol = None;
        let mut by_group: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
        for (i, h) in header.iter().enumerate() {
            let h = h.trim();
            if h == "participant" {
                pcol = Some(i);
                continue;
            }
            match h.split_once('.') {
                Some((g, item)) if dict.group(g).is_some_and(|g| !g.repeating) => {
                    by_group.entry(g.to_string()).or_default().push((i, item.to_string()));
                }
                _ => problems.push(SubmissionProblem {
                    row: Some(1),
                    participant: None,
                    path: h.to_string(),
                    item: Some(h.to_string()),
                    rule: "unknown_column".into(),
                    message_en: format!(
                        "column {h}: a wide CSV takes `participant` and `group.item` columns of non-repeating groups"
                    ),
                    message_ja: format!(
                        "列 {h}: 横持ちCSVの列は participant と「項目群.項目」（繰り返しでない項目群）です"
                    ),
                }),
            }
        }
        let Some(pcol) = pcol else {
            problems.push(SubmissionProblem {
                row: Some(1),
                participant: None,
                path: "participant".into(),
                item: Some("participant".into()),
                rule: "missing_column".into(),
                message_en: "the column participant is missing".into(),
                message_ja: "participant 列がありません".into(),
            });
            return Err(rejected(problems));
        };
        if !problems.is_empty() {
            return Err(rejected(problems));
        }
        let mut records: BTreeMap<String, Submission> = BTreeMap::new();
        for (g, cols) in &by_group {
            let group = dict.group(g).expect("checked above");
            // the group's part of the file, line for line
            let mut w = csv::Writer::from_writer(Vec::new());
            let mut head = vec!["participant".to_string()];
            head.extend(cols.iter().map(|(_, item)| item.clone()));
            let _ = w.write_record(&head);
            for r in rows.iter().skip(1) {
                let mut out = vec![r.get(pcol).unwrap_or("").to_string()];
                out.extend(
                    cols.iter()
                        .map(|(i, _)| r.get(*i).unwrap_or("").to_string()),
                );
                let _ = w.write_record(&out);
            }
            let part = w
                .into_inner()
                .map_err(|e| AppError::Internal(format!("csv: {e}")))?;
            match zenome_clinical::bulk::parse_csv(&part, dict, g, area) {
                Err(ps) => problems.extend(ps.into_iter().map(|p| {
                    let mut q = from_bulk(p);
                    if let Some(item) = q.item.take() {
                        q.path = format!("{g}.{item}");
                        q.item = Some(q.path.clone());
                    }
                    q
                })),
                Ok(parsed) => {
                    for (participant, prow) in zenome_clinical::bulk::by_participant(parsed) {
                        let sub =
                            records
                                .entry(participant.clone())
                                .or_insert_with(|| Submission {
                                    record: Record::new(
                                        dict.version.clone(),
                                        participant.clone(),
                                        area,
                                    ),
                                    row: prow.first().map(|r| r.row),
                                    rows: BTreeMap::new(),
                                });
                        zenome_clinical::bulk::merge_group(&mut sub.record, group, &prow);
                        if let Some(r) = prow.first() {
                            sub.rows.insert((g.clone(), None), r.row);
                        }
                    }
                }
            }
        }
        if !problems.is_empty() {
            problems.sort_by_key(|p| p.row.unwrap_or(0));
            return Err(rejected(problems));
        }
        // each row's groups replace those groups of the latest record
        let ids: Vec<ParticipantId> = records.keys().filter_map(|p| p.parse().ok()).collect();
        let mut latest = self.store().latest_clinical_of(&ids).await?;
        let mut subs = Vec::with_capacity(records.len());
        for (participant, mut sub) in records {
            if let Ok(id) = participant.parse::<ParticipantId>()
                && let Some(row) = latest.remove(id.as_str())
            {
                let mut base: Record = serde_json::from_str(&row.record)
                    .map_err(|e| AppError::Internal(format!("stored record {}: {e}", row.id)))?;
                base.dictionary = dict.version.clone();
                base.area = area;
                for (g, data) in std::mem::take(&mut sub.record.groups) {
                    base.groups.insert(g, data);
                }
                sub.record = base;
            }
            subs.push(sub);
        }
        self.submit_clinical_batch(actor, subs, Source::BulkCsv)
            .await
    }

    /// A bulk JSON file: an array of whole records. All are stored, or none
    /// and every problem is listed with the record's position (from 1).
    pub async fn submit_clinical_json(
        &self,
        actor: &Actor,
        bytes: &[u8],
    ) -> Result<Vec<ClinicalRow>, AppError> {
        let records =
            zenome_clinical::bulk::parse_json(bytes).map_err(|ps| AppError::Rejected {
                what: "JSON bulk file".into(),
                problems: ps.into_iter().map(from_bulk).collect(),
            })?;
        let subs = records
            .into_iter()
            .enumerate()
            .map(|(i, record)| Submission {
                record,
                row: Some(i + 1),
                rows: BTreeMap::new(),
            })
            .collect();
        self.submit_clinical_batch(actor, subs, Source::BulkJson)
            .await
    }
}

/// The `participant` cell of each line of a CSV (line 1 is the header),
/// so that a problem found while typing the cells can name whose row it is.
fn participants_by_line(bytes: &[u8]) -> std::collections::HashMap<usize, String> {
    let mut out = std::collections::HashMap::new();
    let Ok(text) = std::str::from_utf8(bytes) else {
        return out;
    };
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut col = None;
    for (i, rec) in r.records().enumerate() {
        let Ok(rec) = rec else { break };
        match col {
            None => col = rec.iter().position(|h| h.trim() == "participant"),
            Some(c) => {
                if let Some(v) = rec.get(c).map(str::trim).filter(|v| !v.is_empty()) {
                    out.insert(i + 1, v.to_string());
                }
            }
        }
        if col.is_none() {
            break;
        }
    }
    out
}

fn not_found(row: Option<usize>, pid: &str) -> SubmissionProblem {
    problem(
        row,
        pid,
        "participant",
        "unknown_participant",
        format!("participant {pid} is not registered at your facility"),
        format!("参加者 {pid} は貴施設に登録されていません"),
    )
}
mod pxf;
pub use pxf::HpoLookup;
