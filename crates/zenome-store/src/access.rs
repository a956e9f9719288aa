//! Rows of secondary use: datasets and members, applications and their
//! events, grants (people, participants), invoices, alerts, token addresses.
//! Structured parts are JSON text the app crate defines; this module stores
//! and finds them.

use time::OffsetDateTime;
use zenome_domain::consent::ConsentHistory;
use zenome_domain::id::ParticipantId;
use zenome_domain::participant::DiseaseArea;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// A dataset row.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRow {
    /// Id (slug).
    pub id: String,
    /// Title (English).
    pub title: String,
    /// Title (Japanese).
    pub title_ja: String,
    /// Description.
    pub description: String,
    /// `1`, `2`, `3`.
    pub security_level: String,
    /// JSON array of data types.
    pub data_types: String,
    /// JSON: the consent requirement (a baseline purpose).
    pub requirement: String,
    /// End of embargo.
    pub embargo_until: Option<OffsetDateTime>,
    /// JSON array of the producing group's user names.
    pub producer_group: String,
    /// Created.
    pub created_at: OffsetDateTime,
}

/// An application row.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationRow {
    /// Id.
    pub id: String,
    /// Applicant's user name.
    pub applicant: String,
    /// `academic` or `industry`.
    pub sector: String,
    /// State name.
    pub state: String,
    /// JSON body.
    pub body: String,
    /// Fee in yen.
    pub fee_total: i64,
    /// Created.
    pub created_at: OffsetDateTime,
    /// Last changed.
    pub updated_at: OffsetDateTime,
}

/// One event of an application's review.
#[derive(Debug, Clone, PartialEq)]
pub struct ApplicationEventRow {
    /// Position.
    pub seq: i64,
    /// Kind (`submitted`, `assigned`, `comment`, `vote`…).
    pub kind: String,
    /// Who.
    pub actor: String,
    /// JSON body.
    pub body: String,
    /// When.
    pub at: OffsetDateTime,
}

/// A grant row.
#[derive(Debug, Clone, PartialEq)]
pub struct GrantRow {
    /// Id.
    pub id: String,
    /// The application.
    pub application_id: String,
    /// Project title.
    pub title: String,
    /// Institution.
    pub institution: String,
    /// Purpose, for the public list.
    pub purpose_summary: String,
    /// JSON: people, datasets, data types, purpose, conditions, obligations.
    pub body: String,
    /// From.
    pub starts_at: OffsetDateTime,
    /// Until.
    pub expires_at: OffsetDateTime,
    /// Revoked.
    pub revoked_at: Option<OffsetDateTime>,
}

/// An alert row.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// Id.
    pub id: String,
    /// When.
    pub at: OffsetDateTime,
    /// Rule name.
    pub rule: String,
    /// `warning` or `critical`.
    pub severity: String,
    /// Who triggered it.
    pub actor: String,
    /// One line.
    pub summary: String,
    /// JSON details.
    pub detail: String,
    /// Acknowledged, when and by whom.
    pub acknowledged: Option<(OffsetDateTime, String)>,
}

type DatasetTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
    i64,
);
const DATASET_COLS: &str = "id, title, title_ja, description, security_level, data_types, requirement, embargo_until, producer_group, created_at";

fn dataset(r: DatasetTuple) -> Result<DatasetRow, StoreError> {
    Ok(DatasetRow {
        id: r.0,
        title: r.1,
        title_ja: r.2,
        description: r.3,
        security_level: r.4,
        data_types: r.5,
        requirement: r.6,
        embargo_until: r.7.map(from_ms).transpose()?,
        producer_group: r.8,
        created_at: from_ms(r.9)?,
    })
}

type ApplicationTuple = (String, String, String, String, String, i64, i64, i64);
const APPLICATION_COLS: &str =
    "id, applicant, sector, state, body, fee_total, created_at, updated_at";

fn application(r: ApplicationTuple) -> Result<ApplicationRow, StoreError> {
    Ok(ApplicationRow {
        id: r.0,
        applicant: r.1,
        sector: r.2,
        state: r.3,
        body: r.4,
        fee_total: r.5,
        created_at: from_ms(r.6)?,
        updated_at: from_ms(r.7)?,
    })
}

type GrantTuple = (
    String,
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<i64>,
);
const GRANT_COLS: &str = "g.id, g.application_id, g.title, g.institution, g.purpose_summary, g.body, g.starts_at, g.expires_at, g.revoked_at";

