-- Pipelines and their evaluation (issue 11, R5.1/R5.4). A pipeline is a
-- name; each version is a row of `pipeline_versions` with what makes its
-- results (kind, tools with versions as a JSON list, reference, parameters
-- as a JSON object, container digest). At most one version of a name is
-- `current` (the partial unique index); promotions say who made which
-- version current, why, under which rule and against what.
CREATE TABLE pipeline_versions (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('caller', 'filter', 'model', 'aligner', 'annotator', 'workflow')),
    tools TEXT NOT NULL,
    reference_assembly TEXT NOT NULL,
    reference_fasta TEXT NOT NULL,
    parameters TEXT NOT NULL,
    container_digest TEXT,
    state TEXT NOT NULL CHECK (state IN ('registered', 'current', 'retired')),
    registered_by TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE UNIQUE INDEX pipeline_versions_one_current ON pipeline_versions (name) WHERE state = 'current';

-- Truth sets: a benchmark call set with its confident regions, as files
-- under `[pipelines] truth_dir` (names relative to it, with their digests
-- when registered).
CREATE TABLE truth_sets (
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    sample TEXT NOT NULL,
    assembly TEXT NOT NULL,
    vcf TEXT NOT NULL,
    vcf_sha256 TEXT NOT NULL,
    regions TEXT,
    regions_sha256 TEXT,
    reference TEXT,
    registered_by TEXT NOT NULL,
    registered_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
);

-- One evaluation: a pipeline version's call set against a truth set. The
-- whole report is kept as JSON; its summary rows are the metrics table, one
-- row per type and filter, so they can be queried. The same query file
-- (by digest) against the same truth set is one evaluation.
CREATE TABLE pipeline_evaluations (
    id TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,
    version TEXT NOT NULL,
    truth_name TEXT NOT NULL,
    truth_version TEXT NOT NULL,
    regions TEXT,
    query TEXT NOT NULL,
    query_sha256 TEXT NOT NULL,
    base_source TEXT NOT NULL,
    report TEXT NOT NULL,
    evaluated_by TEXT NOT NULL,
    evaluated_at BIGINT NOT NULL,
    FOREIGN KEY (pipeline, version) REFERENCES pipeline_versions (name, version),
    FOREIGN KEY (truth_name, truth_version) REFERENCES truth_sets (name, version),
    UNIQUE (pipeline, version, truth_name, truth_version, query_sha256)
);
CREATE INDEX pipeline_evaluations_by_pipeline ON pipeline_evaluations (pipeline, version);

CREATE TABLE pipeline_evaluation_metrics (
    evaluation_id TEXT NOT NULL REFERENCES pipeline_evaluations (id),
    variant_type TEXT NOT NULL CHECK (variant_type IN ('SNP', 'INDEL')),
    filter TEXT NOT NULL CHECK (filter IN ('ALL', 'PASS')),
    truth_total BIGINT NOT NULL,
    truth_tp BIGINT NOT NULL,
    truth_fn BIGINT NOT NULL,
    query_total BIGINT NOT NULL,
    query_fp BIGINT NOT NULL,
    query_unk BIGINT NOT NULL,
    fp_gt BIGINT NOT NULL,
    metric_recall DOUBLE PRECISION,
    metric_precision DOUBLE PRECISION,
    metric_frac_na DOUBLE PRECISION,
    metric_f1 DOUBLE PRECISION,
    PRIMARY KEY (evaluation_id, variant_type, filter)
);

CREATE TABLE pipeline_promotions (
    id TEXT PRIMARY KEY,
    pipeline TEXT NOT NULL,
    version TEXT NOT NULL,
    previous_version TEXT,
    rule TEXT NOT NULL,
    comparison TEXT NOT NULL,
    reason TEXT NOT NULL,
    promoted_by TEXT NOT NULL,
    promoted_at BIGINT NOT NULL,
    audit_seq BIGINT NOT NULL,
    FOREIGN KEY (pipeline, version) REFERENCES pipeline_versions (name, version)
);
CREATE INDEX pipeline_promotions_by_pipeline ON pipeline_promotions (pipeline, promoted_at);
