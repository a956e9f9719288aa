-- Joint-called VCFs (a trio, a tumour/normal pair, a cohort batch): which
-- sample column of a VCF file node is whose. One row per column, written
-- with the placeholder (the parent alignment's own column and each declared
-- member's), so the ingest validator expects exactly these column names,
-- the read check asks for every participant in the file, and the variant
-- loader maps each column to its participant. `library_id` is the library
-- the column was sequenced from, `source_id` the node the submitter named
-- (a CRAM/BAM file node, or the library itself); `tumour` is 1 when the
-- library comes from a tumour specimen.

CREATE TABLE vcf_samples (
    node_id TEXT NOT NULL REFERENCES lineage_nodes (id),
    sample TEXT NOT NULL,
    position BIGINT NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants (id),
    library_id TEXT NOT NULL REFERENCES lineage_nodes (id),
    source_id TEXT NOT NULL REFERENCES lineage_nodes (id),
    tumour BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (node_id, sample)
);
CREATE INDEX vcf_samples_by_participant ON vcf_samples (participant_id);

-- Whether each stored VCF object is in the cohort variant store: written
-- with the audit entry of every load attempt after ingest or through the API
-- (`loaded` with its batch, or `failed` with the reason, retried through
-- `POST /api/v1/variants/loads`). A stored VCF that passed QC and has no row
-- was never attempted (a stop between registration and load): start-up
-- loads it.
CREATE TABLE variant_loads (
    object_id TEXT PRIMARY KEY REFERENCES objects (id),
    state TEXT NOT NULL CHECK (state IN ('loaded', 'failed')),
    batch BIGINT,
    error TEXT,
    at BIGINT NOT NULL
);
