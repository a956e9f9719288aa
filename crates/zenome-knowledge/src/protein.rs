//! Protein changes as knowledge bases and annotators write them: HGVS p.
//! with three-letter codes (`p.Val600Glu`, `p.(Val600Glu)`), one-letter
//! (`V600E`, `p.V600E`), stop as `Ter`, `*` or `X`; and the variant names of
//! knowledge bases that name a codon (`V600`), a whole gene (`MUTATION`), or
//! something this crate does not match (fusions, amplifications, exons).

use std::fmt;

/// One of the 20 amino acids or stop, by its one-letter code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AminoAcid(u8);

const CODES: [(&str, u8); 21] = [
    ("Ala", b'A'),
    ("Arg", b'R'),
    ("Asn", b'N'),
    ("Asp", b'D'),
    ("Cys", b'C'),
    ("Gln", b'Q'),
    ("Glu", b'E'),
    ("Gly", b'G'),
    ("His", b'H'),
    ("Ile", b'I'),
    ("Leu", b'L'),
    ("Lys", b'K'),
    ("Met", b'M'),
    ("Phe", b'F'),
    ("Pro", b'P'),
    ("Ser", b'S'),
    ("Thr", b'T'),
    ("Trp", b'W'),
    ("Tyr", b'Y'),
    ("Val", b'V'),
    ("Ter", b'*'),
];

impl AminoAcid {
    pub const STOP: AminoAcid = AminoAcid(b'*');

    /// From a one-letter code (`X` and `*` are stop).
    pub fn from_one(c: char) -> Option<Self> {
        let c = c.to_ascii_uppercase();
        if c == 'X' {
            return Some(Self::STOP);
        }
        CODES
            .iter()
            .find(|(_, one)| *one as char == c)
            .map(|(_, one)| AminoAcid(*one))
    }

    /// From a three-letter code, case-insensitive.
    pub fn from_three(s: &str) -> Option<Self> {
        CODES
            .iter()
            .find(|(three, _)| three.eq_ignore_ascii_case(s))
            .map(|(_, one)| AminoAcid(*one))
    }

    pub fn one_letter(self) -> char {
        self.0 as char
    }
}

impl fmt::Display for AminoAcid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.one_letter())
    }
}

/// A single amino-acid change at one residue (1-based position).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProteinChange {
    pub reference: AminoAcid,
    pub position: u32,
    /// `None` when the change is not a substitution (frameshift, deletion…):
    /// only the first residue touched is known.
    pub alternate: Option<AminoAcid>,
}

impl fmt::Display for ProteinChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.reference, self.position)?;
        if let Some(a) = self.alternate {
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

/// Reads a patient's protein change: `p.Val600Glu`, `p.(Val600Glu)`,
/// `NP_004324.2:p.Val600Glu`, `V600E`, `p.V600E`, `p.Arg213Ter`, `p.R213*`;
/// frameshifts and in-frame indels give the first residue only
/// (`p.Glu746_Ala750del` → E746). `None` for anything else (`p.=`, `p.?`,
/// synonymous `p.Val600=` is a change to itself).
pub fn parse_hgvs_p(s: &str) -> Option<ProteinChange> {
    let s = s.trim();
    let s = s.rsplit_once(':').map_or(s, |(_, p)| p);
    let s = s.strip_prefix("p.").unwrap_or(s);
    let s = s
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(s);
    // reference residue: three-letter first, then one-letter
    let (reference, rest) = if s.len() >= 3
        && s.is_char_boundary(3)
        && let Some(aa) = AminoAcid::from_three(&s[..3])
    {
        (aa, &s[3..])
    } else {
        let c = s.chars().next()?;
        if !c.is_ascii_alphabetic() && c != '*' {
            return None;
        }
        (AminoAcid::from_one(c)?, &s[1..])
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let position: u32 = rest[..digits].parse().ok()?;
    let tail = &rest[digits..];
    let alternate = if tail.is_empty() {
        // a codon alone (`V600`) is not a patient's change
        return None;
    } else if tail == "=" {
        Some(reference)
    } else if let Some(aa) = (tail.len() == 3)
        .then(|| AminoAcid::from_three(tail))
        .flatten()
    {
        Some(aa)
    } else if tail.len() == 1 {
        Some(AminoAcid::from_one(tail.chars().next()?)?)
    } else if tail.starts_with('_')
        || tail.starts_with("fs")
        || tail.starts_with("del")
        || tail.starts_with("ins")
        || tail.starts_with("dup")
        || tail.len() > 3 && tail.is_char_boundary(3) && tail[3..].starts_with("fs")
        || tail.len() > 1 && tail[1..].starts_with("fs")
    {
        None
    } else {
        return None;
    };
    Some(ProteinChange {
        reference,
        position,
        alternate,
    })
}

/// What a knowledge-base variant name says about which changes it covers.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum VariantSpec {
    /// One substitution (`V600E`).
    Substitution(ProteinChange),
    /// Any change of one residue (`V600`, `G12`).
    Codon { reference: AminoAcid, position: u32 },
    /// Any protein-altering change of the gene (`MUTATION`).
    AnyMutation,
    /// Named, but not matched from a small variant (fusions, amplification,
    /// expression, exon-level events…): kept for display, never matched.
    Unmatched(String),
}

/// Reads a knowledge-base variant name (CIViC `name`, hotspots codon).
pub fn parse_variant_name(name: &str) -> VariantSpec {
    let n = name.trim();
    if n.eq_ignore_ascii_case("mutation") || n.eq_ignore_ascii_case("mutations") {
        return VariantSpec::AnyMutation;
    }
    if let Some(c) = parse_hgvs_p(n)
        && c.alternate.is_some()
        && !n.contains(['_', ' '])
        && !n.contains("fs")
        && !n.contains("del")
        && !n.contains("ins")
    {
        return VariantSpec::Substitution(c);
    }
    // codon: one letter + digits only
    let mut chars = n.chars();
    if let Some(first) = chars.next()
        && let Some(reference) = AminoAcid::from_one(first)
        && first.is_ascii_uppercase()
        && n.len() > 1
        && n[1..].bytes().all(|b| b.is_ascii_digit())
        && let Ok(position) = n[1..].parse()
    {
        return VariantSpec::Codon {
            reference,
            position,
        };
    }
    VariantSpec::Unmatched(n.to_string())
}

impl VariantSpec {
    /// How a patient's change relates to this name, if it is covered.
    pub fn covers(
        &self,
        change: Option<&ProteinChange>,
        consequences: &[String],
    ) -> Option<MatchKind> {
        match (self, change) {
            (VariantSpec::Substitution(s), Some(c)) => (s.position == c.position
                && s.reference == c.reference
                && s.alternate == c.alternate)
                .then_some(MatchKind::Protein),
            (
                VariantSpec::Codon {
                    reference,
                    position,
                },
                Some(c),
            ) => (c.position == *position
                && c.reference == *reference
                && c.alternate != Some(c.reference))
            .then_some(MatchKind::Codon),
            (VariantSpec::AnyMutation, _) => consequences
                .iter()
                .any(|t| is_protein_altering(t))
                .then_some(MatchKind::Gene),
            _ => None,
        }
    }
}

/// How precisely a finding matched the patient's variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKind {
    /// Same chromosome, position, alleles and assembly.
    Genomic,
    /// Same amino-acid substitution.
    Protein,
    /// Same residue, another (or any) change.
    Codon,
    /// Any protein-altering change of the gene.
    Gene,
}

