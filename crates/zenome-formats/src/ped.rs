//! PED / PLINK `.fam` files (family, individual, father, mother, sex,
//! phenotype; whitespace-separated, `#` comments): the one reader behind
//! the identity checks' declared relations and rare-disease inheritance.

use std::path::Path;

/// One line of a PED file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PedMember {
    pub family: String,
    pub id: String,
    /// `None` for `0` or `.`.
    pub father: Option<String>,
    pub mother: Option<String>,
    /// 1 male, 2 female, 0 unknown (as PLINK writes it).
    pub sex: u8,
    /// The sixth column: `Some(true)` for 2, `Some(false)` for 1, `None`
    /// when missing or another value (0, -9, a quantitative trait).
    pub affected: Option<bool>,
}

/// A PED line that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum PedError {
    #[error("{path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: line {line}: {message}")]
    Line {
        path: std::path::PathBuf,
        line: u64,
        message: String,
    },
}

/// Reads every member; at least the first five columns are required.
pub fn read_ped(path: &Path) -> Result<Vec<PedMember>, PedError> {
    let text = std::fs::read_to_string(path).map_err(|e| PedError::Io {
        path: path.into(),
        source: e,
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 5 {
            return Err(PedError::Line {
                path: path.into(),
                line: i as u64 + 1,
                message: format!(
                    "a pedigree line needs family, individual, father, mother and sex (and phenotype); found {} fields",
                    f.len()
                ),
            });
        }
        let parent = |p: &str| (p != "0" && p != ".").then(|| p.to_string());
        out.push(PedMember {
            family: f[0].into(),
            id: f[1].into(),
            father: parent(f[2]),
            mother: parent(f[3]),
            sex: f[4].parse().unwrap_or(0),
            affected: match f.get(5) {
                Some(&"2") => Some(true),
                Some(&"1") => Some(false),
                _ => None,
            },
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_parents_sex_and_affection_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f.ped");
        std::fs::write(
            &p,
            "# trio\nFAM kind vater mutter 2 2\nFAM vater 0 0 1 1\nFAM mutter . . 2 -9\nFAM x 0 0 0\n",
        )
        .unwrap();
        let m = read_ped(&p).unwrap();
        assert_eq!(m.len(), 4);
        assert_eq!(m[0].father.as_deref(), Some("vater"));
        assert_eq!(m[0].affected, Some(true));
        assert_eq!(m[1].affected, Some(false));
        assert_eq!(m[2].father, None);
        assert_eq!(m[2].affected, None);
        assert_eq!(m[3].affected, None);
        std::fs::write(&p, "FAM kind vater\n").unwrap();
        let e = read_ped(&p).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("found 3 fields"), "{e}");
    }
}
