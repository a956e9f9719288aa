//! Sequence Ontology consequence terms as Ensembl VEP uses them, in VEP's
//! order of severity (its `%OVERLAP_CONSEQUENCES` ranks), with VEP's impact
//! class. A set of terms is a bit set ([`Consequences`]); printing it joins
//! the terms with `&`, most severe first, as VEP does.

use std::fmt;

/// How much a consequence is expected to matter (VEP's IMPACT column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Impact {
    Modifier,
    Low,
    Moderate,
    High,
}

impl Impact {
    /// `HIGH`, `MODERATE`, `LOW` or `MODIFIER`.
    pub fn as_str(self) -> &'static str {
        match self {
            Impact::High => "HIGH",
            Impact::Moderate => "MODERATE",
            Impact::Low => "LOW",
            Impact::Modifier => "MODIFIER",
        }
    }
}

macro_rules! consequences {
    ($($variant:ident = $term:literal, $impact:ident;)*) => {
        /// One consequence term; the declaration order is VEP's severity
        /// order (most severe first).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[repr(u8)]
        pub enum Consequence { $($variant,)* }

        impl Consequence {
            /// Every term, most severe first.
            pub const ALL: &'static [Consequence] = &[$(Consequence::$variant,)*];

            /// The Sequence Ontology term (`missense_variant`).
            pub fn term(self) -> &'static str {
                match self { $(Consequence::$variant => $term,)* }
            }

            /// VEP's impact class of the term.
            pub fn impact(self) -> Impact {
                match self { $(Consequence::$variant => Impact::$impact,)* }
            }
        }
    };
}

consequences! {
    TranscriptAblation = "transcript_ablation", High;
    SpliceAcceptor = "splice_acceptor_variant", High;
    SpliceDonor = "splice_donor_variant", High;
    StopGained = "stop_gained", High;
    Frameshift = "frameshift_variant", High;
    StopLost = "stop_lost", High;
    StartLost = "start_lost", High;
    FeatureElongation = "feature_elongation", Modifier;
    FeatureTruncation = "feature_truncation", Modifier;
    InframeInsertion = "inframe_insertion", Moderate;
    InframeDeletion = "inframe_deletion", Moderate;
    Missense = "missense_variant", Moderate;
    ProteinAltering = "protein_altering_variant", Moderate;
    SpliceDonor5thBase = "splice_donor_5th_base_variant", Low;
    SpliceRegion = "splice_region_variant", Low;
    SpliceDonorRegion = "splice_donor_region_variant", Low;
    SplicePolypyrimidineTract = "splice_polypyrimidine_tract_variant", Low;
    IncompleteTerminalCodon = "incomplete_terminal_codon_variant", Low;
    StartRetained = "start_retained_variant", Low;
    StopRetained = "stop_retained_variant", Low;
    Synonymous = "synonymous_variant", Low;
    CodingSequence = "coding_sequence_variant", Modifier;
    FivePrimeUtr = "5_prime_UTR_variant", Modifier;
    ThreePrimeUtr = "3_prime_UTR_variant", Modifier;
    NonCodingTranscriptExon = "non_coding_transcript_exon_variant", Modifier;
    Intron = "intron_variant", Modifier;
    NmdTranscript = "NMD_transcript_variant", Modifier;
    NonCodingTranscript = "non_coding_transcript_variant", Modifier;
    Upstream = "upstream_gene_variant", Modifier;
    Downstream = "downstream_gene_variant", Modifier;
    Intergenic = "intergenic_variant", Modifier;
}

impl Consequence {
    /// The Sequence Ontology accession (`SO:0001583`), as Beacon v2's
    /// `molecularEffects` and Phenopackets name the term.
    pub fn so_id(self) -> &'static str {
        match self {
            Consequence::TranscriptAblation => "SO:0001893",
            Consequence::SpliceAcceptor => "SO:0001574",
            Consequence::SpliceDonor => "SO:0001575",
            Consequence::StopGained => "SO:0001587",
            Consequence::Frameshift => "SO:0001589",
            Consequence::StopLost => "SO:0001578",
            Consequence::StartLost => "SO:0002012",
            Consequence::FeatureElongation => "SO:0001907",
            Consequence::FeatureTruncation => "SO:0001906",
            Consequence::InframeInsertion => "SO:0001821",
            Consequence::InframeDeletion => "SO:0001822",
            Consequence::Missense => "SO:0001583",
            Consequence::ProteinAltering => "SO:0001818",
            Consequence::SpliceDonor5thBase => "SO:0001787",
            Consequence::SpliceRegion => "SO:0001630",
            Consequence::SpliceDonorRegion => "SO:0002170",
            Consequence::SplicePolypyrimidineTract => "SO:0002169",
            Consequence::IncompleteTerminalCodon => "SO:0001626",
            Consequence::StartRetained => "SO:0002019",
            Consequence::StopRetained => "SO:0001567",
            Consequence::Synonymous => "SO:0001819",
            Consequence::CodingSequence => "SO:0001580",
            Consequence::FivePrimeUtr => "SO:0001623",
            Consequence::ThreePrimeUtr => "SO:0001624",
            Consequence::NonCodingTranscriptExon => "SO:0001792",
            Consequence::Intron => "SO:0001627",
            Consequence::NmdTranscript => "SO:0001621",
            Consequence::NonCodingTranscript => "SO:0001619",
            Consequence::Upstream => "SO:0001631",
            Consequence::Downstream => "SO:0001632",
            Consequence::Intergenic => "SO:0001628",
        }
    }

    /// The term for a Sequence Ontology name, if it is one of ours.
    pub fn from_term(term: &str) -> Option<Consequence> {
        Consequence::ALL.iter().copied().find(|c| c.term() == term)
    }
}

impl fmt::Display for Consequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.term())
    }
}

/// A set of consequence terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Consequences(u64);

impl Consequences {
    /// The empty set.
    pub const EMPTY: Consequences = Consequences(0);

    /// Adds a term.
    pub fn insert(&mut self, c: Consequence) {
        self.0 |= 1 << (c as u8);
    }

    /// Removes a term.
    pub fn remove(&mut self, c: Consequence) {
        self.0 &= !(1 << (c as u8));
    }

    /// Whether the set holds `c`.
    pub fn contains(self, c: Consequence) -> bool {
        self.0 & (1 << (c as u8)) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The terms, most severe first.
    pub fn iter(self) -> impl Iterator<Item = Consequence> {
        Consequence::ALL
            .iter()
            .copied()
            .filter(move |c| self.contains(*c))
    }

    /// The most severe term.
    pub fn most_severe(self) -> Option<Consequence> {
        self.iter().next()
    }

    /// The impact of the most severe term.
    pub fn impact(self) -> Impact {
        self.most_severe()
            .map(Consequence::impact)
            .unwrap_or(Impact::Modifier)
    }
}

impl fmt::Display for Consequences {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, c) in self.iter().enumerate() {
            if i > 0 {
                f.write_str("&")?;
            }
            f.write_str(c.term())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_prints_most_severe_first_and_takes_its_impact() {
        let mut s = Consequences::EMPTY;
        s.insert(Consequence::SpliceRegion);
        s.insert(Consequence::Intron);
        s.insert(Consequence::Missense);
        assert_eq!(
            s.to_string(),
            "missense_variant&splice_region_variant&intron_variant"
        );
        assert_eq!(s.impact(), Impact::Moderate);
        assert_eq!(
            Consequence::from_term("stop_gained"),
            Some(Consequence::StopGained)
        );
        assert!(Consequence::ALL.len() < 64);
    }
}