/// Sequence Ontology terms that change the protein (VEP's HIGH and MODERATE
/// impact terms that apply to coding sequence).
pub fn is_protein_altering(term: &str) -> bool {
    matches!(
        term,
        "transcript_ablation"
            | "splice_acceptor_variant"
            | "splice_donor_variant"
            | "stop_gained"
            | "frameshift_variant"
            | "stop_lost"
            | "start_lost"
            | "inframe_insertion"
            | "inframe_deletion"
            | "missense_variant"
            | "protein_altering_variant"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pc(r: char, p: u32, a: char) -> ProteinChange {
        ProteinChange {
            reference: AminoAcid::from_one(r).unwrap(),
            position: p,
            alternate: AminoAcid::from_one(a),
        }
    }

    #[test]
    fn hgvs_p_three_one_and_parenthesised_agree() {
        let want = Some(pc('V', 600, 'E'));
        for s in [
            "p.Val600Glu",
            "p.(Val600Glu)",
            "V600E",
            "p.V600E",
            "NP_004324.2:p.Val600Glu",
            "p.(V600E)",
        ] {
            assert_eq!(parse_hgvs_p(s), want, "{s}");
        }
        assert_eq!(parse_hgvs_p("p.Arg213Ter"), Some(pc('R', 213, '*')));
        assert_eq!(parse_hgvs_p("p.R213*"), Some(pc('R', 213, '*')));
        assert_eq!(parse_hgvs_p("p.Val600="), Some(pc('V', 600, 'V')));
        let fs = parse_hgvs_p("p.Glu746_Ala750del").unwrap();
        assert_eq!((fs.position, fs.alternate), (746, None));
        assert_eq!(parse_hgvs_p("p.Lys27AsnfsTer9").unwrap().alternate, None);
        for bad in [
            "",
            "p.?",
            "p.=",
            "V600",
            "600E",
            "p.Xyz600Glu",
            "バリン600",
            "V６００E",
        ] {
            assert_eq!(parse_hgvs_p(bad), None, "{bad}");
        }
    }

    #[test]
    fn variant_names() {
        assert_eq!(
            parse_variant_name("V600E"),
            VariantSpec::Substitution(pc('V', 600, 'E'))
        );
        assert_eq!(
            parse_variant_name("G12"),
            VariantSpec::Codon {
                reference: AminoAcid::from_one('G').unwrap(),
                position: 12
            }
        );
        assert_eq!(parse_variant_name("MUTATION"), VariantSpec::AnyMutation);
        for other in [
            "EML4-ALK",
            "AMPLIFICATION",
            "EXON 19 DELETION",
            "L747_P753delinsS",
            "D842_I843delinsIM",
        ] {
            assert!(
                matches!(parse_variant_name(other), VariantSpec::Unmatched(_)),
                "{other}"
            );
        }
    }

    #[test]
    fn codon_covers_other_changes_not_synonymous() {
        let codon = parse_variant_name("V600");
        assert_eq!(
            codon.covers(Some(&pc('V', 600, 'K')), &[]),
            Some(MatchKind::Codon)
        );
        assert_eq!(codon.covers(Some(&pc('V', 600, 'V')), &[]), None);
        let sub = parse_variant_name("V600E");
        assert_eq!(sub.covers(Some(&pc('V', 600, 'K')), &[]), None);
        assert_eq!(
            VariantSpec::AnyMutation.covers(None, &["synonymous_variant".into()]),
            None
        );
    }
}
