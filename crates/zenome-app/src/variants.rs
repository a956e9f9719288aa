//! Cohort variant queries over the variant store (issue 8 §4–5): who may be
//! counted *now* is decided here, once per query, as a bitmap over the
//! store's samples (sample names are participant ids) — consent in force,
//! and for researchers the datasets their grants cover with the consent
//! fitting the grant's purpose — and handed to the store's kernel. Nothing
//! is cached: a withdrawal counts from the next query on.

mod replica;

pub use replica::ReplicaSync;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use noodles::core::{Position, Region};
use time::OffsetDateTime;
use zenome_domain::access::DataType;
use zenome_domain::participant::DiseaseArea;
use zenome_domain::role::Role;
use zenome_store::{AuditEntry, ParticipantFilter};
pub use zenome_variants::Origin;
use zenome_variants::hgvs::parse_variant;
use zenome_variants::{
    AlleleCounts, GeneIndex, LoadOptions, SampleMask, Scan, Store as VariantStore, VariantsError,
};

use crate::{Actor, App, AppError};

pub use zenome_variants::Cursor;

/// The widest region one unpaged query ([`App::cohort_variants`]) may span
/// (end − start), in bases; paged queries ([`App::cohort_frequencies`]) may
/// span a whole chromosome.
pub const MAX_REGION_SPAN: u64 = 10_000_000;

/// The largest page of a paged query, in alleles.
pub const MAX_PAGE: usize = 10_000;

/// The last position a query may name (the store's positions are `i32`).
pub const MAX_POSITION: u64 = i32::MAX as u64;

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
    /// Homozygous-ALT (diploid) participants (0 at [`Granularity::Boolean`]).
    pub n_hom_alt: u64,
    /// Hemizygous participants: one called allele, the ALT (males on chrX
    /// outside the PARs, chrY) (0 at [`Granularity::Boolean`]).
    pub n_hemi: u64,
    /// Participant ids carrying the ALT; only at [`Granularity::Record`].
    pub carriers: Option<Vec<String>>,
    /// The counts per subgroup asked for, in the order of
    /// [`CohortAnswer::subgroups`] (empty when none were asked for).
    pub subgroups: Vec<SubgroupCounts>,
    /// The consequence on the gene model's canonical transcript, when a
    /// gene model covering the chromosome is configured.
    pub annotation: Option<crate::findings::AlleleAnnotation>,
}

/// A way to split the cohort into subgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupBy {
    /// `cancer` or `rare_disease` (the participant's registration).
    DiseaseArea,
    /// Cancer participants by the ICD-O-3 site of their latest clinical
    /// record (`C34`), `unknown` without one.
    CancerSite,
    /// Rare-disease participants by the ICD-10 chapter letter of their
    /// latest clinical record's diagnosis (`Q`), `unknown` without one.
    RareDiseaseGroup,
    /// Recorded sex: `female`, `male`, `other`, `unknown`.
    Sex,
    /// The enrolling facility's code.
    Facility,
}

impl GroupBy {
    /// Every grouping, in wire order.
    pub const ALL: [GroupBy; 5] = [
        GroupBy::DiseaseArea,
        GroupBy::CancerSite,
        GroupBy::RareDiseaseGroup,
        GroupBy::Sex,
        GroupBy::Facility,
    ];

    /// The wire name (`disease_area`, `cancer_site`, `rare_disease_group`, `sex`, `facility`).
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::DiseaseArea => "disease_area",
            GroupBy::CancerSite => "cancer_site",
            GroupBy::RareDiseaseGroup => "rare_disease_group",
            GroupBy::Sex => "sex",
            GroupBy::Facility => "facility",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// One subgroup of the counted cohort.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Subgroup {
    /// The grouping.
    pub group: GroupBy,
    /// The value (`female`, `C34`, a facility code…).
    pub value: String,
}

/// An allele's counts within one subgroup (the participants the caller may
/// count now who belong to it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SubgroupCounts {
    /// ALT copies.
    pub ac: u64,
    /// Called alleles.
    pub an: u64,
    /// Homozygous-ALT participants.
    pub n_hom_alt: u64,
    /// Hemizygous participants.
    pub n_hemi: u64,
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
    /// The subgroups counted (among the participants counted now), in
    /// grouping then value order; each allele's `subgroups` follow it.
    pub subgroups: Vec<Subgroup>,
    /// Where the next page starts, when this page was full and more
    /// alleles follow.
    pub next: Option<Cursor>,
}

/// A Beacon filtering term applied to the counted participants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CohortFilter {
    /// The participant's disease area (`MONDO:0004992`, `MONDO:0019056`).
    DiseaseArea(DiseaseArea),
    /// An HPO term observed (not excluded) in the latest clinical record,
    /// or a descendant of it.
    Hpo(String),
    /// An ICD-10 diagnosis code (`G40.4`), or a code below it (`G40`).
    Icd10(String),
}

impl CohortFilter {
    /// The filtering-term id.
    pub fn id(&self) -> String {
        match self {
            CohortFilter::DiseaseArea(a) => DISEASE_AREA_TERMS
                .iter()
                .find(|(_, x, _)| x == a)
                .map_or_else(String::new, |(id, _, _)| (*id).to_string()),
            CohortFilter::Hpo(h) => h.clone(),
            CohortFilter::Icd10(c) => format!("ICD10:{c}"),
        }
    }
}

/// The programme's disease areas as MONDO terms: (id, area, label).
pub const DISEASE_AREA_TERMS: [(&str, DiseaseArea, &str); 2] = [
    ("MONDO:0004992", DiseaseArea::Cancer, "cancer"),
    ("MONDO:0019056", DiseaseArea::RareDisease, "rare disease"),
];

/// The ontology of a filtering term.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ontology {
    /// Mondo Disease Ontology (the disease areas).
    Mondo,
    /// Human Phenotype Ontology.
    Hpo,
    /// ICD-10.
    Icd10,
}

