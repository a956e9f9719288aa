//! Rows of sequencing data: uploads in progress, stored objects, and the
//! copies of each object in each store.

use time::OffsetDateTime;
use zenome_domain::id::ParticipantId;

use crate::time_ms::{from_ms, to_ms};
use crate::{Store, StoreError, WriteTx};

/// An upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRow {
    /// Id (the tus resource).
    pub id: String,
    /// User name of the uploader.
    pub uploader: String,
    /// The lineage file node it fills.
    pub node_id: String,
    /// File name as sent.
    pub file_name: String,
    /// Declared format (`fastq`, `bam`, `cram`, `vcf`).
    pub format: String,
    /// Total length in bytes.
    pub length: i64,
    /// Bytes durably received.
    pub received: i64,
    /// Declared MD5 (hex).
    pub declared_md5: Option<String>,
    /// Declared SHA-256 (hex).
    pub declared_sha256: Option<String>,
    /// Pipeline that made the file (CRAM, VCF).
    pub pipeline: Option<String>,
    /// Reference genome version.
    pub reference: Option<String>,
    /// `receiving`, `stored`, `rejected`, `cancelled`.
    pub state: String,
    /// Why it was rejected.
    pub error: Option<String>,
    /// The stored object.
    pub object_id: Option<String>,
    /// Whether this upload made its node (a placeholder under the `parent`
    /// it named), which a rejection or cancellation then removes.
    pub created_node: bool,
    /// Created.
    pub created_at: OffsetDateTime,
}

/// A stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRow {
    /// Id (the DRS id).
    pub id: String,
    /// Its lineage node.
    pub node_id: String,
    /// Whose data.
    pub participant_id: ParticipantId,
    /// File name.
    pub name: String,
    /// Format.
    pub format: String,
    /// Plaintext size.
    pub size: i64,
    /// Plaintext MD5.
    pub md5: String,
    /// Plaintext SHA-256.
    pub sha256: String,
    /// Stored (encrypted) size.
    pub stored_size: i64,
    /// Stored (encrypted) SHA-256: what the scrub checks.
    pub stored_sha256: String,
    /// Crypt4GH header length.
    pub header_len: i64,
    /// Key in every store.
    pub object_key: String,
    /// QC metrics (JSON).
    pub qc: String,
    /// `passed` or `failed`.
    pub qc_status: String,
    /// QC failures (JSON array of strings).
    pub qc_failures: String,
    /// Pipeline version.
    pub pipeline: Option<String>,
    /// Reference version.
    pub reference: Option<String>,
    /// Sequencing centre.
    pub centre: Option<String>,
    /// `available` or `lost`.
    pub status: String,
    /// Stored at.
    pub created_at: OffsetDateTime,
    /// Key of its sealed index in the same stores, if one was built.
    pub index_key: Option<String>,
}

/// One copy of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRow {
    /// Store name.
    pub store: String,
    /// `ok`, `repaired`, `corrupt`, `missing`.
    pub state: String,
    /// Last checked.
    pub checked_at: OffsetDateTime,
}

type UploadTuple = (
    String,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
);
const UPLOAD_COLS: &str = "id, uploader, node_id, file_name, format, length, received, declared_md5, declared_sha256, pipeline, reference, state, error, object_id, created_at, created_node";

fn upload(r: UploadTuple) -> Result<UploadRow, StoreError> {
    Ok(UploadRow {
        id: r.0,
        uploader: r.1,
        node_id: r.2,
        file_name: r.3,
        format: r.4,
        length: r.5,
        received: r.6,
        declared_md5: r.7,
        declared_sha256: r.8,
        pipeline: r.9,
        reference: r.10,
        state: r.11,
        error: r.12,
        object_id: r.13,
        created_at: from_ms(r.14)?,
        created_node: r.15 != 0,
    })
}

const OBJECT_COLS: &str = "id, node_id, participant_id, name, format, size, md5, sha256, stored_size, stored_sha256, header_len, object_key, qc, qc_status, qc_failures, pipeline, reference, centre, status, created_at, index_key";

fn object(r: &sqlx::any::AnyRow) -> Result<ObjectRow, StoreError> {
    use sqlx::Row;
    Ok(ObjectRow {
        id: r.try_get(0)?,
        node_id: r.try_get(1)?,
        participant_id: r
            .try_get::<String, _>(2)?
            .parse()
            .map_err(|e| StoreError::corrupt("objects", e))?,
        name: r.try_get(3)?,
        format: r.try_get(4)?,
        size: r.try_get(5)?,
        md5: r.try_get(6)?,
        sha256: r.try_get(7)?,
        stored_size: r.try_get(8)?,
        stored_sha256: r.try_get(9)?,
        header_len: r.try_get(10)?,
        object_key: r.try_get(11)?,
        qc: r.try_get(12)?,
        qc_status: r.try_get(13)?,
        qc_failures: r.try_get(14)?,
        pipeline: r.try_get(15)?,
        reference: r.try_get(16)?,
        centre: r.try_get(17)?,
        status: r.try_get(18)?,
        created_at: from_ms(r.try_get(19)?)?,
        index_key: r.try_get(20)?,
    })
}

