//! Zenome's object storage: named stores reached through the `object_store`
//! crate — local directories by default, any S3-compatible service in
//! production — content-addressed keys, and the few operations the ingest,
//! download and scrub paths need (streamed writes from a local file, full
//! and ranged reads, digests of what is stored, copies between stores).
//!
//! What is stored here is always Crypt4GH ciphertext; this crate never sees
//! a key and never decides who may read.

mod error;
mod write_once;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

pub use error::ObjectError;
pub use write_once::{Listed, PutOnce};

/// One configured store.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSpec {
    /// Name used in the placement policy and in the metadata store.
    pub name: String,
    /// `file:///absolute/dir`, or `s3://bucket/optional/prefix`.
    pub url: String,
    /// For S3: `endpoint`, `region`, `access_key_id`, `secret_access_key`,
    /// `allow_http` (`true` for a local test server), `conditional_put`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl StoreSpec {
    /// The spec with secrets masked, for logs and `config --print-default`.
    pub fn redacted(&self) -> Self {
        let mut s = self.clone();
        for (k, v) in s.options.iter_mut() {
            if k.contains("secret") || k.contains("key") || k.contains("token") {
                *v = "[redacted]".into();
            }
        }
        s
    }
}

#[derive(Debug)]
struct Store {
    inner: Arc<dyn ObjectStore>,
    prefix: ObjectPath,
    /// For local stores: the directory, so whole files are placed with the
    /// kernel's copy (`copy_file_range`, a reflink where the filesystem can)
    /// instead of a read–write loop.
    local_root: Option<std::path::PathBuf>,
}

/// The named stores.
#[derive(Debug, Clone)]
pub struct Stores {
    stores: Arc<BTreeMap<String, Store>>,
}

/// The key of the sealed index of the object with this plaintext SHA-256.
pub fn index_key(sha256_hex: &str) -> String {
    let p = sha256_hex.get(..2).unwrap_or("00");
    format!("sha256/{p}/{sha256_hex}.index")
}

/// The key of an object with this plaintext SHA-256: `sha256/ab/abcd….c4gh`.
pub fn content_key(sha256_hex: &str) -> String {
    let p = sha256_hex.get(..2).unwrap_or("00");
    format!("sha256/{p}/{sha256_hex}.c4gh")
}

impl Stores {
    /// Opens every store. Local directories are created.
    pub fn open(specs: &[StoreSpec]) -> Result<Self, ObjectError> {
        let mut stores = BTreeMap::new();
        for s in specs {
            let url = url::Url::parse(&s.url).map_err(|e| ObjectError::Config {
                store: s.name.clone(),
                reason: format!("bad url: {e}"),
            })?;
            let store = match url.scheme() {
                "file" => {
                    let dir = url.to_file_path().map_err(|()| ObjectError::Config {
                        store: s.name.clone(),
                        reason: "a file:// url needs an absolute path".into(),
                    })?;
                    std::fs::create_dir_all(&dir).map_err(|e| ObjectError::Config {
                        store: s.name.clone(),
                        reason: format!("cannot create {}: {e}", dir.display()),
                    })?;
                    let fs = object_store::local::LocalFileSystem::new_with_prefix(&dir)
                        .map_err(|e| ObjectError::store(&s.name, "open", e))?;
                    Store {
                        inner: Arc::new(fs),
                        prefix: ObjectPath::default(),
                        local_root: Some(dir),
                    }
                }
                "s3" => {
                    let opts = s.options.iter().map(|(k, v)| {
                        let k = if k.starts_with("aws_") {
                            k.clone()
                        } else {
                            format!("aws_{k}")
                        };
                        (k, v.clone())
                    });
                    let (inner, prefix) = object_store::parse_url_opts(&url, opts)
                        .map_err(|e| ObjectError::store(&s.name, "open", e))?;
                    Store {
                        inner: Arc::from(inner),
                        prefix,
                        local_root: None,
                    }
                }
                other => {
                    return Err(ObjectError::Config {
                        store: s.name.clone(),
                        reason: format!("unsupported scheme {other:?}: use file:// or s3://"),
                    });
                }
            };
            if stores.insert(s.name.clone(), store).is_some() {
                return Err(ObjectError::Config {
                    store: s.name.clone(),
                    reason: "two stores have this name".into(),
                });
            }
        }
        Ok(Self {
            stores: Arc::new(stores),
        })
    }

