//! The cohort's variant summary for the public page (R9.1): variants per
//! genome, Ti/Tv, and both by disease area, summed from the per-sample
//! counts `zenome-variants` keeps per loaded batch (`summary/batch-<b>`,
//! written at load, or here on first use for older batches) over the
//! participants whose consent is in force *now* — read on every call, so a
//! withdrawal leaves the numbers on the next page load. Genotypes are not
//! read here; only the small summary files are.

use std::collections::HashMap;

use zenome_domain::participant::DiseaseArea;
use zenome_store::ParticipantFilter;
use zenome_variants::{SampleSummary, VariantsError};

use crate::{App, AppError};

/// The counts of a group of genomes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenomeCounts {
    /// Genomes (consenting participants with genotypes).
    pub genomes: u64,
    /// Non-reference alleles summed over the genomes.
    pub non_ref: u64,
    /// Non-reference SNVs that are transitions, summed.
    pub transitions: u64,
    /// …transversions, summed.
    pub transversions: u64,
    /// Non-reference SNVs, summed.
    pub snv: u64,
    /// Non-reference indels, summed.
    pub indel: u64,
}

impl GenomeCounts {
    fn add(&mut self, s: &SampleSummary) {
        self.genomes += 1;
        self.non_ref += s.non_ref;
        self.transitions += s.transitions;
        self.transversions += s.transversions;
        self.snv += s.snv;
        self.indel += s.indel;
    }

    /// Transitions / transversions, `None` without transversions.
    pub fn ti_tv(&self) -> Option<f64> {
        (self.transversions > 0).then(|| self.transitions as f64 / self.transversions as f64)
    }

    /// Mean non-reference alleles per genome, `None` without genomes.
    pub fn mean_non_ref(&self) -> Option<f64> {
        (self.genomes > 0).then(|| self.non_ref as f64 / self.genomes as f64)
    }
}

/// The variant summary of the genomes that may be counted now.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantSummary {
    /// All counted genomes.
    pub all: GenomeCounts,
    /// By disease area, in `DiseaseArea::ALL` order (areas without genomes too).
    pub by_area: Vec<(DiseaseArea, GenomeCounts)>,
    /// Non-reference alleles of each counted genome, ascending (for the distribution).
    pub per_genome: Vec<u64>,
}

fn store_error(e: VariantsError) -> AppError {
    AppError::Internal(format!("variant summary: {e}"))
}

impl App {
    /// The public variant summary: the per-sample counts of every loaded
    /// batch (computing a batch's on first use when it has none), kept for
    /// participants whose consent is in force now. No actor: it is public
    /// and aggregate; who shows it masks small counts.
    pub async fn variant_summary(&self) -> Result<VariantSummary, AppError> {
        let app = self.clone();
        let rows = tokio::task::spawn_blocking(move || -> Result<_, AppError> {
            let Some(store) = app.opened_variant_store()? else {
                return Ok(Vec::new());
            };
            zenome_variants::summary::all(&store).map_err(store_error)
        })
        .await
        .map_err(|e| AppError::Internal(format!("variant summary: {e}")))??;
        if rows.is_empty() {
            return Ok(VariantSummary::default());
        }
        let consented = self.consented_now(None).await?;
        let mut area_of: HashMap<String, DiseaseArea> = HashMap::new();
        for area in DiseaseArea::ALL {
            let f = ParticipantFilter {
                disease_area: Some(area),
                ..ParticipantFilter::default()
            };
            for id in self.store().participant_ids(&f).await? {
                area_of.insert(id.to_string(), area);
            }
        }
        let mut out = VariantSummary {
            by_area: DiseaseArea::ALL
                .iter()
                .map(|a| (*a, GenomeCounts::default()))
                .collect(),
            ..VariantSummary::default()
        };
        for s in rows.iter().filter(|s| consented.contains(&s.name)) {
            out.all.add(s);
            out.per_genome.push(s.non_ref);
            if let Some(area) = area_of.get(&s.name)
                && let Some((_, c)) = out.by_area.iter_mut().find(|(a, _)| a == area)
            {
                c.add(s);
            }
        }
        out.per_genome.sort_unstable();
        Ok(out)
    }
}
