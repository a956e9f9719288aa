#!/usr/bin/env python3
"""Extracts the demo's gene-phenotype annotations from HPO's genes_to_phenotype.txt.

Usage: python3 extract-g2p.py genes_to_phenotype.txt.gz hp-subset.obo > genes_to_phenotype-demo.txt
Keeps the rows (first per gene and term) of the demo's genes and every 20th gene of
the release in symbol order (a background the demo's cases are ranked against),
restricted to the terms of hp-subset.obo and the mode-of-inheritance terms. Rows
are copied unchanged.
"""
import gzip
import re
import sys

DEMO = {"DMD", "SMN1", "NF1", "MT-TL1", "FBN1", "ELN", "KRAS", "BRAF", "EGFR", "BRCA1"}
MODES = {"HP:0000006", "HP:0000007", "HP:0001417", "HP:0001419", "HP:0001423", "HP:0001427"}

g2p, obo = sys.argv[1], sys.argv[2]
terms = set(re.findall(r"^id: (HP:\d+)", open(obo, encoding="utf-8").read(), re.M)) | MODES
opener = gzip.open if g2p.endswith(".gz") else open
with opener(g2p, "rt", encoding="utf-8") as f:
    header = f.readline()
    rows = [line.rstrip("\n").split("\t") for line in f]
genes = sorted({r[1] for r in rows})
keep_genes = DEMO | set(genes[::20])
sys.stdout.write(header)
seen = set()
for r in rows:
    if r[1] in keep_genes and r[2] in terms and (r[1], r[2]) not in seen:
        seen.add((r[1], r[2]))
        sys.stdout.write("\t".join(r) + "\n")