/// A term callers may filter variant queries by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteringTerm {
    /// CURIE (`MONDO:0004992`, `HP:0001250`, `ICD10:G40.4`).
    pub id: String,
    /// The preferred label (the code itself for ICD-10).
    pub label: String,
    /// Its ontology.
    pub ontology: Ontology,
}

/// What one participant can be filtered by.
struct ParticipantTerms {
    area: DiseaseArea,
    hpo: Vec<String>,
    icd10: Vec<String>,
}

impl ParticipantTerms {
    fn matches(&self, f: &CohortFilter, hpo: &zenome_clinical::Hpo) -> bool {
        match f {
            CohortFilter::DiseaseArea(a) => self.area == *a,
            CohortFilter::Hpo(h) => self.hpo.iter().any(|x| x == h || hpo.is_a(x, h)),
            CohortFilter::Icd10(c) => self.icd10.iter().any(|x| {
                x == c
                    || (x.starts_with(c.as_str())
                        && (c.contains('.') || x[c.len()..].starts_with('.')))
            }),
        }
    }
}

/// A paged query with subgroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrequencyQuery {
    /// The region (any size, a whole chromosome included) and alleles.
    pub query: CohortQuery,
    /// The subgroups to count, besides the whole cohort.
    pub groups: Vec<GroupBy>,
    /// Resume after this allele (the previous page's `next`).
    pub after: Option<Cursor>,
    /// Alleles a page, 1 to [`MAX_PAGE`].
    pub limit: usize,
    /// Germline genotypes (cohort frequencies) or somatic calls.
    pub origin: Origin,
}

/// The variant store as last opened, with the stamp (size, modification
/// time, inode) of the manifest it was opened under: a load renames a new
/// manifest in, so the stamp changes and the next query opens it again.
/// Opening reads every batch's sample list (1.5 ms a query at 10,000
/// samples before this cache).
#[derive(Default)]
pub struct OpenedStore(std::sync::Mutex<Option<(ManifestStamp, Arc<VariantStore>)>>);

type ManifestStamp = (u64, Option<std::time::SystemTime>, u64);

impl std::fmt::Debug for OpenedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OpenedStore")
    }
}

/// Who is in consent now, per facility (`None`: everyone), with the consent
/// version it was folded under.
#[derive(Default)]
pub struct ConsentedCache(std::sync::Mutex<HashMap<Option<String>, Consented>>);

/// A consent version and who was in consent under it.
type Consented = (i64, std::sync::Arc<HashSet<String>>);

impl std::fmt::Debug for ConsentedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.0.lock().map(|m| m.len()).unwrap_or(0);
        write!(f, "ConsentedCache({n} scopes)")
    }
}

/// How much of a region one answer covers and over whom: subgroups,
/// filters, the page, and the batches' origin.
struct Answer<'a> {
    groups: &'a [GroupBy],
    filters: &'a [CohortFilter],
    after: Option<Cursor>,
    limit: Option<usize>,
    origin: Origin,
}

impl Answer<'_> {
    /// The whole region at once, no subgroup, no filter.
    fn all(origin: Origin) -> Self {
        Answer {
            groups: &[],
            filters: &[],
            after: None,
            limit: None,
            origin,
        }
    }
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
    fn check(&self) -> Result<(), AppError> {
        if self.chrom.is_empty() || self.chrom.contains([':', '/', '\\']) {
            return Err(AppError::invalid("region", "not a chromosome name"));
        }
        if self.start == 0 || self.start > self.end {
            return Err(AppError::invalid(
                "region",
                "start must be at least 1 and not after end",
            ));
        }
        Ok(())
    }

    /// The region on the chromosome `chrom` (as the store spells it).
    fn region(&self, chrom: &str) -> Result<Region, AppError> {
        self.check()?;
        let pos = |p: u64| {
            usize::try_from(p)
                .ok()
                .filter(|&p| p <= i32::MAX as usize)
                .and_then(|p| Position::try_from(p).ok())
                .ok_or_else(|| AppError::invalid("region", "position out of range"))
        };
        Ok(Region::new(
            chrom,
            pos(self.start)?..=pos(self.end.min(MAX_POSITION))?,
        ))
    }
}

/// Who may be counted: participant ids, and the granularity.
struct Scope {
    granularity: Granularity,
    /// Shared with the consent cache; copied only when filters narrow it.
    allowed: Arc<HashSet<String>>,
}

impl App {
    /// The variant store's directory.
    fn variant_store_dir(&self) -> PathBuf {
        self.config().variant_store_dir()
    }

