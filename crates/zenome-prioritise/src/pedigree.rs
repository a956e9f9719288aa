//! The family as inheritance needs it: who is the proband's parent and who
//! is affected (read by zenome-formats' PED reader).

use std::path::Path;

use crate::error::PrioritiseError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub family: String,
    pub id: String,
    pub father: Option<String>,
    pub mother: Option<String>,
    /// 1 male, 2 female, 0 unknown.
    pub sex: u8,
    /// PED phenotype 2.
    pub affected: bool,
}

#[derive(Debug, Clone, Default)]
pub struct Pedigree {
    pub members: Vec<Member>,
}

impl Pedigree {
    /// Reads a PED file (zenome-formats' reader); the sixth column
    /// (2 = affected) is required.
    pub fn from_path(path: &Path) -> Result<Self, PrioritiseError> {
        let members = zenome_formats::read_ped(path).map_err(|e| PrioritiseError::Input {
            path: path.into(),
            message: e.to_string(),
        })?;
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            let Some(affected) = m.affected else {
                return Err(PrioritiseError::Input {
                    path: path.into(),
                    message: format!(
                        "member {}: the sixth column (phenotype) must be 1 (unaffected) or 2 (affected)",
                        m.id
                    ),
                });
            };
            out.push(Member {
                family: m.family,
                id: m.id,
                father: m.father,
                mother: m.mother,
                sex: m.sex,
                affected,
            });
        }
        Ok(Self { members: out })
    }

    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }
}
