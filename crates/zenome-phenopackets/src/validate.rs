//! Validation of phenopackets and families, modelled on phenopacket-tools' validators.
//!
//! [`validate`] walks a whole phenopacket and returns every [`Problem`] found, each with the
//! JSON path of the offending value (`$.phenotypicFeatures[2].type.id`) and its [`Rule`].
//! Term existence is asked of a [`TermLookup`] that the caller implements over its ontology;
//! [`NoLookup`] checks CURIE syntax and declared prefixes only.

mod syntax;

use std::collections::{HashMap, HashSet};
use std::fmt;

use crate::schema::{
    Age, Biosample, Disease, Family, File, GenomicInterpretation, Individual, Interpretation,
    Measurement, MedicalAction, MetaData, OntologyClass, Phenopacket, PhenotypicFeature, Procedure,
    Quantity, TimeElement, TimeInterval, VariationDescriptor,
};

/// What a [`TermLookup`] knows of an HPO term.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermStatus {
    /// A current term, with its primary label. An empty label means "not checked": no label
    /// comparison is made.
    Current { label: String },
    /// An obsolete term and, if the ontology says so, the term replacing it.
    Obsolete { replaced_by: Option<String> },
    /// No such term.
    Unknown,
}

/// The caller's view of the HPO (e.g. over its loaded `hp.json`).
pub trait TermLookup {
    /// The status of an `HP:` term id.
    fn hpo(&self, id: &str) -> TermStatus;
}

/// A lookup that knows no ontology: every term is taken as current, so only syntax and
/// declarations are checked.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLookup;

impl TermLookup for NoLookup {
    fn hpo(&self, _id: &str) -> TermStatus {
        TermStatus::Current {
            label: String::new(),
        }
    }
}

/// The rule a [`Problem`] breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A required field is absent or empty.
    MissingField,
    /// `metaData.phenopacketSchemaVersion` is not a 2.x version.
    SchemaVersion,
    /// An ontology class id is not a CURIE `PREFIX:LOCAL`.
    InvalidCurie,
    /// A CURIE prefix is not declared by any `metaData.resources[].namespacePrefix`.
    UndeclaredPrefix,
    /// An HPO term does not exist.
    UnknownTerm,
    /// An HPO term is obsolete.
    ObsoleteTerm,
    /// An HPO term's label differs from the ontology's primary label.
    LabelMismatch,
    /// The same phenotypic feature is both observed and excluded.
    ConflictingFeature,
    /// An age is not an ISO 8601 duration.
    InvalidDuration,
    /// A timestamp is not RFC 3339.
    InvalidTimestamp,
    /// More than one member of a `oneof` is set.
    OneofConflict,
    /// A pedigree person's father or mother is not a person of the pedigree.
    DanglingParent,
    /// The proband or a relative is not a person of the pedigree.
    NotInPedigree,
    /// Two pedigree persons share an individual id.
    DuplicatePerson,
}

impl Rule {
    /// The rule's stable kebab-case name, e.g. `undeclared-prefix`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingField => "missing-field",
            Self::SchemaVersion => "schema-version",
            Self::InvalidCurie => "invalid-curie",
            Self::UndeclaredPrefix => "undeclared-prefix",
            Self::UnknownTerm => "unknown-term",
            Self::ObsoleteTerm => "obsolete-term",
            Self::LabelMismatch => "label-mismatch",
            Self::ConflictingFeature => "conflicting-feature",
            Self::InvalidDuration => "invalid-duration",
            Self::InvalidTimestamp => "invalid-timestamp",
            Self::OneofConflict => "oneof-conflict",
            Self::DanglingParent => "dangling-parent",
            Self::NotInPedigree => "not-in-pedigree",
            Self::DuplicatePerson => "duplicate-person",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule at one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// JSON path of the offending value, e.g. `$.phenotypicFeatures[2].type.id`.
    pub path: String,
    pub rule: Rule,
    /// What is wrong, lower-case, e.g. `prefix "MONDO" is not declared in metaData.resources`.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.rule)
    }
}

