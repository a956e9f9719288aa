//! Participants.

use std::collections::HashMap;

use zenome_domain::id::ParticipantId;
use zenome_domain::organisation::OrgCode;
use zenome_domain::participant::{DiseaseArea, Participant};

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// Which participants to list.
#[derive(Debug, Clone, Default)]
pub struct ParticipantFilter {
    /// Only this facility's.
    pub facility: Option<OrgCode>,
    /// Only this disease area.
    pub disease_area: Option<DiseaseArea>,
    /// Page size.
    pub limit: i64,
    /// Rows to skip.
    pub offset: i64,
}

/// A participant with the kind of their latest consent event, for lists.
#[derive(Debug, Clone, PartialEq)]
pub struct ParticipantRow {
    /// The participant.
    pub participant: Participant,
    /// `not_given`, `active` or `withdrawn` (from the latest event; events
    /// never take effect in the future, so the latest is the current one).
    pub consent_state: &'static str,
}

type Row = (String, String, String, String, i64, Option<String>);

fn row(r: Row) -> Result<ParticipantRow, StoreError> {
    let e = |e: zenome_domain::DomainError| StoreError::corrupt("participants", e);
    Ok(ParticipantRow {
        participant: Participant {
            id: r.0.parse().map_err(e)?,
            facility: r.1.parse().map_err(e)?,
            disease_area: r.2.parse().map_err(e)?,
            sex: r.3.parse().map_err(e)?,
            registered_at: from_ms(r.4)?,
        },
        consent_state: match r.5.as_deref() {
            None => "not_given",
            Some("withdrawn") => "withdrawn",
            Some(_) => "active",
        },
    })
}

const SELECT: &str = "SELECT p.id, p.facility_code, p.disease_area, p.sex, p.registered_at, \
    (SELECT e.kind FROM consent_events e WHERE e.participant_id = p.id ORDER BY e.seq DESC LIMIT 1) \
    FROM participants p";

impl WriteTx {
    /// Registers a participant.
    pub async fn insert_participant(
        &mut self,
        p: &Participant,
        by: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO participants (id, facility_code, disease_area, sex, registered_at, registered_by) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(p.id.as_str())
        .bind(p.facility.as_str())
        .bind(p.disease_area.as_str())
        .bind(p.sex.as_str())
        .bind(to_ms(p.registered_at))
        .bind(by)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "participant_id"))?;
        Ok(())
    }

    /// Reads a participant inside the transaction.
    pub async fn participant(
        &mut self,
        id: &ParticipantId,
    ) -> Result<Option<Participant>, StoreError> {
        let r: Option<Row> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = $1")))
                .bind(id.as_str())
                .fetch_optional(self.conn())
                .await?;
        Ok(r.map(row).transpose()?.map(|r| r.participant))
    }
}

impl Store {
    /// One participant.
    pub async fn participant(
        &self,
        id: &ParticipantId,
    ) -> Result<Option<ParticipantRow>, StoreError> {
        let r: Option<Row> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE p.id = $1")))
                .bind(id.as_str())
                .fetch_optional(self.pool())
                .await?;
        r.map(row).transpose()
    }

    /// Many participants by id (absent ids are left out), keyed by id.
    pub async fn participants_by_id(
        &self,
        ids: &[ParticipantId],
    ) -> Result<HashMap<String, ParticipantRow>, StoreError> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(crate::batch::CHUNK) {
            let q = format!(
                "{SELECT} WHERE p.id IN ({})",
                crate::batch::placeholders(1, chunk.len())
            );
            let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(q));
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for r in query.fetch_all(self.pool()).await? {
                let r = row(r)?;
                out.insert(r.participant.id.as_str().to_string(), r);
            }
        }
        Ok(out)
    }

    /// A page of participants, newest first.
    pub async fn participants(
        &self,
        f: &ParticipantFilter,
    ) -> Result<Vec<ParticipantRow>, StoreError> {
        // Any's QueryBuilder writes `?` placeholders, which PostgreSQL refuses:
        // the filter is built by hand with numbered ones.
        let (cond, binds) = filter_sql(f);
        let n = binds.len();
        let sql = format!(
            "{SELECT} WHERE 1 = 1{cond} ORDER BY p.registered_at DESC, p.id LIMIT ${} OFFSET ${}",
            n + 1,
            n + 2
        );
        let mut q = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q
            .bind(f.limit)
            .bind(f.offset)
            .fetch_all(self.pool())
            .await?;
        rows.into_iter().map(row).collect()
    }

    /// How many participants match the filter (ignoring paging).
    pub async fn count_participants(&self, f: &ParticipantFilter) -> Result<i64, StoreError> {
        let (cond, binds) = filter_sql(f);
        let sql = format!("SELECT COUNT(*) FROM participants p WHERE 1 = 1{cond}");
        let mut q = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        Ok(q.fetch_one(self.pool()).await?.0)
    }
}

impl Store {
    /// The ids of every participant matching the filter (no paging), by id.
    pub async fn participant_ids(
        &self,
        f: &ParticipantFilter,
    ) -> Result<Vec<ParticipantId>, StoreError> {
        let (cond, binds) = filter_sql(f);
        let sql = format!("SELECT p.id FROM participants p WHERE 1 = 1{cond} ORDER BY p.id");
        let mut q = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(self.pool()).await?;
        rows.into_iter()
            .map(|(id,)| {
                id.parse()
                    .map_err(|e| StoreError::corrupt("participants", e))
            })
            .collect()
    }
}

fn filter_sql(f: &ParticipantFilter) -> (String, Vec<String>) {
    let mut cond = String::new();
    let mut binds = Vec::new();
    if let Some(fac) = &f.facility {
        binds.push(fac.as_str().to_string());
        cond.push_str(&format!(" AND p.facility_code = ${}", binds.len()));
    }
    if let Some(a) = f.disease_area {
        binds.push(a.as_str().to_string());
        cond.push_str(&format!(" AND p.disease_area = ${}", binds.len()));
    }
    (cond, binds)
}
