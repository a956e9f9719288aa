//! The sample columns of joint-called VCF file nodes: column name →
//! participant and library; and whether each stored VCF is in the variant
//! store (see migration `vcf_samples`).

use crate::{Store, StoreError, WriteTx};

/// One sample column of a VCF file node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcfSampleRow {
    /// The VCF file node.
    pub node_id: String,
    /// The column name the file must carry.
    pub sample: String,
    /// Order of declaration (0: the parent alignment's own column).
    pub position: i64,
    /// Whose column it is.
    pub participant_id: String,
    /// The library it was sequenced from.
    pub library_id: String,
    /// The node the submitter named (a CRAM/BAM file node or the library).
    pub source_id: String,
    /// Whether the library comes from a tumour specimen.
    pub tumour: bool,
}

type Row = (String, String, i64, String, String, String, i64);

const SELECT: &str = "SELECT node_id, sample, position, participant_id, library_id, source_id, tumour \
     FROM vcf_samples WHERE node_id = $1 ORDER BY position";

fn row(r: Row) -> VcfSampleRow {
    VcfSampleRow {
        node_id: r.0,
        sample: r.1,
        position: r.2,
        participant_id: r.3,
        library_id: r.4,
        source_id: r.5,
        tumour: r.6 != 0,
    }
}

impl WriteTx {
    /// Records the sample columns of a VCF node (in the transaction that
    /// registers it).
    pub async fn insert_vcf_samples(&mut self, rows: &[VcfSampleRow]) -> Result<(), StoreError> {
        for r in rows {
            sqlx::query(
                "INSERT INTO vcf_samples (node_id, sample, position, participant_id, library_id, source_id, tumour) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&r.node_id)
            .bind(&r.sample)
            .bind(r.position)
            .bind(&r.participant_id)
            .bind(&r.library_id)
            .bind(&r.source_id)
            .bind(i64::from(r.tumour))
            .execute(self.conn())
            .await
            .map_err(|e| StoreError::on_write(e, "members"))?;
        }
        Ok(())
    }

    /// The sample columns of a VCF node, in declaration order.
    pub async fn vcf_samples(&mut self, node: &str) -> Result<Vec<VcfSampleRow>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(SELECT)
            .bind(node)
            .fetch_all(self.conn())
            .await?;
        Ok(rows.into_iter().map(row).collect())
    }
}

impl WriteTx {
    /// Records the outcome of a variant-store load of a stored VCF object
    /// (`loaded` with its batch, or `failed` with the reason); a later
    /// attempt replaces it.
    pub async fn set_variant_load(
        &mut self,
        object: &str,
        state: &str,
        batch: Option<i64>,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        let at = crate::time_ms::to_ms(self.at());
        sqlx::query(
            "INSERT INTO variant_loads (object_id, state, batch, error, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (object_id) DO UPDATE SET state = $2, batch = $3, error = $4, at = $5",
        )
        .bind(object)
        .bind(state)
        .bind(batch)
        .bind(error)
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "object_id"))?;
        Ok(())
    }
}

impl Store {
    /// The last variant-store load outcome of a stored object: state
    /// (`loaded`/`failed`), batch, error.
    pub async fn variant_load(
        &self,
        object: &str,
    ) -> Result<Option<(String, Option<i64>, Option<String>)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT state, batch, error FROM variant_loads WHERE object_id = $1")
                .bind(object)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    /// The sample columns of a VCF node, in declaration order (empty: a node
    /// registered without them, whose one column is its participant).
    pub async fn vcf_samples(&self, node: &str) -> Result<Vec<VcfSampleRow>, StoreError> {
        let rows: Vec<Row> = sqlx::query_as(SELECT)
            .bind(node)
            .fetch_all(self.pool())
            .await?;
        Ok(rows.into_iter().map(row).collect())
    }
}
