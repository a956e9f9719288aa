//! Resumable uploads (the tus protocol's model: create, then append bytes
//! at the offset the server acknowledged). While the bytes arrive they are
//! hashed (MD5 and SHA-256 in one pass), fed to the format validator on a
//! blocking thread, and encrypted in Crypt4GH segments to a staging file;
//! the unencrypted tail of a segment is kept sealed on disk, so every byte
//! acknowledged survives a crash. When the last byte is in, the checksums
//! are compared with the declared ones, QC is judged, the encrypted object
//! is copied to its stores and only then — one transaction — registered.
//! A rejected or cancelled upload leaves nothing visible, not even the
//! placeholder it made. A request that never ended (its client vanished)
//! leaves its in-memory session marked dirty: the next request rebuilds it
//! from the staged bytes, so the hashes and the validator always continue
//! exactly at the acknowledged offset. After a crash, `recover_uploads`
//! finishes uploads whose bytes were all durable and removes partial files.
//! A joint-called VCF's columns are those declared with its placeholder
//! (`vcf_samples`), checked again as it completes; a VCF that is stored and
//! passes QC then goes on into the variant store in the background
//! (`App::load_after_ingest`).

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use md5::Md5;
use serde_json::json;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use zenome_domain::lineage::{FileFormat, FileState, LineageNode, NodeDetails, NodeId};
use zenome_domain::role::Role;
use zenome_formats::{Format, FormatError, Qc};
use zenome_store::{AuditEntry, ObjectRow, UploadRow};

use super::segments::{self, CIPHER_SEGMENT, SEGMENT};
use crate::lineage::{NewNode, NodeRef};
use crate::{Actor, App, AppError, policy};

/// An upload to start.
#[derive(Debug, Clone, Default)]
pub struct NewUpload {
    /// File name (no directories).
    pub file_name: String,
    /// Total length in bytes.
    pub length: u64,
    /// An expected file placeholder to fill…
    pub node: Option<NodeId>,
    /// …or the parent to create the file node under (a run, or the FASTQ or
    /// CRAM it was made from).
    pub parent: Option<NodeId>,
    /// The format, when creating the node.
    pub format: Option<FileFormat>,
    /// Declared MD5 (hex).
    pub md5: Option<String>,
    /// Declared SHA-256 (hex).
    pub sha256: Option<String>,
    /// Pipeline and version that made the file (R5.1).
    pub pipeline: Option<String>,
    /// Reference genome version (R5.1).
    pub reference: Option<String>,
    /// For a VCF placeholder created with the upload (`parent`): the other
    /// samples of a joint call (see [`App::register_node_with_members`]).
    pub members: Vec<NodeRef>,
}

/// What start-up recovery did ([`App::recover_uploads`]).
#[derive(Debug, Clone, Default)]
pub struct Recovery {
    /// Uploads whose bytes were all durable, finished now: id and the state
    /// they ended in (`stored`, or `rejected`).
    pub finished: Vec<(String, String)>,
    /// Uploads that could not be finished now (logged; tried again on their
    /// next `HEAD`, `PATCH` or start-up).
    pub failed: Vec<String>,
    /// Partial files of interrupted copies removed from the local stores.
    pub partials: Vec<PathBuf>,
    /// Staging areas of uploads that had ended, removed.
    pub stale_staging: Vec<String>,
}

/// The state of an upload in memory between requests.
pub(crate) struct Session {
    format: FileFormat,
    md5: Md5,
    received: u64,
    validator: Option<Validator>,
    indexer: Option<Indexer>,
    /// Whether the bytes were sniffed (the validator starts once [`DETECT`]
    /// bytes, or the whole file, are in).
    started: bool,
    /// The first bytes, gathered until the format can be told from them.
    head: Vec<u8>,
    writer: Option<super::staging::Writer>,
    /// Set while a request feeds the session, cleared once the offset it
    /// reached is durable. A request dropped half way (its client went away)
    /// leaves it set: the hashes and the validator may then have seen bytes
    /// the server never acknowledged, so the next request rebuilds the
    /// session from the staged bytes instead of continuing this one.
    dirty: bool,
}

/// Bytes gathered before the format is told from them: a whole BGZF block,
/// so a first request cut after a few bytes cannot make the file unreadable.
const DETECT: usize = 64 * 1024;

impl Session {
    /// Stops the session's threads; the staging writer has let go of the
    /// file when this returns.
    async fn abandon(mut self) {
        if let Some(v) = self.validator.take() {
            drop(v.tx);
        }
        if let Some(ix) = self.indexer.take() {
            drop(ix.tx);
        }
        if let Some(w) = self.writer.take() {
            w.abandon().await;
        }
    }
}

struct Validator {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    handle: tokio::task::JoinHandle<Result<Qc, FormatError>>,
}

/// Builds the htsget index of an indexable file from the same bytes.
struct Indexer {
    tx: tokio::sync::mpsc::Sender<Bytes>,
    handle: tokio::task::JoinHandle<Result<Vec<u8>, zenome_htsget::HtsgetError>>,
}

fn indexable(f: Format) -> Option<zenome_htsget::Format> {
    match f {
        Format::Bam => Some(zenome_htsget::Format::Bam),
        Format::Cram => Some(zenome_htsget::Format::Cram),
        Format::VcfGz => Some(zenome_htsget::Format::VcfGz),
        Format::Bcf => Some(zenome_htsget::Format::Bcf),
        _ => None,
    }
}

/// A `Read` over chunks sent from async code (the validator's input).
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Bytes>,
    cur: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.cur.is_empty() {
            match self.rx.blocking_recv() {
                Some(b) => self.cur = b,
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.cur.len());
        buf[..n].copy_from_slice(&self.cur[..n]);
        self.cur = self.cur.slice(n..);
        Ok(n)
    }
}

/// Sessions by upload id.
#[derive(Default)]
pub(crate) struct Sessions(
    std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Session>>>>>,
);

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sessions")
    }
}