fn sql(s: String) -> sqlx::AssertSqlSafe<String> {
    sqlx::AssertSqlSafe(s)
}

impl WriteTx {
    /// Registers an upload.
    pub async fn insert_upload(&mut self, u: &UploadRow) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query(sql(format!(
            "INSERT INTO uploads ({UPLOAD_COLS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
        )))
        .bind(&u.id)
        .bind(&u.uploader)
        .bind(&u.node_id)
        .bind(&u.file_name)
        .bind(&u.format)
        .bind(u.length)
        .bind(u.received)
        .bind(u.declared_md5.clone())
        .bind(u.declared_sha256.clone())
        .bind(u.pipeline.clone())
        .bind(u.reference.clone())
        .bind(&u.state)
        .bind(u.error.clone())
        .bind(u.object_id.clone())
        .bind(at)
        .bind(i64::from(u.created_node))
        .bind(at)
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "node_id"))?;
        Ok(())
    }

    /// Records the bytes durably received, if the upload is still at
    /// `expected` (another request may have moved it).
    pub async fn advance_upload(
        &mut self,
        id: &str,
        expected: i64,
        received: i64,
    ) -> Result<bool, StoreError> {
        let at = to_ms(self.at());
        let r = sqlx::query("UPDATE uploads SET received = $1, updated_at = $2 WHERE id = $3 AND received = $4 AND state = 'receiving'")
            .bind(received)
            .bind(at)
            .bind(id)
            .bind(expected)
            .execute(self.conn())
            .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes the file placeholder an upload made, unless something else
    /// holds on to it (a node below it, an object, another upload still
    /// receiving or stored). Returns whether it was removed.
    pub async fn remove_placeholder(
        &mut self,
        node: &str,
        upload: &str,
    ) -> Result<bool, StoreError> {
        // a VCF placeholder's sample columns go with it, on the same conditions
        sqlx::query(
            "DELETE FROM vcf_samples WHERE node_id = $1 \
             AND NOT EXISTS (SELECT 1 FROM lineage_nodes c WHERE c.parent_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.node_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.node_id = $1 AND u.id <> $2 \
                             AND u.state IN ('receiving', 'stored'))",
        )
        .bind(node)
        .bind(upload)
        .execute(self.conn())
        .await?;
        let r = sqlx::query(
            "DELETE FROM lineage_nodes WHERE id = $1 AND kind = 'file' \
             AND NOT EXISTS (SELECT 1 FROM lineage_nodes c WHERE c.parent_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.node_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM uploads u WHERE u.node_id = $1 AND u.id <> $2 \
                             AND u.state IN ('receiving', 'stored'))",
        )
        .bind(node)
        .bind(upload)
        .execute(self.conn())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Ends an upload.
    pub async fn end_upload(
        &mut self,
        id: &str,
        state: &str,
        error: Option<&str>,
        object: Option<&str>,
    ) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query("UPDATE uploads SET state = $1, error = $2, object_id = $3, updated_at = $4 WHERE id = $5")
            .bind(state)
            .bind(error.map(str::to_string))
            .bind(object.map(str::to_string))
            .bind(at)
            .bind(id)
            .execute(self.conn())
            .await?;
        Ok(())
    }

    /// Stores an object row and its copies.
    pub async fn insert_object(
        &mut self,
        o: &ObjectRow,
        copies: &[String],
    ) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query(sql(format!(
            "INSERT INTO objects ({OBJECT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        )))
        .bind(&o.id)
        .bind(&o.node_id)
        .bind(o.participant_id.as_str())
        .bind(&o.name)
        .bind(&o.format)
        .bind(o.size)
        .bind(&o.md5)
        .bind(&o.sha256)
        .bind(o.stored_size)
        .bind(&o.stored_sha256)
        .bind(o.header_len)
        .bind(&o.object_key)
        .bind(&o.qc)
        .bind(&o.qc_status)
        .bind(&o.qc_failures)
        .bind(o.pipeline.clone())
        .bind(o.reference.clone())
        .bind(o.centre.clone())
        .bind(&o.status)
        .bind(at)
        .bind(o.index_key.clone())
        .execute(self.conn())
        .await
        .map_err(|e| StoreError::on_write(e, "node_id"))?;
        for c in copies {
            sqlx::query("INSERT INTO object_copies (object_id, store, state, checked_at) VALUES ($1, $2, 'ok', $3)")
                .bind(&o.id)
                .bind(c)
                .bind(at)
                .execute(self.conn())
                .await?;
        }
        Ok(())
    }

    /// Records the state of one copy after a check.
    pub async fn set_copy_state(
        &mut self,
        object: &str,
        store: &str,
        state: &str,
    ) -> Result<(), StoreError> {
        let at = to_ms(self.at());
        sqlx::query(
            "INSERT INTO object_copies (object_id, store, state, checked_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (object_id, store) DO UPDATE SET state = $5, checked_at = $6",
        )
        .bind(object)
        .bind(store)
        .bind(state)
        .bind(at)
        .bind(state)
        .bind(at)
        .execute(self.conn())
        .await?;
        Ok(())
    }

    /// Marks an object available or lost.
    pub async fn set_object_status(
        &mut self,
        object: &str,
        status: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE objects SET status = $1 WHERE id = $2")
            .bind(status)
            .bind(object)
            .execute(self.conn())
            .await?;
        Ok(())
    }
}

impl Store {
    /// One upload.
    pub async fn upload(&self, id: &str) -> Result<Option<UploadRow>, StoreError> {
        let r: Option<UploadTuple> = sqlx::query_as(sql(format!(
            "SELECT {UPLOAD_COLS} FROM uploads WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        r.map(upload).transpose()
    }

    /// Uploads still receiving (to resume after a restart).
    pub async fn open_uploads(&self) -> Result<Vec<UploadRow>, StoreError> {
        let rows: Vec<UploadTuple> = sqlx::query_as(sql(format!(
            "SELECT {UPLOAD_COLS} FROM uploads WHERE state = 'receiving' ORDER BY created_at"
        )))
        .fetch_all(self.pool())
        .await?;
        rows.into_iter().map(upload).collect()
    }

    pub(crate) async fn objects_where(
        &self,
        cond: &str,
        bind: Option<&str>,
    ) -> Result<Vec<ObjectRow>, StoreError> {
        let q = format!("SELECT {OBJECT_COLS} FROM objects {cond} ORDER BY created_at, id");
        let mut query = sqlx::query(sql(q));
        if let Some(b) = bind {
            query = query.bind(b.to_string());
        }
        let rows = query.fetch_all(self.pool()).await?;
        rows.iter().map(object).collect()
    }

    /// One object.
    pub async fn object(&self, id: &str) -> Result<Option<ObjectRow>, StoreError> {
        Ok(self
            .objects_where("WHERE id = $1", Some(id))
            .await?
            .into_iter()
            .next())
    }

    /// The object of a lineage node.
    pub async fn object_of_node(&self, node: &str) -> Result<Option<ObjectRow>, StoreError> {
        Ok(self
            .objects_where("WHERE node_id = $1", Some(node))
            .await?
            .into_iter()
            .next())
    }

    /// The objects holding content with this plaintext SHA-256, oldest first.
    pub async fn objects_with_sha256(&self, sha256: &str) -> Result<Vec<ObjectRow>, StoreError> {
        self.objects_where("WHERE sha256 = $1", Some(sha256)).await
    }

    /// A participant's objects.
    pub async fn objects_of(&self, p: &ParticipantId) -> Result<Vec<ObjectRow>, StoreError> {
        self.objects_where("WHERE participant_id = $1", Some(p.as_str()))
            .await
    }

    /// A sequencing centre's objects, oldest first.
    pub async fn objects_of_centre(&self, centre: &str) -> Result<Vec<ObjectRow>, StoreError> {
        self.objects_where("WHERE centre = $1", Some(centre)).await
    }

    /// Stored VCF objects that passed QC and were never attempted into the
    /// variant store (no `variant_loads` row), oldest first.
    pub async fn vcfs_never_loaded(&self) -> Result<Vec<ObjectRow>, StoreError> {
        self.objects_where(
            "WHERE format = 'vcf' AND qc_status = 'passed' AND status = 'available' \
             AND NOT EXISTS (SELECT 1 FROM variant_loads v WHERE v.object_id = objects.id)",
            None,
        )
        .await
    }

    /// Every object (the scrub walks them).
    pub async fn objects(&self) -> Result<Vec<ObjectRow>, StoreError> {
        self.objects_where("", None).await
    }

    /// The copies of an object.
    pub async fn copies(&self, object: &str) -> Result<Vec<CopyRow>, StoreError> {
        let rows: Vec<(String, String, i64)> =
            sqlx::query_as("SELECT store, state, checked_at FROM object_copies WHERE object_id = $1 ORDER BY store")
                .bind(object)
                .fetch_all(self.pool())
                .await?;
        rows.into_iter()
            .map(|r| {
                Ok(CopyRow {
                    store: r.0,
                    state: r.1,
                    checked_at: from_ms(r.2)?,
                })
            })
            .collect()
    }
}
