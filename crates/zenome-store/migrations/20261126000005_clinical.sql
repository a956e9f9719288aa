-- Clinical records (R2): one participant's record, versioned. A correction
-- is a new version; rows are inserted, never updated or deleted, so the
-- history stays. The record itself is JSON judged against the dictionary
-- version it names; two summary keys are kept beside it for the public
-- counts (cancer site, rare-disease group) so those need no JSON parsing.
CREATE TABLE clinical_records (
    id TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    version BIGINT NOT NULL,
    dictionary_version TEXT NOT NULL,
    record TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('form', 'api', 'bulk_csv', 'bulk_json', 'phenopacket', 'demo')),
    summary_key TEXT,
    submitted_by TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    UNIQUE (participant_id, version)
);
CREATE INDEX clinical_records_latest ON clinical_records (participant_id, version);