    /// The store names.
    pub fn names(&self) -> Vec<String> {
        self.stores.keys().cloned().collect()
    }

    fn get(&self, name: &str) -> Result<&Store, ObjectError> {
        self.stores
            .get(name)
            .ok_or_else(|| ObjectError::UnknownStore(name.into()))
    }

    fn path(store: &Store, key: &str) -> ObjectPath {
        let mut p = store.prefix.clone();
        for part in key.split('/') {
            p = p.join(part);
        }
        p
    }

    /// Places a local, already durable file into a local store without
    /// copying its bytes: a hard link under a temporary name, then a rename,
    /// then the directory synced. `Ok(false)` when the store is not local or
    /// the file is on another filesystem (the caller copies instead). The
    /// file's other name (the staging one) is expected to be removed
    /// afterwards, leaving the store's the only one.
    pub async fn link_file(
        &self,
        store: &str,
        key: &str,
        file: &std::path::Path,
    ) -> Result<bool, ObjectError> {
        let s = self.get(store)?;
        let Some(root) = &s.local_root else {
            return Ok(false);
        };
        let src = file.to_path_buf();
        let placed = place_local(root.join(key), move |tmp| {
            let _ = std::fs::remove_file(tmp);
            // another filesystem (or no hard links there): the caller copies
            Ok(std::fs::hard_link(&src, tmp).ok())
        })
        .await?;
        Ok(placed.is_some())
    }

    /// Writes a local file to `key` in `store`, streamed in parts (memory
    /// stays flat). Readers see the object only once it is complete.
    pub async fn put_file(
        &self,
        store: &str,
        key: &str,
        file: &std::path::Path,
    ) -> Result<u64, ObjectError> {
        let s = self.get(store)?;
        if let Some(root) = &s.local_root {
            // the kernel copies
            let src = file.to_path_buf();
            let n = place_local(root.join(key), move |tmp| {
                let n = std::fs::copy(&src, tmp)?;
                std::fs::File::open(tmp)?.sync_all()?;
                Ok(Some(n))
            })
            .await?;
            return Ok(n.unwrap_or(0));
        }
        let path = Self::path(s, key);
        let upload = s
            .inner
            .put_multipart(&path)
            .await
            .map_err(|e| ObjectError::store(store, "put", e))?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
        let mut f = tokio::fs::File::open(file)
            .await
            .map_err(|e| ObjectError::Io {
                what: file.display().to_string(),
                source: e,
            })?;
        let mut buf = vec![0u8; 1024 * 1024];
        let mut n = 0u64;
        loop {
            let r = f.read(&mut buf).await.map_err(|e| ObjectError::Io {
                what: file.display().to_string(),
                source: e,
            })?;
            if r == 0 {
                break;
            }
            w.wait_for_capacity(4)
                .await
                .map_err(|e| ObjectError::store(store, "put", e))?;
            w.write(&buf[..r]);
            n += r as u64;
        }
        w.finish()
            .await
            .map_err(|e| ObjectError::store(store, "put", e))?;
        Ok(n)
    }

    /// Writes a small object from memory (indexes).
    pub async fn put_bytes(
        &self,
        store: &str,
        key: &str,
        bytes: Vec<u8>,
    ) -> Result<(), ObjectError> {
        let s = self.get(store)?;
        s.inner
            .put(&Self::path(s, key), bytes.into())
            .await
            .map_err(|e| ObjectError::store(store, "put", e))?;
        Ok(())
    }

    /// Size of an object, or `None` when it is missing.
    pub async fn size(&self, store: &str, key: &str) -> Result<Option<u64>, ObjectError> {
        let s = self.get(store)?;
        match s.inner.head(&Self::path(s, key)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(ObjectError::store(store, "head", e)),
        }
    }

