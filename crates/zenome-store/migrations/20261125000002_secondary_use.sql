-- Secondary use: datasets, applications, DAC review, grants, invoices,
-- alerts, and the addresses each API token was seen from.

CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    title_ja TEXT NOT NULL,
    description TEXT NOT NULL,
    security_level TEXT NOT NULL CHECK (security_level IN ('1', '2', '3')),
    data_types TEXT NOT NULL,
    requirement TEXT NOT NULL,
    embargo_until BIGINT,
    producer_group TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE dataset_members (
    dataset_id TEXT NOT NULL REFERENCES datasets (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    added_at BIGINT NOT NULL,
    added_by TEXT NOT NULL,
    PRIMARY KEY (dataset_id, participant_id)
);
CREATE INDEX dataset_members_by_participant ON dataset_members (participant_id);

CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    applicant TEXT NOT NULL,
    sector TEXT NOT NULL CHECK (sector IN ('academic', 'industry')),
    state TEXT NOT NULL,
    body TEXT NOT NULL,
    fee_total BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX applications_by_applicant ON applications (applicant);
CREATE INDEX applications_by_state ON applications (state);

CREATE TABLE application_events (
    application_id TEXT NOT NULL REFERENCES applications (id),
    seq BIGINT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    body TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (application_id, seq)
);

CREATE TABLE grants (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
    title TEXT NOT NULL,
    institution TEXT NOT NULL,
    purpose_summary TEXT NOT NULL,
    body TEXT NOT NULL,
    starts_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE grant_people (
    grant_id TEXT NOT NULL REFERENCES grants (id),
    username TEXT NOT NULL,
    PRIMARY KEY (grant_id, username)
);
CREATE INDEX grant_people_by_user ON grant_people (username);

-- Participants whose data the grant covered when it was approved (R9.2).
CREATE TABLE grant_participants (
    grant_id TEXT NOT NULL REFERENCES grants (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    PRIMARY KEY (grant_id, participant_id)
);
CREATE INDEX grant_participants_by_participant ON grant_participants (participant_id);

CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id),
    grant_id TEXT NOT NULL REFERENCES grants (id),
    amount BIGINT NOT NULL,
    currency TEXT NOT NULL,
    lines TEXT NOT NULL,
    issued_at BIGINT NOT NULL
);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    actor TEXT NOT NULL,
    summary TEXT NOT NULL,
    detail TEXT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by TEXT
);
CREATE INDEX alerts_by_time ON alerts (at);

CREATE TABLE token_addresses (
    token_hash TEXT NOT NULL,
    address TEXT NOT NULL,
    first_seen BIGINT NOT NULL,
    PRIMARY KEY (token_hash, address)
);
