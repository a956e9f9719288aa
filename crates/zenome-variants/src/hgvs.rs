//! Variants as users write them — `CHROM-POS-REF-ALT` keys and HGVS genomic
//! descriptions (`20:g.1000226A>T`, `NC_000020.10:g.1000226A>T`: RefSeq
//! chromosome accessions of GRCh37 and GRCh38) with substitutions, `del`,
//! `ins`, `delins` and `dup` — parsed into the store's VCF-style allele
//! (POS, REF, ALT, indels anchored on the base before). Edits that do not
//! spell their reference bases need them from somewhere ([`VariantSpec::to_allele`]
//! asks); without them the answer is an error saying which bases.

use std::fmt;

/// A reference assembly an accession belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assembly {
    GRCh37,
    GRCh38,
}

impl Assembly {
    /// `GRCh37` or `GRCh38`.
    pub fn as_str(self) -> &'static str {
        match self {
            Assembly::GRCh37 => "GRCh37",
            Assembly::GRCh38 => "GRCh38",
        }
    }

    /// Whether a batch's free-text reference version (`GRCh37`, `hg19`,
    /// `GRCh38.p14`, `hg38`…) names this assembly.
    pub fn matches(self, version: &str) -> bool {
        let v = version.trim().to_ascii_lowercase();
        let names: &[&str] = match self {
            Assembly::GRCh37 => &["grch37", "hg19", "b37", "hs37"],
            Assembly::GRCh38 => &["grch38", "hg38", "b38", "hs38"],
        };
        names.iter().any(|n| v.starts_with(n))
    }
}

impl fmt::Display for Assembly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A variant description that cannot be parsed or resolved: what and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?}, at character {}: {message}", .at + 1)]
pub struct HgvsError {
    /// The description as given.
    pub input: String,
    /// 0-based character offset of the fault.
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

/// The change a description makes (1-based positions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    /// A complete VCF-style allele (a key, a substitution, a `delins` that
    /// names the deleted bases).
    Allele {
        pos: u32,
        reference: String,
        alt: String,
    },
    /// `start_end del` (the deleted bases, when spelled).
    Del {
        start: u32,
        end: u32,
        deleted: Option<String>,
    },
    /// `after_(after+1) ins BASES`.
    Ins { after: u32, inserted: String },
    /// `start_end delins BASES` without the deleted bases.
    DelIns {
        start: u32,
        end: u32,
        inserted: String,
    },
    /// `start_end dup` (the duplicated bases, when spelled).
    Dup {
        start: u32,
        end: u32,
        duplicated: Option<String>,
    },
}

/// A parsed variant: where and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantSpec {
    /// The chromosome (`20`, `chr20`, `X`; a RefSeq accession becomes its
    /// chromosome number, `X`, `Y` or `MT`).
    pub chrom: String,
    /// The assembly, when a RefSeq accession named one.
    pub assembly: Option<Assembly>,
    /// The change.
    pub edit: Edit,
    /// The text as given.
    pub input: String,
}

/// RefSeq accession versions of the GRCh37 and GRCh38 chromosomes 1–22, X, Y.
const REFSEQ: [(&str, u32, u32); 24] = [
    ("1", 10, 11),
    ("2", 11, 12),
    ("3", 11, 12),
    ("4", 11, 12),
    ("5", 9, 10),
    ("6", 11, 12),
    ("7", 13, 14),
    ("8", 10, 11),
    ("9", 11, 12),
    ("10", 10, 11),
    ("11", 9, 10),
    ("12", 11, 12),
    ("13", 10, 11),
    ("14", 8, 9),
    ("15", 9, 10),
    ("16", 9, 10),
    ("17", 10, 11),
    ("18", 9, 10),
    ("19", 9, 10),
    ("20", 10, 11),
    ("21", 8, 9),
    ("22", 10, 11),
    ("X", 10, 11),
    ("Y", 9, 10),
];

