//! The variant store on an object store (issue 8 §3): the local directory is
//! the working copy the kernel reads; `[variants] object_url` names where
//! the store is kept durably and where other engines (DuckDB, Spark, Trino)
//! read it. Data files are published under their store-relative paths, each
//! written once; then the manifest is written once as `log/<n>.json`, `n`
//! being its number of batches (zero-padded), so the newest log entry is the
//! store in force and a file not listed by it is a leftover of an
//! unfinished publish. A node whose working copy is behind (a new machine,
//! a lost disk) fetches the missing files and installs the newest manifest
//! at start-up.

use std::collections::HashMap;
use std::path::Path;

use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;
use zenome_objects::{ObjectError, PutOnce, Stores};
use zenome_variants::Manifest;
use zenome_variants::Store as VariantStore;

use crate::{App, AppError};

const NAME: &str = "variants";
const LOG: &str = "log";

/// What a publish or a catch-up did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplicaSync {
    /// Data files written to the object store.
    pub published: usize,
    /// Data files fetched into the working copy.
    pub fetched: usize,
    /// Batches in the store in force afterwards.
    pub batches: usize,
}

fn obj(e: ObjectError) -> AppError {
    AppError::Internal(format!("variant object store: {e}"))
}

fn diverged(n: usize) -> AppError {
    AppError::Conflict {
        field: None,
        message: format!(
            "the variant object store already holds a different store at batch {n} \
             (log/{n:08}.json); this node's working copy diverged"
        ),
    }
}

async fn sha256_of(path: &Path) -> Result<String, AppError> {
    use sha2::Digest;
    let p = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut f = std::fs::File::open(&p)?;
        let mut h = sha2::Sha256::new();
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let k = f.read(&mut buf)?;
            if k == 0 {
                break;
            }
            h.update(&buf[..k]);
        }
        Ok::<_, std::io::Error>(hex::encode(h.finalize()))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(format!("{}: {e}", path.display())))
}

fn log_key(n: usize) -> String {
    format!("{LOG}/{n:08}.json")
}

/// The newest manifest in the log, if any.
async fn newest(stores: &Stores) -> Result<Option<Manifest>, AppError> {
    let keys = stores.list_keys(NAME, LOG).await.map_err(obj)?;
    let Some(last) = keys.iter().rfind(|k| k.key.ends_with(".json")) else {
        return Ok(None);
    };
    let bytes = stores
        .read_all(NAME, &last.key)
        .await
        .map_err(obj)?
        .ok_or_else(|| AppError::Internal(format!("variant log {} vanished", last.key)))?;
    Manifest::parse(&bytes)
        .map(Some)
        .map_err(|e| AppError::Internal(format!("variant log {}: {e}", last.key)))
}

async fn local_manifest(dir: &Path) -> Result<Manifest, AppError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || VariantStore::open(&dir).map(|s| s.manifest().clone()))
        .await
        .map_err(|e| AppError::Internal(format!("variant store: {e}")))?
        .map_err(|e| AppError::Internal(format!("variant store: {e}")))
}

impl App {
    fn variant_replica(&self) -> Result<Option<Stores>, AppError> {
        let Some(spec) = self.config().variant_object_store() else {
            return Ok(None);
        };
        Stores::open(&[spec]).map(Some).map_err(obj)
    }

