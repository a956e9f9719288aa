//! The identity of a loaded knowledge base (kind, version, file, content
//! digest) and the reading of its bytes with the digest taken on the way.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{KnowledgeError, Result};

/// Which knowledge base a record comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KbKind {
    /// CIViC, in its API JSON shape or its nightly TSV shape.
    Civic,
    /// The data centre's own evidence table (CIViC's evidence shape).
    LocalEvidence,
    /// Cancer hotspots (Chang et al.), v1 or v2.
    CancerHotspots,
    /// ClinVar's VCF release.
    ClinVar,
    /// The ACMG secondary-findings gene list.
    AcmgSf,
}

impl KbKind {
    pub fn as_str(self) -> &'static str {
        match self {
            KbKind::Civic => "civic",
            KbKind::LocalEvidence => "local-evidence",
            KbKind::CancerHotspots => "cancer-hotspots",
            KbKind::ClinVar => "clinvar",
            KbKind::AcmgSf => "acmg-sf",
        }
    }
}

impl std::fmt::Display for KbKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One loaded knowledge base: what it is, which version, where it was read
/// from and the SHA-256 of the bytes read (of every file, in order, when a
/// knowledge base spans several files).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KnowledgeBase {
    pub kind: KbKind,
    pub version: String,
    pub paths: Vec<PathBuf>,
    /// Lowercase hex SHA-256 of the content.
    pub sha256: String,
}

impl KnowledgeBase {
    /// `kind@version`, the short label carried by every finding.
    pub fn label(&self) -> String {
        format!("{}@{}", self.kind, self.version)
    }
}

/// A file's bytes and their digest.
pub(crate) struct Loaded {
    pub bytes: Vec<u8>,
    pub sha256: [u8; 32],
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> KnowledgeError + '_ {
    move |source| KnowledgeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads a whole file (the tabular and JSON knowledge bases are small: the
/// full CIViC nightly evidence is tens of MB) and digests it.
pub(crate) fn read_all(path: &Path) -> Result<Loaded> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(KnowledgeError::Empty {
            path: path.to_path_buf(),
        });
    }
    let sha256 = Sha256::digest(&bytes).into();
    Ok(Loaded { bytes, sha256 })
}

/// Digest of several files' digests, in order (a multi-file knowledge base).
pub(crate) fn combine(digests: &[[u8; 32]]) -> String {
    if let [one] = digests {
        return hex::encode(one);
    }
    let mut h = Sha256::new();
    for d in digests {
        h.update(d);
    }
    hex::encode(h.finalize())
}

/// SHA-256 of a file, streamed (ClinVar is not read whole).
pub(crate) fn digest_file(path: &Path) -> Result<String> {
    let mut f = open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(io_err(path))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

pub(crate) fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(io_err(path))
}