/// The chromosome and assembly of a RefSeq chromosome accession
/// (`NC_000020.10` → `20`, GRCh37); the error says what is wrong.
pub fn refseq_chromosome(acc: &str) -> Result<(String, Option<Assembly>), String> {
    if acc == "NC_012920.1" {
        return Ok(("MT".into(), None));
    }
    let rest = acc
        .strip_prefix("NC_")
        .ok_or_else(|| format!("{acc} is not a RefSeq chromosome accession (NC_…)"))?;
    let (num, version) = rest
        .split_once('.')
        .ok_or_else(|| format!("{acc}: the accession needs its version (e.g. NC_000020.10)"))?;
    let n: usize = num
        .parse()
        .map_err(|_| format!("{acc}: not a RefSeq chromosome accession"))?;
    let v: u32 = version
        .parse()
        .map_err(|_| format!("{acc}: version is not a number"))?;
    let &(chrom, v37, v38) = n
        .checked_sub(1)
        .and_then(|i| REFSEQ.get(i))
        .filter(|_| num.len() == 6)
        .ok_or_else(|| format!("{acc} is not a human chromosome of GRCh37 or GRCh38"))?;
    let assembly = if v == v37 {
        Assembly::GRCh37
    } else if v == v38 {
        Assembly::GRCh38
    } else {
        return Err(format!(
            "{acc} is neither GRCh37 (NC_{num}.{v37}) nor GRCh38 (NC_{num}.{v38})"
        ));
    };
    Ok((chrom.to_string(), Some(assembly)))
}

fn is_bases(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b"ACGTNacgtn".contains(&b))
}

/// A cursor over the text, for errors that say where.
struct P<'a> {
    s: &'a str,
    i: usize,
    input: &'a str,
    base: usize,
}

impl<'a> P<'a> {
    fn err(&self, at: usize, message: impl Into<String>) -> HgvsError {
        HgvsError {
            input: self.input.to_string(),
            at: self.input[..self.base + at].chars().count(),
            message: message.into(),
        }
    }
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }
    fn eat(&mut self, t: &str) -> bool {
        if self.rest().starts_with(t) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn number(&mut self) -> Result<u32, HgvsError> {
        let n = self.rest().bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(self.err(self.i, "expected a position"));
        }
        let v: u32 = self.rest()[..n]
            .parse()
            .ok()
            .filter(|&v| v > 0 && v <= i32::MAX as u32)
            .ok_or_else(|| self.err(self.i, "position out of range"))?;
        self.i += n;
        Ok(v)
    }
    fn bases(&mut self) -> String {
        let n = self
            .rest()
            .bytes()
            .take_while(|b| b"ACGTNacgtn".contains(b))
            .count();
        let b = self.rest()[..n].to_ascii_uppercase();
        self.i += n;
        b
    }
}

/// Parses `CHROM-POS-REF-ALT` or an HGVS `g.` description.
pub fn parse_variant(text: &str) -> Result<VariantSpec, HgvsError> {
    let input = text.trim();
    if input.contains(":g.") || input.contains(':') {
        return parse_hgvs(input);
    }
    let err = |at: usize, m: &str| HgvsError {
        input: input.to_string(),
        at,
        message: m.to_string(),
    };
    let parts: Vec<&str> = input.rsplitn(4, '-').collect();
    let [alt, reference, pos, chrom] = parts[..] else {
        return Err(err(
            0,
            "expected CHROM-POS-REF-ALT (e.g. 20-1000226-A-T) or HGVS (e.g. 20:g.1000226A>T)",
        ));
    };
    let pos_at = chrom.chars().count() + 1;
    let ref_at = pos_at + pos.chars().count() + 1;
    let alt_at = ref_at + reference.chars().count() + 1;
    if chrom.is_empty() {
        return Err(err(0, "missing chromosome"));
    }
    let pos: u32 = pos
        .parse()
        .ok()
        .filter(|&p| p > 0 && p <= i32::MAX as u32)
        .ok_or_else(|| err(pos_at, "POS is not a position"))?;
    if !is_bases(reference) {
        return Err(err(ref_at, "REF is not bases (A, C, G, T, N)"));
    }
    if !is_bases(alt) {
        return Err(err(alt_at, "ALT is not bases (A, C, G, T, N)"));
    }
    Ok(VariantSpec {
        chrom: chrom.to_string(),
        assembly: None,
        edit: Edit::Allele {
            pos,
            reference: reference.to_ascii_uppercase(),
            alt: alt.to_ascii_uppercase(),
        },
        input: input.to_string(),
    })
}

