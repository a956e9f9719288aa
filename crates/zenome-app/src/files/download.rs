//! Reading stored objects, for whoever may: data-centre staff; the
//! sequencing centre that sent them; a researcher whose grant covers the
//! file's data type in a dataset the participant belongs to — with the
//! participant's consent checked at the moment of the read. Files that
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

use super::segments::{self, CIPHER_SEGMENT, SEGMENT};
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

const FETCH: u64 = 128 * CIPHER_SEGMENT as u64;

impl App {
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
                for d in datasets {
                    if self
                        .check_participant_access(actor, &d, t, &obj.participant_id, ip)
                        .await
                        .is_ok()
                    {
                        return Ok(obj);
                    }
                }
                Err(AppError::NotFound("object"))
            }
            Role::SequencingCentre { .. } => Err(AppError::NotFound("object")),
            _ => Err(AppError::Forbidden(format!(
                "role {} may not read sequencing files",
                actor.role.name()
            ))),
        }
    }

    async fn good_copy(&self, obj: &ObjectRow) -> Result<String, AppError> {
        if obj.status == "lost" {
            return Err(AppError::Conflict {
                field: None,
                message: "no good copy of this object is left".into(),
            });
        }
        self.store()
            .copies(&obj.id)
            .await?
            .into_iter()
            .find(|c| c.state == "ok" || c.state == "repaired")
            .map(|c| c.store)
            .ok_or_else(|| AppError::Internal(format!("object {} has no copy on record", obj.id)))
    }

    /// Streams an object (or a byte range of it) to `actor`. `range` is
    /// (first byte, last byte inclusive) as in an HTTP Range header.
    pub async fn download(
        &self,
        actor: &Actor,
        id: &str,
        delivery: Delivery,
        range: Option<(u64, Option<u64>)>,
        ip: Option<&str>,
    ) -> Result<Download, AppError> {
        let obj = self.object_for(actor, id, ip).await?;
        let store = self.good_copy(&obj).await?;
        let header_len = obj.stored_size.min(obj.header_len) as u64;
        let stored_size = obj.stored_size as u64;
        let stores = self.inner.stores.clone();
        let key = obj.object_key.clone();
        let header = stores
            .range(&store, &key, 0..header_len)
            .await
            .map_err(|e| AppError::Internal(format!("reading {id}: {e}")))?;
        let (total, prefix, session_key) = match delivery {
            Delivery::Crypt4gh(pk) => {
                let h = zenome_crypt4gh::reencrypt_header(&header, &self.inner.c4gh, &[pk])
                    .map_err(|e| {
                        AppError::Internal(format!("re-encrypting the header of {id}: {e}"))
                    })?;
                (
                    h.len() as u64 + stored_size - header_len,
                    Some(Bytes::from(h)),
                    None,
                )
            }
            Delivery::Plain => {
                let (h, _) = zenome_crypt4gh::Header::parse(&header)
                    .map_err(|e| AppError::Internal(format!("header of {id}: {e}")))?;
                let k = *h
                    .session_keys(&self.inner.c4gh)
                    .map_err(|e| AppError::Internal(format!("key of {id}: {e}")))?
                    .first()
                    .ok_or_else(|| AppError::Internal(format!("header of {id} holds no key")))?;
                (obj.size as u64, None, Some(k))
            }
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
        let stream: BoxStream<'static, Result<Bytes, AppError>> = match (prefix, session_key) {
            (Some(h), _) => {
                let hl = h.len() as u64;
                let head = if start < hl {
                    Some(h.slice(start as usize..end.min(hl) as usize))
                } else {
                    None
                };
                let body_from = header_len + start.max(hl) - hl;
                let body_to = header_len + end.max(hl) - hl;
                let body = stream::unfold(body_from, move |pos| {
                    let stores = stores.clone();
                    let (store, key) = (store.clone(), key.clone());
                    async move {
                        if pos >= body_to {
                            return None;
                        }
                        let to = (pos + FETCH).min(body_to);
                        let r = stores
                            .range(&store, &key, pos..to)
                            .await
                            .map_err(|e| AppError::Internal(format!("reading: {e}")));
                        Some((r, to))
                    }
                });
                stream::iter(head.map(Ok)).chain(body).boxed()
            }
            (None, Some(k)) => {
                let first_seg = start / SEGMENT as u64;
                let last_seg = (end - 1) / SEGMENT as u64;
                stream::unfold(first_seg, move |seg| {
                    let stores = stores.clone();
                    let (store, key) = (store.clone(), key.clone());
                    async move {
                        if seg > last_seg {
                            return None;
                        }
                        let batch_end = (seg + 128).min(last_seg + 1);
                        let from = header_len + seg * CIPHER_SEGMENT as u64;
                        let to = (header_len + batch_end * CIPHER_SEGMENT as u64).min(stored_size);
                        let r = async {
                            let bytes = stores
                                .range(&store, &key, from..to)
                                .await
                                .map_err(|e| AppError::Internal(format!("reading: {e}")))?;
                            let mut out = Vec::with_capacity(bytes.len());
                            for (i, c) in bytes.chunks(CIPHER_SEGMENT).enumerate() {
                                let n = seg + i as u64;
                                let plain = segments::decrypt(&k, c, n)?;
                                let base = n * SEGMENT as u64;
                                let lo =
                                    start.saturating_sub(base).min(plain.len() as u64) as usize;
                                let hi = (end - base).min(plain.len() as u64) as usize;
                                out.extend_from_slice(&plain[lo..hi.max(lo)]);
                            }
                            Ok(Bytes::from(out))
                        }
                        .await;
                        Some((r, batch_end))
                    }
                })
                .boxed()
            }
            _ => unreachable!("one delivery or the other"),
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
