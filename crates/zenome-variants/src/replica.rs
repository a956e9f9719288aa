//! What a copy of the store elsewhere (an object store) needs from the
//! store's layout: the files a manifest refers to, and installing a manifest
//! fetched from a copy once its files are in place. Data files are written
//! once and never change, so a copy is complete when it holds every file of
//! its manifest; the manifest is the commit point on both sides.

use std::path::Path;

use crate::VariantsError;
use crate::store::{FORMAT, Manifest, samples_file, write_atomic};

impl Manifest {
    /// Every data file the manifest refers to, relative to the store root
    /// (`samples/…` and `variants/…`), in batch order.
    pub fn data_files(&self) -> Vec<String> {
        let mut out = Vec::new();
        for b in &self.batches {
            let samples = samples_file(b.id);
            if !b.files.contains(&samples) {
                out.push(samples);
            }
            out.extend(b.files.iter().cloned());
        }
        out
    }

    /// Parses a manifest (as written in `manifest.json`), refusing another
    /// format.
    pub fn parse(bytes: &[u8]) -> Result<Self, VariantsError> {
        let m: Manifest = serde_json::from_slice(bytes).map_err(|e| VariantsError::Store {
            path: "manifest.json".into(),
            message: e.to_string(),
        })?;
        if m.format != FORMAT {
            return Err(VariantsError::Store {
                path: "manifest.json".into(),
                message: format!("unsupported format {}", m.format),
            });
        }
        Ok(m)
    }

    /// The manifest as stored.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec_pretty(self).expect("manifest serialises")
    }
}

/// Makes `manifest` the store's manifest at `root` once every file it
/// refers to is present there (else an error naming the first missing one,
/// and nothing changes). Only a manifest with at least the batches of the
/// one in place is installed: a store never goes back.
pub fn install_manifest(root: &Path, manifest: &Manifest) -> Result<(), VariantsError> {
    for f in manifest.data_files() {
        let p = root.join(&f);
        if !p.is_file() {
            return Err(VariantsError::Store {
                path: p,
                message: "a file of the manifest is missing".into(),
            });
        }
    }
    let path = root.join("manifest.json");
    if let Ok(current) = std::fs::read(&path) {
        let current = Manifest::parse(&current)?;
        let ids = |m: &Manifest| m.batches.iter().map(|b| b.id).collect::<Vec<_>>();
        if !ids(manifest).starts_with(&ids(&current)) {
            return Err(VariantsError::Store {
                path,
                message: "the new manifest does not extend the one in place".into(),
            });
        }
    }
    write_atomic(&path, &manifest.to_bytes())
}
