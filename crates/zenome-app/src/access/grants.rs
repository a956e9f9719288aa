//! Grants enforced on every read (R7.2, R7.3): the grant must name the
//! caller, the dataset and the data type and be in force; and, per
//! participant, the consent *at the time of the read* must still fit the
//! grant's purpose. Every refusal is logged and raises an alert. Also the
//! transparency lists (R9.2, R9.1).

use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use zenome_domain::access::{
    DataType, Denial, GrantTerms, ReleaseState, ResearchPurpose, match_purpose,
};
use zenome_domain::id::ParticipantId;
use zenome_domain::role::{Role, Sector};
use zenome_store::{AuditEntry, DatasetRow, GrantRow};

use super::PurposeBody;
use crate::alerts::Event;
use crate::{Actor, App, AppError, policy};

#[derive(Debug, Clone, Deserialize)]
struct GrantBody {
    people: Vec<String>,
    datasets: Vec<String>,
    data_types: Vec<String>,
    purpose: PurposeBody,
    sector: String,
    #[serde(default)]
    conditions: Vec<String>,
    #[serde(default)]
    obligations: Vec<String>,
    #[serde(default)]
    agreement: Option<String>,
}

/// A grant as its holders and reviewers see it.
#[derive(Debug, Clone)]
pub struct GrantView {
    /// The row.
    pub row: GrantRow,
    /// Grantees.
    pub people: Vec<String>,
    /// Datasets.
    pub datasets: Vec<String>,
    /// Data types.
    pub data_types: Vec<DataType>,
    /// Purpose.
    pub purpose: PurposeBody,
    /// Academic or industry.
    pub sector: Sector,
    /// DAC conditions.
    pub conditions: Vec<String>,
    /// DUO obligations recorded.
    pub obligations: Vec<String>,
    /// `active`, `expired`, `revoked`, `not_started`.
    pub status: &'static str,
    /// The data access agreement version the applicant accepted.
    pub agreement: Option<String>,
}

/// Under what a read is allowed.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// The grant id, or `group:<dataset>` for the producing group.
    pub via: String,
    /// The dataset.
    pub dataset: DatasetRow,
    /// The grant's purpose (`None` for the producing group: the dataset's
    /// own requirement applies).
    pub purpose: Option<ResearchPurpose>,
}

/// A project approved for secondary use, as the public sees it.
#[derive(Debug, Clone)]
pub struct PublicProject {
    /// Title.
    pub title: String,
    /// Institution.
    pub institution: String,
    /// Purpose scope.
    pub purpose: String,
    /// Academic or industry.
    pub sector: String,
    /// From.
    pub starts_at: OffsetDateTime,
    /// Until.
    pub expires_at: OffsetDateTime,
    /// Revoked.
    pub revoked: bool,
}

fn view(row: GrantRow, now: OffsetDateTime) -> Result<GrantView, AppError> {
    let b: GrantBody = serde_json::from_str(&row.body)
        .map_err(|e| AppError::Internal(format!("grant {} body: {e}", row.id)))?;
    let status = if row.revoked_at.is_some_and(|r| r <= now) {
        "revoked"
    } else if now >= row.expires_at {
        "expired"
    } else if now < row.starts_at {
        "not_started"
    } else {
        "active"
    };
    Ok(GrantView {
        people: b.people,
        datasets: b.datasets,
        data_types: b.data_types.iter().filter_map(|t| t.parse().ok()).collect(),
        purpose: b.purpose,
        sector: if b.sector == "industry" {
            Sector::Industry
        } else {
            Sector::Academic
        },
        conditions: b.conditions,
        obligations: b.obligations,
        agreement: b.agreement,
        status,
        row,
    })
}

impl GrantView {
    /// The terms the read check applies.
    pub fn terms(&self) -> GrantTerms {
        GrantTerms {
            people: self.people.clone(),
            datasets: self.datasets.clone(),
            data_types: self.data_types.clone(),
            starts_at: self.row.starts_at,
            expires_at: self.row.expires_at,
            revoked_at: self.row.revoked_at,
        }
    }
}

impl App {
    /// The grants the actor holds (researchers) or oversees (DAC, staff).
    pub async fn grants(&self, actor: &Actor) -> Result<Vec<GrantView>, AppError> {
        let now = OffsetDateTime::now_utc();
        let rows = match actor.role {
            Role::Researcher { .. } => self.store().grants_of(&actor.username).await?,
            Role::DacMember | Role::DataCentreStaff => self.store().grants().await?,
            _ => {
                return Err(AppError::Forbidden(format!(
                    "role {} holds no grants",
                    actor.role.name()
                )));
            }
        };
        rows.into_iter().map(|r| view(r, now)).collect()
    }

