-- Zenome registry schema. Portable SQL: the same file runs on SQLite and
-- PostgreSQL. Times are BIGINT milliseconds since the Unix epoch (UTC);
-- structured, kind-specific data is JSON in TEXT columns.

CREATE TABLE organisations (
    code TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('collecting_facility', 'sequencing_centre')),
    name TEXT NOT NULL,
    name_ja TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE participants (
    id TEXT PRIMARY KEY,
    facility_code TEXT NOT NULL REFERENCES organisations (code),
    disease_area TEXT NOT NULL CHECK (disease_area IN ('cancer', 'rare_disease')),
    sex TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    registered_at BIGINT NOT NULL,
    registered_by TEXT NOT NULL
);
CREATE INDEX participants_by_facility ON participants (facility_code, registered_at);

-- Append-only: rows are inserted, never updated or deleted.
CREATE TABLE consent_events (
    participant_id TEXT NOT NULL REFERENCES participants (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('given', 'amended', 'withdrawn')),
    body TEXT NOT NULL,
    effective_at BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    recorded_by TEXT NOT NULL,
    PRIMARY KEY (participant_id, seq)
);

CREATE TABLE lineage_nodes (
    id TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    parent_id TEXT REFERENCES lineage_nodes (id),
    kind TEXT NOT NULL CHECK (kind IN ('specimen', 'aliquot', 'extract', 'library', 'sequencing_run', 'file')),
    barcode TEXT UNIQUE,
    details TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);
CREATE INDEX lineage_by_participant ON lineage_nodes (participant_id);
CREATE INDEX lineage_by_parent ON lineage_nodes (parent_id);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('human', 'machine')),
    role TEXT NOT NULL,
    scope TEXT,
    password_hash TEXT,
    totp_secret TEXT,
    totp_last_step BIGINT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    label TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,
    last_used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    client_ip TEXT
);
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Hash-chained, append-only audit trail: hash = SHA-256 over the entry and
-- the previous entry's hash. audit_head holds the next position and the head
-- hash; every write transaction updates it first, which serialises writers.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_by_target ON audit_log (target);

CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
