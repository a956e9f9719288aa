//! The server key: seals secrets at rest and derives the CSRF key. Kept in
//! `DATA_DIR/keys/server.key` (hex, mode 0600), created on first start.

use std::io::Write;
use std::path::Path;

use zenome_auth::SealKey;

use crate::AppError;

/// Loads the key at `path`, creating it if missing.
pub fn load_or_create(path: &Path) -> Result<SealKey, AppError> {
    if path.exists() {
        let s = std::fs::read_to_string(path)
            .map_err(|e| AppError::Internal(format!("read server key {}: {e}", path.display())))?;
        return SealKey::from_hex(&s)
            .map_err(|e| AppError::Internal(format!("server key {}: {e}", path.display())));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| AppError::Internal(format!("create {}: {e}", dir.display())))?;
    }
    let key = SealKey::generate();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| AppError::Internal(format!("create server key {}: {e}", path.display())))?;
    f.write_all(key.to_hex().as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| AppError::Internal(format!("write server key {}: {e}", path.display())))?;
    Ok(key)
}
