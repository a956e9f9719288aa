//! Lineage nodes: specimens and everything derived from them.

use zenome_domain::id::{Barcode, ParticipantId};
use zenome_domain::lineage::{LineageNode, NodeDetails, NodeId};

use crate::rows::{details_from_json, details_json};
use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

type Row = (String, String, Option<String>, Option<String>, String, i64);

fn node(r: Row) -> Result<LineageNode, StoreError> {
    let e = |e: zenome_domain::DomainError| StoreError::corrupt("lineage_nodes", e);
    Ok(LineageNode {
        id: NodeId::new(r.0),
        participant: r.1.parse().map_err(e)?,
        parent: r.2.map(NodeId::new),
        barcode: r.3.map(|b| b.parse()).transpose().map_err(e)?,
        details: details_from_json(&r.4)?,
        created_at: from_ms(r.5)?,
    })
}

const SELECT: &str =
    "SELECT id, participant_id, parent_id, barcode, details, created_at FROM lineage_nodes";

impl WriteTx {
    /// Inserts a node checked by the domain.
    pub async fn insert_node(&mut self, n: &LineageNode, by: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO lineage_nodes (id, participant_id, parent_id, kind, barcode, details, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(n.id.as_str())
        .bind(n.participant.as_str())
        .bind(n.parent.as_ref().map(|p| p.as_str().to_string()))
        .bind(n.details.kind().as_str())
        .bind(n.barcode.as_ref().map(|b| b.as_str().to_string()))
        .bind(details_json(&n.details))
        .bind(to_ms(n.created_at))
        .bind(by)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "barcode"))?;
        Ok(())
    }

    /// Replaces a node's details (status changes). Kind, parent and barcode
    /// never change.
    pub async fn update_node_details(
        &mut self,
        id: &NodeId,
        d: &NodeDetails,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE lineage_nodes SET details = $1 WHERE id = $2 AND kind = $3")
            .bind(details_json(d))
            .bind(id.as_str())
            .bind(d.kind().as_str())
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Reads a node inside the transaction.
    pub async fn node(&mut self, id: &NodeId) -> Result<Option<LineageNode>, StoreError> {
        let r: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id.as_str())
            .fetch_optional(self.conn())
            .await?;
        r.map(node).transpose()
    }
}

impl WriteTx {
    /// Reads a node by barcode inside the transaction.
    pub async fn node_by_barcode(
        &mut self,
        b: &Barcode,
    ) -> Result<Option<LineageNode>, StoreError> {
        let r: Option<Row> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE barcode = $1")))
                .bind(b.as_str())
                .fetch_optional(self.conn())
                .await?;
        r.map(node).transpose()
    }
}

impl Store {
    /// One node by id.
    pub async fn node(&self, id: &NodeId) -> Result<Option<LineageNode>, StoreError> {
        let r: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE id = $1")))
            .bind(id.as_str())
            .fetch_optional(self.pool())
            .await?;
        r.map(node).transpose()
    }

    /// One node by barcode.
    pub async fn node_by_barcode(&self, b: &Barcode) -> Result<Option<LineageNode>, StoreError> {
        let r: Option<Row> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE barcode = $1")))
                .bind(b.as_str())
                .fetch_optional(self.pool())
                .await?;
        r.map(node).transpose()
    }

    /// Every node of a participant, in registration order (parents first).
    pub async fn nodes_of(&self, p: &ParticipantId) -> Result<Vec<LineageNode>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE participant_id = $1 ORDER BY created_at, id"
        )))
        .bind(p.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(node).collect()
    }

    /// The chain from a node up to its specimen (the node first).
    pub async fn ancestry(&self, id: &NodeId) -> Result<Vec<LineageNode>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(
            "WITH RECURSIVE up (id, participant_id, parent_id, barcode, details, created_at, depth) AS ( \
                SELECT id, participant_id, parent_id, barcode, details, created_at, 0 FROM lineage_nodes WHERE id = $1 \
                UNION ALL \
                SELECT n.id, n.participant_id, n.parent_id, n.barcode, n.details, n.created_at, up.depth + 1 \
                FROM lineage_nodes n JOIN up ON n.id = up.parent_id) \
             SELECT id, participant_id, parent_id, barcode, details, created_at FROM up ORDER BY depth",
        )
        .bind(id.as_str())
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(node).collect()
    }
}
