//! Datasets: data-centre staff group participants' data into datasets with a
//! security level, data types, a consent requirement and a release state.
//! Membership is computed from consent at the time of asking: a participant
//! added to a dataset whose consent no longer fits drops out.

use serde_json::json;
use time::OffsetDateTime;
use zenome_domain::access::purpose::Country;
use zenome_domain::access::{
    DataType, Decision, ReleaseState, ResearchPurpose, SecurityLevel, match_purpose,
};
use zenome_domain::id::ParticipantId;
use zenome_domain::organisation::OrgCode;
use zenome_domain::participant::DiseaseArea;
use zenome_domain::role::Role;
use zenome_store::{AuditEntry, DatasetRow, ParticipantFilter};

use crate::{Actor, App, AppError};

/// A dataset to create.
#[derive(Debug, Clone)]
pub struct NewDataset {
    /// Id: 3 to 64 of `a-z 0-9 -`.
    pub id: String,
    /// Title in English.
    pub title: String,
    /// Title in Japanese.
    pub title_ja: String,
    /// Description.
    pub description: String,
    /// Security level.
    pub security_level: SecurityLevel,
    /// Data types it holds.
    pub data_types: Vec<DataType>,
    /// The use every member's consent must allow (e.g. health/medical).
    pub requirement: crate::access::PurposeBody,
    /// End of the embargo (group-restricted until then).
    pub embargo_until: Option<OffsetDateTime>,
    /// User names of the producing research group.
    pub producer_group: Vec<String>,
}

/// A dataset as listed.
#[derive(Debug, Clone)]
pub struct DatasetView {
    /// The stored row.
    pub row: DatasetRow,
    /// Data types.
    pub data_types: Vec<DataType>,
    /// Security level.
    pub security_level: SecurityLevel,
    /// The consent requirement (scope and disease).
    pub requirement: crate::access::PurposeBody,
    /// Producing group.
    pub producer_group: Vec<String>,
    /// Release state now.
    pub release: ReleaseState,
    /// Participants added.
    pub members: usize,
    /// Of those, whose consent fits the requirement now.
    pub eligible: usize,
}

/// Which participants to add.
#[derive(Debug, Clone, Default)]
pub struct MemberSelection {
    /// These participants…
    pub participants: Vec<ParticipantId>,
    /// …or every participant of this facility…
    pub facility: Option<OrgCode>,
    /// …and/or of this disease area (when `participants` is empty).
    pub disease_area: Option<DiseaseArea>,
}

/// How a dataset's members stand against a purpose.
#[derive(Debug, Clone, Default)]
pub struct Compatibility {
    /// Members whose consent allows the purpose now.
    pub allowed: Vec<ParticipantId>,
    /// Members refused, with the reason.
    pub denied: Vec<(ParticipantId, String)>,
    /// Members the DAC must look at, with the reason.
    pub referred: Vec<(ParticipantId, String)>,
    /// Members without consent in force (withdrawn or never given).
    pub without_consent: usize,
    /// Obligations (PUB, COL, RTN…) the allowed members' consents carry.
    pub obligations: Vec<zenome_domain::consent::DuoCode>,
}

/// Data-centre staff only.
pub fn require_staff(actor: &Actor) -> Result<(), AppError> {
    match actor.role {
        Role::DataCentreStaff => Ok(()),
        _ => Err(AppError::Forbidden(format!(
            "role {} may not manage datasets",
            actor.role.name()
        ))),
    }
}

fn parse_json_list<T: std::str::FromStr>(s: &str) -> Vec<T> {
    serde_json::from_str::<Vec<String>>(s)
        .unwrap_or_default()
        .iter()
        .filter_map(|x| x.parse().ok())
        .collect()
}

