-- Return of results (issue 13). A report is one version of one patient's
-- report; its content is frozen JSON (zenome-reports' ReportContent) with
-- its SHA-256, edited only while it is a draft. Its status follows the
-- workflow draft -> signed_off -> released -> acknowledged -> conveyed
-- (or superseded, or stopped before release); each step is a row of
-- report_events, written in the same transaction as the status and its
-- audit entry. Reports go only to the facility that collected the specimen
-- (`facility_code`, copied from the participant at drafting).
CREATE TABLE reports (
    id TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    facility_code TEXT NOT NULL REFERENCES organisations (code),
    version BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('cancer', 'rare_disease')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed_off', 'released', 'acknowledged', 'conveyed', 'superseded', 'stopped')),
    content TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    signed_off_by TEXT,
    signed_off_at BIGINT,
    released_at BIGINT,
    acknowledged_by TEXT,
    acknowledged_at BIGINT,
    conveyed_on TEXT,
    conveyed_by TEXT,
    superseded_by TEXT,
    stopped_reason TEXT,
    UNIQUE (participant_id, version)
);
CREATE INDEX reports_by_facility ON reports (facility_code, status);
CREATE INDEX reports_by_status ON reports (status, created_at);

CREATE TABLE report_events (
    report_id TEXT NOT NULL REFERENCES reports (id),
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    -- zenome-reports' Action name, or 'draft'
    action TEXT NOT NULL,
    -- JSON: the comment, the interpretation before and after, the reason
    detail TEXT NOT NULL,
    PRIMARY KEY (report_id, seq)
);

-- Recontact requests (R6.2): raised by staff (or proposed by a re-analysis
-- and confirmed by staff), answered by the facility with an outcome.
CREATE TABLE recontact_requests (
    id TEXT PRIMARY KEY,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    facility_code TEXT NOT NULL REFERENCES organisations (code),
    reason TEXT NOT NULL CHECK (reason IN ('new_finding', 'trial', 'consent_update')),
    detail TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'open', 'closed', 'dismissed')),
    report_id TEXT REFERENCES reports (id),
    raised_by TEXT NOT NULL,
    raised_at BIGINT NOT NULL,
    outcome TEXT,
    outcome_by TEXT,
    outcome_at BIGINT
);
CREATE INDEX recontact_by_facility ON recontact_requests (facility_code, status);
