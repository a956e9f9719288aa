-- Clinical trials entered by data-centre staff (issue 10 item 4), beside
-- those of the configured trials file. `body` is the trial as entered (a
-- JSON object with the fields of a `[[trial]]` of the zenome-trials/1
-- format), checked by zenome-knowledge before it is stored. A retired trial
-- is kept (who retired it, when) and no longer matched.
CREATE TABLE trials (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    entered_by TEXT NOT NULL,
    entered_at BIGINT NOT NULL,
    retired_by TEXT,
    retired_at BIGINT
);