    /// One grant, for its holders and reviewers.
    pub async fn grant(&self, actor: &Actor, id: &str) -> Result<GrantView, AppError> {
        let row = self
            .store()
            .grant(id)
            .await?
            .ok_or(AppError::NotFound("grant"))?;
        let g = view(row, OffsetDateTime::now_utc())?;
        let reviewer = matches!(actor.role, Role::DacMember | Role::DataCentreStaff);
        if !reviewer && !g.people.contains(&actor.username) {
            return Err(AppError::NotFound("grant"));
        }
        Ok(g)
    }

    pub(crate) async fn deny(
        &self,
        actor: &Actor,
        ip: Option<&str>,
        what: String,
        reason: String,
        data_type: DataType,
    ) -> AppError {
        let entry = AuditEntry::new(actor.audit_name(), "access.denied", what.clone())
            .with_detail(json!({ "reason": reason, "data_type": data_type.as_str(), "ip": ip }));
        if let Err(e) = self.store().record(entry).await {
            tracing::error!(error = %e, "cannot record a denial");
        }
        self.observe(Event::AccessDenied {
            user: &actor.username,
            what: &what,
            reason: &reason,
        })
        .await;
        AppError::Forbidden(format!(
            "no grant in force covers {data_type} data of {}: {reason}",
            what.trim_start_matches("dataset:")
        ))
    }

    /// Under what `actor` may read `data_type` of `dataset` now: a grant in
    /// force that covers both, or membership of the producing group while
    /// the dataset is group-restricted. A refusal is logged and alerted.
    pub async fn authorize(
        &self,
        actor: &Actor,
        dataset: &str,
        data_type: DataType,
        ip: Option<&str>,
    ) -> Result<Authorization, AppError> {
        let now = OffsetDateTime::now_utc();
        let (row, grants) = self
            .store()
            .dataset_with_grants(dataset, &actor.username)
            .await?
            .ok_or(AppError::NotFound("dataset"))?;
        let what = format!("dataset:{dataset}");
        if let Some(allowed) = &actor.visa_datasets
            && !allowed.iter().any(|d| d == dataset)
        {
            return Err(self
                .deny(
                    actor,
                    ip,
                    what,
                    "the passport carries no visa for this dataset".into(),
                    data_type,
                )
                .await);
        }
        let offered: Vec<String> = serde_json::from_str(&row.data_types).unwrap_or_default();
        let group: Vec<String> = serde_json::from_str(&row.producer_group).unwrap_or_default();
        let in_group = group.contains(&actor.username);
        if let ReleaseState::GroupRestricted { until } = ReleaseState::at(row.embargo_until, now) {
            if in_group && offered.iter().any(|t| t == data_type.as_str()) {
                return Ok(Authorization {
                    via: format!("group:{dataset}"),
                    dataset: row,
                    purpose: None,
                });
            }
            let reason = format!(
                "restricted to its research group until {}",
                super::format_date(until.date())
            );
            return Err(self.deny(actor, ip, what, reason, data_type).await);
        }
        let mut best: Option<Denial> = None;
        for g in grants {
            let g = view(g, now)?;
            match g.terms().permits(now, &actor.username, dataset, data_type) {
                Ok(()) => {
                    return Ok(Authorization {
                        via: g.row.id.clone(),
                        dataset: row,
                        purpose: Some(g.purpose.to_purpose(g.sector)?),
                    });
                }
                Err(d) => {
                    // keep the most telling reason: a grant for this dataset that expired beats "not granted"
                    let rank = |d: &Denial| match d {
                        Denial::Revoked | Denial::Expired | Denial::NotStarted => 3,
                        Denial::DataTypeNotGranted => 2,
                        _ => 1,
                    };
                    if best.as_ref().is_none_or(|b| rank(&d) > rank(b)) {
                        best = Some(d);
                    }
                }
            }
        }
        if in_group && offered.iter().any(|t| t == data_type.as_str()) {
            return Ok(Authorization {
                via: format!("group:{dataset}"),
                dataset: row,
                purpose: None,
            });
        }
        let reason = best.map_or("no grant", |d| d.as_str()).replace('_', " ");
        Err(self.deny(actor, ip, what, reason, data_type).await)
    }