/// Parses an HGVS genomic description `SEQ:g.EDIT`.
pub fn parse_hgvs(text: &str) -> Result<VariantSpec, HgvsError> {
    let input = text.trim();
    let top = P {
        s: input,
        i: 0,
        input,
        base: 0,
    };
    let Some((acc, desc)) = input.split_once(':') else {
        return Err(top.err(0, "expected SEQUENCE:g.EDIT, e.g. 20:g.1000226A>T"));
    };
    if acc.is_empty() {
        return Err(top.err(0, "missing sequence (a chromosome or NC_ accession)"));
    }
    let (chrom, assembly) = if acc.starts_with("NC_") {
        refseq_chromosome(acc).map_err(|m| top.err(0, m))?
    } else if acc.contains(['.', ' ', '/']) || acc.starts_with("NM_") || acc.starts_with("NG_") {
        return Err(top.err(
            0,
            format!("{acc}: only chromosomes and NC_ accessions are supported (genomic g.)"),
        ));
    } else {
        (acc.to_string(), None)
    };
    let mut p = P {
        s: desc,
        i: 0,
        input,
        base: acc.len() + 1,
    };
    if !p.eat("g.") {
        return Err(p.err(0, "only genomic descriptions (g.) are supported"));
    }
    let start = p.number()?;
    let mut end = start;
    let range_at = p.i;
    if p.eat("_") {
        end = p.number()?;
        if end < start {
            return Err(p.err(range_at, "the range ends before it starts"));
        }
    }
    let op_at = p.i;
    let edit = if p.rest().contains('>') {
        if end != start {
            return Err(p.err(range_at, "a substitution changes one base (use delins)"));
        }
        let r = p.bases();
        if r.len() != 1 {
            return Err(p.err(
                op_at,
                "a substitution needs one reference base, e.g. 100A>T",
            ));
        }
        if !p.eat(">") {
            return Err(p.err(p.i, "expected '>'"));
        }
        let alt_at = p.i;
        let a = p.bases();
        if a.len() != 1 {
            return Err(p.err(alt_at, "a substitution needs one alternate base"));
        }
        if a == r {
            return Err(p.err(alt_at, "the alternate base equals the reference"));
        }
        Edit::Allele {
            pos: start,
            reference: r,
            alt: a,
        }
    } else if p.eat("delins") {
        let at = p.i;
        let ins = p.bases();
        if ins.is_empty() {
            return Err(p.err(at, "delins needs the inserted bases"));
        }
        Edit::DelIns {
            start,
            end,
            inserted: ins,
        }
    } else if p.eat("del") {
        let at = p.i;
        let deleted = p.bases();
        if p.eat("ins") {
            let ins_at = p.i;
            let ins = p.bases();
            if ins.is_empty() {
                return Err(p.err(ins_at, "ins needs the inserted bases"));
            }
            if deleted.is_empty() {
                Edit::DelIns {
                    start,
                    end,
                    inserted: ins,
                }
            } else {
                if deleted.len() as u32 != end - start + 1 {
                    return Err(p.err(at, "the deleted bases do not fill the range"));
                }
                Edit::Allele {
                    pos: start,
                    reference: deleted,
                    alt: ins,
                }
            }
        } else {
            if !deleted.is_empty() && deleted.len() as u32 != end - start + 1 {
                return Err(p.err(at, "the deleted bases do not fill the range"));
            }
            Edit::Del {
                start,
                end,
                deleted: (!deleted.is_empty()).then_some(deleted),
            }
        }
    } else if p.eat("ins") {
        if end != start + 1 {
            return Err(p.err(
                range_at,
                "an insertion lies between two adjacent positions, e.g. 100_101insA",
            ));
        }
        let at = p.i;
        let ins = p.bases();
        if ins.is_empty() {
            return Err(p.err(at, "ins needs the inserted bases"));
        }
        Edit::Ins {
            after: start,
            inserted: ins,
        }
    } else if p.eat("dup") {
        let at = p.i;
        let d = p.bases();
        if !d.is_empty() && d.len() as u32 != end - start + 1 {
            return Err(p.err(at, "the duplicated bases do not fill the range"));
        }
        Edit::Dup {
            start,
            end,
            duplicated: (!d.is_empty()).then_some(d),
        }
    } else if p.rest().starts_with('=') {
        return Err(p.err(op_at, "'=' describes no change"));
    } else {
        return Err(p.err(op_at, "expected an edit: REF>ALT, del, ins, delins or dup"));
    };
    if !p.rest().is_empty() {
        return Err(p.err(p.i, format!("unexpected {:?}", p.rest())));
    }
    Ok(VariantSpec {
        chrom,
        assembly,
        edit,
        input: input.to_string(),
    })
}

