//! Resumable uploads (the tus protocol's model: create, then append bytes
//! at the offset the server acknowledged). While the bytes arrive they are
//! hashed (MD5 and SHA-256 in one pass), fed to the format validator on a
//! blocking thread, and encrypted in Crypt4GH segments to a staging file;
//! the unencrypted tail of a segment is kept sealed on disk, so every byte
//! acknowledged survives a crash. When the last byte is in, the checksums
//! are compared with the declared ones, QC is judged, the encrypted object
//! is copied to its stores and only then — one transaction — registered.
//! A rejected upload leaves nothing visible.

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
}

/// The state of an upload in memory between requests.
pub(crate) struct Session {
    format: FileFormat,
    md5: Md5,
    received: u64,
    validator: Option<Validator>,
    indexer: Option<Indexer>,
    /// Whether the bytes were sniffed (the validator starts on the first chunk).
    started: bool,
    writer: Option<super::staging::Writer>,
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
        let node: LineageNode = match (&nu.node, &nu.parent) {
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
                self.register_node(
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
        };
        tx.insert_upload(&row).await?;
        tx.commit().await?;
        Ok(row)
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
        *guard = None;
        let mut tx = self
            .store()
            .begin(AuditEntry::new(
                actor.audit_name(),
                "upload.cancel",
                format!("upload:{id}"),
            ))
            .await?;
        tx.end_upload(id, "cancelled", None, None).await?;
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
        if guard.is_none() {
            *guard = Some(self.resume_session(&row).await?);
        }
        let session = guard.as_mut().expect("just set");
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
            *guard = None;
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
        if session.received == length {
            let s = guard.take().expect("session");
            return self.finish_upload(actor, &row, s).await;
        }
        self.reload(id).await
    }

    /// Hashes a chunk and hands it to the validator (starting it on the
    /// first chunk, from the bytes' own signature).
    async fn feed(&self, s: &mut Session, row: &UploadRow, chunk: Bytes) -> Result<(), String> {
        s.md5.update(&chunk);
        if !s.started {
            s.started = true;
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
        }
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
            opts.expected_samples = Some(vec![node.participant.to_string()]);
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
            writer: None,
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
        let qc = match qc {
            Ok(q) => q,
            Err(e) => return self.reject(row, e.as_str()).await,
        };
        let failures = self.qc_failures(&qc);
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
        let key = zenome_objects::content_key(&sha256);
        // The staged file is already the durable ciphertext: one local store
        // on the same filesystem takes it by a hard link (no bytes written);
        // the other stores get copies, all at once. Each is checked for size.
        let mut linked = None;
        for store in &placement {
            if self
                .inner
                .stores
                .link_file(store, &key, &path)
                .await
                .map_err(|e| AppError::Internal(format!("placing a copy: {e}")))?
            {
                linked = Some(store.clone());
                break;
            }
        }
        let puts = placement.iter().map(|store| {
            let linked = linked.as_deref() == Some(store.as_str());
            let (stores, key, path) = (self.inner.stores.clone(), key.clone(), path.clone());
            async move {
                if !linked {
                    stores
                        .put_file(store, &key, &path)
                        .await
                        .map_err(|e| AppError::Internal(format!("placing a copy: {e}")))?;
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
                let k = zenome_objects::index_key(&sha256);
                let sealed = self.inner.seal.seal(&bytes, k.as_bytes()).into_bytes();
                for store in &placement {
                    self.inner
                        .stores
                        .put_bytes(store, &k, sealed.clone())
                        .await
                        .map_err(|e| AppError::Internal(format!("placing the index: {e}")))?;
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
        self.reload(&row.id).await
    }

    /// QC thresholds that a file misses (empty: passed).
    pub fn qc_failures(&self, qc: &Qc) -> Vec<String> {
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
