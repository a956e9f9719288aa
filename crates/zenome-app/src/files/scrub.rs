//! The scrub (R4.3): re-reads every copy of every object, checks it against
//! the digest recorded at ingest, repairs a corrupt or missing copy from a
//! good one, and marks an object with no good copy left as lost — never
//! served again, and alerted. A lost object whose copy comes back (restored
//! by an operator) is recovered by the next scrub, its other copies
//! re-made. One object or copy that cannot be mended does not stop the
//! scrub: every failure is reported, and the CLI exits non-zero at the end.

use serde_json::json;
use zenome_store::{AuditEntry, ObjectRow};

use crate::alerts::Event;
use crate::{App, AppError};

/// What a scrub did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScrubReport {
    /// Objects checked.
    pub objects: usize,
    /// Copies that were fine.
    pub copies_ok: usize,
    /// Copies repaired: (object, store, what was wrong).
    pub repaired: Vec<(String, String, String)>,
    /// Objects with no good copy left.
    pub lost: Vec<String>,
    /// Objects recorded lost that had a good copy again: served again.
    pub recovered: Vec<String>,
    /// What could not be checked or mended: (object, store, why).
    pub failures: Vec<(String, String, String)>,
}

impl ScrubReport {
    /// Every object has all its copies good (nothing lost, nothing failed).
    pub fn clean(&self) -> bool {
        self.lost.is_empty() && self.failures.is_empty()
    }
}

impl App {
    /// Checks and repairs every copy of every object, carrying on past any
    /// one that fails.
    pub async fn scrub(&self) -> Result<ScrubReport, AppError> {
        let mut report = ScrubReport::default();
        for obj in self.store().objects().await? {
            report.objects += 1;
            if let Err(e) = self.scrub_object(&obj, &mut report).await {
                tracing::error!(object = obj.id, error = %e, "the scrub could not check an object");
                report
                    .failures
                    .push((obj.id.clone(), String::new(), e.to_string()));
            }
        }
        Ok(report)
    }

    /// The stores an object should have copies in: those on record and those
    /// its format's placement wants.
    pub(crate) async fn copy_stores(&self, obj: &ObjectRow) -> Result<Vec<String>, AppError> {
        let placement = &self.config().files.placement;
        let mut stores: Vec<String> = self
            .store()
            .copies(&obj.id)
            .await?
            .into_iter()
            .map(|c| c.store)
            .collect();
        // a copy the placement wants but the record lacks is missing too
        let wanted = match obj.format.as_str() {
            "fastq" => &placement.fastq,
            "vcf" => &placement.vcf,
            _ => &placement.alignment,
        };
        for w in wanted {
            if !stores.contains(w) {
                stores.push(w.clone());
            }
        }
        Ok(stores)
    }

    /// Checks and repairs one object's copies.
    pub(crate) async fn scrub_object(
        &self,
        obj: &ObjectRow,
        report: &mut ScrubReport,
    ) -> Result<(), AppError> {
        let recorded = self.store().copies(&obj.id).await?;
        let stores = self.copy_stores(obj).await?;
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for store in &stores {
            match self.check_copy(obj, store).await {
                Ok(()) => good.push(store.clone()),
                Err(what) => bad.push((store.clone(), what)),
            }
        }
        report.copies_ok += good.len();
        // copies recorded bad that verify now (restored, or mended elsewhere)
        let stale: Vec<&String> = good
            .iter()
            .filter(|s| {
                !recorded
                    .iter()
                    .any(|c| &c.store == *s && (c.state == "ok" || c.state == "repaired"))
            })
            .collect();
        if !stale.is_empty() {
            let mut tx = self
                .store()
                .begin(
                    AuditEntry::new("system:scrub", "file.check", format!("object:{}", obj.id))
                        .with_detail(json!({ "good_again": stale })),
                )
                .await?;
            for s in stale {
                tx.set_copy_state(&obj.id, s, "ok").await?;
            }
            tx.commit().await?;
        }
        if let Some(index) = &obj.index_key {
            self.scrub_index(obj, index, &stores, report).await;
        }
        let Some(source) = good.first().cloned() else {
            let mut tx = self
                .store()
                .begin(
                    AuditEntry::new("system:scrub", "file.lost", format!("object:{}", obj.id))
                        .with_detail(json!({ "copies": bad.iter().map(|(s, w)| format!("{s}: {w}")).collect::<Vec<_>>() })),
                )
                .await?;
            for (store, what) in &bad {
                tx.set_copy_state(&obj.id, store, what).await?;
            }
            tx.set_object_status(&obj.id, "lost").await?;
            tx.commit().await?;
            self.observe(Event::ObjectLost { object: &obj.id }).await;
            report.lost.push(obj.id.clone());
            return Ok(());
        };
        if obj.status == "lost" {
            let mut tx = self
                .store()
                .begin(
                    AuditEntry::new("system:scrub", "file.recover", format!("object:{}", obj.id))
                        .with_detail(json!({ "good": good })),
                )
                .await?;
            tx.set_object_status(&obj.id, "available").await?;
            tx.commit().await?;
            tracing::warn!(
                object = obj.id,
                from = source,
                "a lost object has a good copy again: served again"
            );
            report.recovered.push(obj.id.clone());
        }
        for (store, what) in bad {
            match self.repair_copy(obj, &source, &store, what).await {
                Ok(()) => report.repaired.push((obj.id.clone(), store, what.into())),
                Err(e) => {
                    tracing::error!(object = obj.id, store, error = %e, "a copy could not be repaired");
                    let mut tx = self
                        .store()
                        .begin(
                            AuditEntry::new(
                                "system:scrub",
                                "file.repair_failed",
                                format!("object:{}", obj.id),
                            )
                            .with_detail(
                                json!({ "store": store, "was": what, "error": e.to_string() }),
                            ),
                        )
                        .await?;
                    tx.set_copy_state(&obj.id, &store, what).await?;
                    tx.commit().await?;
                    report
                        .failures
                        .push((obj.id.clone(), store, format!("{what}: {e}")));
                }
            }
        }
        Ok(())
    }