/// A VCF-style allele.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VcfAllele {
    pub pos: u32,
    pub reference: String,
    pub alt: String,
}

impl VariantSpec {
    /// The VCF-style allele: indels anchored on the base before (as `bcftools
    /// norm` writes them). `bases(start, end)` gives the reference bases of a
    /// range (1-based, inclusive) when known; an edit that needs unknown
    /// bases is an error naming the range. Where the description spells its
    /// bases and the reference is known too, they must agree.
    pub fn to_allele(
        &self,
        bases: &mut dyn FnMut(u32, u32) -> Option<String>,
    ) -> Result<VcfAllele, HgvsError> {
        let err = |m: String| HgvsError {
            input: self.input.clone(),
            at: self.input.find(":g.").map_or(0, |i| i + 3),
            message: m,
        };
        let c = &self.chrom;
        let mut need = |a: u32, b: u32| -> Result<String, HgvsError> {
            bases(a, b).map(|s| s.to_ascii_uppercase()).ok_or_else(|| {
                err(format!(
                    "the reference at {c}:{a}-{b} cannot be resolved (no stored allele spans it); spell the bases in the description"
                ))
            })
        };
        let anchor_of = |start: u32| -> Result<u32, HgvsError> {
            start.checked_sub(1).filter(|&a| a > 0).ok_or_else(|| {
                err("an edit at the first base cannot be anchored on the base before".into())
            })
        };
        let (pos, reference, alt) = match &self.edit {
            Edit::Allele {
                pos,
                reference,
                alt,
            } => (*pos, reference.clone(), alt.clone()),
            Edit::Del {
                start,
                end,
                deleted,
            } => {
                let a = anchor_of(*start)?;
                let known = need(*start, *end).ok();
                let del = match (deleted, known) {
                    (Some(d), Some(k)) if *d != k => {
                        return Err(err(format!(
                            "the deleted bases {d} differ from the reference {k} at {c}:{start}-{end}"
                        )));
                    }
                    (Some(d), _) => d.clone(),
                    (None, Some(k)) => k,
                    (None, None) => need(*start, *end)?,
                };
                let anchor = need(a, a)?;
                (a, format!("{anchor}{del}"), anchor)
            }
            Edit::Ins { after, inserted } => {
                let anchor = need(*after, *after)?;
                (*after, anchor.clone(), format!("{anchor}{inserted}"))
            }
            Edit::DelIns {
                start,
                end,
                inserted,
            } => (*start, need(*start, *end)?, inserted.clone()),
            Edit::Dup {
                start,
                end,
                duplicated,
            } => {
                let a = anchor_of(*start)?;
                let d = match duplicated {
                    Some(d) => d.clone(),
                    None => need(*start, *end)?,
                };
                let anchor = need(a, a)?;
                (a, anchor.clone(), format!("{anchor}{d}"))
            }
        };
        Ok(VcfAllele {
            pos,
            reference,
            alt,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GRCh37 chr20 bases 1000220-1000235 (from the test reference).
    fn ref20(a: u32, b: u32) -> Option<String> {
        const START: u32 = 1000220;
        const SEQ: &str = "CAATCCACCACCCACA";
        (a >= START && b < START + SEQ.len() as u32 && a <= b)
            .then(|| SEQ[(a - START) as usize..=(b - START) as usize].to_string())
    }

    fn allele(s: &str) -> Result<VcfAllele, HgvsError> {
        parse_variant(s)?.to_allele(&mut ref20)
    }

    fn v(pos: u32, r: &str, a: &str) -> VcfAllele {
        VcfAllele {
            pos,
            reference: r.into(),
            alt: a.into(),
        }
    }

    #[test]
    fn keys_substitutions_and_accessions() {
        assert_eq!(allele("20-1000226-a-t").unwrap(), v(1000226, "A", "T"));
        assert_eq!(allele("20:g.1000226A>T").unwrap(), v(1000226, "A", "T"));
        let s = parse_variant("NC_000020.10:g.1000226A>T").unwrap();
        assert_eq!(
            (s.chrom.as_str(), s.assembly),
            ("20", Some(Assembly::GRCh37))
        );
        let s = parse_variant("NC_000020.11:g.1000226A>T").unwrap();
        assert_eq!(s.assembly, Some(Assembly::GRCh38));
        assert_eq!(parse_variant("NC_000023.10:g.5A>T").unwrap().chrom, "X");
        assert!(Assembly::GRCh37.matches("GRCh37.p13") && !Assembly::GRCh37.matches("hg38"));
    }

    #[test]
    fn indels_are_anchored_on_the_base_before() {
        // C(1000225) A(1000226) C(1000227)
        assert_eq!(allele("20:g.1000226del").unwrap(), v(1000225, "CA", "C"));
        assert_eq!(
            allele("20:g.1000226_1000227delAC").unwrap(),
            v(1000225, "CAC", "C")
        );
        assert_eq!(
            allele("20:g.1000226_1000227insTT").unwrap(),
            v(1000226, "A", "ATT")
        );
        assert_eq!(
            allele("20:g.1000226_1000227delinsG").unwrap(),
            v(1000226, "AC", "G")
        );
        assert_eq!(
            allele("20:g.1000226_1000227delACinsG").unwrap(),
            v(1000226, "AC", "G")
        );
        assert_eq!(allele("20:g.1000227dup").unwrap(), v(1000226, "A", "AC"));
        // spelled bases need no reference for a delins; a del still needs its anchor
        let s = parse_variant("20:g.5_6delACinsT").unwrap();
        assert_eq!(s.to_allele(&mut |_, _| None).unwrap(), v(5, "AC", "T"));
        let e = parse_variant("20:g.5_6del")
            .unwrap()
            .to_allele(&mut |_, _| None)
            .unwrap_err();
        assert!(e.message.contains("20:5-6 cannot be resolved"), "{e}");
        let e = allele("20:g.1000226delT").unwrap_err();
        assert!(e.message.contains("differ from the reference A"), "{e}");
    }

    #[test]
    fn malformed_descriptions_say_where() {
        for (s, at, what) in [
            ("20:g.1000226A>", 15, "alternate"),
            ("20:c.100A>T", 4, "genomic"),
            ("20:g.x100A>T", 6, "position"),
            ("20:g.100_99del", 9, "ends before"),
            ("20:g.100_105insA", 9, "adjacent"),
            ("20:g.100A>A", 11, "equals"),
            ("20:g.100_101delins", 19, "inserted"),
            ("20:g.100=", 9, "no change"),
            ("20:g.100A>Tx", 12, "unexpected"),
            ("NC_000020.9:g.1A>T", 1, "neither GRCh37"),
            ("NM_000546.6:c.215C>G", 1, "only chromosomes"),
            ("20-x-A-T", 4, "POS"),
            ("20-100-A-Q", 10, "ALT"),
            ("20-100-A", 1, "expected"),
        ] {
            let e = parse_variant(s).unwrap_err();
            assert_eq!(e.at + 1, at, "{s}: {e}");
            assert!(e.message.contains(what), "{s}: {e}");
            assert!(e.to_string().contains(&format!("character {at}")), "{e}");
        }
    }
}
