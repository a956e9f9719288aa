//! A PED file (family, individual, father, mother, sex, phenotype): who is
//! the proband's parent and who is affected.

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
    pub fn from_path(path: &Path) -> Result<Self, PrioritiseError> {
        let text = std::fs::read_to_string(path).map_err(|e| PrioritiseError::Io {
            path: path.into(),
            source: e,
        })?;
        let mut members = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 6 {
                return Err(PrioritiseError::Input {
                    path: path.into(),
                    message: format!(
                        "line {}: a PED line has six columns (family, individual, father, mother, sex, phenotype); found {}",
                        n + 1,
                        f.len()
                    ),
                });
            }
            let parent = |s: &str| (s != "0" && s != ".").then(|| s.to_string());
            members.push(Member {
                family: f[0].into(),
                id: f[1].into(),
                father: parent(f[2]),
                mother: parent(f[3]),
                sex: f[4].parse().unwrap_or(0),
                affected: f[5] == "2",
            });
        }
        Ok(Self { members })
    }

    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.id == id)
    }
}
