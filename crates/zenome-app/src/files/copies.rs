//! Reading an object from whichever of its copies reads back intact: every
//! Crypt4GH segment is authenticated before its bytes go anywhere, and a
//! copy that fails (a segment or the header does not authenticate, the copy
//! is short, missing or unreadable) is dropped for another copy of the same
//! ciphertext, logged, alerted, recorded, and repaired in the background. A
//! reader never hands out bytes known to be wrong.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use serde_json::json;
use zenome_store::{AuditEntry, ObjectRow};

use super::segments::{self, CIPHER_SEGMENT};
use crate::alerts::Event;
use crate::{App, AppError};

/// Verified segments: the stored ciphertext of a run of whole segments and
/// the plaintext of each.
pub(crate) struct Segments {
    /// The ciphertext as stored, `first` segment onwards.
    pub cipher: Bytes,
    /// The plaintext of each segment.
    pub plain: Vec<Vec<u8>>,
}

/// Reads one object's segments from its copies, falling back from a bad
/// copy to the next. Cheap to clone (clones share which copies failed).
#[derive(Clone)]
pub(crate) struct CopyReader {
    app: App,
    obj: Arc<ObjectRow>,
    /// Stores still trusted, best first.
    order: Arc<Mutex<Vec<String>>>,
    /// The stored Crypt4GH header (authenticated).
    pub header: Bytes,
    /// The data key from that header.
    pub session_key: [u8; 32],
}

/// Why a copy was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// Bytes that do not authenticate, or too few of them.
    Corrupt,
    /// The store has no such object.
    Missing,
    /// The store did not answer.
    Unreadable,
}

impl Fault {
    fn of(e: &zenome_objects::ObjectError) -> Self {
        if e.is_not_found() {
            Self::Missing
        } else {
            Self::Unreadable
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Corrupt => "corrupt",
            Self::Missing => "missing",
            Self::Unreadable => "unreadable",
        }
    }
}

impl App {
    /// A reader over the copies of `obj`, its header read and authenticated
    /// from the first copy that gives one.
    pub(crate) async fn copy_reader(&self, obj: &ObjectRow) -> Result<CopyReader, AppError> {
        if obj.status == "lost" {
            return Err(no_good_copy());
        }
        let recorded = self.store().copies(&obj.id).await?;
        // copies on record as good first, then the others (a copy recorded
        // bad may have been repaired since): every one is verified anyway
        let mut order: Vec<String> = recorded
            .iter()
            .filter(|c| c.state == "ok" || c.state == "repaired")
            .chain(
                recorded
                    .iter()
                    .filter(|c| c.state != "ok" && c.state != "repaired"),
            )
            .map(|c| c.store.clone())
            .collect();
        order.dedup();
        let header_len = obj.stored_size.min(obj.header_len).max(0) as u64;
        let mut tried = Vec::new();
        for store in order.clone() {
            let header = match self
                .inner
                .stores
                .range(&store, &obj.object_key, 0..header_len)
                .await
            {
                Ok(h) => h,
                Err(e) => {
                    self.bad_copy(obj, &store, Fault::of(&e), &e.to_string())
                        .await;
                    tried.push(store);
                    continue;
                }
            };
            let key = zenome_crypt4gh::Header::parse(&header)
                .ok()
                .and_then(|(h, _)| h.session_keys(&self.inner.c4gh).ok())
                .and_then(|k| k.first().copied());
            let Some(session_key) = key.filter(|_| header.len() as u64 == header_len) else {
                self.bad_copy(
                    obj,
                    &store,
                    Fault::Corrupt,
                    "the header does not authenticate",
                )
                .await;
                tried.push(store);
                continue;
            };
            order.retain(|s| !tried.contains(s));
            return Ok(CopyReader {
                app: self.clone(),
                obj: Arc::new(obj.clone()),
                order: Arc::new(Mutex::new(order)),
                header,
                session_key,
            });
        }
        Err(no_good_copy())
    }

