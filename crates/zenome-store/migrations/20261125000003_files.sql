-- Sequencing data: resumable uploads, stored objects (Crypt4GH ciphertext,
-- content-addressed) and their copies in each store.

CREATE TABLE uploads (
    id TEXT PRIMARY KEY,
    uploader TEXT NOT NULL,
    node_id TEXT NOT NULL REFERENCES lineage_nodes (id),
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    length BIGINT NOT NULL,
    received BIGINT NOT NULL,
    declared_md5 TEXT,
    declared_sha256 TEXT,
    pipeline TEXT,
    reference TEXT,
    state TEXT NOT NULL CHECK (state IN ('receiving', 'stored', 'rejected', 'cancelled')),
    error TEXT,
    object_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX uploads_by_node ON uploads (node_id);

CREATE TABLE objects (
    id TEXT PRIMARY KEY,
    node_id TEXT NOT NULL UNIQUE REFERENCES lineage_nodes (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    size BIGINT NOT NULL,
    md5 TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    stored_size BIGINT NOT NULL,
    stored_sha256 TEXT NOT NULL,
    header_len BIGINT NOT NULL,
    object_key TEXT NOT NULL,
    qc TEXT NOT NULL,
    qc_status TEXT NOT NULL CHECK (qc_status IN ('passed', 'failed')),
    qc_failures TEXT NOT NULL,
    pipeline TEXT,
    reference TEXT,
    centre TEXT,
    status TEXT NOT NULL CHECK (status IN ('available', 'lost')),
    created_at BIGINT NOT NULL
);
CREATE INDEX objects_by_participant ON objects (participant_id);
CREATE INDEX objects_by_centre ON objects (centre, created_at);

CREATE TABLE object_copies (
    object_id TEXT NOT NULL REFERENCES objects (id),
    store TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('ok', 'repaired', 'corrupt', 'missing')),
    checked_at BIGINT NOT NULL,
    PRIMARY KEY (object_id, store)
);