    /// The per-read check: may `actor` read `data_type` of participant `p`
    /// in `dataset` now? Grant first, then membership, then the consent in
    /// force at this moment against the grant's purpose. The hot path of
    /// every data endpoint.
    pub async fn check_participant_access(
        &self,
        actor: &Actor,
        dataset: &str,
        data_type: DataType,
        p: &ParticipantId,
        ip: Option<&str>,
    ) -> Result<Authorization, AppError> {
        let auth = self.authorize(actor, dataset, data_type, ip).await?;
        let now = OffsetDateTime::now_utc();
        let blocked = self.store().identity_blocks(p.as_str()).await?;
        let fits = match self.store().member_consent(dataset, p).await? {
            _ if blocked => false,
            None => false,
            Some(history) => match history.state_at(now).active() {
                None => false,
                Some(a) => {
                    let du = a.items.data_use();
                    match_purpose(&du, &Self::requirement_of(&auth.dataset)?)
                        .decision
                        .is_allow()
                        && auth
                            .purpose
                            .as_ref()
                            .is_none_or(|pp| match_purpose(&du, pp).decision.is_allow())
                }
            },
        };
        if !fits {
            // the participant is not (or no longer) available under this grant:
            // answer as if absent, and log it
            let entry = AuditEntry::new(
                actor.audit_name(),
                "access.participant_unavailable",
                format!("participant:{p}"),
            )
            .with_detail(json!({ "dataset": dataset, "via": auth.via }));
            self.store().record(entry).await?;
            return Err(AppError::NotFound("participant"));
        }
        Ok(auth)
    }

    /// A data read: the participants of `dataset` whose `data_type` data the
    /// actor may use now, under which grant. Logged, and fed to detection.
    pub async fn dataset_participants(
        &self,
        actor: &Actor,
        dataset: &str,
        data_type: DataType,
        ip: Option<&str>,
    ) -> Result<(Authorization, Vec<ParticipantId>), AppError> {
        let auth = self.authorize(actor, dataset, data_type, ip).await?;
        let now = OffsetDateTime::now_utc();
        let c = self
            .compatibility(&auth.dataset, auth.purpose.as_ref(), now)
            .await?;
        let entry = AuditEntry::new(actor.audit_name(), "data.read", format!("dataset:{dataset}"))
            .with_detail(json!({ "via": auth.via, "data_type": data_type.as_str(), "participants": c.allowed.len(), "ip": ip }));
        self.store().record(entry).await?;
        self.observe(Event::DataRead {
            user: &actor.username,
            grant: &auth.via,
            records: c.allowed.len() as u64,
        })
        .await;
        Ok((auth, c.allowed))
    }

    /// The approved projects whose grants covered a participant's data
    /// (R9.2), for the participant's facility (or staff).
    pub async fn participant_data_use(
        &self,
        actor: &Actor,
        p: &ParticipantId,
    ) -> Result<Vec<GrantView>, AppError> {
        policy::participant_scope_or_absent(actor)?;
        let row = self
            .store()
            .participant(p)
            .await?
            .ok_or(AppError::NotFound("participant"))?;
        policy::can_read_participant(actor, &row.participant)?;
        let now = OffsetDateTime::now_utc();
        self.store()
            .grants_covering(p)
            .await?
            .into_iter()
            .map(|r| view(r, now))
            .collect()
    }

    /// Every approved project, for the public page (R9.1).
    pub async fn approved_projects(&self) -> Result<Vec<PublicProject>, AppError> {
        let now = OffsetDateTime::now_utc();
        self.store()
            .grants()
            .await?
            .into_iter()
            .map(|r| {
                let g = view(r, now)?;
                Ok(PublicProject {
                    title: g.row.title.clone(),
                    institution: g.row.institution.clone(),
                    purpose: g.row.purpose_summary.clone(),
                    sector: g.sector.as_str().into(),
                    starts_at: g.row.starts_at,
                    expires_at: g.row.expires_at,
                    revoked: g.status == "revoked",
                })
            })
            .collect()
    }

    /// The newest alerts (data-centre staff and admins).
    pub async fn alerts(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<zenome_store::AlertRow>, AppError> {
        policy::require_auditor(actor)?;
        Ok(self.store().alerts(limit).await?)
    }

    /// Acknowledges an alert.
    pub async fn acknowledge_alert(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        policy::require_auditor(actor)?;
        let mut tx = self
            .store()
            .begin(AuditEntry::new(
                actor.audit_name(),
                "alert.acknowledge",
                format!("alert:{id}"),
            ))
            .await?;
        if !tx.acknowledge_alert(id, &actor.username).await? {
            return Err(AppError::NotFound("alert"));
        }
        tx.commit().await?;
        Ok(())
    }
}
