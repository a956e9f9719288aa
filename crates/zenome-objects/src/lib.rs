//! Zenome's object storage: named stores reached through the `object_store`
//! crate — local directories by default, any S3-compatible service in
//! production — content-addressed keys, and the few operations the ingest,
//! download and scrub paths need (streamed writes from a local file, full
//! and ranged reads, digests of what is stored, copies between stores).
//!
//! What is stored here is always Crypt4GH ciphertext; this crate never sees
//! a key and never decides who may read.
//!
//! No write here ever replaces an object: a key that exists already is
//! refused with [`ObjectError::Exists`] (local stores publish with a hard
//! link, which fails on an existing name; S3 writes up to [`ATOMIC_PUT`]
//! bytes with `If-None-Match: *`, larger ones after a check, on keys that
//! are unique to one registration). Replacing a copy known to be corrupt is
//! an explicit [`Stores::delete`] first.

mod error;
mod write_once;

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutMode, PutOptions, WriteMultipart};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

pub use error::ObjectError;
pub use write_once::{Listed, PutOnce};

/// One configured store. Its `Debug` masks secret options, so a logged
/// configuration never carries a key.
#[derive(Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
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

impl std::fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = self.redacted();
        f.debug_struct("StoreSpec")
            .field("name", &r.name)
            .field("url", &r.url)
            .field("options", &r.options)
            .finish()
    }
}

