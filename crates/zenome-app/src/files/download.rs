//! Reading stored objects, for whoever may: data-centre staff; the
//! sequencing centre that sent them; a researcher whose grant covers the
//! file's data type in a dataset the participant belongs to — with the
//! participant's consent checked at the moment of the read (for a
//! joint-called VCF, of every participant with a column in it). Files that
//! failed QC are not released, lost ones are never served.
//!
//! Two deliveries: Crypt4GH re-encrypted for the requester's public key
//! (only the header changes; the body is streamed as stored — EGA's way),
//! or plain bytes decrypted on the fly for tools. Both take byte ranges,
//! so an interrupted download resumes.

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use serde_json::json;
use zenome_crypt4gh::PublicKey;
use zenome_domain::role::Role;
use zenome_store::{AuditEntry, ObjectRow};

use super::copies::{CopyReader, Segments};
use super::segments::{CIPHER_SEGMENT, SEGMENT};
use crate::{Actor, App, AppError};

/// How the bytes leave.
#[derive(Debug, Clone, Copy)]
pub enum Delivery {
    /// Crypt4GH, re-encrypted for this public key.
    Crypt4gh(PublicKey),
    /// Decrypted.
    Plain,
}

/// A download about to stream.
pub struct Download {
    /// The object.
    pub object: ObjectRow,
    /// Length of the whole delivered representation.
    pub total: u64,
    /// The first and one-past-last byte delivered.
    pub range: (u64, u64),
    /// The bytes.
    pub stream: BoxStream<'static, Result<Bytes, AppError>>,
}

/// Segments read (and authenticated) at a time: 8 MiB.
const BATCH: u64 = 128;

/// The bytes of segments `first..=last`, each batch authenticated before
/// `cut` takes its part; the first batch is read before this returns.
async fn verified(
    reader: CopyReader,
    first: u64,
    last: u64,
    cut: impl Fn(u64, Segments) -> Bytes + Send + Sync + 'static,
) -> Result<BoxStream<'static, Result<Bytes, AppError>>, AppError> {
    let batch_end = move |seg: u64| (seg + BATCH).min(last + 1);
    let head = cut(first, reader.segments(first, batch_end(first)).await?);
    let cut = std::sync::Arc::new(cut);
    let rest = stream::unfold(Some(batch_end(first)), move |at| {
        let (reader, cut) = (reader.clone(), cut.clone());
        async move {
            let seg = at.filter(|s| *s <= last)?;
            let e = batch_end(seg);
            match reader.segments(seg, e).await {
                Ok(s) => Some((Ok(cut(seg, s)), Some(e))),
                Err(err) => {
                    tracing::error!(object = reader.object().id, error = %err, "a download stops: no copy reads back intact");
                    Some((Err(err), None))
                }
            }
        }
    });
    Ok(stream::iter([Ok(head)]).chain(rest).boxed())
}

