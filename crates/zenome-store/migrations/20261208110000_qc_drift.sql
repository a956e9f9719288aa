-- QC re-evaluation per sequencing centre (R4.2, issue 11 item 4). One run
-- compares each centre's files of a recent window (by ingest time) with the
-- centre's baseline (the period before) and with the rest of the programme
-- over the same window. A run and all its result rows are written in one
-- transaction with its audit entry; runs are never updated or deleted, so
-- they are the history the portal charts.
CREATE TABLE qc_drift_runs (
    id TEXT PRIMARY KEY,
    -- the audit position of its write: runs are ordered by it (commit order)
    seq BIGINT NOT NULL UNIQUE,
    at BIGINT NOT NULL,
    -- why it ran: 'scheduled', 'requested' (staff: API, portal, CLI) or 'initial'
    reason TEXT NOT NULL CHECK (reason IN ('scheduled', 'requested', 'initial')),
    requested_by TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    window_end BIGINT NOT NULL,
    baseline_start BIGINT NOT NULL,
    -- the thresholds in force (JSON object)
    settings TEXT NOT NULL,
    centres BIGINT NOT NULL,
    drifting BIGINT NOT NULL
);
CREATE INDEX qc_drift_runs_by_time ON qc_drift_runs (at);

-- One row per (run, centre, metric). `verdict` is the metric's; a centre's
-- verdict is the worst of its metrics. Values are failure rates (fraction)
-- or medians; `*_spread` is the failed count or the scaled MAD.
CREATE TABLE qc_drift_results (
    run_id TEXT NOT NULL REFERENCES qc_drift_runs (id),
    centre TEXT NOT NULL,
    metric TEXT NOT NULL,
    window_n BIGINT NOT NULL,
    window_value DOUBLE PRECISION,
    window_spread DOUBLE PRECISION,
    baseline_n BIGINT NOT NULL,
    baseline_value DOUBLE PRECISION,
    baseline_spread DOUBLE PRECISION,
    programme_n BIGINT NOT NULL,
    programme_value DOUBLE PRECISION,
    programme_spread DOUBLE PRECISION,
    verdict TEXT NOT NULL CHECK (verdict IN ('stable', 'drifting', 'not_enough_data')),
    reason TEXT NOT NULL,
    note TEXT NOT NULL,
    PRIMARY KEY (run_id, centre, metric)
);
CREATE INDEX qc_drift_results_by_centre ON qc_drift_results (centre, metric);
