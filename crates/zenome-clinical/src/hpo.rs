//! The Human Phenotype Ontology: a parser of the OBO text format (the fields the
//! validation needs) and term lookup, with a real subset of HPO built in.

use std::collections::HashMap;
use std::io::BufRead;

use crate::error::HpoError;

/// The text of the built-in subset (`data/hp-subset.obo`, HPO release
/// 2025-01-16, verbatim stanzas), for tools that need it as a file.
pub const BUILTIN_OBO: &str = include_str!("../data/hp-subset.obo");
const BUILTIN: &str = BUILTIN_OBO;

/// The root of every phenotypic abnormality.
pub const PHENOTYPIC_ABNORMALITY: &str = "HP:0000118";
/// The root of the onset classes.
pub const ONSET: &str = "HP:0003674";

/// One term (`[Term]` stanza).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Term {
    pub id: String,
    pub name: String,
    pub is_obsolete: bool,
    /// The term to use instead of an obsolete one.
    pub replaced_by: Option<String>,
    /// Terms to consider instead of an obsolete one without a single replacement.
    pub consider: Vec<String>,
    /// Former ids merged into this term.
    pub alt_ids: Vec<String>,
    /// Direct parents.
    pub is_a: Vec<String>,
    /// Other names (exact, related, lay), as people search for the term.
    pub synonyms: Vec<String>,
}

/// An ontology: terms by id, `alt_id`s resolving to their primary term.
#[derive(Debug, Clone, Default)]
pub struct Hpo {
    terms: Vec<Term>,
    index: HashMap<String, usize>,
    data_version: Option<String>,
}

impl Hpo {
    /// The subset of HPO release 2025-01-16 shipped in `data/hp-subset.obo`.
    pub fn builtin() -> Self {
        Self::from_obo(BUILTIN.as_bytes()).expect("built-in ontology parses")
    }

    /// Parses an OBO 1.2/1.4 file: `[Term]` stanzas' `id`, `name`, `is_obsolete`,
    /// `replaced_by`, `consider`, `alt_id` and `is_a`; other tags and stanzas are skipped.
    /// Load the full release with `Hpo::from_obo(BufReader::new(File::open(path)?))`.
    pub fn from_obo(reader: impl BufRead) -> Result<Self, HpoError> {
        let mut hpo = Hpo::default();
        let mut current: Option<Term> = None;
        let mut in_term = false;
        let mut line_no = 0;
        for line in reader.lines() {
            let line = line?;
            line_no += 1;
            let line = line.trim_end();
            if line.is_empty() || line.starts_with('!') {
                continue;
            }
            if line.starts_with('[') {
                if let Some(term) = current.take() {
                    hpo.push(term, line_no)?;
                }
                in_term = line == "[Term]";
                if in_term {
                    current = Some(Term::default());
                }
                continue;
            }
            let Some((tag, value)) = line.split_once(':') else {
                return Err(HpoError::Parse {
                    line: line_no,
                    message: format!("expected `tag: value`, found {line:?}"),
                });
            };
            let value = value.trim_start();
            let Some(term) = current.as_mut() else {
                if !in_term && hpo.terms.is_empty() && tag == "data-version" {
                    hpo.data_version = Some(value.to_owned());
                }
                continue;
            };
            // A value ends at ` !` (a comment) or at `{` (trailing modifiers).
            let bare = || {
                let v = value.split(" !").next().unwrap_or(value);
                v.split(" {").next().unwrap_or(v).trim().to_owned()
            };
            match tag {
                "id" => term.id = bare(),
                "name" => term.name = value.to_owned(),
                "is_obsolete" => term.is_obsolete = bare() == "true",
                "replaced_by" => term.replaced_by = Some(bare()),
                "consider" => term.consider.push(bare()),
                "alt_id" => term.alt_ids.push(bare()),
                "is_a" => term.is_a.push(bare()),
                // `synonym: "Epilepsy" RELATED layperson []`: the quoted text
                "synonym" => {
                    if let Some(text) = value
                        .strip_prefix('"')
                        .and_then(|v| v.split_once('"'))
                        .map(|(t, _)| t)
                    {
                        term.synonyms.push(text.to_owned());
                    }
                }
                _ => {}
            }
        }
        if let Some(term) = current.take() {
            hpo.push(term, line_no)?;
        }
        Ok(hpo)
    }

    fn push(&mut self, term: Term, line: usize) -> Result<(), HpoError> {
        if term.id.is_empty() {
            return Err(HpoError::Parse {
                line,
                message: "a [Term] stanza without an id".into(),
            });
        }
        let i = self.terms.len();
        // An id may already be known as another term's alt_id; a primary id wins.
        if let Some(prev) = self.index.insert(term.id.clone(), i)
            && self.terms[prev].id == term.id
        {
            return Err(HpoError::Parse {
                line,
                message: format!("term {} defined twice", term.id),
            });
        }
        for alt in &term.alt_ids {
            let primary = |j: &usize| self.terms.get(*j).is_some_and(|t| t.id == *alt);
            if !self.index.get(alt).is_some_and(primary) {
                self.index.insert(alt.clone(), i);
            }
        }
        self.terms.push(term);
        Ok(())
    }

    /// The term with this id; an `alt_id` gives its primary term.
    pub fn term(&self, id: &str) -> Option<&Term> {
        self.index.get(id).map(|&i| &self.terms[i])
    }

    /// The number of terms (obsolete ones included, `alt_id`s not counted).
    pub fn len(&self) -> usize {
        self.terms.len()
    }

