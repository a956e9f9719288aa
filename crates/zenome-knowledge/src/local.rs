//! The data centre's own evidence table (e.g. approvals in Japan by PMDA):
//! CIViC's nightly evidence TSV in its gene/variant-era shape
//! (`civic::NIGHTLY_V1_COLUMNS`, optional trailing `is_flagged`), one row per
//! evidence item, `evidence_id` any unique text (`JP-0001`), UTF-8 (disease
//! names may be Japanese). Format in `data/README.md`; example
//! `data/local_evidence_example.tsv`.

use std::path::Path;

use crate::error::Result;
use crate::evidence::EvidenceSet;
use crate::source::KbKind;

/// Loads a local evidence table; its version is given by the caller (the
/// table's own release label), else the latest `last_review_date`.
pub fn load_local_evidence(path: &Path, version: Option<&str>) -> Result<EvidenceSet> {
    crate::civic::load_evidence_tsv(path, KbKind::LocalEvidence, version)
}