impl Sessions {
    fn slot(&self, id: &str) -> Arc<tokio::sync::Mutex<Option<Session>>> {
        self.0
            .lock()
            .expect("sessions")
            .entry(id.to_string())
            .or_default()
            .clone()
    }

    fn forget(&self, id: &str) {
        self.0.lock().expect("sessions").remove(id);
    }
}

/// Why a second upload of identical content is refused.
fn duplicate_message(o: &ObjectRow) -> String {
    format!(
        "identical content is already stored as object {} ({}, file node {}); it is not stored twice",
        o.id, o.name, o.node_id
    )
}

/// Whether a file has other names (a hard link into a local store).
fn linked_elsewhere(p: &std::path::Path) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(std::fs::metadata(p)?.nlink() > 1)
    }
    #[cfg(not(unix))]
    {
        let _ = p;
        Ok(false)
    }
}

/// Characters that make a name display other than it is: control
/// characters and the Unicode bidirectional controls (embeddings,
/// overrides, isolates, marks), which can make `evil\u{202E}txt.fastq` read
/// as `evilqtsaf.txt`.
fn hidden_in_names(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

fn hex_ok(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn family_of(f: Format) -> FileFormat {
    match f {
        Format::Fastq | Format::FastqGz => FileFormat::Fastq,
        Format::Bam => FileFormat::Bam,
        Format::Cram => FileFormat::Cram,
        Format::Vcf | Format::VcfGz | Format::Bcf => FileFormat::Vcf,
    }
}

impl App {
    fn staging(&self, id: &str) -> PathBuf {
        self.config().data_dir.join("staging").join(id)
    }

    /// Starts an upload: checks who asks and what for, creates the file's
    /// lineage node if needed, and opens the staging area.
    pub async fn create_upload(&self, actor: &Actor, nu: NewUpload) -> Result<UploadRow, AppError> {
        let centre = policy::run_submitter(actor)?;
        let name = nu.file_name.trim().to_string();
        if name.is_empty()
            || name.len() > 255
            || name.contains(['/', '\\', '\0'])
            || name.starts_with('.')
        {
            return Err(AppError::invalid(
                "filename",
                "a plain file name (no directories), 1 to 255 bytes",
            ));
        }
        if let Some(c) = name.chars().find(|&c| hidden_in_names(c)) {
            return Err(AppError::invalid(
                "filename",
                format!(
                    "U+{:04X} is a control or bidirectional formatting character, not allowed in a file name",
                    u32::from(c)
                ),
            ));
        }
        if nu.length == 0 {
            return Err(AppError::invalid(
                "length",
                "an empty file is not a sequencing file",
            ));
        }
        if nu.length > self.config().files.max_upload_bytes {
            return Err(AppError::invalid(
                "length",
                format!("at most {} bytes", self.config().files.max_upload_bytes),
            ));
        }
        let md5 = nu.md5.as_deref().map(|s| s.trim().to_ascii_lowercase());
        let sha256 = nu.sha256.as_deref().map(|s| s.trim().to_ascii_lowercase());
        if md5.as_deref().is_some_and(|m| !hex_ok(m, 32)) {
            return Err(AppError::invalid("md5", "32 hexadecimal digits"));
        }
        if sha256.as_deref().is_some_and(|m| !hex_ok(m, 64)) {
            return Err(AppError::invalid("sha256", "64 hexadecimal digits"));
        }
        if md5.is_none() && sha256.is_none() {
            return Err(AppError::invalid(
                "md5",
                "declare the file's MD5 or SHA-256 so it can be verified end to end",
            ));
        }
        if let Some(sha) = &sha256
            && let Some(o) = self.identical_object(actor, sha).await?
        {
            return Err(AppError::Conflict {
                field: Some("sha256".into()),
                message: duplicate_message(&o),
            });
        }
        let node: LineageNode = match (&nu.node, &nu.parent) {
            (Some(_), None) if !nu.members.is_empty() => {
                return Err(AppError::invalid(
                    "members",
                    "members are declared when the placeholder is registered, not on its upload",
                ));
            }
            (Some(id), None) => {
                let n = self
                    .store()
                    .node(id)
                    .await?
                    .ok_or(AppError::NotFound("node"))?;
                // scope first: another centre's node answers like an absent one
                self.check_run_scope(&centre, &n.id).await?;
                match n.details {
                    NodeDetails::File {
                        state: FileState::Expected,
                        ..
                    } => {}
                    NodeDetails::File { .. } => {
                        return Err(AppError::Conflict {
                            field: Some("node".into()),
                            message: "this file has been received already".into(),
                        });
                    }
                    _ => return Err(AppError::invalid("node", "not a file placeholder")),
                }
                n
            }
            (None, Some(parent)) => {
                let format = nu.format.ok_or_else(|| {
                    AppError::invalid("format", "say which format the file is in")
                })?;
                self.register_node_with_members(
                    actor,
                    NewNode {
                        participant: None,
                        parent: Some(NodeRef::Id(parent.clone())),
                        barcode: None,
                        details: NodeDetails::File {
                            format,
                            state: FileState::Expected,
                        },
                    },
                    &nu.members,
                )
                .await?
            }
            _ => {
                return Err(AppError::invalid(
                    "node",
                    "name the file placeholder (node) or its parent (parent), not both",
                ));
            }
        };
        let NodeDetails::File { format, .. } = node.details else {
            return Err(AppError::invalid("node", "not a file"));
        };
        if nu.format.is_some_and(|f| f != format) {
            return Err(AppError::invalid(
                "format",
                format!("the placeholder expects {format}"),
            ));
        }
        if self.store().participant(&node.participant).await?.is_none() {
            return Err(AppError::NotFound("node"));
        }
        let id = uuid::Uuid::now_v7().to_string();
        let dir = self.staging(&id);
        // the header fixes the data key; later segments (and a restart) use it
        let header =
            zenome_crypt4gh::Encryptor::new(&self.inner.c4gh, &[self.inner.c4gh.public()]).header();
        let d = dir.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            std::fs::create_dir_all(&d)?;
            let mut f = std::fs::File::create(d.join("body.c4gh"))?;
            f.write_all(&header)?;
            f.sync_all()
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("staging {}: {e}", dir.display())))?;
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor.audit_name(), "upload.create", format!("upload:{id}"))
                    .with_detail(json!({ "node": node.id.as_str(), "file_name": name, "length": nu.length, "format": format.as_str() })),
            )
            .await?;
        let row = UploadRow {
            id: id.clone(),
            uploader: actor.username.clone(),
            node_id: node.id.to_string(),
            file_name: name,
            format: format.as_str().into(),
            length: i64::try_from(nu.length)
                .map_err(|_| AppError::invalid("length", "too large"))?,
            received: 0,
            declared_md5: md5,
            declared_sha256: sha256,
            pipeline: nu.pipeline.filter(|s| !s.trim().is_empty()),
            reference: nu.reference.filter(|s| !s.trim().is_empty()),
            state: "receiving".into(),
            error: None,
            object_id: None,
            created_at: tx.at(),
            created_node: nu.node.is_none(),
        };
        tx.insert_upload(&row).await?;
        tx.commit().await?;
        Ok(row)
    }

    /// An available object that holds content with this SHA-256 and that
    /// `actor` may see (staff: any; a centre: its own). Identical content is
    /// stored once: a second upload of it is refused naming this object. An
    /// identical object out of the caller's sight is not named (it would be
    /// an existence oracle); the upload is then stored under its own key.
    async fn identical_object(
        &self,
        actor: &Actor,
        sha256: &str,
    ) -> Result<Option<ObjectRow>, AppError> {
        let same = self.store().objects_with_sha256(sha256).await?;
        let visible = |o: &ObjectRow| match &actor.role {
            Role::DataCentreStaff => true,
            Role::SequencingCentre { centre } => o.centre.as_deref() == Some(centre.as_str()),
            _ => false,
        };
        let found = same
            .iter()
            .find(|o| o.status != "lost" && visible(o))
            .cloned();
        if found.is_none() && same.iter().any(|o| o.status != "lost") {
            tracing::warn!(
                sha256,
                uploader = actor.username,
                "identical content is stored already for another centre"
            );
        }
        Ok(found)
    }

    /// A run below `node` must belong to `centre` (if the caller is a centre).
    async fn check_run_scope(
        &self,
        centre: &Option<zenome_domain::organisation::OrgCode>,
        node: &NodeId,
    ) -> Result<(), AppError> {
        let Some(centre) = centre else { return Ok(()) };
        let chain = self.store().ancestry(node).await?;
        if policy::centre_scope_over(centre, &chain) {
            Ok(())
        } else {
            Err(AppError::NotFound("node"))
        }
    }

    /// An upload, for its uploader (or staff).
    pub async fn upload(&self, actor: &Actor, id: &str) -> Result<UploadRow, AppError> {
        let row = self
            .store()
            .upload(id)
            .await?
            .ok_or(AppError::NotFound("upload"))?;
        if row.uploader != actor.username && !matches!(actor.role, Role::DataCentreStaff) {
            return Err(AppError::NotFound("upload"));
        }
        Ok(row)
    }

    /// An upload as `HEAD` and its status report it. One whose every byte
    /// was durable but that a crash left unregistered is finished first, so
    /// a client resuming it sees it end instead of waiting at offset = length.
    pub async fn settled_upload(&self, actor: &Actor, id: &str) -> Result<UploadRow, AppError> {
        let row = self.upload(actor, id).await?;
        if row.state == "receiving" && row.received == row.length {
            return match self.complete_upload(actor, &row.id).await {
                Ok(done) => Ok(done),
                // still receiving at offset = length: the client's empty
                // PATCH (or the next start-up) tries again
                Err(e) => {
                    tracing::error!(upload = id, error = ?e, "cannot finish an upload whose bytes are all in");
                    Ok(row)
                }
            };
        }
        Ok(row)
    }

    /// Finishes an upload whose bytes are all staged (a crash came between
    /// the last byte and the registration): the session is rebuilt from the
    /// staging, and the file checked, stored and registered — or rejected.
    async fn complete_upload(&self, actor: &Actor, id: &str) -> Result<UploadRow, AppError> {
        let slot = self.inner.sessions.slot(id);
        let mut guard = slot.lock().await;
        let row = self.reload(id).await?;
        if row.state != "receiving" || row.received != row.length {
            return Ok(row);
        }
        if let Some(s) = guard.take() {
            s.abandon().await;
        }
        let s = self.resume_session(&row).await?;
        tracing::info!(
            upload = id,
            "finishing an upload whose bytes were all staged"
        );
        self.finish_upload(actor, &row, s).await
    }

    /// Start-up recovery of the upload path, for what a crash (`kill -9`,
    /// power loss) left behind: uploads whose every byte was durable are
    /// finished; `.partial` files of interrupted copies older than `before`
    /// (the start of this process) are removed from the local stores; and
    /// the staging areas of uploads that had ended are removed. Uploads still
    /// part-way wait for their client, as before.
    pub async fn recover_uploads(
        &self,
        before: std::time::SystemTime,
    ) -> Result<Recovery, AppError> {
        let mut out = Recovery {
            partials: self
                .inner
                .stores
                .remove_partials(before)
                .await
                .map_err(|e| AppError::Internal(format!("removing partial files: {e}")))?,
            ..Recovery::default()
        };
        let actor = Actor::local();
        for row in self.store().open_uploads().await? {
            if row.received != row.length {
                continue;
            }
            match self.complete_upload(&actor, &row.id).await {
                Ok(done) => out.finished.push((done.id, done.state)),
                Err(e) => {
                    tracing::error!(upload = row.id, error = ?e, "cannot finish an upload at start-up");
                    out.failed.push(row.id);
                }
            }
        }
        let staging = self.config().data_dir.join("staging");
        let mut dirs = match tokio::fs::read_dir(&staging).await {
            Ok(d) => d,
            Err(_) => return Ok(out),
        };
        while let Ok(Some(d)) = dirs.next_entry().await {
            let Some(id) = d.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let stale = match self.store().upload(&id).await? {
                Some(row) => row.state != "receiving",
                // made by a create that crashed before its row: only an old one
                None => d
                    .metadata()
                    .await
                    .and_then(|m| m.modified())
                    .is_ok_and(|t| t < before),
            };
            if stale && tokio::fs::remove_dir_all(d.path()).await.is_ok() {
                out.stale_staging.push(id);
            }
        }
        Ok(out)
    }

    /// Cancels an upload that is still receiving; its staging is removed.
    pub async fn cancel_upload(&self, actor: &Actor, id: &str) -> Result<(), AppError> {
        let row = self.upload(actor, id).await?;
        if row.state != "receiving" {
            return Err(AppError::Conflict {
                field: None,
                message: format!("the upload is {}", row.state),
            });
        }
        let slot = self.inner.sessions.slot(id);
        let mut guard = slot.lock().await;
        if let Some(s) = guard.take() {
            s.abandon().await;
        }
        let mut tx = self
            .store()
            .begin(AuditEntry::new(
                actor.audit_name(),
                "upload.cancel",
                format!("upload:{id}"),
            ))
            .await?;
        tx.end_upload(id, "cancelled", None, None).await?;
        if row.created_node {
            tx.remove_placeholder(&row.node_id, id).await?;
        }
        tx.commit().await?;
        let _ = tokio::fs::remove_dir_all(self.staging(id)).await;
        self.inner.sessions.forget(id);
        Ok(())
    }

    /// Appends bytes at `offset` (which must be the acknowledged offset).
    /// Returns the upload as it stands afterwards: still receiving at a new
    /// offset, stored, or rejected with the reason.
    pub async fn append_upload<S, E>(
        &self,
        actor: &Actor,
        id: &str,
        offset: u64,
        mut body: S,
    ) -> Result<UploadRow, AppError>
    where
        S: Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let row = self.upload(actor, id).await?;
        if row.state != "receiving" {
            return Err(AppError::Conflict {
                field: None,
                message: format!(
                    "the upload is {}{}",
                    row.state,
                    row.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            });
        }
        let slot = self.inner.sessions.slot(id);
        let mut guard = slot.lock().await;
        // re-read under the lock: another request may have moved it
        let row = self
            .store()
            .upload(id)
            .await?
            .ok_or(AppError::NotFound("upload"))?;
        if offset != row.received as u64 {
            return Err(AppError::Conflict {
                field: Some("Upload-Offset".into()),
                message: format!("the upload is at offset {}, not {offset}", row.received),
            });
        }
        if guard
            .as_ref()
            .is_some_and(|s| s.dirty || s.received != offset)
        {
            // left by a request that never finished: start again from what is durable
            tracing::info!(upload = id, "rebuilding an interrupted upload session");
            guard.take().expect("present").abandon().await;
        }
        if guard.is_none() {
            *guard = Some(self.resume_session(&row).await?);
        }
        let session = guard.as_mut().expect("just set");
        session.dirty = true;
        let length = row.length as u64;
        let mut failure: Option<String> = None;
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(c) => c,
                // the connection broke: keep what arrived whole, the client resumes
                Err(e) => {
                    tracing::info!(upload = id, error = %e, "upload interrupted");
                    break;
                }
            };
            if session.received + chunk.len() as u64 > length {
                failure = Some(format!("more bytes than the declared length {length}"));
                break;
            }
            if let Err(e) = self.feed(session, &row, chunk.clone()).await {
                failure = Some(e);
                break;
            }
            let writer = session.writer.as_ref().expect("a session has a writer");
            if let Err(e) = writer.data(chunk.clone()).await {
                return Err(AppError::Internal(e));
            }
            session.received += chunk.len() as u64;
        }
        if let Some(reason) = failure {
            if let Some(s) = guard.take() {
                s.abandon().await;
            }
            return self.reject(&row, &reason).await;
        }
        // durable: the segments, then the sealed tail, then the offset
        let tail = session
            .writer
            .as_ref()
            .expect("a session has a writer")
            .flush()
            .await
            .map_err(AppError::Internal)?;
        let sealed = self.inner.seal.seal(&tail, id.as_bytes());
        let dir = self.staging(id);
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let tmp = dir.join("tail.tmp");
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(sealed.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, dir.join("tail.sealed"))
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("staging tail: {e}")))?;
        let received = session.received as i64;
        if received != row.received {
            let mut tx = self
                .store()
                .begin(
                    AuditEntry::new(actor.audit_name(), "upload.append", format!("upload:{id}"))
                        .with_detail(json!({ "from": row.received, "to": received })),
                )
                .await?;
            if !tx.advance_upload(id, row.received, received).await? {
                return Err(AppError::Conflict {
                    field: Some("Upload-Offset".into()),
                    message: "the upload moved meanwhile".into(),
                });
            }
            tx.commit().await?;
        }
        session.dirty = false;
        if session.received == length {
            let s = guard.take().expect("session");
            return self.finish_upload(actor, &row, s).await;
        }
        self.reload(id).await
    }

    /// Hashes a chunk and hands it to the validator (starting it once the
    /// first [`DETECT`] bytes, or the whole file, are in, from the bytes' own
    /// signature).
    async fn feed(&self, s: &mut Session, row: &UploadRow, chunk: Bytes) -> Result<(), String> {
        s.md5.update(&chunk);
        let chunk = if s.started {
            chunk
        } else {
            // tell the format from enough bytes, whatever size the first request had
            s.head.extend_from_slice(&chunk);
            let last = s.received + chunk.len() as u64 >= row.length as u64;
            if s.head.len() < DETECT && !last {
                return Ok(());
            }
            s.started = true;
            let chunk = Bytes::from(std::mem::take(&mut s.head));
            let detected = zenome_formats::detect(&chunk, &row.file_name).ok_or_else(|| {
                format!(
                    "byte offset 0: not a FASTQ, BAM, CRAM, VCF or BCF file ({} declared)",
                    s.format
                )
            })?;
            if family_of(detected) != s.format {
                return Err(format!(
                    "byte offset 0: the file is {detected:?} but the placeholder expects {}",
                    s.format
                ));
            }
            s.validator = Some(self.start_validator(detected, row).await);
            if let Some(hf) = indexable(detected) {
                let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
                let handle = tokio::task::spawn_blocking(move || {
                    zenome_htsget::build_index(
                        hf,
                        ChannelReader {
                            rx,
                            cur: Bytes::new(),
                        },
                    )
                });
                s.indexer = Some(Indexer { tx, handle });
            }
            chunk
        };
        if let Some(ix) = &s.indexer
            && ix.tx.send(chunk.clone()).await.is_err()
        {
            // the index could not be built (the validator will say why if the
            // file is bad); region queries will get the whole file
            s.indexer = None;
        }
        if let Some(v) = &s.validator
            && v.tx.send(chunk).await.is_err()
        {
            // the validator stopped early: it found an error
            let v = s.validator.take().expect("present");
            drop(v.tx);
            return match v.handle.await {
                Ok(Err(e)) => Err(e.to_string()),
                Ok(Ok(_)) => Err("the validator stopped before the end of the file".into()),
                Err(e) => Err(format!("validator failed: {e}")),
            };
        }
        Ok(())
    }

    async fn start_validator(&self, format: Format, row: &UploadRow) -> Validator {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
        let mut opts = zenome_formats::Options {
            reference: self.config().files.reference_fasta.clone(),
            expected_samples: None,
            sanitiser: zenome_formats::Sanitiser::default(),
            allow_unaligned: false,
            // pipeline output: deviations that do not change how records are
            // read become warnings in the QC instead of refusals
            vcf_mode: zenome_formats::VcfMode::Ingest,
        };
        if !self.config().files.forbidden_header_patterns.is_empty()
            && let Ok(s) = zenome_formats::Sanitiser::new(
                self.config().files.forbidden_header_patterns.clone(),
            )
        {
            opts.sanitiser = s;
        }
        // sample names in VCFs and read groups must be the participant's pseudonymous id
        if let Ok(Some(node)) = self.store().node(&NodeId::new(row.node_id.clone())).await
            && matches!(
                format,
                Format::Vcf | Format::VcfGz | Format::Bcf | Format::Bam | Format::Cram
            )
        {
            // a joint-called VCF: exactly the columns declared with its placeholder
            let declared = match format {
                Format::Vcf | Format::VcfGz | Format::Bcf => self
                    .store()
                    .vcf_samples(node.id.as_str())
                    .await
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            opts.expected_samples = Some(if declared.is_empty() {
                vec![node.participant.to_string()]
            } else {
                declared.into_iter().map(|c| c.sample).collect()
            });
        }
        let handle = tokio::task::spawn_blocking(move || {
            zenome_formats::validate(
                format,
                ChannelReader {
                    rx,
                    cur: Bytes::new(),
                },
                &opts,
            )
        });
        Validator { tx, handle }
    }

    /// Rebuilds a session from the staging area (after a restart, or on the
    /// first request of an upload): the staged bytes are decrypted segment
    /// by segment and replayed through the hashes, the validator and the
    /// indexer, and the staging is cut back to the acknowledged offset.
    /// Memory stays flat whatever was staged.
    async fn resume_session(&self, row: &UploadRow) -> Result<Session, AppError> {
        let dir = self.staging(&row.id);
        let path = dir.join("body.c4gh");
        let received = row.received as u64;
        let seal = self.inner.seal.clone();
        let c4gh = self.inner.c4gh.clone();
        let id = row.id.clone();
        let p = path.clone();
        // what is on disk: the header, whole segments, and the sealed tail
        let (key, header_len, tail) =
            tokio::task::spawn_blocking(move || -> Result<([u8; 32], u64, Vec<u8>), AppError> {
                let io = |e: std::io::Error| AppError::Internal(format!("staging of {id}: {e}"));
                let mut f = std::fs::File::open(&p).map_err(io)?;
                let mut head = vec![0u8; 8192];
                let n = f.read(&mut head).map_err(io)?;
                let (header, header_len) = zenome_crypt4gh::Header::parse(&head[..n])
                    .map_err(|e| AppError::Internal(format!("staging header: {e}")))?;
                let key = *header
                    .session_keys(&c4gh)
                    .map_err(|e| AppError::Internal(format!("staging key: {e}")))?
                    .first()
                    .ok_or_else(|| AppError::Internal("staging header has no key".into()))?;
                let tail = match std::fs::read_to_string(
                    p.parent().expect("in a dir").join("tail.sealed"),
                ) {
                    Ok(t) => seal
                        .open(&t, id.as_bytes())
                        .map_err(|e| AppError::Internal(format!("staging tail: {e}")))?,
                    Err(_) => Vec::new(),
                };
                Ok((key, header_len as u64, tail))
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
        let file_len = tokio::fs::metadata(&path)
            .await
            .map_err(|e| AppError::Internal(format!("staging: {e}")))?
            .len();
        let on_disk_segments = (file_len.saturating_sub(header_len)) / CIPHER_SEGMENT as u64;
        let keep_segments = received / SEGMENT as u64;
        let format = super::lineage_format(&row.format)
            .ok_or_else(|| AppError::Internal(format!("upload format {}", row.format)))?;
        let mut s = Session {
            format,
            md5: Md5::new(),
            received: 0,
            validator: None,
            indexer: None,
            started: false,
            head: Vec::new(),
            writer: None,
            dirty: false,
        };
        // the plaintext of the acknowledged bytes, segment by segment
        let (ptx, mut prx) = tokio::sync::mpsc::channel::<Result<Bytes, AppError>>(8);
        let p = path.clone();
        let reader = tokio::task::spawn_blocking(move || {
            let io = |e: std::io::Error| AppError::Internal(format!("staging: {e}"));
            let run = || -> Result<(), AppError> {
                let mut f = std::fs::File::open(&p).map_err(io)?;
                let mut skip = vec![0u8; header_len as usize];
                f.read_exact(&mut skip).map_err(io)?;
                let mut buf = vec![0u8; CIPHER_SEGMENT];
                let mut done = 0u64;
                for n in 0..on_disk_segments {
                    if done >= received {
                        break;
                    }
                    f.read_exact(&mut buf).map_err(io)?;
                    let mut plain = segments::decrypt(&key, &buf, n)?;
                    plain.truncate((received - done).min(SEGMENT as u64) as usize);
                    done += plain.len() as u64;
                    if ptx.blocking_send(Ok(Bytes::from(plain))).is_err() {
                        return Ok(());
                    }
                }
                if done < received {
                    let need = (received - done) as usize;
                    if tail.len() < need {
                        return Err(AppError::Internal(format!(
                            "staging holds {} bytes, fewer than the {received} acknowledged",
                            done + tail.len() as u64
                        )));
                    }
                    let _ = ptx.blocking_send(Ok(Bytes::copy_from_slice(&tail[..need])));
                }
                Ok(())
            };
            if let Err(e) = run() {
                let _ = ptx.blocking_send(Err(e));
            }
        });
        let mut sha = Sha256::new();
        let mut tail = Vec::new();
        let whole = keep_segments.min(on_disk_segments) * SEGMENT as u64;
        while let Some(chunk) = prx.recv().await {
            let chunk = chunk?;
            if let Err(e) = self.feed(&mut s, row, chunk.clone()).await {
                return Err(AppError::Internal(format!(
                    "replaying the staged bytes: {e}"
                )));
            }
            sha.update(&chunk);
            // what lies past the last whole staged segment becomes the tail
            let start = s.received;
            s.received += chunk.len() as u64;
            if s.received > whole {
                let skip = whole.saturating_sub(start) as usize;
                tail.extend_from_slice(&chunk[skip..]);
            }
        }
        reader
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        if s.received != received {
            return Err(AppError::Internal(format!(
                "replayed {} bytes, not the {received} acknowledged",
                s.received
            )));
        }
        // cut the staged segments back to whole segments within the acknowledged bytes
        let keep = header_len + keep_segments.min(on_disk_segments) * CIPHER_SEGMENT as u64;
        let p = path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            if linked_elsewhere(&p)? {
                // a crash after the stage was linked into a store: cut a
                // copy, never the file that is the store's too
                let tmp = p.with_extension("c4gh.cut");
                let mut src = std::fs::File::open(&p)?.take(keep);
                let mut dst = std::fs::File::create(&tmp)?;
                std::io::copy(&mut src, &mut dst)?;
                dst.sync_all()?;
                std::fs::rename(&tmp, &p)?;
                return std::fs::File::open(p.parent().expect("in a dir"))?.sync_all();
            }
            let f = std::fs::OpenOptions::new().write(true).open(&p)?;
            f.set_len(keep)?;
            f.sync_all()
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("staging: {e}")))?;
        let writer = super::staging::start(
            path,
            key,
            header_len,
            keep_segments.min(on_disk_segments),
            sha,
            tail,
        )
        .map_err(AppError::Internal)?;
        s.writer = Some(writer);
        if received > 0 {
            tracing::info!(
                upload = row.id,
                offset = s.received,
                "upload session resumed from staging"
            );
        }
        Ok(s)
    }

    async fn reject(&self, row: &UploadRow, reason: &str) -> Result<UploadRow, AppError> {
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(
                    "system:ingest",
                    "upload.reject",
                    format!("upload:{}", row.id),
                )
                .with_detail(json!({ "reason": reason })),
            )
            .await?;
        tx.end_upload(&row.id, "rejected", Some(reason), None)
            .await?;
        // the placeholder this upload made goes with it: a failed upload
        // leaves nothing on the run
        if row.created_node {
            tx.remove_placeholder(&row.node_id, &row.id).await?;
        }
        tx.commit().await?;
        let _ = tokio::fs::remove_dir_all(self.staging(&row.id)).await;
        self.inner.sessions.forget(&row.id);
        self.reload(&row.id).await
    }

    async fn finish_upload(
        &self,
        actor: &Actor,
        row: &UploadRow,
        mut s: Session,
    ) -> Result<UploadRow, AppError> {
        let t0 = std::time::Instant::now();
        let path = self.staging(&row.id).join("body.c4gh");
        let staged = s
            .writer
            .take()
            .expect("a session has a writer")
            .finish()
            .await
            .map_err(AppError::Internal)?;
        let md5 = hex::encode(s.md5.finalize_reset());
        let sha256 = staged.sha256.clone();
        let qc = match s.validator.take() {
            Some(v) => {
                drop(v.tx);
                match v.handle.await {
                    Ok(Ok(qc)) => Ok(qc),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(e) => Err(format!("validator failed: {e}")),
                }
            }
            None => Err("no bytes were validated".into()),
        };
        if let Some(d) = &row.declared_md5
            && *d != md5
        {
            return self
                .reject(row, &format!("MD5 mismatch: declared {d}, received {md5}"))
                .await;
        }
        if let Some(d) = &row.declared_sha256
            && *d != sha256
        {
            return self
                .reject(
                    row,
                    &format!("SHA-256 mismatch: declared {d}, received {sha256}"),
                )
                .await;
        }
        if let Some(o) = self.identical_object(actor, &sha256).await? {
            return self.reject(row, &duplicate_message(&o)).await;
        }
        let qc = match qc {
            Ok(q) => q,
            Err(e) => return self.reject(row, e.as_str()).await,
        };
        if let Err(reason) = self.recheck_columns(actor, &row.node_id).await? {
            return self.reject(row, &reason).await;
        }
        // somatic calls have no germline Ti/Tv to meet (a signature such as
        // tobacco's C>A shifts it): a tumour/normal pair skips that rule
        let somatic = s.format == FileFormat::Vcf
            && crate::variants::tumour_normal_pair(&self.store().vcf_samples(&row.node_id).await?);
        let failures = self.qc_failures_of(&qc, somatic);
        let t_validated = t0.elapsed();
        let index = match s.indexer.take() {
            Some(ix) => {
                drop(ix.tx);
                match ix.handle.await {
                    Ok(Ok(bytes)) => Some(bytes),
                    Ok(Err(e)) => {
                        tracing::warn!(upload = row.id, error = %e, "no htsget index for this file");
                        None
                    }
                    Err(e) => {
                        tracing::warn!(upload = row.id, error = %e, "indexer failed");
                        None
                    }
                }
            }
            None => None,
        };
        let (stored_sha256, stored_size, header_len) =
            (staged.stored_sha256, staged.stored_len, staged.header_len);
        let placement = match s.format {
            FileFormat::Fastq => &self.config().files.placement.fastq,
            FileFormat::Cram | FileFormat::Bam => &self.config().files.placement.alignment,
            FileFormat::Vcf => &self.config().files.placement.vcf,
        }
        .clone();
        // A key of this registration's own: identical content sent again
        // (for another centre) never lands on this object's key, and no
        // write replaces an object (a key that exists is refused).
        let key = zenome_objects::object_key(&sha256, &row.id);
        let stored_sha = stored_sha256.clone();
        // A key that exists already holds this very ciphertext only if this
        // registration ran before (and stopped before its row was written).
        let exists_ok = |store: String, e: zenome_objects::ObjectError| {
            let (stores, key, want) = (self.inner.stores.clone(), key.clone(), stored_sha.clone());
            async move {
                if !matches!(e, zenome_objects::ObjectError::Exists { .. }) {
                    return Err(AppError::Internal(format!("placing a copy: {e}")));
                }
                match stores.digest(&store, &key).await {
                    Ok(Some((sha, size))) if sha == want && size == stored_size => Ok(()),
                    _ => Err(AppError::Internal(format!(
                        "placing a copy: {e}, with other bytes: nothing was replaced"
                    ))),
                }
            }
        };
        // A registration that stopped after placing some copies (a crash, a
        // store that failed) left them under this upload's own key, which no
        // registered object uses: the object row is written only below, in
        // the same transaction as everything else. A resumed stage seals its
        // tail anew, so such a leftover may hold other ciphertext of the same
        // plaintext; it is removed and placed again (a leftover with the very
        // bytes is kept). Nothing registered is ever touched.
        let registered = self
            .store()
            .objects_with_sha256(&sha256)
            .await?
            .iter()
            .any(|o| o.object_key == key);
        if !registered {
            for store in &placement {
                if let Ok(Some((sha, size))) = self.inner.stores.digest(store, &key).await
                    && (sha != stored_sha256 || size != stored_size)
                {
                    tracing::warn!(
                        upload = row.id,
                        store,
                        "removing an unregistered copy a stopped registration left"
                    );
                    self.inner
                        .stores
                        .delete(store, &key)
                        .await
                        .map_err(|e| AppError::Internal(format!("removing a stale copy: {e}")))?;
                }
            }
        }
        // The staged file is already the durable ciphertext: one local store
        // on the same filesystem takes it by a hard link (no bytes written);
        // the other stores get copies, all at once. Each is checked for size.
        let mut linked = None;
        for store in &placement {
            match self.inner.stores.link_file(store, &key, &path).await {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => exists_ok(store.clone(), e).await?,
            }
            linked = Some(store.clone());
            break;
        }
        let puts = placement.iter().map(|store| {
            let linked = linked.as_deref() == Some(store.as_str());
            let (stores, key, path) = (self.inner.stores.clone(), key.clone(), path.clone());
            let exists_ok = &exists_ok;
            async move {
                if !linked && let Err(e) = stores.put_file(store, &key, &path).await {
                    exists_ok(store.clone(), e).await?;
                }
                let size = stores
                    .size(store, &key)
                    .await
                    .map_err(|e| AppError::Internal(format!("checking a copy: {e}")))?;
                if size != Some(stored_size) {
                    return Err(AppError::Internal(format!(
                        "the copy in {store} has {size:?} bytes, not {stored_size}"
                    )));
                }
                Ok(())
            }
        });
        futures_util::future::try_join_all(puts).await?;
        let t_copies = t0.elapsed();
        tracing::info!(
            upload = row.id,
            validated_ms = t_validated.as_millis() as u64,
            copies_ms = t_copies.as_millis() as u64,
            "upload finished"
        );
        if std::env::var_os("ZENOME_TRACE_INGEST").is_some() {
            eprintln!("finish: validated {t_validated:?}, copies {t_copies:?}");
        }
        let index_key = match index {
            Some(bytes) => {
                let k = zenome_objects::object_index_key(&sha256, &row.id);
                let sealed = self.inner.seal.seal(&bytes, k.as_bytes()).into_bytes();
                for store in &placement {
                    match self.inner.stores.put_bytes(store, &k, sealed.clone()).await {
                        Ok(()) => {}
                        // this registration ran before: its index is there
                        Err(zenome_objects::ObjectError::Exists { .. }) => {}
                        Err(e) => {
                            return Err(AppError::Internal(format!("placing the index: {e}")));
                        }
                    }
                }
                Some(k)
            }
            None => None,
        };
        let node = self
            .store()
            .node(&NodeId::new(row.node_id.clone()))
            .await?
            .ok_or(AppError::NotFound("node"))?;
        let centre = self
            .store()
            .ancestry(&node.id)
            .await?
            .into_iter()
            .find_map(|n| match n.details {
                NodeDetails::SequencingRun { centre, .. } => Some(centre.to_string()),
                _ => None,
            });
        let object_id = uuid::Uuid::now_v7().to_string();
        let qc_status = if failures.is_empty() {
            "passed"
        } else {
            "failed"
        };
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new(actor.audit_name(), "file.store", format!("object:{object_id}"))
                    .with_detail(json!({ "upload": row.id, "node": row.node_id, "sha256": sha256, "size": row.length, "qc": qc_status, "copies": placement })),
            )
            .await?;
        tx.insert_object(
            &ObjectRow {
                id: object_id.clone(),
                node_id: row.node_id.clone(),
                participant_id: node.participant.clone(),
                name: row.file_name.clone(),
                format: s.format.as_str().into(),
                size: row.length,
                md5,
                sha256,
                stored_size: stored_size as i64,
                stored_sha256,
                header_len: header_len as i64,
                object_key: key,
                qc: serde_json::to_string(&qc).unwrap_or_else(|_| "{}".into()),
                qc_status: qc_status.into(),
                qc_failures: serde_json::to_string(&failures).expect("json"),
                pipeline: row.pipeline.clone(),
                reference: row.reference.clone(),
                centre,
                status: "available".into(),
                created_at: tx.at(),
                index_key,
            },
            &placement,
        )
        .await?;
        tx.update_node_details(
            &node.id,
            &NodeDetails::File {
                format: s.format,
                state: if failures.is_empty() {
                    FileState::Stored
                } else {
                    FileState::QcFailed
                },
            },
        )
        .await?;
        tx.end_upload(&row.id, "stored", None, Some(&object_id))
            .await?;
        tx.commit().await?;
        let _ = tokio::fs::remove_dir_all(self.staging(&row.id)).await;
        self.inner.sessions.forget(&row.id);
        // a VCF that passed QC goes on into the variant store, in the background
        if s.format == FileFormat::Vcf && failures.is_empty() {
            self.load_after_ingest(object_id.clone());
        }
        // and every alignment or call set is fingerprinted and checked
        if matches!(
            s.format,
            FileFormat::Vcf | FileFormat::Cram | FileFormat::Bam
        ) && failures.is_empty()
        {
            self.fingerprint_after_ingest(object_id);
        }
        self.reload(&row.id).await
    }

    /// The sample columns of a joint-called VCF, checked again as the upload
    /// completes: every participant's consent still in force, every member
    /// still in the uploading centre's scope. `Ok(Err(reason))` refuses the
    /// file, naming the column.
    async fn recheck_columns(
        &self,
        actor: &Actor,
        node: &str,
    ) -> Result<Result<(), String>, AppError> {
        let columns = self.store().vcf_samples(node).await?;
        let centre = match &actor.role {
            Role::SequencingCentre { centre } => Some(centre.clone()),
            _ => None,
        };
        for c in &columns {
            let pid: zenome_domain::id::ParticipantId = c
                .participant_id
                .parse()
                .map_err(|e| AppError::Internal(format!("vcf_samples: {e}")))?;
            let in_force = self
                .store()
                .consent_history(&pid)
                .await?
                .current()
                .active()
                .is_some();
            if !in_force {
                return Ok(Err(format!(
                    "sample column {:?}: the participant's consent is no longer in force; nothing stored",
                    c.sample
                )));
            }
            if let Some(centre) = &centre {
                let chain = self
                    .store()
                    .ancestry(&NodeId::new(c.source_id.clone()))
                    .await?;
                if !policy::centre_scope_over(centre, &chain) {
                    return Ok(Err(format!(
                        "sample column {:?}: its library is no longer in your centre's scope; nothing stored",
                        c.sample
                    )));
                }
            }
        }
        Ok(Ok(()))
    }

    /// QC thresholds that a file misses (empty: passed).
    pub fn qc_failures(&self, qc: &Qc) -> Vec<String> {
        self.qc_failures_of(qc, false)
    }

    /// As [`App::qc_failures`]; for somatic calls (`somatic`) the germline
    /// Ti/Tv range does not apply.
    pub fn qc_failures_of(&self, qc: &Qc, somatic: bool) -> Vec<String> {
        let t = &self.config().files.qc;
        let mut f = Vec::new();
        match qc {
            Qc::Fastq(q) => {
                if q.mean_quality < t.fastq_min_mean_quality {
                    f.push(format!(
                        "mean base quality {:.1} < {}",
                        q.mean_quality, t.fastq_min_mean_quality
                    ));
                }
                if q.q30_fraction < t.fastq_min_q30_fraction {
                    f.push(format!(
                        "Q30 fraction {:.3} < {}",
                        q.q30_fraction, t.fastq_min_q30_fraction
                    ));
                }
            }
            Qc::Alignment(q) => {
                if let Some(m) = q.mapped_fraction
                    && m < t.alignment_min_mapped_fraction
                {
                    f.push(format!(
                        "mapped fraction {m:.3} < {}",
                        t.alignment_min_mapped_fraction
                    ));
                }
                if let Some(d) = q.duplicate_fraction
                    && d > t.alignment_max_duplicate_fraction
                {
                    f.push(format!(
                        "duplicate fraction {d:.3} > {}",
                        t.alignment_max_duplicate_fraction
                    ));
                }
            }
            Qc::Variants(q) => {
                if let Some(r) = q.ts_tv
                    && !somatic
                    && !(t.vcf_min_ts_tv..=t.vcf_max_ts_tv).contains(&r)
                {
                    f.push(format!(
                        "Ti/Tv {r:.2} outside {}–{}",
                        t.vcf_min_ts_tv, t.vcf_max_ts_tv
                    ));
                }
            }
        }
        f
    }

    async fn reload(&self, id: &str) -> Result<UploadRow, AppError> {
        self.store()
            .upload(id)
            .await?
            .ok_or(AppError::NotFound("upload"))
    }

    /// Uploads left receiving when the server stopped (they resume on the
    /// next request; this only reports them).
    pub async fn open_uploads(&self) -> Result<Vec<UploadRow>, AppError> {
        Ok(self.store().open_uploads().await?)
    }

    /// The time an upload was created, for status pages.
    pub fn upload_age(row: &UploadRow) -> time::Duration {
        OffsetDateTime::now_utc() - row.created_at
    }
}