impl App {
    /// Creates a dataset (data-centre staff).
    pub async fn create_dataset(
        &self,
        actor: &Actor,
        d: NewDataset,
    ) -> Result<DatasetView, AppError> {
        require_staff(actor)?;
        let id_ok = (3..=64).contains(&d.id.len())
            && d.id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !id_ok {
            return Err(AppError::invalid(
                "id",
                "3 to 64 characters of a-z, 0-9 and '-'",
            ));
        }
        for (f, v) in [("title", &d.title), ("title_ja", &d.title_ja)] {
            if v.trim().is_empty() || v.chars().count() > 300 {
                return Err(AppError::invalid(f, "1 to 300 characters"));
            }
        }
        if d.data_types.is_empty() {
            return Err(AppError::invalid("data_types", "at least one data type"));
        }
        // the requirement must be a valid purpose
        d.requirement
            .to_purpose(zenome_domain::role::Sector::Academic)
            .map_err(|e| match e {
                AppError::Invalid { field, reason } => AppError::invalid(
                    format!("requirement.{}", field.trim_start_matches("purpose.")),
                    reason,
                ),
                e => e,
            })?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    actor.audit_name(),
                    "dataset.create",
                    format!("dataset:{}", d.id),
                )
                .with_detail(
                    json!({ "title": d.title, "security_level": d.security_level.as_str() }),
                ),
            )
            .await?;
        let row = DatasetRow {
            id: d.id.clone(),
            title: d.title.trim().into(),
            title_ja: d.title_ja.trim().into(),
            description: d.description.trim().into(),
            security_level: d.security_level.as_str().into(),
            data_types: serde_json::to_string(
                &d.data_types.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            )
            .expect("json"),
            requirement: serde_json::to_string(&d.requirement).expect("json"),
            embargo_until: d.embargo_until.map(zenome_store::truncate),
            producer_group: serde_json::to_string(&d.producer_group).expect("json"),
            created_at: tx.at(),
        };
        tx.insert_dataset(&row, &actor.audit_name()).await?;
        tx.commit().await?;
        self.dataset(actor, &d.id).await
    }

    /// Adds participants to a dataset (data-centre staff). Returns how many
    /// were added (already present ones are skipped).
    pub async fn add_dataset_members(
        &self,
        actor: &Actor,
        dataset: &str,
        sel: MemberSelection,
    ) -> Result<u64, AppError> {
        require_staff(actor)?;
        self.store()
            .dataset(dataset)
            .await?
            .ok_or(AppError::NotFound("dataset"))?;
        let ids = if sel.participants.is_empty() {
            if sel.facility.is_none() && sel.disease_area.is_none() {
                return Err(AppError::invalid(
                    "participants",
                    "name participants, a facility or a disease area",
                ));
            }
            self.store()
                .participant_ids(&ParticipantFilter {
                    facility: sel.facility.clone(),
                    disease_area: sel.disease_area,
                    limit: 0,
                    offset: 0,
                })
                .await?
        } else {
            sel.participants.clone()
        };
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor.audit_name(), "dataset.add_members", format!("dataset:{dataset}"))
                    .with_detail(json!({ "count": ids.len(), "facility": sel.facility.map(|f| f.to_string()), "disease_area": sel.disease_area.map(|a| a.as_str()) })),
            )
            .await?;
        for id in &ids {
            if tx.participant(id).await?.is_none() {
                return Err(AppError::invalid(
                    "participants",
                    format!("no participant {id}"),
                ));
            }
        }
        let n = tx
            .add_dataset_members(dataset, &ids, &actor.audit_name())
            .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Every dataset with its release state and counts (any signed-in user:
    /// the catalogue is what researchers apply from).
    pub async fn datasets(&self, _actor: &Actor) -> Result<Vec<DatasetView>, AppError> {
        let mut out = Vec::new();
        for row in self.store().datasets().await? {
            out.push(self.view(row).await?);
        }
        Ok(out)
    }

    /// One dataset.
    pub async fn dataset(&self, _actor: &Actor, id: &str) -> Result<DatasetView, AppError> {
        let row = self
            .store()
            .dataset(id)
            .await?
            .ok_or(AppError::NotFound("dataset"))?;
        self.view(row).await
    }

    async fn view(&self, row: DatasetRow) -> Result<DatasetView, AppError> {
        let now = OffsetDateTime::now_utc();
        let c = self.compatibility(&row, None, now).await?;
        let requirement: crate::access::PurposeBody =
            serde_json::from_str(&row.requirement).unwrap_or_default();
        Ok(DatasetView {
            data_types: parse_json_list(&row.data_types),
            security_level: row.security_level.parse().unwrap_or(SecurityLevel::Level3),
            producer_group: serde_json::from_str(&row.producer_group).unwrap_or_default(),
            release: ReleaseState::at(row.embargo_until, now),
            members: c.allowed.len() + c.denied.len() + c.referred.len() + c.without_consent,
            eligible: c.allowed.len(),
            requirement,
            row,
        })
    }

    /// The baseline purpose a dataset's members must consent to.
    pub(crate) fn requirement_of(row: &DatasetRow) -> Result<ResearchPurpose, AppError> {
        let body: crate::access::PurposeBody = serde_json::from_str(&row.requirement)
            .map_err(|e| AppError::Internal(format!("dataset {} requirement: {e}", row.id)))?;
        let mut p = body.to_purpose(zenome_domain::role::Sector::Academic)?;
        p.country = Country::japan();
        p.ethics_approval = true;
        Ok(p)
    }

    /// How a dataset's members stand at `now` against its requirement and,
    /// if given, a research purpose. This is the per-participant consent
    /// check of every data path.
    pub async fn compatibility(
        &self,
        row: &DatasetRow,
        purpose: Option<&ResearchPurpose>,
        now: OffsetDateTime,
    ) -> Result<Compatibility, AppError> {
        let requirement = Self::requirement_of(row)?;
        let mut c = Compatibility::default();
        // a genome on identity hold (or excluded after review) is not released
        let blocked = self.store().identity_blocked().await?;
        for (id, _area, history) in self.store().member_consents(&row.id).await? {
            if blocked.contains(id.as_str()) {
                c.denied.push((id, "sample identity on hold".into()));
                continue;
            }
            let state = history.state_at(now);
            let Some(active) = state.active() else {
                c.without_consent += 1;
                continue;
            };
            let du = active.items.data_use();
            let base = match_purpose(&du, &requirement).decision;
            if !base.is_allow() {
                c.denied
                    .push((id, "consent does not fit the dataset's requirement".into()));
                continue;
            }
            let m = purpose.map(|p| match_purpose(&du, p));
            match m.as_ref().map(|m| &m.decision) {
                None | Some(Decision::Allow) => {
                    for o in m.iter().flat_map(|m| m.obligations.iter()) {
                        if !c.obligations.contains(o) {
                            c.obligations.push(*o);
                        }
                    }
                    c.allowed.push(id);
                }
                Some(Decision::Deny(r)) => c.denied.push((id, r.clone())),
                Some(Decision::Refer(r)) => c.referred.push((id, r.clone())),
            }
        }
        Ok(c)
    }
}
