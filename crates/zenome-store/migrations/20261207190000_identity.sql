-- Sample identity (issue 9). Fingerprints themselves live in the identity
-- store's Parquet table (DATA_DIR/identity/fingerprints, one row a sample,
-- named by `identity_samples.id`); these tables say whose each fingerprint
-- is, what the checks found, and which libraries are held. A fingerprint
-- row without an `identity_samples` row (a stop between the two writes) is
-- ignored.

-- One fingerprinted sample: a sample column of a stored VCF, or the reads
-- of a stored CRAM/BAM, with the library and participant the lineage gives.
-- `summary` is JSON: called sites, sex call, contamination, mean depth.
CREATE TABLE identity_samples (
    id TEXT PRIMARY KEY,
    object_id TEXT NOT NULL REFERENCES objects (id),
    sample TEXT NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    library_id TEXT NOT NULL REFERENCES lineage_nodes (id),
    tumour BIGINT NOT NULL DEFAULT 0,
    evidence TEXT NOT NULL CHECK (evidence IN ('genotypes', 'reads')),
    panel TEXT NOT NULL,
    n_called BIGINT NOT NULL,
    summary TEXT NOT NULL,
    at BIGINT NOT NULL,
    UNIQUE (object_id, sample)
);
CREATE INDEX identity_samples_by_participant ON identity_samples (participant_id);
CREATE INDEX identity_samples_by_library ON identity_samples (library_id);

-- A library on hold: opened by a failing check, closed by staff with a
-- recorded reason (`released`: the sample is who it says; `excluded`: it is
-- not to be used; `relabelled`: it is another participant's, and the
-- library with everything under it was moved to them). At most one open
-- hold a library.
CREATE TABLE identity_holds (
    id TEXT PRIMARY KEY,
    library_id TEXT NOT NULL REFERENCES lineage_nodes (id),
    participant_id TEXT NOT NULL REFERENCES participants (id),
    state TEXT NOT NULL CHECK (state IN ('open', 'released', 'excluded', 'relabelled')),
    opened_at BIGINT NOT NULL,
    resolved_by TEXT,
    resolved_at BIGINT,
    resolution TEXT
);
CREATE UNIQUE INDEX identity_holds_one_open ON identity_holds (library_id) WHERE state = 'open';
CREATE INDEX identity_holds_by_participant ON identity_holds (participant_id);

-- What each check found: pass / warn / fail with the numbers behind it
-- (JSON) and a sentence; `other_id` is the second sample of a pair check;
-- `hold_id` the first hold a failing check opened or joined (all of them
-- are in `identity_hold_checks`).
CREATE TABLE identity_checks (
    id TEXT PRIMARY KEY,
    sample_id TEXT NOT NULL REFERENCES identity_samples (id),
    other_id TEXT REFERENCES identity_samples (id),
    kind TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('pass', 'warn', 'fail')),
    numbers TEXT NOT NULL,
    message TEXT NOT NULL,
    hold_id TEXT REFERENCES identity_holds (id),
    at BIGINT NOT NULL
);
CREATE INDEX identity_checks_by_sample ON identity_checks (sample_id);
CREATE INDEX identity_checks_by_other ON identity_checks (other_id);
CREATE INDEX identity_checks_by_hold ON identity_checks (hold_id);

-- Every hold a failing check opened or joined (a swap holds both libraries,
-- and each hold lists the check).
CREATE TABLE identity_hold_checks (
    hold_id TEXT NOT NULL REFERENCES identity_holds (id),
    check_id TEXT NOT NULL REFERENCES identity_checks (id),
    PRIMARY KEY (hold_id, check_id)
);

-- Whether each stored sequence file was fingerprinted (`done`, or `failed`
-- with the reason; retried through the API). A stored CRAM/BAM/VCF that
-- passed QC and has no row was never attempted: start-up does it.
CREATE TABLE identity_runs (
    object_id TEXT PRIMARY KEY REFERENCES objects (id),
    state TEXT NOT NULL CHECK (state IN ('done', 'failed')),
    error TEXT,
    at BIGINT NOT NULL
);