/// The S3 options for a store: the `AWS_*` environment first (as the AWS
/// tools read it: keys, region, endpoint…), then the store's own options,
/// which win. Keys are lower-cased and take the `aws_` prefix.
fn s3_options(
    configured: &BTreeMap<String, String>,
    env: impl Iterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    let mut opts: BTreeMap<String, String> = env
        .filter(|(k, _)| k.starts_with("AWS_"))
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .collect();
    for (k, v) in configured {
        let k = k.to_ascii_lowercase();
        let k = if k.starts_with("aws_") {
            k
        } else {
            format!("aws_{k}")
        };
        opts.insert(k, v.clone());
    }
    opts
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

/// Objects up to this size are written to S3 in one conditional request
/// (`If-None-Match: *`: atomic create-if-absent); larger ones in parts, after
/// checking that the key is free.
pub const ATOMIC_PUT: u64 = 8 * 1024 * 1024;

/// The key of one registration of content with this plaintext SHA-256:
/// `sha256/ab/abcd….<registration>.c4gh`. Every registration (upload) has
/// a key of its own, so identical content sent twice never lands on the same
/// key — each upload's Crypt4GH ciphertext differs.
pub fn object_key(sha256_hex: &str, registration: &str) -> String {
    let p = sha256_hex.get(..2).unwrap_or("00");
    format!("sha256/{p}/{sha256_hex}.{registration}.c4gh")
}

/// The key of the sealed htsget index of one registration.
pub fn object_index_key(sha256_hex: &str, registration: &str) -> String {
    let p = sha256_hex.get(..2).unwrap_or("00");
    format!("sha256/{p}/{sha256_hex}.{registration}.index")
}

/// The key of the sealed index of the object with this plaintext SHA-256
/// (the layout before keys named their registration; still read).
pub fn index_key(sha256_hex: &str) -> String {
    let p = sha256_hex.get(..2).unwrap_or("00");
    format!("sha256/{p}/{sha256_hex}.index")
}

/// The key of an object with this plaintext SHA-256: `sha256/ab/abcd….c4gh`
/// (the layout before keys named their registration; still read).
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
                    let opts = s3_options(&s.options, std::env::vars());
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
        let placed = place_local(store, key, root.join(key), move |tmp| {
            // another filesystem (or no hard links there): the caller copies
            Ok(std::fs::hard_link(&src, tmp).ok())
        })
        .await?;
        Ok(placed.is_some())
    }

    /// Writes a local file to `key` in `store`, streamed in parts (memory
    /// stays flat). Readers see the object only once it is complete. A key
    /// that exists already is refused ([`ObjectError::Exists`]).
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
            let n = place_local(store, key, root.join(key), move |tmp| {
                let n = std::fs::copy(&src, tmp)?;
                std::fs::File::open(tmp)?.sync_all()?;
                Ok(Some(n))
            })
            .await?;
            return Ok(n.unwrap_or(0));
        }
        let path = Self::path(s, key);
        let io = |e| ObjectError::Io {
            what: file.display().to_string(),
            source: e,
        };
        let len = tokio::fs::metadata(file).await.map_err(io)?.len();
        if len <= ATOMIC_PUT {
            let bytes = tokio::fs::read(file).await.map_err(io)?;
            put_create(s, store, &path, bytes.into()).await?;
            return Ok(len);
        }
        refuse_existing(s, store, &path).await?;
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

    /// Writes a small object from memory (indexes), only if the key is free.
    pub async fn put_bytes(
        &self,
        store: &str,
        key: &str,
        bytes: Vec<u8>,
    ) -> Result<(), ObjectError> {
        let s = self.get(store)?;
        put_create(s, store, &Self::path(s, key), bytes.into()).await
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
    /// streamed. The destination key must be free ([`ObjectError::Exists`]
    /// otherwise): a corrupt copy is deleted before it is replaced.
    pub async fn copy(&self, from: &str, to: &str, key: &str) -> Result<u64, ObjectError> {
        let src = self.get(from)?;
        let dst = self.get(to)?;
        let r = src
            .inner
            .get(&Self::path(src, key))
            .await
            .map_err(|e| ObjectError::store(from, "get", e))?;
        let size = r.meta.size;
        let mut st = r.into_stream();
        if let Some(root) = &dst.local_root {
            let dest = root.join(key);
            let tmp = temp_beside(&dest);
            let what = |e| ObjectError::Io {
                what: dest.display().to_string(),
                source: e,
            };
            if let Some(dir) = dest.parent() {
                tokio::fs::create_dir_all(dir).await.map_err(what)?;
            }
            let mut f = tokio::fs::File::create(&tmp).await.map_err(what)?;
            let mut n = 0u64;
            let written = async {
                while let Some(chunk) = st
                    .try_next()
                    .await
                    .map_err(|e| ObjectError::store(from, "read", e))?
                {
                    n += chunk.len() as u64;
                    tokio::io::AsyncWriteExt::write_all(&mut f, &chunk)
                        .await
                        .map_err(what)?;
                }
                f.sync_all().await.map_err(what)?;
                Ok::<_, ObjectError>(())
            }
            .await;
            if let Err(e) = written {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
            let (store, k) = (to.to_string(), key.to_string());
            tokio::task::spawn_blocking(move || publish(&tmp, &dest))
                .await
                .map_err(|e| ObjectError::Io {
                    what: k.clone(),
                    source: std::io::Error::other(e),
                })?
                .map_err(|e| local_error(&store, &k, e))?;
            return Ok(n);
        }
        let path = Self::path(dst, key);
        if size <= ATOMIC_PUT {
            let mut buf = Vec::with_capacity(size as usize);
            while let Some(chunk) = st
                .try_next()
                .await
                .map_err(|e| ObjectError::store(from, "read", e))?
            {
                buf.extend_from_slice(&chunk);
            }
            let n = buf.len() as u64;
            put_create(dst, to, &path, buf.into()).await?;
            return Ok(n);
        }
        refuse_existing(dst, to, &path).await?;
        let upload = dst
            .inner
            .put_multipart(&path)
            .await
            .map_err(|e| ObjectError::store(to, "put", e))?;
        let mut w = WriteMultipart::new_with_chunk_size(upload, 8 * 1024 * 1024);
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

    /// Removes what interrupted writes left in the local stores: the
    /// `.NAME.partial` files that [`Stores::put_file`] and
    /// [`Stores::link_file`] write before their rename, and the `NAME#N`
    /// files object_store's local backend stages its writes in (indexes,
    /// repairs), when older than `before` (so a write in progress is never
    /// touched). Returns the paths removed.
    pub async fn remove_partials(
        &self,
        before: std::time::SystemTime,
    ) -> Result<Vec<std::path::PathBuf>, ObjectError> {
        let roots: Vec<std::path::PathBuf> = self
            .stores
            .values()
            .filter_map(|s| s.local_root.clone())
            .collect();
        tokio::task::spawn_blocking(move || {
            let mut removed = Vec::new();
            let mut stack = roots;
            while let Some(dir) = stack.pop() {
                let entries = std::fs::read_dir(&dir).map_err(|e| ObjectError::Io {
                    what: dir.display().to_string(),
                    source: e,
                })?;
                for entry in entries.flatten() {
                    let path = entry.path();
                    let Ok(kind) = entry.file_type() else {
                        continue;
                    };
                    if kind.is_dir() {
                        stack.push(path);
                        continue;
                    }
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    let old = entry
                        .metadata()
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < before);
                    let ours = name.starts_with('.') && name.ends_with(".partial");
                    let staged = name.rsplit_once('#').is_some_and(|(_, n)| {
                        !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
                    });
                    if (ours || staged) && old {
                        std::fs::remove_file(&path).map_err(|e| ObjectError::Io {
                            what: path.display().to_string(),
                            source: e,
                        })?;
                        removed.push(path);
                    }
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| ObjectError::Io {
            what: "local stores".into(),
            source: std::io::Error::other(e),
        })?
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

/// Writes `bytes` to `path` only if nothing is there (`If-None-Match: *`
/// on S3, a hard link locally).
async fn put_create(
    s: &Store,
    store: &str,
    path: &ObjectPath,
    bytes: object_store::PutPayload,
) -> Result<(), ObjectError> {
    let opts = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    s.inner
        .put_opts(path, bytes, opts)
        .await
        .map_err(|e| ObjectError::store(store, "put", e))?;
    Ok(())
}

/// Refuses a key that holds an object already (before a write in parts,
/// which S3 cannot make conditional).
async fn refuse_existing(s: &Store, store: &str, path: &ObjectPath) -> Result<(), ObjectError> {
    match s.inner.head(path).await {
        Ok(_) => Err(ObjectError::Exists {
            store: store.to_string(),
            key: path.to_string(),
        }),
        Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(ObjectError::store(store, "head", e)),
    }
}

/// A temporary name beside `dest`, unique to this write.
fn temp_beside(dest: &std::path::Path) -> std::path::PathBuf {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("object");
    dest.with_file_name(format!(".{name}.{}-{n}.partial", std::process::id()))
}

/// Gives the complete, synced file `tmp` its name `dest` without ever
/// replacing what is there (a hard link fails on an existing name), then
/// removes `tmp` and syncs the directory.
fn publish(tmp: &std::path::Path, dest: &std::path::Path) -> std::io::Result<()> {
    let linked = std::fs::hard_link(tmp, dest);
    let _ = std::fs::remove_file(tmp);
    linked?;
    if let Some(dir) = dest.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

fn local_error(store: &str, key: &str, e: std::io::Error) -> ObjectError {
    if e.kind() == std::io::ErrorKind::AlreadyExists {
        ObjectError::Exists {
            store: store.to_string(),
            key: key.to_string(),
        }
    } else {
        ObjectError::Io {
            what: key.to_string(),
            source: e,
        }
    }
}

/// Makes a file at `dest` so that readers never see half of it and nothing
/// there is replaced: `fill` writes it under a temporary name beside `dest`
/// (or returns `None` to give up), then [`publish`] gives it its name. Runs
/// on a blocking thread. An existing `dest` is [`ObjectError::Exists`].
async fn place_local<T: Send + 'static>(
    store: &str,
    key: &str,
    dest: std::path::PathBuf,
    fill: impl FnOnce(&std::path::Path) -> std::io::Result<Option<T>> + Send + 'static,
) -> Result<Option<T>, ObjectError> {
    let (st, k) = (store.to_string(), key.to_string());
    tokio::task::spawn_blocking(move || -> std::io::Result<Option<T>> {
        let dir = dest.parent().expect("keys have directories").to_path_buf();
        std::fs::create_dir_all(&dir)?;
        if dest.exists() {
            return Err(std::io::Error::from(std::io::ErrorKind::AlreadyExists));
        }
        let tmp = temp_beside(&dest);
        let v = match fill(&tmp) {
            Ok(Some(v)) => v,
            Ok(None) => {
                let _ = std::fs::remove_file(&tmp);
                return Ok(None);
            }
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
        };
        publish(&tmp, &dest)?;
        Ok(Some(v))
    })
    .await
    .map_err(|e| ObjectError::Io {
        what: k.clone(),
        source: std::io::Error::other(e),
    })?
    .map_err(|e| local_error(&st, &k, e))
}

#[cfg(test)]
mod spec_tests {
    use super::*;

    /// The README told operators to give S3 keys in `AWS_*` variables, but
    /// the stores read only their configured options.
    #[test]
    fn s3_keys_come_from_the_environment_unless_configured() {
        let configured: BTreeMap<String, String> = [
            ("endpoint".to_string(), "http://127.0.0.1:9".to_string()),
            ("AWS_REGION".to_string(), "ap-northeast-1".to_string()),
        ]
        .into();
        let env = [
            ("AWS_ACCESS_KEY_ID", "from-env"),
            ("AWS_SECRET_ACCESS_KEY", "env-secret"),
            ("AWS_REGION", "us-east-1"),
            ("HOME", "/root"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let o = s3_options(&configured, env.into_iter());
        assert_eq!(o["aws_access_key_id"], "from-env");
        assert_eq!(o["aws_secret_access_key"], "env-secret");
        assert_eq!(o["aws_region"], "ap-northeast-1", "configured wins");
        assert_eq!(o["aws_endpoint"], "http://127.0.0.1:9");
        assert!(!o.contains_key("home"));
    }

    /// A store's secret options were printed by `{:?}` of the configuration.
    #[test]
    fn debug_of_a_store_masks_its_secrets() {
        let spec = StoreSpec {
            name: "cold".into(),
            url: "s3://bucket".into(),
            options: [
                ("secret_access_key".to_string(), "s3cr3t".to_string()),
                ("region".to_string(), "ap-northeast-1".to_string()),
            ]
            .into(),
        };
        let shown = format!("{spec:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("ap-northeast-1"), "{shown}");
    }
}
