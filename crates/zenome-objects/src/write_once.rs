//! Write-once objects and listings, for records that must never be replaced
//! once written (the audit trail's anchors): a put that the store itself
//! refuses when the key exists (`PutMode::Create`: a hard link on local
//! disks, `If-None-Match: *` on S3), a listing of the keys under a prefix,
//! and whole reads of small objects.

use futures_util::TryStreamExt;
use object_store::{ObjectStoreExt, PutMode, PutOptions};

use crate::{ObjectError, Stores};

/// What a write-once put did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOnce {
    /// The object was created.
    Created,
    /// An object with this key already existed; it was left as it was.
    Exists,
}

/// One listed object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Its key, relative to the store (as given to the other operations).
    pub key: String,
    /// Its size in bytes.
    pub size: u64,
    /// When the store says it was last written, in milliseconds since the
    /// Unix epoch (the store's clock, not the writer's).
    pub modified_ms: i64,
}

impl Stores {
    /// Writes a small object only if no object has this key: an existing one
    /// is never replaced, whatever the bytes. S3 stores need
    /// `conditional_put = "etag"` in their options (else the store answers
    /// "not implemented", an error here).
    pub async fn put_once(
        &self,
        store: &str,
        key: &str,
        bytes: Vec<u8>,
    ) -> Result<PutOnce, ObjectError> {
        let s = self.get(store)?;
        let opts = PutOptions {
            mode: PutMode::Create,
            ..Default::default()
        };
        match s
            .inner
            .put_opts(&Self::path(s, key), bytes.into(), opts)
            .await
        {
            Ok(_) => Ok(PutOnce::Created),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(PutOnce::Exists),
            Err(e) => Err(ObjectError::store(store, "put once", e)),
        }
    }

    /// Every object whose key starts with `prefix/` (a whole path segment),
    /// in key order.
    pub async fn list_keys(&self, store: &str, prefix: &str) -> Result<Vec<Listed>, ObjectError> {
        let s = self.get(store)?;
        let at = Self::path(s, prefix);
        let metas: Vec<object_store::ObjectMeta> = s
            .inner
            .list(Some(&at))
            .try_collect()
            .await
            .map_err(|e| ObjectError::store(store, "list", e))?;
        let mut out: Vec<Listed> = metas
            .into_iter()
            .filter_map(|m| {
                let parts: Vec<String> = m
                    .location
                    .prefix_match(&s.prefix)?
                    .map(|p| p.as_ref().to_string())
                    .collect();
                Some(Listed {
                    key: parts.join("/"),
                    size: m.size,
                    modified_ms: m.last_modified.timestamp_millis(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    /// A whole (small) object, or `None` when it is missing.
    pub async fn read_all(&self, store: &str, key: &str) -> Result<Option<Vec<u8>>, ObjectError> {
        let s = self.get(store)?;
        match s.inner.get(&Self::path(s, key)).await {
            Ok(r) => Ok(Some(
                r.bytes()
                    .await
                    .map_err(|e| ObjectError::store(store, "read", e))?
                    .to_vec(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ObjectError::store(store, "get", e)),
        }
    }
}
