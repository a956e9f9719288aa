//! Cohort variant queries over the variant store (issue 8 §4–5): who may be
//! counted *now* is decided here, once per query, as a bitmap over the
//! store's samples (sample names are participant ids) — consent in force,
//! and for researchers the datasets their grants cover with the consent
//! fitting the grant's purpose — and handed to the store's kernel. Nothing
//! is cached: a withdrawal counts from the next query on.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use noodles::core::{Position, Region};
use time::OffsetDateTime;
use zenome_domain::access::DataType;
use zenome_domain::role::Role;
use zenome_store::{AuditEntry, ParticipantFilter};
use zenome_variants::{LoadOptions, SampleMask, Store as VariantStore, VariantsError};

use crate::{Actor, App, AppError};

/// The widest region one query may span (end − start), in bases.
pub const MAX_REGION_SPAN: u64 = 10_000_000;

/// How much of an answer the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Granularity {
    /// Only whether an allele is present (counts are zeroed).
    Boolean,
    /// Aggregate counts (small counts to be masked by whoever shows them).
    Count,
    /// Counts and the carriers (participant ids).
    Record,
}

/// A region (1-based, inclusive) and optionally the alleles asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortQuery {
    /// Chromosome as stored (e.g. `20`).
    pub chrom: String,
    /// First position.
    pub start: u64,
    /// Last position.
    pub end: u64,
    /// Only alleles with this REF (case-insensitive).
    pub reference_bases: Option<String>,
    /// Only alleles with this ALT (case-insensitive).
    pub alternate_bases: Option<String>,
}

/// One stored allele, counted over the participants the caller may count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortAllele {
    /// Chromosome.
    pub chrom: String,
    /// Position (1-based).
    pub pos: u64,
    /// REF.
    pub reference: String,
    /// ALT.
    pub alternate: String,
    /// ALT copies (0 at [`Granularity::Boolean`]).
    pub ac: u64,
    /// Called alleles (0 at [`Granularity::Boolean`]).
    pub an: u64,
    /// Homozygous-ALT participants (0 at [`Granularity::Boolean`]).
    pub n_hom_alt: u64,
    /// Participant ids carrying the ALT; only at [`Granularity::Record`].
    pub carriers: Option<Vec<String>>,
}

/// The answer to a [`CohortQuery`]: only alleles carried by at least one
/// counted participant are listed (so an allele carried only by someone who
/// withdrew, or outside the caller's scope, is not revealed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CohortAnswer {
    /// What the caller may see.
    pub granularity: Granularity,
    /// The alleles, in position order.
    pub alleles: Vec<CohortAllele>,
}

/// What a load stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantLoad {
    /// The batch id in the store.
    pub batch: u32,
    /// Samples (participants) added.
    pub samples: u32,
    /// Rows stored.
    pub rows: u64,
}

fn store_error(e: VariantsError) -> AppError {
    match e {
        VariantsError::Region { message, .. } => AppError::invalid("region", message),
        other => AppError::Internal(format!("variant store: {other}")),
    }
}

impl CohortQuery {
    fn region(&self) -> Result<Region, AppError> {
        if self.chrom.is_empty() || self.chrom.contains([':', '/', '\\']) {
            return Err(AppError::invalid("region", "not a chromosome name"));
        }
        if self.start == 0 || self.start > self.end {
            return Err(AppError::invalid(
                "region",
                "start must be at least 1 and not after end",
            ));
        }
        if self.end - self.start > MAX_REGION_SPAN {
            return Err(AppError::invalid(
                "region",
                format!("spans more than {MAX_REGION_SPAN} bases"),
            ));
        }
        let pos = |p: u64| {
            usize::try_from(p)
                .ok()
                .filter(|&p| p <= i32::MAX as usize)
                .and_then(|p| Position::try_from(p).ok())
                .ok_or_else(|| AppError::invalid("region", "position out of range"))
        };
        Ok(Region::new(
            self.chrom.as_str(),
            pos(self.start)?..=pos(self.end)?,
        ))
    }
}

/// Who may be counted: participant ids, and the granularity.
struct Scope {
    granularity: Granularity,
    allowed: HashSet<String>,
}

impl App {
    /// The variant store's directory.
    fn variant_store_dir(&self) -> PathBuf {
        self.config().variant_store_dir()
    }

