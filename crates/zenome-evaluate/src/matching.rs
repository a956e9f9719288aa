//! (being written)
use std::path::Path;

use crate::{EvaluateError, Options, Report};

pub(crate) fn run(_truth: &Path, _query: &Path, _options: &Options) -> Result<Report, EvaluateError> {
    Err(EvaluateError::AssemblyMismatch {
        detail: "the matching engine is being written".into(),
    })
}