    /// The whole object as a stream of chunks.
    pub async fn stream(
        &self,
        store: &str,
        key: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, ObjectError>>, ObjectError> {
        let s = self.get(store)?;
        let r = s
            .inner
            .get(&Self::path(s, key))
            .await
            .map_err(|e| ObjectError::store(store, "get", e))?;
        let name = store.to_string();
        Ok(r.into_stream()
            .map_err(move |e| ObjectError::store(&name, "read", e))
            .boxed())
    }

    /// A byte range of an object.
    pub async fn range(
        &self,
        store: &str,
        key: &str,
        range: Range<u64>,
    ) -> Result<Bytes, ObjectError> {
        let s = self.get(store)?;
        s.inner
            .get_range(&Self::path(s, key), range)
            .await
            .map_err(|e| ObjectError::store(store, "get range", e))
    }

    /// SHA-256 and size of what is stored (the scrub's check).
    pub async fn digest(
        &self,
        store: &str,
        key: &str,
    ) -> Result<Option<(String, u64)>, ObjectError> {
        let s = self.get(store)?;
        let r = match s.inner.get(&Self::path(s, key)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(ObjectError::store(store, "get", e)),
        };
        let mut h = Sha256::new();
        let mut n = 0u64;
        let mut st = r.into_stream();
        while let Some(chunk) = st
            .try_next()
            .await
            .map_err(|e| ObjectError::store(store, "read", e))?
        {
            n += chunk.len() as u64;
            h.update(&chunk);
        }
        Ok(Some((hex::encode(h.finalize()), n)))
    }

    /// Copies an object from one store to another (the scrub's repair),
    /// streamed.
    pub async fn copy(&self, from: &str, to: &str, key: &str) -> Result<u64, ObjectError> {
        let src = self.get(from)?;
        let dst = self.get(to)?;
        let r = src
            .inner
            .get(&Self::path(src, key))
            .await
            .map_err(|e| ObjectError::store(from, "get", e))?;
        let upload = dst
            .inner
            .put_multipart(&Self::path(dst, key))
            .await
            .map_err(|e| ObjectError::store(to, "put", e))?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
        let mut st = r.into_stream();
        let mut n = 0u64;
        while let Some(chunk) = st
            .try_next()
            .await
            .map_err(|e| ObjectError::store(from, "read", e))?
        {
            w.wait_for_capacity(4)
                .await
                .map_err(|e| ObjectError::store(to, "put", e))?;
            n += chunk.len() as u64;
            w.put(chunk);
        }
        w.finish()
            .await
            .map_err(|e| ObjectError::store(to, "put", e))?;
        Ok(n)
    }

    /// Deletes an object (missing is fine).
    pub async fn delete(&self, store: &str, key: &str) -> Result<(), ObjectError> {
        let s = self.get(store)?;
        match s.inner.delete(&Self::path(s, key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(ObjectError::store(store, "delete", e)),
        }
    }
}

/// Makes a file at `dest` so that readers never see half of it: `fill`
/// writes it under a temporary name beside `dest` (or returns `None` to give
/// up), then a rename and a sync of the directory make it visible and
/// durable. Runs on a blocking thread.
async fn place_local<T: Send + 'static>(
    dest: std::path::PathBuf,
    fill: impl FnOnce(&std::path::Path) -> std::io::Result<Option<T>> + Send + 'static,
) -> Result<Option<T>, ObjectError> {
    let what = dest.display().to_string();
    tokio::task::spawn_blocking(move || -> std::io::Result<Option<T>> {
        let dir = dest.parent().expect("keys have directories").to_path_buf();
        std::fs::create_dir_all(&dir)?;
        let name = dest
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("object");
        let tmp = dir.join(format!(".{name}.partial"));
        let Some(v) = fill(&tmp)? else {
            return Ok(None);
        };
        std::fs::rename(&tmp, &dest)?;
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(Some(v))
    })
    .await
    .map_err(|e| ObjectError::Io {
        what: what.clone(),
        source: std::io::Error::other(e),
    })?
    .map_err(|e| ObjectError::Io { what, source: e })
}