    /// Publishes the working copy's batches to `[variants] object_url`
    /// (nothing when it is not set): the missing data files first, then the
    /// manifest as the next log entry. Safe to repeat and to interrupt: a
    /// file already there with the same size is kept, and until the log
    /// entry exists readers see the previous store.
    pub async fn publish_variant_store(&self) -> Result<ReplicaSync, AppError> {
        let Some(stores) = self.variant_replica()? else {
            return Ok(ReplicaSync::default());
        };
        let dir = self.config().variant_store_dir();
        if !dir.join("manifest.json").exists() {
            return Ok(ReplicaSync::default());
        }
        let manifest = local_manifest(&dir).await?;
        let n = manifest.batches.len();
        // the store in force there must be this one's past (or present)
        let remote = newest(&stores).await?;
        let mut covered = std::collections::HashSet::new();
        if let Some(r) = &remote {
            let k = r.batches.len().min(n);
            if r.batches[..k] != manifest.batches[..k] {
                return Err(diverged(n.max(1)));
            }
            if r.batches.len() >= n {
                return Ok(ReplicaSync {
                    batches: r.batches.len(),
                    ..Default::default()
                });
            }
            covered.extend(r.data_files());
        }
        let mut there: HashMap<String, u64> = HashMap::new();
        for prefix in ["samples", "variants"] {
            for k in stores.list_keys(NAME, prefix).await.map_err(obj)? {
                there.insert(k.key, k.size);
            }
        }
        let mut published = 0;
        for f in manifest.data_files() {
            if covered.contains(&f) {
                continue;
            }
            let local = dir.join(&f);
            if there.contains_key(&f) {
                // a leftover of a publish that did not reach its log entry:
                // kept when it is this very file, else replaced
                let (mine, theirs) = (
                    sha256_of(&local).await?,
                    stores.digest(NAME, &f).await.map_err(obj)?,
                );
                if theirs.as_ref().is_some_and(|(h, _)| *h == mine) {
                    continue;
                }
                stores.delete(NAME, &f).await.map_err(obj)?;
            }
            stores.put_file(NAME, &f, &local).await.map_err(obj)?;
            published += 1;
        }
        let n = manifest.batches.len();
        if n > 0 {
            let key = log_key(n);
            if stores
                .put_once(NAME, &key, manifest.to_bytes())
                .await
                .map_err(obj)?
                == PutOnce::Exists
            {
                let theirs = stores.read_all(NAME, &key).await.map_err(obj)?;
                let theirs = theirs
                    .as_deref()
                    .map(Manifest::parse)
                    .transpose()
                    .map_err(|e| AppError::Internal(format!("variant log {key}: {e}")))?;
                if theirs.as_ref() != Some(&manifest) {
                    return Err(diverged(n));
                }
            }
        }
        Ok(ReplicaSync {
            published,
            fetched: 0,
            batches: n,
        })
    }

    /// Brings the working copy up to the newest manifest of
    /// `[variants] object_url` (nothing when it is not set or the copy is
    /// current): missing data files are fetched (each to a temporary name,
    /// then renamed), then the manifest is installed. A working copy ahead
    /// of the object store (a publish that did not finish) is published.
    pub async fn sync_variant_store(&self) -> Result<ReplicaSync, AppError> {
        let Some(stores) = self.variant_replica()? else {
            return Ok(ReplicaSync::default());
        };
        let dir = self.config().variant_store_dir();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
        let mine = local_manifest(&dir).await?;
        let Some(remote) = newest(&stores).await? else {
            return self.publish_variant_store().await;
        };
        if mine.batches.len() >= remote.batches.len() {
            if mine.batches.len() > remote.batches.len() {
                return self.publish_variant_store().await;
            }
            return Ok(ReplicaSync {
                batches: mine.batches.len(),
                ..Default::default()
            });
        }
        let mut fetched = 0;
        for f in remote.data_files() {
            let path = dir.join(&f);
            if path.is_file() {
                continue;
            }
            let parent = path.parent().expect("a relative file path");
            tokio::fs::create_dir_all(parent)
                .await
                .map_err(|e| AppError::Internal(format!("{}: {e}", parent.display())))?;
            let tmp = path.with_extension("parquet.tmp");
            let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", tmp.display()));
            let mut out = tokio::fs::File::create(&tmp).await.map_err(io)?;
            let mut s = stores.stream(NAME, &f).await.map_err(obj)?;
            while let Some(chunk) = s.next().await {
                out.write_all(&chunk.map_err(obj)?).await.map_err(io)?;
            }
            out.sync_all().await.map_err(io)?;
            drop(out);
            tokio::fs::rename(&tmp, &path).await.map_err(io)?;
            fetched += 1;
        }
        let batches = remote.batches.len();
        let d = dir.clone();
        tokio::task::spawn_blocking(move || {
            zenome_variants::replica::install_manifest(&d, &remote)
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant store: {e}")))?
        .map_err(|e| AppError::Internal(format!("variant store: {e}")))?;
        Ok(ReplicaSync {
            published: 0,
            fetched,
            batches,
        })
    }
}