    /// Checks the sealed htsget index in every store (the seal authenticates
    /// it) and re-makes a missing or damaged one from a good one.
    async fn scrub_index(
        &self,
        obj: &ObjectRow,
        key: &str,
        stores: &[String],
        report: &mut ScrubReport,
    ) {
        let mut good = None;
        let mut bad = Vec::new();
        for store in stores {
            match self.check_index(store, key).await {
                Ok(()) => {
                    good.get_or_insert_with(|| store.clone());
                }
                Err(what) => bad.push((store.clone(), what)),
            }
        }
        for (store, what) in bad {
            let Some(source) = &good else {
                report.failures.push((
                    obj.id.clone(),
                    store,
                    format!("index {what}: no good copy of the index left (region queries fail)"),
                ));
                continue;
            };
            let stores_ = &self.inner.stores;
            let mended = async {
                if what == "corrupt" {
                    stores_.delete(&store, key).await?;
                }
                match stores_.copy(source, &store, key).await {
                    Ok(_) | Err(zenome_objects::ObjectError::Exists { .. }) => Ok(()),
                    Err(e) => Err(e),
                }
            }
            .await;
            match mended {
                Ok(()) if self.check_index(&store, key).await.is_ok() => {
                    tracing::warn!(object = obj.id, store, was = what, "index copy repaired");
                    report
                        .repaired
                        .push((obj.id.clone(), store, format!("index {what}")));
                }
                Ok(()) => report.failures.push((
                    obj.id.clone(),
                    store,
                    "the repaired index does not verify".into(),
                )),
                Err(e) => {
                    report
                        .failures
                        .push((obj.id.clone(), store, format!("index {what}: {e}")))
                }
            }
        }
    }

    /// Whether the sealed index in `store` opens: `Err("corrupt")` or
    /// `Err("missing")`.
    async fn check_index(&self, store: &str, key: &str) -> Result<(), &'static str> {
        let stores = &self.inner.stores;
        let size = match stores.size(store, key).await {
            Ok(Some(n)) => n,
            _ => return Err("missing"),
        };
        let Ok(sealed) = stores.range(store, key, 0..size).await else {
            return Err("missing");
        };
        let opens = std::str::from_utf8(&sealed)
            .ok()
            .is_some_and(|t| self.inner.seal.open(t, key.as_bytes()).is_ok());
        if opens { Ok(()) } else { Err("corrupt") }
    }

    /// Whether one copy holds exactly the ciphertext recorded at ingest:
    /// `Err("corrupt")` or `Err("missing")` (unreadable counts as missing).
    async fn check_copy(&self, obj: &ObjectRow, store: &str) -> Result<(), &'static str> {
        match self.inner.stores.digest(store, &obj.object_key).await {
            Ok(Some((sha, size))) if sha == obj.stored_sha256 && size as i64 == obj.stored_size => {
                Ok(())
            }
            Ok(Some(_)) => Err("corrupt"),
            Ok(None) => Err("missing"),
            Err(e) => {
                tracing::warn!(object = obj.id, store, error = %e, "cannot read a copy");
                Err("missing")
            }
        }
    }

    /// Re-makes the copy in `store` from the verified copy in `source`: a
    /// corrupt copy is deleted first (nothing is ever written over), the new
    /// copy is checked against the recorded digest.
    async fn repair_copy(
        &self,
        obj: &ObjectRow,
        source: &str,
        store: &str,
        what: &str,
    ) -> Result<(), AppError> {
        let stores = &self.inner.stores;
        let key = &obj.object_key;
        if what == "corrupt" {
            stores
                .delete(store, key)
                .await
                .map_err(|e| AppError::Internal(format!("removing the corrupt copy: {e}")))?;
        }
        match stores.copy(source, store, key).await {
            // another repair put it back meanwhile: it is checked below
            Ok(_) | Err(zenome_objects::ObjectError::Exists { .. }) => {}
            Err(e) => {
                return Err(AppError::Internal(format!(
                    "repairing {} in {store}: {e}",
                    obj.id
                )));
            }
        }
        if self.check_copy(obj, store).await.is_err() {
            return Err(AppError::Internal(format!(
                "the repaired copy of {} in {store} does not verify",
                obj.id
            )));
        }
        let mut tx = self
            .store()
            .begin(
                AuditEntry::new("system:scrub", "file.repair", format!("object:{}", obj.id))
                    .with_detail(json!({ "store": store, "was": what, "from": source })),
            )
            .await?;
        tx.set_copy_state(&obj.id, store, "repaired").await?;
        tx.commit().await?;
        Ok(())
    }
}
