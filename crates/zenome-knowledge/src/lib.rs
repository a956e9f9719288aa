//! Knowledge bases for actionability and the matching of a patient's
//! annotated variants to them. No HTTP, no SQL, no async: loaders read files
//! by path and return versioned, digested sets; everything else is pure.
//!
//! - `source`: `KnowledgeBase` (kind, version, paths, sha256) of every set.
//! - `civic`, `local`: CIViC (API JSON, nightly TSV) and the local evidence
//!   table, as `EvidenceSet`s (`evidence`).
//! - `hotspots`, `clinvar`, `acmg`: cancer hotspots v1/v2, ClinVar VCF (via
//!   noodles), the ACMG SF list.
//! - `disease`: ICD-O-3 sites → Disease Ontology / OncoTree terms, obsolete
//!   terms and their replacements.
//! - `patient`, `protein`: the patient's variants and context; HGVS p. and
//!   knowledge-base variant names.
//! - `matching`: therapies, hotspots and secondary findings of a patient.
//! - `trials`: trial criteria from TOML and patient ↔ trial matching.
//! - `diff`: findings before/after a knowledge change, and what a change
//!   can affect.

pub mod acmg;
pub mod civic;
pub mod clinvar;
pub mod diff;
pub mod disease;
pub mod error;
pub mod evidence;
pub mod hotspots;
pub mod local;
pub mod matching;
pub mod patient;
pub mod protein;
pub mod source;
pub mod trials;

pub use acmg::{AcmgSfList, load_acmg_sf};
pub use civic::{CivicApiFiles, load_civic_api, load_civic_nightly};
pub use clinvar::{ClinVarSet, load_clinvar};
pub use diff::{FindingsDiff, Impact, diff_findings};
pub use disease::{CancerSite, DiseaseMap, Morphology, Topography};
pub use error::{KnowledgeError, Location};
pub use evidence::{AmpClass, Assembly, EvidenceLevel, EvidenceSet};
pub use hotspots::{HotspotSet, load_hotspots};
pub use local::load_local_evidence;
pub use matching::{Findings, Knowledge, match_patient};
pub use patient::{AnnotatedVariant, Origin, PatientContext, Sex};
pub use source::{KbKind, KnowledgeBase};
pub use trials::{Trial, TrialPatient, load_trials};