    /// Whether no term was loaded.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Every term, in file order.
    pub fn terms(&self) -> impl Iterator<Item = &Term> {
        self.terms.iter()
    }

    /// Terms for what a person typed, best first, at most `limit`, obsolete
    /// ones left out: the term with that id (or `alt_id`), then names that
    /// start with the text, then names containing it, then synonyms
    /// containing it (case-insensitive; every word of the text must occur).
    pub fn search(&self, text: &str, limit: usize) -> Vec<&Term> {
        let q = text.trim().to_lowercase();
        if q.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut out: Vec<&Term> = Vec::new();
        if let Some(t) = self
            .term(&text.trim().to_uppercase())
            .filter(|t| !t.is_obsolete)
        {
            out.push(t);
        }
        let words: Vec<&str> = q.split_whitespace().collect();
        let all = |s: &str| {
            let s = s.to_lowercase();
            words.iter().all(|w| s.contains(w))
        };
        let live = || self.terms.iter().filter(|t| !t.is_obsolete);
        let ranks: [&dyn Fn(&Term) -> bool; 3] = [
            &|t| t.name.to_lowercase().starts_with(&q),
            &|t| all(&t.name),
            &|t| t.synonyms.iter().any(|s| all(s)),
        ];
        for rank in ranks {
            for t in live().filter(|t| rank(t)) {
                if out.len() == limit {
                    return out;
                }
                if !out.iter().any(|o| o.id == t.id) {
                    out.push(t);
                }
            }
        }
        out
    }

    /// The file's `data-version` header (e.g. `hp/releases/2025-01-16`).
    pub fn data_version(&self) -> Option<&str> {
        self.data_version.as_deref()
    }

    /// Whether `id` is `ancestor` or lies below it through `is_a`.
    pub fn is_a(&self, id: &str, ancestor: &str) -> bool {
        let (Some(start), Some(goal)) = (self.term(id), self.term(ancestor)) else {
            return false;
        };
        let mut stack = vec![start];
        let mut seen = std::collections::HashSet::new();
        while let Some(t) = stack.pop() {
            if t.id == goal.id {
                return true;
            }
            if seen.insert(t.id.as_str()) {
                stack.extend(t.is_a.iter().filter_map(|p| self.term(p)));
            }
        }
        false
    }
}

/// Whether `s` has the shape of an HPO id, `HP:` and seven digits.
pub fn is_hpo_id(s: &str) -> bool {
    s.len() == 10 && s.starts_with("HP:") && s[3..].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = "format-version: 1.2\ndata-version: hp/releases/test\n\n[Term]\nid: HP:0000001\nname: All\n\n[Term]\nid: HP:0000118\nname: Phenotypic abnormality\nis_a: HP:0000001 ! All\n\n[Term]\nid: HP:0001250\nname: Seizure\nalt_id: HP:0002279\nis_a: HP:0000118 ! Phenotypic abnormality {source=x}\n\n[Term]\nid: HP:0000057\nname: obsolete Clitoromegaly\nis_obsolete: true\nreplaced_by: HP:0008665\n\n[Typedef]\nid: part_of\nname: part of\n";

    #[test]
    fn parses_terms_alt_ids_and_obsolete() {
        let hpo = Hpo::from_obo(SMALL.as_bytes()).unwrap();
        assert_eq!(hpo.len(), 4);
        assert_eq!(hpo.data_version(), Some("hp/releases/test"));
        assert_eq!(hpo.term("HP:0002279").unwrap().id, "HP:0001250");
        assert_eq!(hpo.term("HP:0001250").unwrap().is_a, ["HP:0000118"]);
        let obs = hpo.term("HP:0000057").unwrap();
        assert!(obs.is_obsolete);
        assert_eq!(obs.replaced_by.as_deref(), Some("HP:0008665"));
        assert!(hpo.is_a("HP:0001250", "HP:0000001"));
        assert!(!hpo.is_a("HP:0000001", "HP:0001250"));
        assert!(hpo.term("part_of").is_none());
    }

    #[test]
    fn a_line_without_a_tag_names_its_line() {
        let err = Hpo::from_obo("[Term]\nid: HP:1\nnonsense\n".as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 3: expected `tag: value`, found \"nonsense\""
        );
    }

    #[test]
    fn builtin_subset_has_onset_classes_and_obsolete_terms() {
        let hpo = Hpo::builtin();
        assert!(hpo.len() > 300, "{}", hpo.len());
        assert_eq!(hpo.data_version(), Some("hp/releases/2025-01-16"));
        for onset in [
            "HP:0003577",
            "HP:0003623",
            "HP:0003593",
            "HP:0011463",
            "HP:0003581",
        ] {
            assert!(hpo.is_a(onset, ONSET), "{onset}");
        }
        assert!(hpo.is_a("HP:0001250", PHENOTYPIC_ABNORMALITY));
        assert!(
            hpo.terms()
                .any(|t| t.is_obsolete && t.replaced_by.is_some())
        );
        assert!(hpo.terms().any(|t| t.is_obsolete && !t.consider.is_empty()));
        // every parent of every term is in the subset
        for t in hpo.terms() {
            for p in &t.is_a {
                assert!(hpo.term(p).is_some(), "{} lacks parent {p}", t.id);
            }
        }
    }

    #[test]
    fn hpo_id_shape() {
        assert!(is_hpo_id("HP:0001250"));
        assert!(!is_hpo_id("HP:001250"));
        assert!(!is_hpo_id("hp:0001250"));
    }
}
