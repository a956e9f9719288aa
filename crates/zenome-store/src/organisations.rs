//! Organisations: collecting facilities and sequencing centres.

use zenome_domain::organisation::{OrgCode, Organisation};

use crate::{Store, StoreError, WriteTx, time_ms::to_ms};

type OrgRow = (String, String, String, String);

fn org(r: OrgRow) -> Result<Organisation, StoreError> {
    let e = |e: zenome_domain::DomainError| StoreError::corrupt("organisations", e);
    Ok(Organisation {
        code: r.0.parse().map_err(e)?,
        kind: r.1.parse().map_err(e)?,
        name: r.2,
        name_ja: r.3,
    })
}

impl WriteTx {
    /// Registers an organisation.
    pub async fn insert_organisation(&mut self, o: &Organisation) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query("INSERT INTO organisations (code, kind, name, name_ja, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(o.code.as_str())
            .bind(o.kind.as_str())
            .bind(&o.name)
            .bind(&o.name_ja)
            .bind(at)
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "code"))?;
        Ok(())
    }
}

impl Store {
    /// All organisations, by code.
    pub async fn organisations(&self) -> Result<Vec<Organisation>, StoreError> {
        let rows: Vec<OrgRow> =
            sqlx::query_as("SELECT code, kind, name, name_ja FROM organisations ORDER BY code")
                .fetch_all(self.pool())
                .await?;
        rows.into_iter().map(org).collect()
    }

    /// One organisation.
    pub async fn organisation(&self, code: &OrgCode) -> Result<Option<Organisation>, StoreError> {
        let row: Option<OrgRow> =
            sqlx::query_as("SELECT code, kind, name, name_ja FROM organisations WHERE code = $1")
                .bind(code.as_str())
                .fetch_optional(self.pool())
                .await?;
        row.map(org).transpose()
    }
}