impl App {
    /// Writes the plaintext of a stored object to `path` (fsynced), read
    /// through [`App::download`] (so every segment is authenticated and a
    /// bad copy is swapped for a good one); the caller removes the file.
    pub(crate) async fn decrypt_to(
        &self,
        actor: &Actor,
        obj: &ObjectRow,
        path: &std::path::Path,
    ) -> Result<(), AppError> {
        use tokio::io::AsyncWriteExt;
        let mut dl = self
            .download(actor, &obj.id, Delivery::Plain, None, None)
            .await?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
        }
        let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", path.display()));
        let mut f = tokio::fs::File::create(path).await.map_err(io)?;
        while let Some(chunk) = dl.stream.next().await {
            f.write_all(&chunk?).await.map_err(io)?;
        }
        f.sync_all().await.map_err(io)
    }

    /// The object, if `actor` may read it now (metadata and data alike).
    pub async fn object_for(
        &self,
        actor: &Actor,
        id: &str,
        ip: Option<&str>,
    ) -> Result<ObjectRow, AppError> {
        let obj = self
            .store()
            .object(id)
            .await?
            .ok_or(AppError::NotFound("object"))?;
        let staff = matches!(actor.role, Role::DataCentreStaff);
        if obj.status == "lost" && !staff {
            return Err(AppError::NotFound("object"));
        }
        match &actor.role {
            Role::DataCentreStaff => Ok(obj),
            Role::SequencingCentre { centre } if obj.centre.as_deref() == Some(centre.as_str()) => {
                Ok(obj)
            }
            Role::Researcher { .. } => {
                if obj.qc_status != "passed" {
                    return Err(AppError::NotFound("object"));
                }
                let format =
                    super::lineage_format(&obj.format).ok_or(AppError::NotFound("object"))?;
                let t = super::data_type_of(format);
                let mut datasets: Vec<String> = Vec::new();
                for g in self.grants(actor).await? {
                    if g.status == "active"
                        && g.people.contains(&actor.username)
                        && g.data_types.contains(&t)
                    {
                        for d in g.datasets {
                            if !datasets.contains(&d) {
                                datasets.push(d);
                            }
                        }
                    }
                }
                if datasets.is_empty() {
                    return Err(self
                        .deny(
                            actor,
                            ip,
                            format!("object:{id}"),
                            format!("no grant in force covers {t} data"),
                            t,
                        )
                        .await);
                }
                // a joint-called VCF holds several participants' genotypes:
                // it is read only by whoever may read every one of them
                let mut people = vec![obj.participant_id.clone()];
                for c in self.store().vcf_samples(&obj.node_id).await? {
                    let p = c
                        .participant_id
                        .parse()
                        .map_err(|e| AppError::Internal(format!("vcf_samples: {e}")))?;
                    if !people.contains(&p) {
                        people.push(p);
                    }
                }
                for p in &people {
                    let mut allowed = false;
                    for d in &datasets {
                        if self
                            .check_participant_access(actor, d, t, p, ip)
                            .await
                            .is_ok()
                        {
                            allowed = true;
                            break;
                        }
                    }
                    if !allowed {
                        return Err(AppError::NotFound("object"));
                    }
                }
                Ok(obj)
            }
            Role::SequencingCentre { .. } => Err(AppError::NotFound("object")),
            _ => Err(AppError::Forbidden(format!(
                "role {} may not read sequencing files",
                actor.role.name()
            ))),
        }
    }

    /// Streams an object (or a byte range of it) to `actor`. `range` is
    /// (first byte, last byte inclusive) as in an HTTP Range header.
    ///
    /// Every segment is authenticated before its bytes are sent (the
    /// Crypt4GH delivery too: the stored ciphertext goes out only once it
    /// decrypts); a copy that fails is swapped for another copy mid-stream,
    /// alerted and repaired. The first batch is read before this returns, so
    /// an object with no intact copy is an error, not a 200 that breaks off.
    pub async fn download(
        &self,
        actor: &Actor,
        id: &str,
        delivery: Delivery,
        range: Option<(u64, Option<u64>)>,
        ip: Option<&str>,
    ) -> Result<Download, AppError> {
        let obj = self.object_for(actor, id, ip).await?;
        let reader = self.copy_reader(&obj).await?;
        let header_len = reader.header.len() as u64;
        let body_len = (obj.stored_size.max(0) as u64).saturating_sub(header_len);
        let prefix = match delivery {
            Delivery::Crypt4gh(pk) => {
                let h = zenome_crypt4gh::reencrypt_header(&reader.header, &self.inner.c4gh, &[pk])
                    .map_err(|e| {
                        AppError::Internal(format!("re-encrypting the header of {id}: {e}"))
                    })?;
                Some(Bytes::from(h))
            }
            Delivery::Plain => None,
        };
        let total = match &prefix {
            Some(h) => h.len() as u64 + body_len,
            None => obj.size as u64,
        };
        let (start, end) = match range {
            None => (0, total),
            Some((s, e)) => {
                let e = e.map_or(total, |e| (e + 1).min(total));
                if s >= total || s >= e {
                    return Err(AppError::invalid(
                        "Range",
                        format!("outside the {total} bytes"),
                    ));
                }
                (s, e)
            }
        };
        let stream: BoxStream<'static, Result<Bytes, AppError>> = match prefix {
            Some(h) => {
                let hl = h.len() as u64;
                let head = if start < hl {
                    Some(h.slice(start as usize..end.min(hl) as usize))
                } else {
                    None
                };
                // the body, in offsets from its start
                let (from, to) = (start.max(hl) - hl, end.max(hl) - hl);
                let body = if from < to {
                    let cut = move |seg: u64, s: Segments| {
                        let base = seg * CIPHER_SEGMENT as u64;
                        let n = s.cipher.len() as u64;
                        let lo = from.saturating_sub(base).min(n) as usize;
                        let hi = (to - base).min(n) as usize;
                        s.cipher.slice(lo..hi.max(lo))
                    };
                    verified(
                        reader,
                        from / CIPHER_SEGMENT as u64,
                        (to - 1) / CIPHER_SEGMENT as u64,
                        cut,
                    )
                    .await?
                } else {
                    stream::empty().boxed()
                };
                stream::iter(head.map(Ok)).chain(body).boxed()
            }
            None if start >= end => stream::empty().boxed(),
            None => {
                let cut = move |seg: u64, s: Segments| {
                    let mut out = Vec::new();
                    for (i, plain) in s.plain.iter().enumerate() {
                        let base = (seg + i as u64) * SEGMENT as u64;
                        let n = plain.len() as u64;
                        let lo = start.saturating_sub(base).min(n) as usize;
                        let hi = end.saturating_sub(base).min(n) as usize;
                        out.extend_from_slice(&plain[lo..hi.max(lo)]);
                    }
                    Bytes::from(out)
                };
                verified(
                    reader,
                    start / SEGMENT as u64,
                    (end - 1) / SEGMENT as u64,
                    cut,
                )
                .await?
            }
        };
        self.store()
            .record(
                AuditEntry::new(actor.audit_name(), "data.download", format!("object:{id}"))
                    .with_detail(json!({ "participant": obj.participant_id.as_str(), "from": start, "to": end, "delivery": match delivery { Delivery::Plain => "plain", Delivery::Crypt4gh(_) => "crypt4gh" }, "ip": ip })),
            )
            .await?;
        if matches!(actor.role, Role::Researcher { .. }) {
            self.observe(crate::alerts::Event::DataRead {
                user: &actor.username,
                grant: "download",
                records: 1,
            })
            .await;
        }
        Ok(Download {
            object: obj,
            total,
            range: (start, end),
            stream,
        })
    }
}