    /// The variant store, opened once per manifest (see [`OpenedStore`]);
    /// `None` when nothing was ever loaded. Blocking: call it from a
    /// blocking task.
    pub(crate) fn opened_variant_store(&self) -> Result<Option<Arc<VariantStore>>, AppError> {
        use std::os::unix::fs::MetadataExt;
        let dir = self.variant_store_dir();
        let manifest = dir.join("manifest.json");
        let meta = match std::fs::metadata(&manifest) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(AppError::Internal(format!("{}: {e}", manifest.display())));
            }
        };
        let stamp = (meta.len(), meta.modified().ok(), meta.ino());
        let mut cached = self.inner.opened_store.0.lock().expect("opened store");
        if let Some((s, store)) = cached.as_ref()
            && *s == stamp
        {
            return Ok(Some(store.clone()));
        }
        let store = Arc::new(VariantStore::open(&dir).map_err(store_error)?);
        *cached = Some((stamp, store.clone()));
        Ok(Some(store))
    }

    /// The participants whose consent is in force now (all of them, or one
    /// facility's). Folding every history is the cost of a variant query
    /// (69 of 76 ms at 10,000 participants), so the answer is kept with the
    /// store's consent version, read first: any consent event changes the
    /// version, and the next query folds again — a withdrawal still counts
    /// from the next query on.
    pub(crate) async fn consented_now(
        &self,
        facility: Option<&str>,
    ) -> Result<std::sync::Arc<HashSet<String>>, AppError> {
        let version = self.store().consent_version().await?;
        let key = facility.map(str::to_string);
        if let Some((v, set)) = self
            .inner
            .consented
            .0
            .lock()
            .expect("consent cache")
            .get(&key)
            && *v == version
        {
            return Ok(set.clone());
        }
        let now = OffsetDateTime::now_utc();
        // a genome on identity hold (or excluded) is not counted either;
        // opening and closing a hold bump the same version
        let blocked = self.store().identity_blocked().await?;
        let set: HashSet<String> = self
            .store()
            .consent_histories(facility)
            .await?
            .into_iter()
            .filter(|(id, h)| h.state_at(now).active().is_some() && !blocked.contains(id))
            .map(|(id, _)| id)
            .collect();
        let set = std::sync::Arc::new(set);
        self.inner
            .consented
            .0
            .lock()
            .expect("consent cache")
            .insert(key, (version, set.clone()));
        Ok(set)
    }

    /// The participants `actor` may count now and how much they may see.
    /// Consent histories are read in one query (or one per granted dataset).
    async fn cohort_scope(&self, actor: Option<&Actor>) -> Result<Scope, AppError> {
        // the cached set is shared; filters copy it before narrowing
        let consented = |set: std::sync::Arc<HashSet<String>>| set;
        let Some(actor) = actor else {
            return Ok(Scope {
                granularity: Granularity::Boolean,
                allowed: consented(self.consented_now(None).await?),
            });
        };
        match &actor.role {
            Role::DataCentreStaff => Ok(Scope {
                granularity: Granularity::Record,
                allowed: consented(self.consented_now(None).await?),
            }),
            Role::FacilitySubmitter { facility } | Role::Clinician { facility } => Ok(Scope {
                granularity: Granularity::Count,
                allowed: consented(self.consented_now(Some(facility.as_str())).await?),
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
                    allowed: Arc::new(allowed),
                })
            }
            // no participant scope of their own: what the public sees
            _ => Ok(Scope {
                granularity: Granularity::Boolean,
                allowed: consented(self.consented_now(None).await?),
            }),
        }
    }

    /// Cohort allele counts in a region of at most [`MAX_REGION_SPAN`]
    /// bases, over the participants the caller may count now, every allele
    /// at once. `actor` `None` is an anonymous caller.
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
        q.check()?;
        if q.end - q.start > MAX_REGION_SPAN {
            return Err(AppError::invalid(
                "region",
                format!("spans more than {MAX_REGION_SPAN} bases"),
            ));
        }
        self.cohort_answer(actor, q, Answer::all(Origin::Germline))
            .await
    }

    /// As [`App::cohort_variants`], over the batches of one origin: germline
    /// genotypes (what cohort frequencies count) or somatic calls (tumours
    /// carrying an allele), under the same consent and grant scope.
    pub async fn cohort_variants_of(
        &self,
        actor: Option<&Actor>,
        q: &CohortQuery,
        origin: Origin,
    ) -> Result<CohortAnswer, AppError> {
        q.check()?;
        if q.end - q.start > MAX_REGION_SPAN {
            return Err(AppError::invalid(
                "region",
                format!("spans more than {MAX_REGION_SPAN} bases"),
            ));
        }
        self.cohort_answer(actor, q, Answer::all(origin)).await
    }

    /// As [`App::cohort_variants`], counting only the participants that
    /// match every filter (Beacon filtering terms, by id: `MONDO:0004992`
    /// cancer, `MONDO:0019056` rare disease, an HPO term observed in the
    /// latest clinical record — or a descendant of it —, `ICD10:` a
    /// diagnosis code or a code below it). HPO and ICD-10 filters need
    /// count- or record-level access; an id that is no filtering term for
    /// the caller is refused as invalid `filters`, naming it.
    pub async fn cohort_variants_filtered(
        &self,
        actor: Option<&Actor>,
        q: &CohortQuery,
        filters: &[String],
    ) -> Result<CohortAnswer, AppError> {
        q.check()?;
        if q.end - q.start > MAX_REGION_SPAN {
            return Err(AppError::invalid(
                "region",
                format!("spans more than {MAX_REGION_SPAN} bases"),
            ));
        }
        let filters = filters
            .iter()
            .map(|f| self.cohort_filter(f))
            .collect::<Result<Vec<_>, _>>()?;
        self.cohort_answer(
            actor,
            q,
            Answer {
                filters: &filters,
                ..Answer::all(Origin::Germline)
            },
        )
        .await
    }

    /// The filter a filtering-term id names.
    fn cohort_filter(&self, id: &str) -> Result<CohortFilter, AppError> {
        let unknown = || AppError::invalid("filters", format!("unknown filter {id:?}"));
        if let Some(&(_, area, _)) = DISEASE_AREA_TERMS.iter().find(|(t, _, _)| *t == id) {
            return Ok(CohortFilter::DiseaseArea(area));
        }
        if id.starts_with("HP:") {
            return match self.hpo().term(id) {
                Some(t) if !t.is_obsolete => Ok(CohortFilter::Hpo(t.id.clone())),
                _ => Err(unknown()),
            };
        }
        if let Some(code) = id.strip_prefix("ICD10:") {
            let code = code.to_ascii_uppercase();
            let b = code.as_bytes();
            let ok = b.len() >= 3
                && b[0].is_ascii_uppercase()
                && b[1].is_ascii_digit()
                && b[2].is_ascii_digit()
                && (b.len() == 3
                    || (b[3] == b'.'
                        && b.len() > 4
                        && b[4..].iter().all(u8::is_ascii_alphanumeric)));
            return if ok {
                Ok(CohortFilter::Icd10(code))
            } else {
                Err(unknown())
            };
        }
        Err(unknown())
    }

    /// The disease area, observed HPO terms and ICD-10 diagnosis codes of
    /// each participant in `allowed` (latest clinical record).
    async fn participant_terms(
        &self,
        allowed: &HashSet<String>,
    ) -> Result<HashMap<String, ParticipantTerms>, AppError> {
        let rows = self
            .store()
            .participants(&ParticipantFilter {
                limit: i64::MAX,
                ..ParticipantFilter::default()
            })
            .await?;
        let mut out: HashMap<String, ParticipantTerms> = rows
            .into_iter()
            .filter(|r| allowed.contains(r.participant.id.as_str()))
            .map(|r| {
                (
                    r.participant.id.as_str().to_string(),
                    ParticipantTerms {
                        area: r.participant.disease_area,
                        hpo: Vec::new(),
                        icd10: Vec::new(),
                    },
                )
            })
            .collect();
        for c in self.store().latest_clinical_all(None).await? {
            let Some(t) = out.get_mut(c.participant_id.as_str()) else {
                continue;
            };
            let Ok(record) = serde_json::from_str::<zenome_clinical::Record>(&c.record) else {
                continue;
            };
            if let Some(g) = record.groups.get("phenotypes") {
                for (_, e) in g.entries() {
                    let excluded = e.get("excluded").and_then(|v| v.as_bool()) == Some(true);
                    if let (Some(h), false) = (e.get("hpo_term").and_then(|v| v.as_str()), excluded)
                    {
                        t.hpo.push(h.to_string());
                    }
                }
            }
            if let Some(g) = record.groups.get("diagnosis") {
                for (_, e) in g.entries() {
                    if let Some(code) = e.get("icd10").and_then(|v| v.as_str()) {
                        t.icd10.push(code.trim().to_ascii_uppercase());
                    }
                }
            }
        }
        Ok(out)
    }

    /// The filtering terms `actor` may use on variant queries: the disease
    /// areas always; with count- or record-level access, the HPO terms
    /// observed and the ICD-10 diagnosis codes in the latest clinical
    /// records of the participants they may count now.
    pub async fn cohort_filtering_terms(
        &self,
        actor: Option<&Actor>,
    ) -> Result<Vec<FilteringTerm>, AppError> {
        let mut out: Vec<FilteringTerm> = DISEASE_AREA_TERMS
            .iter()
            .map(|(id, _, label)| FilteringTerm {
                id: (*id).to_string(),
                label: (*label).to_string(),
                ontology: Ontology::Mondo,
            })
            .collect();
        let scope = self.cohort_scope(actor).await?;
        if scope.granularity == Granularity::Boolean || scope.allowed.is_empty() {
            return Ok(out);
        }
        let terms = self.participant_terms(&scope.allowed).await?;
        let mut hpo = std::collections::BTreeSet::new();
        let mut icd = std::collections::BTreeSet::new();
        for t in terms.values() {
            hpo.extend(t.hpo.iter().cloned());
            icd.extend(t.icd10.iter().cloned());
        }
        for h in hpo {
            let label = self
                .hpo()
                .term(&h)
                .map_or_else(|| h.clone(), |t| t.name.clone());
            out.push(FilteringTerm {
                id: h,
                label,
                ontology: Ontology::Hpo,
            });
        }
        for c in icd {
            out.push(FilteringTerm {
                id: format!("ICD10:{c}"),
                label: c,
                ontology: Ontology::Icd10,
            });
        }
        Ok(out)
    }

    /// One page of cohort allele counts, with counts per subgroup: as
    /// [`App::cohort_variants`] over a region of any size (a whole
    /// chromosome), at most `limit` alleles a page; `next` resumes. Each
    /// subgroup is the cohort the caller may count now intersected with the
    /// group's members, counted in the same pass over the rows. Subgroups
    /// need [`Granularity::Count`] or more: presence per subgroup is not
    /// for the public.
    pub async fn cohort_frequencies(
        &self,
        actor: Option<&Actor>,
        q: &FrequencyQuery,
    ) -> Result<CohortAnswer, AppError> {
        q.query.check()?;
        if q.limit == 0 || q.limit > MAX_PAGE {
            return Err(AppError::invalid(
                "limit",
                format!("between 1 and {MAX_PAGE}"),
            ));
        }
        self.cohort_answer(
            actor,
            &q.query,
            Answer {
                groups: &q.groups,
                filters: &[],
                after: q.after.clone(),
                limit: Some(q.limit),
                origin: q.origin,
            },
        )
        .await
    }

    /// The subgroup values of the participants in `allowed`, one per
    /// grouping asked for (`None`: not in any subgroup of that grouping).
    async fn subgroup_members(
        &self,
        allowed: &HashSet<String>,
        groups: &[GroupBy],
    ) -> Result<HashMap<String, Vec<Option<String>>>, AppError> {
        let rows = self
            .store()
            .participants(&ParticipantFilter {
                limit: i64::MAX,
                ..ParticipantFilter::default()
            })
            .await?;
        let keys = if groups
            .iter()
            .any(|g| matches!(g, GroupBy::CancerSite | GroupBy::RareDiseaseGroup))
        {
            self.store().clinical_summary_keys().await?
        } else {
            HashMap::new()
        };
        let mut out = HashMap::new();
        for r in rows {
            let p = &r.participant;
            let id = p.id.as_str();
            if !allowed.contains(id) {
                continue;
            }
            let key = || Some(keys.get(id).cloned().unwrap_or_else(|| "unknown".into()));
            let values = groups
                .iter()
                .map(|g| match g {
                    GroupBy::DiseaseArea => Some(p.disease_area.as_str().to_string()),
                    GroupBy::Sex => Some(p.sex.as_str().to_string()),
                    GroupBy::Facility => Some(p.facility.as_str().to_string()),
                    GroupBy::CancerSite => {
                        (p.disease_area == DiseaseArea::Cancer).then(key).flatten()
                    }
                    GroupBy::RareDiseaseGroup => (p.disease_area == DiseaseArea::RareDisease)
                        .then(key)
                        .flatten(),
                })
                .collect();
            out.insert(id.to_string(), values);
        }
        Ok(out)
    }

    async fn cohort_answer(
        &self,
        actor: Option<&Actor>,
        q: &CohortQuery,
        how: Answer<'_>,
    ) -> Result<CohortAnswer, AppError> {
        let mut answer = self.cohort_answer_counts(actor, q, how).await?;
        self.annotate_alleles(&mut answer.alleles).await;
        Ok(answer)
    }

    async fn cohort_answer_counts(
        &self,
        actor: Option<&Actor>,
        q: &CohortQuery,
        how: Answer<'_>,
    ) -> Result<CohortAnswer, AppError> {
        let Answer {
            groups,
            filters,
            after,
            limit,
            origin,
        } = how;
        let mut scope = self.cohort_scope(actor).await?;
        let granularity = scope.granularity;
        if !filters.is_empty() {
            if granularity == Granularity::Boolean
                && let Some(f) = filters
                    .iter()
                    .find(|f| !matches!(f, CohortFilter::DiseaseArea(_)))
            {
                return Err(AppError::invalid(
                    "filters",
                    format!(
                        "{} is not a filtering term for presence-only callers (disease areas are)",
                        f.id()
                    ),
                ));
            }
            let terms = self.participant_terms(&scope.allowed).await?;
            let hpo = self.hpo();
            Arc::make_mut(&mut scope.allowed).retain(|id| {
                terms
                    .get(id)
                    .is_some_and(|t| filters.iter().all(|f| t.matches(f, hpo)))
            });
        }
        let mut groups = groups.to_vec();
        groups.sort();
        groups.dedup();
        if !groups.is_empty() && granularity == Granularity::Boolean {
            return Err(AppError::Forbidden(
                "subgroup counts need count- or record-level access".into(),
            ));
        }
        let members = if groups.is_empty() {
            HashMap::new()
        } else {
            self.subgroup_members(&scope.allowed, &groups).await?
        };
        let app = self.clone();
        let want_ref = q.reference_bases.as_ref().map(|s| s.to_ascii_uppercase());
        let want_alt = q.alternate_bases.as_ref().map(|s| s.to_ascii_uppercase());
        let q = q.clone();
        tokio::task::spawn_blocking(move || -> Result<CohortAnswer, AppError> {
            let empty = |subgroups| CohortAnswer {
                granularity,
                alleles: Vec::new(),
                subgroups,
                next: None,
            };
            let Some(store) = app.opened_variant_store()? else {
                return Ok(empty(Vec::new()));
            };
            let samples = store.samples();
            // germline frequencies: somatic batches (tumours) are not counted
            let of_origin = store.mask_origin(origin);
            let mut mask = SampleMask::none(samples.len());
            let mut sub: BTreeMap<Subgroup, SampleMask> = BTreeMap::new();
            for s in samples {
                if !scope.allowed.contains(&s.name) || !of_origin.contains(s.index) {
                    continue;
                }
                mask.insert(s.index);
                let Some(values) = members.get(&s.name) else {
                    continue;
                };
                for (g, v) in groups.iter().zip(values) {
                    if let Some(v) = v {
                        sub.entry(Subgroup {
                            group: *g,
                            value: v.clone(),
                        })
                        .or_insert_with(|| SampleMask::none(samples.len()))
                        .insert(s.index);
                    }
                }
            }
            let subgroups: Vec<Subgroup> = sub.keys().cloned().collect();
            let Some(chrom) = store.resolve_chrom(&q.chrom).map_err(store_error)? else {
                return Ok(empty(subgroups));
            };
            let region = q.region(&chrom)?;
            let masks: Vec<&SampleMask> = std::iter::once(&mask).chain(sub.values()).collect();
            let record = granularity == Granularity::Record;
            let scan = Scan {
                masks: &masks,
                carriers: record,
                after: after.as_ref(),
                limit,
                batches: None,
            };
            let mut keep = |a: &AlleleCounts| {
                a.counts[0].ac > 0
                    && want_ref.as_ref().is_none_or(|r| *r == a.reference)
                    && want_alt.as_ref().is_none_or(|r| *r == a.alt)
            };
            let mut alleles = Vec::new();
            let mut visit = |a: AlleleCounts| {
                let boolean = granularity == Granularity::Boolean;
                let n = |x: u32| if boolean { 0 } else { u64::from(x) };
                let c = a.counts[0];
                alleles.push(CohortAllele {
                    ac: n(c.ac),
                    an: n(c.an),
                    n_hom_alt: n(c.n_hom_alt),
                    n_hemi: n(c.n_hemi),
                    carriers: record.then(|| {
                        a.carriers
                            .iter()
                            .filter_map(|&i| samples.get(i as usize))
                            .map(|s| s.name.clone())
                            .collect()
                    }),
                    subgroups: a.counts[1..]
                        .iter()
                        .map(|c| SubgroupCounts {
                            ac: n(c.ac),
                            an: n(c.an),
                            n_hom_alt: n(c.n_hom_alt),
                            n_hemi: n(c.n_hemi),
                        })
                        .collect(),
                    chrom: a.chrom,
                    pos: u64::from(a.pos),
                    reference: a.reference,
                    alternate: a.alt,
                    annotation: None,
                });
            };
            let next = store
                .scan_alleles(&region, &scan, &mut keep, &mut visit)
                .map_err(store_error)?;
            Ok(CohortAnswer {
                granularity,
                alleles,
                subgroups,
                next,
            })
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant query: {e}")))?
    }
    /// Loads one tumour's somatic calls (a tumour/normal or tumour-only VCF:
    /// Mutect2, Strelka, VarScan, MuSE, TCGA exports) as `participant`'s
    /// somatic batch: the file's tumour column is found as
    /// `zenome_variants::somatic` says and stored under the participant's
    /// id. Data-centre staff or the local operator (the demo).
    pub async fn load_somatic_variants(
        &self,
        actor: &Actor,
        path: &Path,
        participant: &str,
    ) -> Result<VariantLoad, AppError> {
        let local = actor.via == crate::AuthMethod::Local;
        if !local && actor.role != Role::DataCentreStaff {
            return Err(AppError::Forbidden(format!(
                "role {} may not load variants",
                actor.role.name()
            )));
        }
        let p = path.to_path_buf();
        let tumour = tokio::task::spawn_blocking(move || {
            let r = zenome_variants::read::VariantReader::open(&p)?;
            Ok::<_, VariantsError>(zenome_variants::somatic::tumour_columns(
                r.header(),
                r.samples(),
            ))
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant load: {e}")))?
        .map_err(|e| AppError::invalid("file", e.to_string()))?;
        let column = match tumour.as_deref() {
            Some([c]) => *c,
            _ => {
                return Err(AppError::invalid(
                    "file",
                    "the file does not say which one column is the tumour",
                ));
            }
        };
        let plan = LoadPlan {
            origin: Origin::Somatic,
            columns: Some(vec![(column, participant.to_string())]),
            ..LoadPlan::default()
        };
        self.load_file(&actor.audit_name(), path, plan).await
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
        self.load_file(&actor.audit_name(), path, LoadPlan::default())
            .await
    }

    /// Loads one file as `plan` says, one load at a time; audited.
    async fn load_file(
        &self,
        who: &str,
        path: &Path,
        plan: LoadPlan,
    ) -> Result<VariantLoad, AppError> {
        let names = match &plan.columns {
            Some(c) => c.iter().map(|(_, n)| n.clone()).collect(),
            None => {
                let p = path.to_path_buf();
                tokio::task::spawn_blocking(move || {
                    zenome_variants::read::VariantReader::open(&p).map(|r| r.samples().to_vec())
                })
                .await
                .map_err(|e| AppError::Internal(format!("variant load: {e}")))?
                .map_err(|e| AppError::invalid("file", e.to_string()))?
            }
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
        let origin = plan.origin;
        let plan_object = plan.object.clone();
        // a stored object is loaded from a temporary file: messages name the object
        let (shown, as_shown) = (
            path.display().to_string(),
            plan.object
                .as_ref()
                .map_or_else(|| path.display().to_string(), |o| format!("object {o}")),
        );
        let _one_at_a_time = self.inner.variant_loader.lock().await;
        let report = tokio::task::spawn_blocking(move || {
            let mut store = VariantStore::open(&dir)?;
            let r = store.load(
                &p,
                LoadOptions {
                    pipeline: plan.pipeline,
                    reference_version: plan.reference_version,
                    reference: plan.reference,
                    origin: plan.origin,
                    columns: plan.columns,
                    ..Default::default()
                },
            )?;
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
            e @ VariantsError::AlreadyLoaded { .. } => AppError::Conflict {
                field: Some("sha256".into()),
                message: e.to_string().replace(&shown, &as_shown),
            },
            other => AppError::Conflict {
                field: Some("file".into()),
                message: other.to_string().replace(&shown, &as_shown),
            },
        })?;
        let b = report.batch;
        let entry = AuditEntry::new(who, "variants.load", format!("variant_batch:{}", b.id))
            .with_detail(serde_json::json!({
                "sha256": b.sha256, "samples": b.n_samples, "rows": b.n_rows,
                "origin": origin.as_str(), "object": plan_object,
                "pipeline": b.pipeline, "reference_version": b.reference_version,
            }));
        match &plan_object {
            // a stored object: its load state is written with the entry
            Some(o) => {
                let mut tx = self.store().begin(entry).await?;
                tx.set_variant_load(o, "loaded", Some(i64::from(b.id)), None)
                    .await?;
                tx.commit().await?;
            }
            None => {
                self.store().record(entry).await?;
            }
        }
        // the object store copy; a failure leaves the load in place (the
        // working copy is ahead, and the next start-up publishes it)
        if let Err(e) = self.publish_variant_store().await {
            tracing::error!(error = %e, batch = b.id, "cannot publish the variant store");
        }
        Ok(VariantLoad {
            batch: b.id,
            samples: b.n_samples,
            rows: b.n_rows,
        })
    }
}

/// How the server loads a stored object: which columns, as whom, from what.
#[derive(Debug, Default)]
struct LoadPlan {
    origin: Origin,
    /// (file column, participant id); `None`: every column, named as it is.
    columns: Option<Vec<(usize, String)>>,
    pipeline: String,
    reference_version: String,
    reference: Option<PathBuf>,
    object: Option<String>,
}

/// Whether a VCF's declared columns hold a tumour/normal pair (a participant
/// with a tumour and a normal column): such a file is somatic calls. Anything
/// else is germline.
pub(crate) fn tumour_normal_pair(columns: &[zenome_store::VcfSampleRow]) -> bool {
    columns.iter().any(|t| {
        t.tumour
            && columns
                .iter()
                .any(|n| !n.tumour && n.participant_id == t.participant_id)
    })
}

/// The identity under which the ingest reads back a stored VCF to load it.
fn ingest_actor() -> Actor {
    Actor {
        user_id: "system".into(),
        username: "system:ingest".into(),
        display_name: "Variant ingest".into(),
        role: Role::DataCentreStaff,
        via: crate::AuthMethod::Local,
        visa_datasets: None,
        credential: None,
    }
}

impl App {
    /// Loads a stored VCF/BCF object (by id) into the variant store
    /// (data-centre staff): the explicit load, and the retry of an automatic
    /// one that failed. See [`App::load_stored_vcf`]. A file already loaded
    /// is refused (409).
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
        let obj = self.object_for(actor, object_id, None).await?;
        self.load_stored_vcf(actor, &obj).await
    }

    /// Loads a stored VCF: its copies are read back and decrypted through
    /// the object reader to a temporary file beside the store, loaded, then
    /// removed. The columns map as its placeholder declared them
    /// (`vcf_samples`): each to its participant; when a participant has a
    /// tumour and a normal column (a tumour/normal pair) the batch is somatic
    /// and only the tumour columns are stored (the normal's is the germline
    /// reference of the call, not the participant's genotype). Without declared columns every column must be
    /// a participant id (as before). The batch records the upload's pipeline
    /// and reference version, and REF is checked against
    /// `[files] reference_fasta` when it is set.
    async fn load_stored_vcf(
        &self,
        actor: &Actor,
        obj: &zenome_store::ObjectRow,
    ) -> Result<VariantLoad, AppError> {
        if obj.format != "vcf" {
            return Err(AppError::invalid("object_id", "not a VCF/BCF object"));
        }
        let dir = self.variant_store_dir();
        let tmp = dir.join(format!(".incoming-{}", uuid::Uuid::new_v4()));
        let written = self.decrypt_to(actor, obj, &tmp).await;
        let out = match written {
            Ok(()) => match self.plan_of(obj, &tmp).await {
                Ok(plan) => self.load_file(&actor.audit_name(), &tmp, plan).await,
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let _ = tokio::fs::remove_file(&tmp).await;
        out
    }

    /// How to load a stored object (see [`App::load_stored_vcf`]).
    async fn plan_of(
        &self,
        obj: &zenome_store::ObjectRow,
        file: &Path,
    ) -> Result<LoadPlan, AppError> {
        let declared = self.store().vcf_samples(&obj.node_id).await?;
        let mut plan = LoadPlan {
            pipeline: obj.pipeline.clone().unwrap_or_default(),
            reference_version: obj.reference.clone().unwrap_or_default(),
            reference: self.config().files.reference_fasta.clone(),
            object: Some(obj.id.clone()),
            ..LoadPlan::default()
        };
        if declared.is_empty() {
            return Ok(plan);
        }
        let p = file.to_path_buf();
        let in_file = tokio::task::spawn_blocking(move || {
            zenome_variants::read::VariantReader::open(&p).map(|r| r.samples().to_vec())
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant load: {e}")))?
        .map_err(|e| AppError::invalid("file", e.to_string()))?;
        plan.origin = if tumour_normal_pair(&declared) {
            Origin::Somatic
        } else {
            Origin::Germline
        };
        let mut columns = Vec::new();
        for c in &declared {
            if plan.origin == Origin::Somatic && !c.tumour {
                continue;
            }
            let i = in_file.iter().position(|s| *s == c.sample).ok_or_else(|| {
                AppError::invalid(
                    "samples",
                    format!("the declared column {:?} is not in the file", c.sample),
                )
            })?;
            columns.push((i, c.participant_id.clone()));
        }
        plan.columns = Some(columns);
        Ok(plan)
    }

    /// After a VCF was stored and passed QC: loads it into the variant store
    /// in the background (the upload has answered already; a large cohort
    /// file takes minutes). The same bytes already loaded count as loaded. A
    /// failure leaves the stored file as it is, is audited
    /// (`variants.load_failed`) and raises the `variant_load_failed` alert;
    /// `POST /api/v1/variants/loads` retries it.
    pub(crate) fn load_after_ingest(&self, object_id: String) {
        let app = self.clone();
        let handle = tokio::spawn(async move {
            let actor = ingest_actor();
            let result = match app.store().object(&object_id).await {
                Ok(Some(obj)) => app.load_stored_vcf(&actor, &obj).await,
                Ok(None) => Err(AppError::NotFound("object")),
                Err(e) => Err(e.into()),
            };
            match result {
                Ok(l) => {
                    tracing::info!(
                        object = object_id,
                        batch = l.batch,
                        rows = l.rows,
                        "stored VCF loaded into the variant store"
                    );
                    // the batch's participants are annotated again
                    if let Err(e) = app.annotate_batch(l.batch).await {
                        tracing::error!(object = object_id, error = %e, "annotation after a variant load failed");
                    }
                }
                Err(AppError::Conflict {
                    field: Some(f),
                    message,
                }) if f == "sha256" => {
                    tracing::info!(
                        object = object_id,
                        "these bytes are in the variant store already"
                    );
                    app.record_variant_load(
                        &object_id,
                        "variants.already_loaded",
                        "loaded",
                        &message,
                    )
                    .await;
                }
                Err(e) => {
                    let reason = match &e {
                        AppError::Internal(m) => m.clone(),
                        other => other.to_string(),
                    };
                    tracing::error!(object = object_id, error = %reason, "variant load after ingest failed");
                    app.record_variant_load(&object_id, "variants.load_failed", "failed", &reason)
                        .await;
                    app.observe(crate::alerts::Event::VariantLoadFailed {
                        object: &object_id,
                        reason: &reason,
                    })
                    .await;
                }
            }
        });
        let mut loads = self.inner.variant_loads.lock().expect("variant loads");
        loads.retain(|h| !h.is_finished());
        loads.push(handle);
    }

    /// Records the outcome of an automatic load (audited with it).
    async fn record_variant_load(&self, object: &str, action: &str, state: &str, reason: &str) {
        let entry = AuditEntry::new("system:ingest", action, format!("object:{object}"))
            .with_detail(serde_json::json!({ "reason": reason }));
        let done = async {
            let mut tx = self.store().begin(entry).await?;
            let error = (state == "failed").then_some(reason);
            tx.set_variant_load(object, state, None, error).await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = done {
            tracing::error!(object, error = %e, "cannot record a variant load outcome");
        }
    }

    /// Start-up: stored VCFs that passed QC and were never attempted into
    /// the variant store (the server stopped between registering one and
    /// loading it) are loaded now, in the background. Failed loads are not
    /// retried here (they are alerted; `POST /api/v1/variants/loads`
    /// retries). Returns how many were started.
    pub async fn load_unloaded_variants(&self) -> Result<usize, AppError> {
        let pending = self.store().vcfs_never_loaded().await?;
        for o in &pending {
            self.load_after_ingest(o.id.clone());
        }
        Ok(pending.len())
    }

    /// The sample names (participant ids) the variant store holds, of every
    /// origin (operators and the demo; not a query: no consent applies).
    pub async fn variant_sample_names(&self) -> Result<HashSet<String>, AppError> {
        let app = self.clone();
        tokio::task::spawn_blocking(move || {
            let Some(store) = app.opened_variant_store()? else {
                return Ok(HashSet::new());
            };
            Ok(store.samples().iter().map(|s| s.name.clone()).collect())
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant store: {e}")))?
    }

    /// Waits for the variant loads started after uploads (tests, shutdown,
    /// the demo).
    pub async fn settle_variant_loads(&self) {
        loop {
            let pending: Vec<_> =
                std::mem::take(&mut *self.inner.variant_loads.lock().expect("variant loads"));
            if pending.is_empty() {
                return;
            }
            for h in pending {
                let _ = h.await;
            }
        }
    }
}

/// The configured gene model, read once on first use (a genome's GFF3 takes
/// seconds to read); a model that cannot be read is remembered as such.
#[derive(Debug, Default)]
pub(crate) struct GeneModelCache(std::sync::OnceLock<Result<Arc<GeneIndex>, String>>);

/// Where a gene lies, its chromosome as the variant store spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneRegion {
    /// The gene id of the model (`ENSG00000142192`).
    pub id: String,
    /// The symbol (`APP`), when the model has one.
    pub symbol: Option<String>,
    /// Chromosome.
    pub chrom: String,
    /// First base (1-based).
    pub start: u64,
    /// Last base (inclusive).
    pub end: u64,
}

impl App {
    /// The gene model of `[variants] gene_model`, read on first use.
    async fn gene_model(&self) -> Result<Arc<GeneIndex>, AppError> {
        let Some(path) = self.config().variants.gene_model.clone() else {
            return Err(AppError::invalid(
                "gene",
                "gene queries need a gene model ([variants] gene_model in the configuration)",
            ));
        };
        let app = self.clone();
        let model = tokio::task::spawn_blocking(move || {
            app.inner
                .gene_model
                .0
                .get_or_init(|| {
                    GeneIndex::from_path(&path)
                        .map(Arc::new)
                        .map_err(|e| e.to_string())
                })
                .clone()
        })
        .await
        .map_err(|e| AppError::Internal(format!("gene model: {e}")))?;
        model.map_err(|e| AppError::Internal(format!("gene model: {e}")))
    }

    /// The region of a gene named by symbol or id in the configured gene
    /// model, its chromosome spelt as the variant store spells it (`21` in
    /// the model, `chr21` in the store); `None` when the model has no such
    /// gene. Of several loci (PAR genes) the first on a stored chromosome.
    pub async fn gene_region(&self, name: &str) -> Result<Option<GeneRegion>, AppError> {
        let model = self.gene_model().await?;
        let app = self.clone();
        let name = name.to_string();
        tokio::task::spawn_blocking(move || -> Result<Option<GeneRegion>, AppError> {
            let loci = model.lookup(&name);
            let store = app.opened_variant_store()?;
            let mut first = None;
            for g in loci {
                let stored = match &store {
                    Some(s) => s.resolve_chrom(&g.chrom).map_err(store_error)?,
                    None => None,
                };
                let region = GeneRegion {
                    id: g.id.clone(),
                    symbol: g.symbol.clone(),
                    chrom: stored.clone().unwrap_or_else(|| g.chrom.clone()),
                    start: u64::from(g.start),
                    end: u64::from(g.end),
                };
                if stored.is_some() {
                    return Ok(Some(region));
                }
                first.get_or_insert(region);
            }
            Ok(first)
        })
        .await
        .map_err(|e| AppError::Internal(format!("gene lookup: {e}")))?
    }

    /// One allele named as `CHROM-POS-REF-ALT` or in HGVS `g.` (`field` is
    /// the parameter it came in, for errors), as a query. Indels whose
    /// description does not spell the reference bases take them from the
    /// stored alleles; a RefSeq accession of another assembly than the
    /// store's batches declare is refused.
    pub async fn variant_query(&self, field: &str, text: &str) -> Result<CohortQuery, AppError> {
        let spec = parse_variant(text).map_err(|e| AppError::invalid(field, e.to_string()))?;
        let app = self.clone();
        let field = field.to_string();
        tokio::task::spawn_blocking(move || -> Result<CohortQuery, AppError> {
            let store = app.opened_variant_store()?;
            if let (Some(a), Some(s)) = (spec.assembly, &store) {
                let declared: Vec<&str> = s
                    .manifest()
                    .batches
                    .iter()
                    .map(|b| b.reference_version.as_str())
                    .filter(|v| !v.trim().is_empty())
                    .collect();
                if !declared.is_empty() && !declared.iter().any(|v| a.matches(v)) {
                    return Err(AppError::invalid(
                        &field,
                        format!(
                            "{} names {a}; the variant store holds {}",
                            text_of(&spec.input),
                            declared.join(", ")
                        ),
                    ));
                }
            }
            let chrom = match &store {
                Some(s) => s
                    .resolve_chrom(&spec.chrom)
                    .map_err(store_error)?
                    .unwrap_or_else(|| spec.chrom.clone()),
                None => spec.chrom.clone(),
            };
            let mut bases = |a: u32, b: u32| {
                store
                    .as_ref()
                    .and_then(|s| s.reference_bases(&chrom, a, b).ok().flatten())
            };
            let allele = spec
                .to_allele(&mut bases)
                .map_err(|e| AppError::invalid(&field, e.to_string()))?;
            Ok(CohortQuery {
                chrom,
                start: u64::from(allele.pos),
                end: u64::from(allele.pos),
                reference_bases: Some(allele.reference),
                alternate_bases: Some(allele.alt),
            })
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant lookup: {e}")))?
    }
}

fn text_of(s: &str) -> String {
    s.split(':').next().unwrap_or(s).to_string()
}
