//! A frozen subset of the MONDO disease ontology: the terms Zenome's cohorts
//! and disease-specific consents use, with their parents, so that a
//! disease-specific purpose can be matched against a disease-specific
//! consent ("the consented term or a descendant") without fetching an
//! ontology at run time. A term outside the table cannot be placed: the
//! matcher refers such a case to the DAC instead of guessing.

/// (id, English label, parent id). The root has itself as parent.
pub const TERMS: &[(&str, &str, &str)] = &[
    ("MONDO:0000001", "disease", "MONDO:0000001"),
    ("MONDO:0004992", "cancer", "MONDO:0000001"),
    ("MONDO:0008903", "lung cancer", "MONDO:0004992"),
    (
        "MONDO:0005233",
        "non-small cell lung carcinoma",
        "MONDO:0008903",
    ),
    ("MONDO:0007254", "breast cancer", "MONDO:0004992"),
    ("MONDO:0005575", "colorectal cancer", "MONDO:0004992"),
    ("MONDO:0001056", "gastric cancer", "MONDO:0004992"),
    ("MONDO:0007256", "hepatocellular carcinoma", "MONDO:0004992"),
    ("MONDO:0005071", "nervous system disorder", "MONDO:0000001"),
    ("MONDO:0007739", "Huntington disease", "MONDO:0005071"),
    (
        "MONDO:0004976",
        "amyotrophic lateral sclerosis",
        "MONDO:0005071",
    ),
    ("MONDO:0020121", "muscular dystrophy", "MONDO:0005071"),
    (
        "MONDO:0010679",
        "Duchenne muscular dystrophy",
        "MONDO:0020121",
    ),
    ("MONDO:0007947", "Marfan syndrome", "MONDO:0000001"),
    ("MONDO:0019200", "retinitis pigmentosa", "MONDO:0000001"),
];

/// Whether the table knows `id`.
pub fn known(id: &str) -> bool {
    TERMS.iter().any(|(t, _, _)| *t == id)
}

/// The label of a known term.
pub fn label(id: &str) -> Option<&'static str> {
    TERMS.iter().find(|(t, _, _)| *t == id).map(|(_, l, _)| *l)
}

/// Whether `term` is `ancestor` or one of its descendants. `None` when either
/// term is unknown.
pub fn is_a(term: &str, ancestor: &str) -> Option<bool> {
    if !known(term) || !known(ancestor) {
        return None;
    }
    let mut cur = term;
    loop {
        if cur == ancestor {
            return Some(true);
        }
        let parent = TERMS
            .iter()
            .find(|(t, _, _)| *t == cur)
            .map(|(_, _, p)| *p)?;
        if parent == cur {
            return Some(false);
        }
        cur = parent;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy() {
        assert_eq!(is_a("MONDO:0005233", "MONDO:0004992"), Some(true));
        assert_eq!(is_a("MONDO:0008903", "MONDO:0008903"), Some(true));
        assert_eq!(is_a("MONDO:0004992", "MONDO:0008903"), Some(false));
        assert_eq!(is_a("MONDO:0007739", "MONDO:0004992"), Some(false));
        assert_eq!(is_a("MONDO:9999999", "MONDO:0004992"), None);
        for (t, _, p) in TERMS {
            assert!(known(p), "{t}'s parent {p} is in the table");
            assert_eq!(is_a(t, "MONDO:0000001"), Some(true), "{t} reaches the root");
        }
    }
}