    /// The participants `actor` may count now and how much they may see.
    /// Consent histories are read in one query (or one per granted dataset).
    async fn cohort_scope(&self, actor: Option<&Actor>) -> Result<Scope, AppError> {
        let now = OffsetDateTime::now_utc();
        let consented = |h: HashMap<String, zenome_domain::consent::ConsentHistory>| {
            h.into_iter()
                .filter(|(_, h)| h.state_at(now).active().is_some())
                .map(|(id, _)| id)
                .collect::<HashSet<String>>()
        };
        let Some(actor) = actor else {
            return Ok(Scope {
                granularity: Granularity::Boolean,
                allowed: consented(self.store().consent_histories(None).await?),
            });
        };
        match &actor.role {
            Role::DataCentreStaff => Ok(Scope {
                granularity: Granularity::Record,
                allowed: consented(self.store().consent_histories(None).await?),
            }),
            Role::FacilitySubmitter { facility } | Role::Clinician { facility } => Ok(Scope {
                granularity: Granularity::Count,
                allowed: consented(
                    self.store()
                        .consent_histories(Some(facility.as_str()))
                        .await?,
                ),
            }),
            Role::Researcher { .. } => {
                // the datasets of the caller's grants in force for VCF data;
                // `dataset_participants` re-checks each grant (visa, embargo)
                // and the consent of every member against its purpose
                let mut datasets: Vec<String> = Vec::new();
                for g in self.grants(actor).await? {
                    if g.status == "active" && g.data_types.contains(&DataType::Vcf) {
                        for d in g.datasets {
                            if !datasets.contains(&d) {
                                datasets.push(d);
                            }
                        }
                    }
                }
                let mut allowed = HashSet::new();
                for d in datasets {
                    match self
                        .dataset_participants(actor, &d, DataType::Vcf, None)
                        .await
                    {
                        Ok((_, ids)) => allowed.extend(ids.into_iter().map(|p| p.to_string())),
                        Err(AppError::Forbidden(_) | AppError::NotFound(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
                let granularity = if allowed.is_empty() {
                    Granularity::Count
                } else {
                    Granularity::Record
                };
                Ok(Scope {
                    granularity,
                    allowed,
                })
            }
            // no participant scope of their own: what the public sees
            _ => Ok(Scope {
                granularity: Granularity::Boolean,
                allowed: consented(self.store().consent_histories(None).await?),
            }),
        }
    }

    /// Cohort allele counts in a region, over the participants the caller
    /// may count now. `actor` `None` is an anonymous caller.
    ///
    /// Anonymous callers (and roles without a participant scope: admins,
    /// DAC members, sequencing centres, auditors) get [`Granularity::Boolean`]
    /// over every participant whose consent is in force; facility roles get
    /// [`Granularity::Count`] over their own participants; data-centre
    /// staff get [`Granularity::Record`] over all; researchers get
    /// [`Granularity::Record`] over the members of the datasets their grants
    /// in force cover for VCF data whose consent fits the grant's purpose
    /// (nothing without one). A withdrawn participant is counted by no one.
    pub async fn cohort_variants(
        &self,
        actor: Option<&Actor>,
        q: &CohortQuery,
    ) -> Result<CohortAnswer, AppError> {
        let region = q.region()?;
        let scope = self.cohort_scope(actor).await?;
        let dir = self.variant_store_dir();
        let granularity = scope.granularity;
        let want_ref = q.reference_bases.as_ref().map(|s| s.to_ascii_uppercase());
        let want_alt = q.alternate_bases.as_ref().map(|s| s.to_ascii_uppercase());
        let alleles = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
            if !dir.join("manifest.json").exists() {
                return Ok(Vec::new());
            }
            let store = VariantStore::open(&dir).map_err(store_error)?;
            let samples = store.samples();
            let mut mask = SampleMask::none(samples.len());
            for s in samples {
                if scope.allowed.contains(&s.name) {
                    mask.insert(s.index);
                }
            }
            let mut out = Vec::new();
            let mut visit = |a: zenome_variants::AlleleFreq, who: Vec<u32>| {
                if a.counts.ac == 0
                    || want_ref.as_ref().is_some_and(|r| *r != a.reference)
                    || want_alt.as_ref().is_some_and(|r| *r != a.alt)
                {
                    return;
                }
                let boolean = granularity == Granularity::Boolean;
                let n = |x: u32| if boolean { 0 } else { u64::from(x) };
                out.push(CohortAllele {
                    chrom: a.chrom,
                    pos: u64::from(a.pos),
                    reference: a.reference,
                    alternate: a.alt,
                    ac: n(a.counts.ac),
                    an: n(a.counts.an),
                    n_hom_alt: n(a.counts.n_hom_alt),
                    carriers: (granularity == Granularity::Record).then(|| {
                        who.iter()
                            .filter_map(|&i| samples.get(i as usize))
                            .map(|s| s.name.clone())
                            .collect()
                    }),
                });
            };
            if granularity == Granularity::Record {
                store
                    .freq_carriers(&region, &mask, &mut visit)
                    .map_err(store_error)?;
            } else {
                store
                    .freq(&region, &mask, |a| visit(a, Vec::new()))
                    .map_err(store_error)?;
            }
            Ok(out)
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant query: {e}")))??;
        Ok(CohortAnswer {
            granularity,
            alleles,
        })
    }

    /// Loads a VCF/BCF file into the variant store (data-centre staff, or
    /// the local operator). Every sample name must be a registered
    /// participant id; unknown ones are refused, named, and nothing is stored.
    pub async fn load_variants(&self, actor: &Actor, path: &Path) -> Result<VariantLoad, AppError> {
        let local = actor.via == crate::AuthMethod::Local;
        if !local && actor.role != Role::DataCentreStaff {
            return Err(AppError::Forbidden(format!(
                "role {} may not load variants",
                actor.role.name()
            )));
        }
        let names = {
            let p = path.to_path_buf();
            tokio::task::spawn_blocking(move || {
                zenome_variants::read::VariantReader::open(&p).map(|r| r.samples().to_vec())
            })
            .await
            .map_err(|e| AppError::Internal(format!("variant load: {e}")))?
            .map_err(|e| AppError::invalid("file", e.to_string()))?
        };
        let known: HashSet<String> = self
            .store()
            .participant_ids(&ParticipantFilter::default())
            .await?
            .into_iter()
            .map(|p| p.to_string())
            .collect();
        let unknown: Vec<&str> = names
            .iter()
            .filter(|n| !known.contains(n.as_str()))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(AppError::invalid(
                "samples",
                format!(
                    "not registered participants: {}",
                    unknown.into_iter().take(20).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let dir = self.variant_store_dir();
        let p = path.to_path_buf();
        let report = tokio::task::spawn_blocking(move || {
            let mut store = VariantStore::open(&dir)?;
            let r = store.load(&p, LoadOptions::default())?;
            // the per-sample counts of the public charts, once per batch; if
            // this fails they are computed on first use (`App::variant_summary`)
            if let Err(e) = zenome_variants::summary::write(&store, r.batch.id) {
                tracing::warn!(error = %e, batch = r.batch.id, "variant summary not written");
            }
            Ok(r)
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant load: {e}")))?
        .map_err(|e| match e {
            VariantsError::Io { .. }
            | VariantsError::Parquet { .. }
            | VariantsError::Store { .. } => AppError::Internal(format!("variant store: {e}")),
            other => AppError::Conflict {
                field: Some("file".into()),
                message: other.to_string(),
            },
        })?;
        let b = report.batch;
        let entry = AuditEntry::new(
            actor.audit_name(),
            "variants.load",
            format!("variant_batch:{}", b.id),
        )
        .with_detail(serde_json::json!({
            "sha256": b.sha256, "samples": b.n_samples, "rows": b.n_rows,
        }));
        self.store().record(entry).await?;
        Ok(VariantLoad {
            batch: b.id,
            samples: b.n_samples,
            rows: b.n_rows,
        })
    }
}

impl App {
    /// Loads a stored VCF/BCF object (by id) into the variant store: its
    /// copies are read back and decrypted through the object reader to a
    /// temporary file beside the store, loaded as by [`App::load_variants`]
    /// (sample names must be registered participants), then removed.
    /// Data-centre staff only.
    pub async fn load_variant_object(
        &self,
        actor: &Actor,
        object_id: &str,
    ) -> Result<VariantLoad, AppError> {
        if actor.role != Role::DataCentreStaff {
            return Err(AppError::Forbidden(format!(
                "role {} may not load variants",
                actor.role.name()
            )));
        }
        use futures_util::StreamExt;
        use tokio::io::AsyncWriteExt;
        let mut dl = self
            .download(
                actor,
                object_id,
                crate::files::download::Delivery::Plain,
                None,
                None,
            )
            .await?;
        let dir = self.variant_store_dir();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| AppError::Internal(format!("variant store {}: {e}", dir.display())))?;
        let tmp = dir.join(format!(".incoming-{}", uuid::Uuid::new_v4()));
        let io = |e: std::io::Error| AppError::Internal(format!("{}: {e}", tmp.display()));
        let written = async {
            let mut f = tokio::fs::File::create(&tmp).await.map_err(io)?;
            while let Some(chunk) = dl.stream.next().await {
                f.write_all(&chunk?).await.map_err(io)?;
            }
            f.sync_all().await.map_err(io)
        }
        .await;
        let out = match written {
            Ok(()) => self.load_variants(actor, &tmp).await,
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&tmp).await;
        out
    }
}
