-- Annotation and actionability (issue 10). Each annotation run records what
-- it was computed from (gene model, knowledge bases with versions, code
-- version: R5.1); each participant's current findings are one JSON document
-- (annotated variants, therapies with evidence levels, hotspots, secondary
-- findings) with the run that made it and what changed from the document it
-- replaced. A participant's earlier documents are not kept here: the audit
-- entry of each run lists whose findings changed.
CREATE TABLE annotation_runs (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('initial', 'variants_loaded', 'knowledge_update', 'requested')),
    gene_model TEXT NOT NULL,
    knowledge TEXT NOT NULL,
    code_version TEXT NOT NULL,
    participants BIGINT NOT NULL,
    changed BIGINT NOT NULL
);
CREATE INDEX annotation_runs_by_time ON annotation_runs (finished_at);

CREATE TABLE participant_findings (
    participant_id TEXT PRIMARY KEY REFERENCES participants (id),
    run_id TEXT NOT NULL REFERENCES annotation_runs (id),
    body TEXT NOT NULL,
    changes TEXT NOT NULL,
    at BIGINT NOT NULL
);
