#!/usr/bin/env python3
"""Extract hp-subset.obo from the official hp.obo (stanzas copied verbatim).

usage: python3 extract-subset.py ../../../../shared/data/phenotype/hp.obo > hp-subset.obo
"""
import sys

# Terms the dictionary, demo and tests use, and a spread of common rare-disease features.
SEEDS = """
HP:0000118 HP:0003674 HP:0001250 HP:0001249 HP:0001263 HP:0000252 HP:0000256 HP:0001252
HP:0001290 HP:0002650 HP:0004322 HP:0001508 HP:0000365 HP:0000407 HP:0000486 HP:0000505
HP:0000618 HP:0001631 HP:0001629 HP:0001638 HP:0002910 HP:0001397 HP:0000083 HP:0000077
HP:0000107 HP:0001903 HP:0001873 HP:0002721 HP:0003198 HP:0003236 HP:0003560 HP:0001324
HP:0003701 HP:0002515 HP:0001270 HP:0002194 HP:0000717 HP:0000729 HP:0000750 HP:0001344
HP:0002376 HP:0001257 HP:0001251 HP:0002066 HP:0001337 HP:0002072 HP:0100543 HP:0000708
HP:0000175 HP:0000204 HP:0000347 HP:0000316 HP:0000494 HP:0000414 HP:0001999 HP:0001166
HP:0001156 HP:0004209 HP:0001770 HP:0000957 HP:0000953 HP:0001000 HP:0000964 HP:0001053
HP:0002126 HP:0002119 HP:0001274 HP:0002079 HP:0002353 HP:0002133 HP:0007359 HP:0011097
HP:0002123 HP:0002373 HP:0010818 HP:0012469 HP:0011451 HP:0001635 HP:0001644 HP:0011675
HP:0005110 HP:0000822 HP:0012622 HP:0000112 HP:0000126 HP:0001939 HP:0001943 HP:0003128
HP:0001987 HP:0002240 HP:0001744 HP:0001433 HP:0001510 HP:0004325 HP:0001513 HP:0000098
HP:0001508 HP:0012758 HP:0001328 HP:0010864 HP:0000735 HP:0000733 HP:0100716 HP:0000716
HP:0000739 HP:0002360 HP:0002311 HP:0002317 HP:0001260 HP:0001310 HP:0002380 HP:0003391
HP:0003457 HP:0003325 HP:0008981 HP:0003202 HP:0001371 HP:0002650 HP:0000767 HP:0000768
HP:0001382 HP:0000974 HP:0001075 HP:0000962 HP:0000978 HP:0002205 HP:0002090 HP:0006528
HP:0001627 HP:0001643 HP:0001642 HP:0004383 HP:0001680 HP:0011968 HP:0002020 HP:0002014
HP:0001396 HP:0001394 HP:0001392 HP:0000819 HP:0000821 HP:0000823 HP:0000873 HP:0008064
HP:0000510 HP:0000639 HP:0000545 HP:0000501 HP:0000518 HP:0000572 HP:0000365 HP:0000405
HP:0004374 HP:0002514 HP:0006887 HP:0001256 HP:0010862 HP:0002187 HP:0007018 HP:0000718
""".split()

def stanzas(path):
    header, cur, kind = [], None, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("["):
                if cur is not None:
                    yield kind, cur
                kind, cur = line.strip(), [line]
            elif cur is None:
                header.append(line)
            else:
                cur.append(line)
    if cur is not None:
        yield kind, cur
    yield "header", header

def field(lines, key):
    return [l.split(":", 1)[1].strip().split(" ")[0] for l in lines if l.startswith(key + ":")]

terms, header = {}, []
for kind, lines in stanzas(sys.argv[1]):
    if kind == "[Term]":
        tid = field(lines, "id")[0]
        terms[tid] = lines
    elif kind == "header":
        header = lines

children = {}
for tid, lines in terms.items():
    for p in field(lines, "is_a"):
        children.setdefault(p, []).append(tid)

want = set(SEEDS)
# every onset class
stack = ["HP:0003674"]
while stack:
    t = stack.pop()
    want.add(t)
    stack.extend(children.get(t, []))
# the direct children of Seizure
want.update(children["HP:0001250"])
# obsolete terms: the first 30 with replaced_by, the first 10 with only consider
obs_r = [t for t, l in terms.items() if field(l, "is_obsolete") and field(l, "replaced_by")][:30]
obs_c = [t for t, l in terms.items() if field(l, "is_obsolete") and field(l, "consider") and not field(l, "replaced_by")][:10]
want.update(obs_r + obs_c)
for t in obs_r + obs_c:
    want.update(field(terms[t], "replaced_by") + field(terms[t], "consider"))
# ancestor closure
stack = list(want)
while stack:
    t = stack.pop()
    for p in field(terms[t], "is_a"):
        if p not in want:
            want.add(p)
            stack.append(p)

out = sys.stdout
for line in header:
    if line.split(":", 1)[0] in ("format-version", "data-version", "default-namespace", "remark", "ontology"):
        out.write(line)
out.write("\n")
for tid in sorted(want):
    out.write("".join(terms[tid]).rstrip("\n") + "\n\n")