/// Every problem of a phenopacket; empty when it is valid.
pub fn validate(phenopacket: &Phenopacket, lookup: &dyn TermLookup) -> Vec<Problem> {
    let mut checker = Checker {
        lookup,
        problems: Vec::new(),
        prefixes: None,
    };
    checker.phenopacket("$", phenopacket, None);
    checker.problems
}

/// Every problem of a family: its own fields, the pedigree, and the proband's and relatives'
/// phenopackets (whose metadata may be left to the family's).
pub fn validate_family(family: &Family, lookup: &dyn TermLookup) -> Vec<Problem> {
    let mut checker = Checker {
        lookup,
        problems: Vec::new(),
        prefixes: None,
    };
    checker.family(family);
    checker.problems
}

struct Checker<'a> {
    lookup: &'a dyn TermLookup,
    problems: Vec<Problem>,
    /// Declared namespace prefixes of the phenopacket being walked; `None` when it has no
    /// metadata at all (reported once, not at every term).
    prefixes: Option<HashSet<String>>,
}

impl Checker<'_> {
    fn report(&mut self, path: String, rule: Rule, message: String) {
        self.problems.push(Problem {
            path,
            rule,
            message,
        });
    }

    fn required(&mut self, path: &str, field: &str, present: bool) {
        if !present {
            self.report(
                format!("{path}.{field}"),
                Rule::MissingField,
                format!("{field} is required"),
            );
        }
    }

    fn family(&mut self, family: &Family) {
        self.required("$", "id", !family.id.is_empty());
        match &family.meta_data {
            Some(meta) => self.meta_data("$.metaData", meta),
            None => self.required("$", "metaData", false),
        }
        let inherited = family.meta_data.as_ref();
        match &family.proband {
            Some(proband) => self.phenopacket("$.proband", proband, inherited),
            None => self.required("$", "proband", false),
        }
        for (i, relative) in family.relatives.iter().enumerate() {
            self.phenopacket(&format!("$.relatives[{i}]"), relative, inherited);
        }
        self.files("$", &family.files);

        let Some(pedigree) = &family.pedigree else {
            self.required("$", "pedigree", false);
            return;
        };
        let mut persons: HashMap<&str, usize> = HashMap::new();
        for (i, person) in pedigree.persons.iter().enumerate() {
            let path = format!("$.pedigree.persons[{i}]");
            self.required(&path, "individualId", !person.individual_id.is_empty());
            if person.individual_id.is_empty() {
                continue;
            }
            if let Some(first) = persons.insert(&person.individual_id, i) {
                self.report(
                    format!("{path}.individualId"),
                    Rule::DuplicatePerson,
                    format!(
                        "individual {:?} is also persons[{first}]",
                        person.individual_id
                    ),
                );
            }
        }
        for (i, person) in pedigree.persons.iter().enumerate() {
            for (field, parent) in [
                ("paternalId", &person.paternal_id),
                ("maternalId", &person.maternal_id),
            ] {
                if !parent.is_empty() && parent != "0" && !persons.contains_key(parent.as_str()) {
                    self.report(
                        format!("$.pedigree.persons[{i}].{field}"),
                        Rule::DanglingParent,
                        format!("parent {parent:?} is not a person of the pedigree"),
                    );
                }
            }
        }
        let members = family
            .proband
            .iter()
            .map(|p| ("$.proband".to_owned(), p))
            .chain(
                family
                    .relatives
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (format!("$.relatives[{i}]"), p)),
            );
        for (path, member) in members {
            if let Some(id) = member
                .subject
                .as_ref()
                .map(|s| &s.id)
                .filter(|id| !id.is_empty())
                && !persons.contains_key(id.as_str())
            {
                self.report(
                    format!("{path}.subject.id"),
                    Rule::NotInPedigree,
                    format!("subject {id:?} is not a person of the pedigree"),
                );
            }
        }
    }

    fn phenopacket(&mut self, path: &str, p: &Phenopacket, inherited: Option<&MetaData>) {
        self.required(path, "id", !p.id.is_empty());
        match (&p.meta_data, inherited) {
            (Some(meta), _) => self.meta_data(&format!("{path}.metaData"), meta),
            (None, Some(_)) => {}
            (None, None) => self.required(path, "metaData", false),
        }
        self.prefixes = declared(p.meta_data.as_ref(), inherited);

        if let Some(subject) = &p.subject {
            self.individual(&format!("{path}.subject"), subject);
        }
        for (i, feature) in p.phenotypic_features.iter().enumerate() {
            self.feature(&format!("{path}.phenotypicFeatures[{i}]"), feature);
        }
        self.conflicts(path, &p.phenotypic_features);
        for (i, m) in p.measurements.iter().enumerate() {
            self.measurement(&format!("{path}.measurements[{i}]"), m);
        }
        for (i, b) in p.biosamples.iter().enumerate() {
            self.biosample(&format!("{path}.biosamples[{i}]"), b);
        }
        for (i, interpretation) in p.interpretations.iter().enumerate() {
            self.interpretation(&format!("{path}.interpretations[{i}]"), interpretation);
        }
        for (i, d) in p.diseases.iter().enumerate() {
            self.disease(&format!("{path}.diseases[{i}]"), d);
        }
        for (i, action) in p.medical_actions.iter().enumerate() {
            self.medical_action(&format!("{path}.medicalActions[{i}]"), action);
        }
        self.files(path, &p.files);
    }

    fn meta_data(&mut self, path: &str, meta: &MetaData) {
        match &meta.created {
            Some(created) => self.timestamp(&format!("{path}.created"), created),
            None => self.required(path, "created", false),
        }
        self.required(path, "createdBy", !meta.created_by.is_empty());
        let version = &meta.phenopacket_schema_version;
        if version.is_empty() {
            self.required(path, "phenopacketSchemaVersion", false);
        } else if !is_schema_v2(version) {
            self.report(
                format!("{path}.phenopacketSchemaVersion"),
                Rule::SchemaVersion,
                format!("schema version {version:?} is not 2.0 (nor 2 or 2.0.N)"),
            );
        }
        for (i, resource) in meta.resources.iter().enumerate() {
            let rpath = format!("{path}.resources[{i}]");
            self.required(&rpath, "id", !resource.id.is_empty());
            self.required(
                &rpath,
                "namespacePrefix",
                !resource.namespace_prefix.is_empty(),
            );
        }
        for (i, update) in meta.updates.iter().enumerate() {
            match &update.timestamp {
                Some(ts) => self.timestamp(&format!("{path}.updates[{i}].timestamp"), ts),
                None => self.required(&format!("{path}.updates[{i}]"), "timestamp", false),
            }
        }
    }

    fn individual(&mut self, path: &str, subject: &Individual) {
        self.required(path, "id", !subject.id.is_empty());
        if let Some(dob) = &subject.date_of_birth {
            self.timestamp(&format!("{path}.dateOfBirth"), dob);
        }
        self.opt_time(
            &format!("{path}.timeAtLastEncounter"),
            subject.time_at_last_encounter.as_ref(),
        );
        if let Some(vital) = &subject.vital_status {
            let vpath = format!("{path}.vitalStatus");
            self.opt_time(
                &format!("{vpath}.timeOfDeath"),
                vital.time_of_death.as_ref(),
            );
            self.opt_term(
                &format!("{vpath}.causeOfDeath"),
                vital.cause_of_death.as_ref(),
            );
        }
        self.opt_term(&format!("{path}.gender"), subject.gender.as_ref());
        self.opt_term(&format!("{path}.taxonomy"), subject.taxonomy.as_ref());
    }

    fn feature(&mut self, path: &str, f: &PhenotypicFeature) {
        match &f.r#type {
            Some(term) => self.term(&format!("{path}.type"), term),
            None => self.required(path, "type", false),
        }
        self.opt_term(&format!("{path}.severity"), f.severity.as_ref());
        self.terms(&format!("{path}.modifiers"), &f.modifiers);
        self.opt_time(&format!("{path}.onset"), f.onset.as_ref());
        self.opt_time(&format!("{path}.resolution"), f.resolution.as_ref());
        for (i, e) in f.evidence.iter().enumerate() {
            self.opt_term(
                &format!("{path}.evidence[{i}].evidenceCode"),
                e.evidence_code.as_ref(),
            );
        }
    }

    /// A term both observed and excluded (by id) is a contradiction.
    fn conflicts(&mut self, path: &str, features: &[PhenotypicFeature]) {
        let mut observed: HashMap<&str, usize> = HashMap::new();
        for (i, f) in features.iter().enumerate() {
            if let Some(term) = f.r#type.as_ref().filter(|_| !f.excluded) {
                observed.entry(term.id.as_str()).or_insert(i);
            }
        }
        for (i, f) in features.iter().enumerate() {
            if let Some(term) = f.r#type.as_ref().filter(|_| f.excluded)
                && let Some(j) = observed.get(term.id.as_str())
            {
                self.report(
                    format!("{path}.phenotypicFeatures[{i}].type.id"),
                    Rule::ConflictingFeature,
                    format!(
                        "{} is excluded here and observed at phenotypicFeatures[{j}]",
                        term.id
                    ),
                );
            }
        }
    }

    fn measurement(&mut self, path: &str, m: &Measurement) {
        match &m.assay {
            Some(assay) => self.term(&format!("{path}.assay"), assay),
            None => self.required(path, "assay", false),
        }
        if m.value.is_some() && m.complex_value.is_some() {
            self.oneof(path, "value, complexValue");
        }
        if let Some(value) = &m.value {
            match value {
                crate::schema::Value::Quantity(q) => {
                    self.quantity(&format!("{path}.value.quantity"), q)
                }
                crate::schema::Value::OntologyClass(c) => {
                    self.term(&format!("{path}.value.ontologyClass"), c)
                }
            }
        }
        if let Some(complex) = &m.complex_value {
            for (i, tq) in complex.typed_quantities.iter().enumerate() {
                let tpath = format!("{path}.complexValue.typedQuantities[{i}]");
                self.opt_term(&format!("{tpath}.type"), tq.r#type.as_ref());
                if let Some(q) = &tq.quantity {
                    self.quantity(&format!("{tpath}.quantity"), q);
                }
            }
        }
        self.opt_time(&format!("{path}.timeObserved"), m.time_observed.as_ref());
        if let Some(procedure) = &m.procedure {
            self.procedure(&format!("{path}.procedure"), procedure);
        }
    }

    fn quantity(&mut self, path: &str, q: &Quantity) {
        self.opt_term(&format!("{path}.unit"), q.unit.as_ref());
        if let Some(range) = &q.reference_range {
            self.opt_term(&format!("{path}.referenceRange.unit"), range.unit.as_ref());
        }
    }

    fn procedure(&mut self, path: &str, p: &Procedure) {
        self.opt_term(&format!("{path}.code"), p.code.as_ref());
        self.opt_term(&format!("{path}.bodySite"), p.body_site.as_ref());
        self.opt_time(&format!("{path}.performed"), p.performed.as_ref());
    }

    fn biosample(&mut self, path: &str, b: &Biosample) {
        self.required(path, "id", !b.id.is_empty());
        for (field, term) in [
            ("sampledTissue", &b.sampled_tissue),
            ("sampleType", &b.sample_type),
            ("taxonomy", &b.taxonomy),
            ("histologicalDiagnosis", &b.histological_diagnosis),
            ("tumorProgression", &b.tumor_progression),
            ("tumorGrade", &b.tumor_grade),
            ("pathologicalStage", &b.pathological_stage),
            ("materialSample", &b.material_sample),
            ("sampleProcessing", &b.sample_processing),
            ("sampleStorage", &b.sample_storage),
        ] {
            self.opt_term(&format!("{path}.{field}"), term.as_ref());
        }
        self.terms(
            &format!("{path}.pathologicalTnmFinding"),
            &b.pathological_tnm_finding,
        );
        self.terms(&format!("{path}.diagnosticMarkers"), &b.diagnostic_markers);
        for (i, f) in b.phenotypic_features.iter().enumerate() {
            self.feature(&format!("{path}.phenotypicFeatures[{i}]"), f);
        }
        for (i, m) in b.measurements.iter().enumerate() {
            self.measurement(&format!("{path}.measurements[{i}]"), m);
        }
        self.opt_time(
            &format!("{path}.timeOfCollection"),
            b.time_of_collection.as_ref(),
        );
        if let Some(procedure) = &b.procedure {
            self.procedure(&format!("{path}.procedure"), procedure);
        }
        self.files(path, &b.files);
    }

    fn interpretation(&mut self, path: &str, interpretation: &Interpretation) {
        self.required(path, "id", !interpretation.id.is_empty());
        let Some(diagnosis) = &interpretation.diagnosis else {
            return;
        };
        let dpath = format!("{path}.diagnosis");
        match &diagnosis.disease {
            Some(disease) => self.term(&format!("{dpath}.disease"), disease),
            None => self.required(&dpath, "disease", false),
        }
        for (i, gi) in diagnosis.genomic_interpretations.iter().enumerate() {
            self.genomic_interpretation(&format!("{dpath}.genomicInterpretations[{i}]"), gi);
        }
    }

    fn genomic_interpretation(&mut self, path: &str, gi: &GenomicInterpretation) {
        self.required(
            path,
            "subjectOrBiosampleId",
            !gi.subject_or_biosample_id.is_empty(),
        );
        if gi.gene.is_some() && gi.variant_interpretation.is_some() {
            self.oneof(path, "gene, variantInterpretation");
        }
        if let Some(descriptor) = gi
            .variant_interpretation
            .as_ref()
            .and_then(|v| v.variation_descriptor.as_ref())
        {
            self.variation_descriptor(
                &format!("{path}.variantInterpretation.variationDescriptor"),
                descriptor,
            );
        }
    }

    fn variation_descriptor(&mut self, path: &str, v: &VariationDescriptor) {
        self.opt_term(
            &format!("{path}.structuralType"),
            v.structural_type.as_ref(),
        );
        self.opt_term(&format!("{path}.allelicState"), v.allelic_state.as_ref());
    }

    fn disease(&mut self, path: &str, d: &Disease) {
        match &d.term {
            Some(term) => self.term(&format!("{path}.term"), term),
            None => self.required(path, "term", false),
        }
        self.opt_time(&format!("{path}.onset"), d.onset.as_ref());
        self.opt_time(&format!("{path}.resolution"), d.resolution.as_ref());
        self.terms(&format!("{path}.diseaseStage"), &d.disease_stage);
        self.terms(
            &format!("{path}.clinicalTnmFinding"),
            &d.clinical_tnm_finding,
        );
        self.opt_term(&format!("{path}.primarySite"), d.primary_site.as_ref());
        self.opt_term(&format!("{path}.laterality"), d.laterality.as_ref());
    }

    fn medical_action(&mut self, path: &str, a: &MedicalAction) {
        let set = [
            a.procedure.is_some(),
            a.treatment.is_some(),
            a.radiation_therapy.is_some(),
            a.therapeutic_regimen.is_some(),
        ];
        if set.iter().filter(|&&s| s).count() > 1 {
            self.oneof(
                path,
                "procedure, treatment, radiationTherapy, therapeuticRegimen",
            );
        }
        if let Some(procedure) = &a.procedure {
            self.procedure(&format!("{path}.procedure"), procedure);
        }
        if let Some(t) = &a.treatment {
            let tpath = format!("{path}.treatment");
            self.opt_term(&format!("{tpath}.agent"), t.agent.as_ref());
            self.opt_term(
                &format!("{tpath}.routeOfAdministration"),
                t.route_of_administration.as_ref(),
            );
            for (i, dose) in t.dose_intervals.iter().enumerate() {
                let dpath = format!("{tpath}.doseIntervals[{i}]");
                if let Some(q) = &dose.quantity {
                    self.quantity(&format!("{dpath}.quantity"), q);
                }
                self.opt_term(
                    &format!("{dpath}.scheduleFrequency"),
                    dose.schedule_frequency.as_ref(),
                );
                if let Some(interval) = &dose.interval {
                    self.interval(&format!("{dpath}.interval"), interval);
                }
            }
            if let Some(q) = &t.cumulative_dose {
                self.quantity(&format!("{tpath}.cumulativeDose"), q);
            }
        }
        if let Some(r) = &a.radiation_therapy {
            self.opt_term(
                &format!("{path}.radiationTherapy.modality"),
                r.modality.as_ref(),
            );
            self.opt_term(
                &format!("{path}.radiationTherapy.bodySite"),
                r.body_site.as_ref(),
            );
        }
        if let Some(r) = &a.therapeutic_regimen {
            let rpath = format!("{path}.therapeuticRegimen");
            if r.external_reference.is_some() && r.ontology_class.is_some() {
                self.oneof(&rpath, "externalReference, ontologyClass");
            }
            self.opt_term(&format!("{rpath}.ontologyClass"), r.ontology_class.as_ref());
            self.opt_time(&format!("{rpath}.startTime"), r.start_time.as_ref());
            self.opt_time(&format!("{rpath}.endTime"), r.end_time.as_ref());
        }
        for (field, term) in [
            ("treatmentTarget", &a.treatment_target),
            ("treatmentIntent", &a.treatment_intent),
            ("responseToTreatment", &a.response_to_treatment),
            (
                "treatmentTerminationReason",
                &a.treatment_termination_reason,
            ),
        ] {
            self.opt_term(&format!("{path}.{field}"), term.as_ref());
        }
        self.terms(&format!("{path}.adverseEvents"), &a.adverse_events);
    }

    fn files(&mut self, path: &str, files: &[File]) {
        for (i, file) in files.iter().enumerate() {
            self.required(&format!("{path}.files[{i}]"), "uri", !file.uri.is_empty());
        }
    }

    fn oneof(&mut self, path: &str, members: &str) {
        self.report(
            path.to_owned(),
            Rule::OneofConflict,
            format!("at most one of {members} may be set"),
        );
    }

    fn terms(&mut self, path: &str, terms: &[OntologyClass]) {
        for (i, term) in terms.iter().enumerate() {
            self.term(&format!("{path}[{i}]"), term);
        }
    }

    fn opt_term(&mut self, path: &str, term: Option<&OntologyClass>) {
        if let Some(term) = term {
            self.term(path, term);
        }
    }

    /// CURIE syntax, declared prefix and, for `HP:` terms, existence, obsolescence and label.
    fn term(&mut self, path: &str, term: &OntologyClass) {
        let id = &term.id;
        let id_path = format!("{path}.id");
        if id.is_empty() {
            self.report(id_path, Rule::MissingField, "id is required".to_owned());
            return;
        }
        if !syntax::is_curie(id) {
            self.report(
                id_path,
                Rule::InvalidCurie,
                format!("{id:?} is not a CURIE (PREFIX:LOCAL)"),
            );
            return;
        }
        let prefix = term.prefix().unwrap_or_default();
        if let Some(declared) = &self.prefixes
            && !declared.contains(prefix)
        {
            self.report(
                id_path.clone(),
                Rule::UndeclaredPrefix,
                format!("prefix {prefix:?} is not declared in metaData.resources"),
            );
        }
        if prefix != "HP" {
            return;
        }
        match self.lookup.hpo(id) {
            TermStatus::Current { label } => {
                if !label.is_empty() && !term.label.is_empty() && label != term.label {
                    self.report(
                        format!("{path}.label"),
                        Rule::LabelMismatch,
                        format!("label of {id} is {label:?}, not {:?}", term.label),
                    );
                }
            }
            TermStatus::Obsolete { replaced_by } => {
                let message = match replaced_by {
                    Some(new) => format!("{id} is obsolete; use {new}"),
                    None => format!("{id} is obsolete and has no replacement"),
                };
                self.report(id_path, Rule::ObsoleteTerm, message);
            }
            TermStatus::Unknown => {
                self.report(
                    id_path,
                    Rule::UnknownTerm,
                    format!("{id} is not an HPO term"),
                );
            }
        }
    }

    fn opt_time(&mut self, path: &str, time: Option<&TimeElement>) {
        let Some(time) = time else { return };
        match time {
            TimeElement::GestationalAge(_) => {}
            TimeElement::Age(age) => self.age(&format!("{path}.age"), age),
            TimeElement::AgeRange(range) => {
                if let Some(start) = &range.start {
                    self.age(&format!("{path}.ageRange.start"), start);
                }
                if let Some(end) = &range.end {
                    self.age(&format!("{path}.ageRange.end"), end);
                }
            }
            TimeElement::OntologyClass(term) => self.term(&format!("{path}.ontologyClass"), term),
            TimeElement::Timestamp(ts) => self.timestamp(&format!("{path}.timestamp"), ts),
            TimeElement::Interval(interval) => self.interval(&format!("{path}.interval"), interval),
        }
    }

    fn interval(&mut self, path: &str, interval: &TimeInterval) {
        if let Some(start) = &interval.start {
            self.timestamp(&format!("{path}.start"), start);
        }
        if let Some(end) = &interval.end {
            self.timestamp(&format!("{path}.end"), end);
        }
    }

    fn age(&mut self, path: &str, age: &Age) {
        if !syntax::is_iso8601_duration(&age.iso8601duration) {
            self.report(
                format!("{path}.iso8601duration"),
                Rule::InvalidDuration,
                format!(
                    "{:?} is not an ISO 8601 duration such as P3Y6M",
                    age.iso8601duration
                ),
            );
        }
    }

    fn timestamp(&mut self, path: &str, ts: &str) {
        if !syntax::is_rfc3339(ts) {
            self.report(
                path.to_owned(),
                Rule::InvalidTimestamp,
                format!("{ts:?} is not an RFC 3339 timestamp such as 2024-05-01T10:00:00Z"),
            );
        }
    }
}

/// The prefixes declared by a phenopacket's own metadata and, in a family, the family's.
fn declared(own: Option<&MetaData>, inherited: Option<&MetaData>) -> Option<HashSet<String>> {
    if own.is_none() && inherited.is_none() {
        return None;
    }
    Some(
        own.into_iter()
            .chain(inherited)
            .flat_map(|m| &m.resources)
            .map(|r| r.namespace_prefix.clone())
            .collect(),
    )
}

/// A 2.x schema version: `2.0` as the schema documents it; `2` and `2.0.N` (patch releases),
/// which phenopacket-store also writes, are the same schema.
fn is_schema_v2(version: &str) -> bool {
    let mut parts = version.split('.');
    parts.next() == Some("2")
        && parts.enumerate().all(|(i, part)| {
            (i == 0 && part == "0")
                || (i == 1 && !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
        })
        && version.split('.').count() <= 3
}