    /// A copy that did not read back: logged, alerted, recorded (corrupt or
    /// missing), and the object's copies checked and repaired in the
    /// background. Once per object while its repair runs.
    async fn bad_copy(&self, obj: &ObjectRow, store: &str, fault: Fault, reason: &str) {
        tracing::error!(
            object = obj.id,
            store,
            fault = fault.name(),
            reason,
            "a stored copy does not read back intact: reading another copy"
        );
        if !self
            .inner
            .repairing
            .lock()
            .expect("repairing")
            .insert(obj.id.clone())
        {
            return;
        }
        if fault != Fault::Unreadable {
            let recorded = async {
                let mut tx = self
                    .store()
                    .begin(
                        AuditEntry::new(
                            "system:read",
                            "file.copy_bad",
                            format!("object:{}", obj.id),
                        )
                        .with_detail(
                            json!({ "store": store, "was": fault.name(), "reason": reason }),
                        ),
                    )
                    .await?;
                tx.set_copy_state(&obj.id, store, fault.name()).await?;
                tx.commit().await
            }
            .await;
            if let Err(e) = recorded {
                tracing::error!(object = obj.id, error = %e, "cannot record a bad copy");
            }
        }
        self.observe(Event::CopyCorrupt {
            object: &obj.id,
            store,
            reason,
        })
        .await;
        let app = self.clone();
        let id = obj.id.clone();
        tokio::spawn(async move {
            let repaired = async {
                let obj = app
                    .store()
                    .object(&id)
                    .await?
                    .ok_or(AppError::NotFound("object"))?;
                let mut report = super::scrub::ScrubReport::default();
                app.scrub_object(&obj, &mut report).await?;
                Ok::<_, AppError>(report)
            }
            .await;
            match repaired {
                Ok(r) => tracing::info!(
                    object = id,
                    repaired = r.repaired.len(),
                    failures = r.failures.len(),
                    lost = !r.lost.is_empty(),
                    "copies checked after a bad read"
                ),
                Err(e) => {
                    tracing::error!(object = id, error = %e, "the repair after a bad read failed")
                }
            }
            app.inner.repairing.lock().expect("repairing").remove(&id);
        });
    }

    /// Waits until the repairs started by reads have finished (for tests
    /// and an orderly shutdown).
    pub async fn settle_repairs(&self) {
        while !self.inner.repairing.lock().expect("repairing").is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

fn no_good_copy() -> AppError {
    AppError::Conflict {
        field: None,
        message: "no good copy of this object is left".into(),
    }
}

impl CopyReader {
    /// The object read.
    pub fn object(&self) -> &ObjectRow {
        &self.obj
    }

    /// Segments `first..end` (clipped to the object), each authenticated,
    /// from the first copy that gives them all intact.
    pub async fn segments(&self, first: u64, end: u64) -> Result<Segments, AppError> {
        let header_len = self.header.len() as u64;
        let stored = self.obj.stored_size.max(0) as u64;
        let from = header_len + first * CIPHER_SEGMENT as u64;
        let to = (header_len + end * CIPHER_SEGMENT as u64).min(stored);
        if from >= to {
            return Ok(Segments {
                cipher: Bytes::new(),
                plain: Vec::new(),
            });
        }
        loop {
            let Some(store) = self.order.lock().expect("order").first().cloned() else {
                return Err(AppError::Internal(format!(
                    "no copy of object {} reads back intact",
                    self.obj.id
                )));
            };
            let got = self
                .app
                .inner
                .stores
                .range(&store, &self.obj.object_key, from..to)
                .await;
            let fault = match got {
                Ok(bytes) if bytes.len() as u64 == to - from => {
                    let mut plain = Vec::new();
                    let mut bad = None;
                    for (i, c) in bytes.chunks(CIPHER_SEGMENT).enumerate() {
                        match segments::decrypt(&self.session_key, c, first + i as u64) {
                            Ok(p) => plain.push(p),
                            Err(e) => {
                                bad = Some(e.to_string());
                                break;
                            }
                        }
                    }
                    match bad {
                        None => {
                            return Ok(Segments {
                                cipher: bytes,
                                plain,
                            });
                        }
                        Some(reason) => (Fault::Corrupt, reason),
                    }
                }
                Ok(bytes) => (
                    Fault::Corrupt,
                    format!("{} bytes where {} were expected", bytes.len(), to - from),
                ),
                Err(e) => (Fault::of(&e), e.to_string()),
            };
            self.order.lock().expect("order").retain(|s| *s != store);
            self.app
                .bad_copy(&self.obj, &store, fault.0, &fault.1)
                .await;
        }
    }

    /// The stores still trusted, best first.
    pub fn stores(&self) -> Vec<String> {
        self.order.lock().expect("order").clone()
    }
}
