//! Declared pedigrees (PLINK `.fam` / `.ped`: family, individual, father,
//! mother, sex, phenotype) against the relatedness the genomes show: a
//! declared parent–child or full-sibling pair must come out first degree,
//! members of different families must not come out first degree or closer.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use crate::IdentityError;
use crate::compare::{PairCounts, Relation, Verdict};

/// Pairs fewer than this many sites called in both get no relation.
pub const MIN_RELATION_SITES: u32 = 1_000;

/// One individual of a pedigree file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub family: String,
    pub id: String,
    pub father: Option<String>,
    pub mother: Option<String>,
    /// 1 male, 2 female, 0 unknown (as PLINK writes it).
    pub sex: u8,
}

/// A pedigree: members by id.
#[derive(Debug, Clone, Default)]
pub struct Pedigree {
    members: HashMap<String, Member>,
}

/// What a pedigree says of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Declared {
    ParentOffspring,
    FullSiblings,
    /// The two parents of a child of the pedigree: expected unrelated (a
    /// first-degree result is a sample mix-up or undeclared consanguinity).
    Mates,
    /// Same family, relation not stated (grandparent, cousin…): not checked.
    SameFamily,
    DifferentFamilies,
}

/// A declared pair checked against the genomes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PedigreeCheck {
    pub a: String,
    pub b: String,
    pub declared: Declared,
    pub observed: Option<Relation>,
    pub kinship: Option<f64>,
    pub ibs0_fraction: Option<f64>,
    pub n_sites: u32,
    pub verdict: Verdict,
}

impl Pedigree {
    /// Reads a `.fam`/`.ped` file (whitespace-separated; the first six columns).
    pub fn from_path(path: &Path) -> Result<Self, IdentityError> {
        let members = zenome_formats::read_ped(path).map_err(|e| match e {
            zenome_formats::PedError::Io { path, source } => IdentityError::io(&path, source),
            zenome_formats::PedError::Line {
                path,
                line,
                message,
            } => IdentityError::Panel {
                path,
                line,
                message,
            },
        })?;
        Ok(Self {
            members: members
                .into_iter()
                .map(|m| {
                    (
                        m.id.clone(),
                        Member {
                            family: m.family,
                            id: m.id,
                            father: m.father,
                            mother: m.mother,
                            sex: m.sex,
                        },
                    )
                })
                .collect(),
        })
    }

    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.get(id)
    }

    /// What the pedigree declares of `a` and `b` (None: one is not in it).
    pub fn declared(&self, a: &str, b: &str) -> Option<Declared> {
        let (x, y) = (self.members.get(a)?, self.members.get(b)?);
        if x.family != y.family {
            return Some(Declared::DifferentFamilies);
        }
        let parent_of = |p: &Member, c: &Member| {
            c.father.as_deref() == Some(&p.id) || c.mother.as_deref() == Some(&p.id)
        };
        if parent_of(x, y) || parent_of(y, x) {
            return Some(Declared::ParentOffspring);
        }
        if x.father.is_some() && x.mother.is_some() && x.father == y.father && x.mother == y.mother
        {
            return Some(Declared::FullSiblings);
        }
        let mates = self.members.values().any(|c| {
            let (f, m) = (c.father.as_deref(), c.mother.as_deref());
            (f == Some(a) && m == Some(b)) || (f == Some(b) && m == Some(a))
        });
        if mates {
            return Some(Declared::Mates);
        }
        Some(Declared::SameFamily)
    }
}

/// Checks one pair's counts against what the pedigree declares: first
/// degree where parent–offspring or full siblings are declared, not first
/// degree or closer across families; too few sites is a warning.
pub fn check_pair(a: &str, b: &str, declared: Declared, c: &PairCounts) -> PedigreeCheck {
    let kinship = c.kinship();
    let observed = (c.n >= MIN_RELATION_SITES)
        .then_some(kinship)
        .flatten()
        .map(Relation::from_kinship);
    let verdict = match (declared, observed) {
        (_, None) => Verdict::Warn,
        (Declared::ParentOffspring | Declared::FullSiblings, Some(Relation::FirstDegree)) => {
            Verdict::Pass
        }
        (Declared::ParentOffspring | Declared::FullSiblings, Some(_)) => Verdict::Fail,
        (
            Declared::DifferentFamilies | Declared::Mates,
            Some(Relation::Duplicate | Relation::FirstDegree),
        ) => Verdict::Fail,
        (Declared::DifferentFamilies | Declared::Mates, Some(Relation::SecondDegree)) => {
            Verdict::Warn
        }
        (Declared::DifferentFamilies | Declared::Mates, Some(_)) => Verdict::Pass,
        (Declared::SameFamily, Some(Relation::Duplicate)) => Verdict::Fail,
        (Declared::SameFamily, Some(_)) => Verdict::Pass,
    };
    PedigreeCheck {
        a: a.into(),
        b: b.into(),
        declared,
        observed,
        kinship,
        ibs0_fraction: c.ibs0_fraction(),
        n_sites: c.n,
        verdict,
    }
}
