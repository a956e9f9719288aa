//! The scrub (R4.3): re-reads every copy of every object, checks it against
//! the digest recorded at ingest, repairs a corrupt or missing copy from a
//! good one, and marks an object with no good copy left as lost — never
//! served again, and alerted.

use serde_json::json;
use zenome_store::AuditEntry;

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
}

impl App {
    /// Checks and repairs every copy of every object.
    pub async fn scrub(&self) -> Result<ScrubReport, AppError> {
        let mut report = ScrubReport::default();
        let placement = &self.config().files.placement;
        for obj in self.store().objects().await? {
            report.objects += 1;
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
            let mut good = Vec::new();
            let mut bad = Vec::new();
            for store in &stores {
                let state = match self.inner.stores.digest(store, &obj.object_key).await {
                    Ok(Some((sha, size)))
                        if sha == obj.stored_sha256 && size as i64 == obj.stored_size =>
                    {
                        None
                    }
                    Ok(Some(_)) => Some("corrupt"),
                    Ok(None) => Some("missing"),
                    Err(e) => {
                        tracing::warn!(object = obj.id, store, error = %e, "cannot read a copy");
                        Some("missing")
                    }
                };
                match state {
                    None => good.push(store.clone()),
                    Some(s) => bad.push((store.clone(), s)),
                }
            }
            report.copies_ok += good.len();
            if bad.is_empty() {
                continue;
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
                continue;
            };
            for (store, what) in bad {
                self.inner
                    .stores
                    .copy(&source, &store, &obj.object_key)
                    .await
                    .map_err(|e| {
                        AppError::Internal(format!("repairing {} in {store}: {e}", obj.id))
                    })?;
                let check = self
                    .inner
                    .stores
                    .digest(&store, &obj.object_key)
                    .await
                    .map_err(|e| AppError::Internal(format!("checking the repair: {e}")))?;
                if check.as_ref().map(|c| c.0.as_str()) != Some(obj.stored_sha256.as_str()) {
                    return Err(AppError::Internal(format!(
                        "the repaired copy of {} in {store} does not verify",
                        obj.id
                    )));
                }
                let mut tx = self
                    .store()
                    .begin(
                        AuditEntry::new(
                            "system:scrub",
                            "file.repair",
                            format!("object:{}", obj.id),
                        )
                        .with_detail(json!({ "store": store, "was": what, "from": source })),
                    )
                    .await?;
                tx.set_copy_state(&obj.id, &store, "repaired").await?;
                if obj.status == "lost" {
                    tx.set_object_status(&obj.id, "available").await?;
                }
                tx.commit().await?;
                report.repaired.push((obj.id.clone(), store, what.into()));
            }
        }
        Ok(report)
    }
}