fn grant(r: GrantTuple) -> Result<GrantRow, StoreError> {
    Ok(GrantRow {
        id: r.0,
        application_id: r.1,
        title: r.2,
        institution: r.3,
        purpose_summary: r.4,
        body: r.5,
        starts_at: from_ms(r.6)?,
        expires_at: from_ms(r.7)?,
        revoked_at: r.8.map(from_ms).transpose()?,
    })
}

/// A consent event row that may be absent (outer join).
type OptionalEventRow = (
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

type AlertTuple = (
    String,
    i64,
    String,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);

fn alert(r: AlertTuple) -> Result<AlertRow, StoreError> {
    Ok(AlertRow {
        id: r.0,
        at: from_ms(r.1)?,
        rule: r.2,
        severity: r.3,
        actor: r.4,
        summary: r.5,
        detail: r.6,
        acknowledged: match (r.7, r.8) {
            (Some(t), Some(by)) => Some((from_ms(t)?, by)),
            _ => None,
        },
    })
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

impl WriteTx {
    /// Creates a dataset.
    pub async fn insert_dataset(&mut self, d: &DatasetRow, by: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO datasets (id, title, title_ja, description, security_level, data_types, requirement, embargo_until, producer_group, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&d.id)
        .bind(&d.title)
        .bind(&d.title_ja)
        .bind(&d.description)
        .bind(&d.security_level)
        .bind(&d.data_types)
        .bind(&d.requirement)
        .bind(d.embargo_until.map(to_ms))
        .bind(&d.producer_group)
        .bind(to_ms(d.created_at))
        .bind(by)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "id"))?;
        Ok(())
    }

    /// Adds participants to a dataset; returns how many were new.
    pub async fn add_dataset_members(
        &mut self,
        dataset: &str,
        ids: &[ParticipantId],
        by: &str,
    ) -> Result<u64, StoreError> {
        let at = to_ms(self.at());
        let mut n = 0;
        for id in ids {
            let r = sqlx::query(
                "INSERT INTO dataset_members (dataset_id, participant_id, added_at, added_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (dataset_id, participant_id) DO NOTHING",
            )
            .bind(dataset)
            .bind(id.as_str())
            .bind(at)
            .bind(by)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "participant_id"))?;
            n += r.rows_affected();
        }
        Ok(n)
    }

    /// Creates an application.
    pub async fn insert_application(&mut self, a: &ApplicationRow) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO applications (id, applicant, sector, state, body, fee_total, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.id)
        .bind(&a.applicant)
        .bind(&a.sector)
        .bind(&a.state)
        .bind(&a.body)
        .bind(a.fee_total)
        .bind(to_ms(a.created_at))
        .bind(to_ms(a.updated_at))
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "id"))?;
        Ok(())
    }

    /// Reads an application inside the transaction.
    pub async fn application(&mut self, id: &str) -> Result<Option<ApplicationRow>, StoreError> {
        let r: Option<ApplicationTuple> = sqlx::query_as(sql(format!(
            "SELECT {APPLICATION_COLS} FROM applications WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.conn())
        .await?;
        r.map(application).transpose()
    }

    /// Replaces an application's body, state and fee.
    pub async fn update_application(
        &mut self,
        id: &str,
        state: &str,
        body: &str,
        fee_total: i64,
    ) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query("UPDATE applications SET state = $1, body = $2, fee_total = $3, updated_at = $4 WHERE id = $5")
            .bind(state)
            .bind(body)
            .bind(fee_total)
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Appends an event to an application's review.
    pub async fn append_application_event(
        &mut self,
        id: &str,
        kind: &str,
        actor: &str,
        body: &str,
    ) -> Result<i64, StoreError> {
        let (next,): (i64,) = sqlx::query_as(
            "SELECT COALESCE(MAX(seq), 0) + 1 FROM application_events WHERE application_id = $1",
        )
        .bind(id)
        .fetch_one(self.conn())
        .await?;
        let at = to_ms(self.at());
        sqlx::query("INSERT INTO application_events (application_id, seq, kind, actor, body, at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(id)
            .bind(next)
            .bind(kind)
            .bind(actor)
            .bind(body)
            .bind(at)
            .execute(self.conn())
            .await?;
        Ok(next)
    }

    /// Reads an application's events inside the transaction.
    pub async fn application_events(
        &mut self,
        id: &str,
    ) -> Result<Vec<ApplicationEventRow>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64)> =
            sqlx::query_as("SELECT seq, kind, actor, body, at FROM application_events WHERE application_id = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(self.conn())
                .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ApplicationEventRow {
                    seq: r.0,
                    kind: r.1,
                    actor: r.2,
                    body: r.3,
                    at: from_ms(r.4)?,
                })
            })
            .collect()
    }

    /// Creates a grant with its people and the participants it covers.
    pub async fn insert_grant(
        &mut self,
        g: &GrantRow,
        people: &[String],
        participants: &[ParticipantId],
    ) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query(
            "INSERT INTO grants (id, application_id, title, institution, purpose_summary, body, starts_at, expires_at, revoked_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)",
        )
        .bind(&g.id)
        .bind(&g.application_id)
        .bind(&g.title)
        .bind(&g.institution)
        .bind(&g.purpose_summary)
        .bind(&g.body)
        .bind(to_ms(g.starts_at))
        .bind(to_ms(g.expires_at))
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "application_id"))?;
        for p in people {
            sqlx::query("INSERT INTO grant_people (grant_id, username) VALUES ($1, $2) ON CONFLICT (grant_id, username) DO NOTHING")
                .bind(&g.id)
                .bind(p)
                .execute(self.conn())
                .await?;
        }
        for p in participants {
            sqlx::query(
                "INSERT INTO grant_participants (grant_id, participant_id) VALUES ($1, $2)",
            )
            .bind(&g.id)
            .bind(p.as_str())
            .execute(self.conn())
            .await?;
        }
        Ok(())
    }

    /// Revokes a grant; false if it was already revoked or does not exist.
    pub async fn revoke_grant(&mut self, id: &str) -> Result<bool, StoreError> {
        let at = to_ms(self.at());
        let r =
            sqlx::query("UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(at)
                .bind(id)
                .execute(self.conn())
                .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Issues an invoice.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_invoice(
        &mut self,
        id: &str,
        application: &str,
        grant: &str,
        amount: i64,
        currency: &str,
        lines: &str,
    ) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query("INSERT INTO invoices (id, application_id, grant_id, amount, currency, lines, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id)
            .bind(application)
            .bind(grant)
            .bind(amount)
            .bind(currency)
            .bind(lines)
            .bind(at)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Raises an alert.
    pub async fn insert_alert(
        &mut self,
        rule: &str,
        severity: &str,
        actor: &str,
        summary: &str,
        detail: &str,
    ) -> Result<String, StoreError> {
        let id = uuid::Uuid::now_v7().to_string();
        let at = to_ms(self.at());
        sqlx::query("INSERT INTO alerts (id, at, rule, severity, actor, summary, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id)
            .bind(at)
            .bind(rule)
            .bind(severity)
            .bind(actor)
            .bind(summary)
            .bind(detail)
            .execute(self.conn())
            .await?;
        Ok(id)
    }

    /// Acknowledges an alert; false if unknown or already acknowledged.
    pub async fn acknowledge_alert(&mut self, id: &str, by: &str) -> Result<bool, StoreError> {
        let at = to_ms(self.at());
        let r = sqlx::query("UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2 WHERE id = $3 AND acknowledged_at IS NULL")
            .bind(at)
            .bind(by)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Notes that a token was used from `address`. Returns `(new, first)`:
    /// whether the address is new for this token, and whether it is the
    /// token's very first address.
    pub async fn note_token_address(
        &mut self,
        token_hash: &str,
        address: &str,
    ) -> Result<(bool, bool), StoreError> {
        let (known,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM token_addresses WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_one(self.conn())
                .await?;
        let at = to_ms(self.at());
        let r = sqlx::query(
            "INSERT INTO token_addresses (token_hash, address, first_seen) VALUES ($1, $2, $3) ON CONFLICT (token_hash, address) DO NOTHING",
        )
        .bind(token_hash)
        .bind(address)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok((r.rows_affected() == 1, known == 0))
    }
}

impl Store {
    /// All datasets.
    pub async fn datasets(&self) -> Result<Vec<DatasetRow>, StoreError> {
        let rows: Vec<DatasetTuple> = sqlx::query_as(sql(format!(
            "SELECT {DATASET_COLS} FROM datasets ORDER BY id"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(dataset).collect()
    }

    /// One dataset.
    pub async fn dataset(&self, id: &str) -> Result<Option<DatasetRow>, StoreError> {
        let r: Option<DatasetTuple> = sqlx::query_as(sql(format!(
            "SELECT {DATASET_COLS} FROM datasets WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.map(dataset).transpose()
    }

    /// Whether a participant was added to a dataset.
    pub async fn is_dataset_member(
        &self,
        dataset: &str,
        p: &ParticipantId,
    ) -> Result<bool, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM dataset_members WHERE dataset_id = $1 AND participant_id = $2",
        )
        .bind(dataset)
        .bind(p.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(n > 0)
    }

    /// Every member of a dataset with disease area and consent history, by id.
    pub async fn member_consents(
        &self,
        dataset: &str,
    ) -> Result<Vec<(ParticipantId, DiseaseArea, ConsentHistory)>, StoreError> {
        let members: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.id, p.disease_area FROM dataset_members m JOIN participants p ON p.id = m.participant_id \
             WHERE m.dataset_id = $1 ORDER BY p.id",
        )
        .bind(dataset)
        .fetch_all(self.pool())
        .await?;
        let events: Vec<crate::consent::KeyedRow> = sqlx::query_as(
            "SELECT e.participant_id, e.seq, e.kind, e.body, e.effective_at, e.recorded_at FROM consent_events e \
             JOIN dataset_members m ON m.participant_id = e.participant_id WHERE m.dataset_id = $1 \
             ORDER BY e.participant_id, e.seq",
        )
        .bind(dataset)
        .fetch_all(self.pool())
        .await?;
        let mut by = crate::consent::histories(events)?;
        members
            .into_iter()
            .map(|(id, area)| {
                let e = |e: zenome_domain::DomainError| StoreError::corrupt("participants", e);
                let history = by.remove(&id).unwrap_or_default();
                Ok((id.parse().map_err(e)?, area.parse().map_err(e)?, history))
            })
            .collect()
    }

    /// One application.
    pub async fn application(&self, id: &str) -> Result<Option<ApplicationRow>, StoreError> {
        let r: Option<ApplicationTuple> = sqlx::query_as(sql(format!(
            "SELECT {APPLICATION_COLS} FROM applications WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.map(application).transpose()
    }

    /// Applications by applicant (or co-applicant listed in the people of
    /// their grants is not searched here), newest first.
    pub async fn applications_of(
        &self,
        applicant: &str,
    ) -> Result<Vec<ApplicationRow>, StoreError> {
        let rows: Vec<ApplicationTuple> =
            sqlx::query_as(sql(format!("SELECT {APPLICATION_COLS} FROM applications WHERE applicant = $1 ORDER BY created_at DESC")))
                .bind(applicant)
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(application).collect()
    }

    /// Applications in any of `states`, oldest first (the DAC queue).
    pub async fn applications_in(
        &self,
        states: &[&str],
    ) -> Result<Vec<ApplicationRow>, StoreError> {
        let mut out = Vec::new();
        for s in states {
            let rows: Vec<ApplicationTuple> = sqlx::query_as(sql(format!(
                "SELECT {APPLICATION_COLS} FROM applications WHERE state = $1 ORDER BY updated_at"
            )))
            .bind(*s)
            .fetch_all(self.pool())
            .await?;
            for r in rows {
                out.push(application(r)?);
            }
        }
        out.sort_by_key(|a| a.updated_at);
        Ok(out)
    }

    /// An application's review events.
    pub async fn application_events(
        &self,
        id: &str,
    ) -> Result<Vec<ApplicationEventRow>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64)> =
            sqlx::query_as("SELECT seq, kind, actor, body, at FROM application_events WHERE application_id = $1 ORDER BY seq")
                .bind(id)
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|r| {
                Ok(ApplicationEventRow {
                    seq: r.0,
                    kind: r.1,
                    actor: r.2,
                    body: r.3,
                    at: from_ms(r.4)?,
                })
            })
            .collect()
    }

    /// One grant.
    pub async fn grant(&self, id: &str) -> Result<Option<GrantRow>, StoreError> {
        let r: Option<GrantTuple> = sqlx::query_as(sql(format!(
            "SELECT {GRANT_COLS} FROM grants g WHERE g.id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.map(grant).transpose()
    }

    /// The grant made from an application.
    pub async fn grant_of_application(
        &self,
        application: &str,
    ) -> Result<Option<GrantRow>, StoreError> {
        let r: Option<GrantTuple> = sqlx::query_as(sql(format!(
            "SELECT {GRANT_COLS} FROM grants g WHERE g.application_id = $1"
        )))
        .bind(application)
        .fetch_optional(self.pool())
        .await?;
        r.map(grant).transpose()
    }

    /// Grants that name `username`.
    pub async fn grants_of(&self, username: &str) -> Result<Vec<GrantRow>, StoreError> {
        let rows: Vec<GrantTuple> = sqlx::query_as(sql(format!(
            "SELECT {GRANT_COLS} FROM grants g JOIN grant_people p ON p.grant_id = g.id WHERE p.username = $1 ORDER BY g.created_at"
        )))
        .bind(username)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(grant).collect()
    }

    /// Every grant, newest first.
    pub async fn grants(&self) -> Result<Vec<GrantRow>, StoreError> {
        let rows: Vec<GrantTuple> = sqlx::query_as(sql(format!(
            "SELECT {GRANT_COLS} FROM grants g ORDER BY g.created_at DESC"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(grant).collect()
    }

    /// Grants that covered a participant's data (R9.2).
    pub async fn grants_covering(&self, p: &ParticipantId) -> Result<Vec<GrantRow>, StoreError> {
        let rows: Vec<GrantTuple> = sqlx::query_as(sql(format!(
            "SELECT {GRANT_COLS} FROM grants g JOIN grant_participants x ON x.grant_id = g.id WHERE x.participant_id = $1 ORDER BY g.starts_at"
        )))
        .bind(p.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(grant).collect()
    }

    /// Invoices of an application: (id, amount, currency, lines JSON, issued).
    pub async fn invoices_of(
        &self,
        application: &str,
    ) -> Result<Vec<(String, i64, String, String, OffsetDateTime)>, StoreError> {
        let rows: Vec<(String, i64, String, String, i64)> =
            sqlx::query_as("SELECT id, amount, currency, lines, issued_at FROM invoices WHERE application_id = $1 ORDER BY issued_at")
                .bind(application)
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|r| Ok((r.0, r.1, r.2, r.3, from_ms(r.4)?)))
            .collect()
    }

    /// The newest alerts.
    pub async fn alerts(&self, limit: i64) -> Result<Vec<AlertRow>, StoreError> {
        let rows: Vec<AlertTuple> = sqlx::query_as(
            "SELECT id, at, rule, severity, actor, summary, detail, acknowledged_at, acknowledged_by FROM alerts ORDER BY at DESC, id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(alert).collect()
    }
}

impl Store {
    /// A dataset and every grant naming `username`, in one round trip (the
    /// first half of the per-read check).
    pub async fn dataset_with_grants(
        &self,
        dataset: &str,
        username: &str,
    ) -> Result<Option<(DatasetRow, Vec<GrantRow>)>, StoreError> {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT d.id, d.title, d.title_ja, d.description, d.security_level, d.data_types, d.requirement, d.embargo_until, d.producer_group, d.created_at, \
                    g.id, g.application_id, g.title, g.institution, g.purpose_summary, g.body, g.starts_at, g.expires_at, g.revoked_at \
             FROM datasets d \
             LEFT JOIN grant_people p ON p.username = $2 \
             LEFT JOIN grants g ON g.id = p.grant_id \
             WHERE d.id = $1",
        )
        .bind(dataset)
        .bind(username)
        .fetch_all(self.pool())
        .await?;
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let ds = self::dataset((
            first.try_get(0)?,
            first.try_get(1)?,
            first.try_get(2)?,
            first.try_get(3)?,
            first.try_get(4)?,
            first.try_get(5)?,
            first.try_get(6)?,
            first.try_get(7)?,
            first.try_get(8)?,
            first.try_get(9)?,
        ))?;
        let mut grants = Vec::new();
        for r in &rows {
            let id: Option<String> = r.try_get(10)?;
            if let Some(id) = id {
                grants.push(grant((
                    id,
                    r.try_get(11)?,
                    r.try_get(12)?,
                    r.try_get(13)?,
                    r.try_get(14)?,
                    r.try_get(15)?,
                    r.try_get(16)?,
                    r.try_get(17)?,
                    r.try_get(18)?,
                ))?);
            }
        }
        Ok(Some((ds, grants)))
    }

    /// A member's consent history, in one round trip (the second half of the
    /// per-read check); `None` when the participant is not in the dataset.
    pub async fn member_consent(
        &self,
        dataset: &str,
        p: &ParticipantId,
    ) -> Result<Option<ConsentHistory>, StoreError> {
        let rows: Vec<OptionalEventRow> = sqlx::query_as(
            "SELECT e.seq, e.kind, e.body, e.effective_at, e.recorded_at FROM dataset_members m \
             LEFT JOIN consent_events e ON e.participant_id = m.participant_id \
             WHERE m.dataset_id = $1 AND m.participant_id = $2 ORDER BY e.seq",
        )
        .bind(dataset)
        .bind(p.as_str())
        .fetch_all(self.pool())
        .await?;
        if rows.is_empty() {
            return Ok(None);
        }
        let events = rows
            .into_iter()
            .filter_map(|r| match r {
                (Some(seq), Some(kind), Some(body), Some(eff), Some(rec)) => {
                    Some((seq, kind, body, eff, rec))
                }
                _ => None,
            })
            .collect();
        Ok(Some(crate::consent::history(events)?))
    }
}
