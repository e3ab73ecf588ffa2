#!/usr/bin/env python3
"""The nginx layer's layout rules, checked on cargo-modules' graph of the
modules of `src/` and the `use` edges between them:

1. no import circle among modules (cargo-modules 0.27's own `--acyclic`
   also counts a type and its methods as a circle, so the graph is taken
   without items and the circles are found here);
2. `glue` uses nothing but `glue`;
3. a capability (agent, token, limit, watch, metrics, cluster, verify) never uses
   the entry (the crate root's own files).

Usage: tools/check-layout.py   (from the repository's top)
"""
import re
import subprocess
import sys

CAPABILITIES = {"agent", "token", "limit", "watch", "metrics", "cluster", "verify"}
GLUE = "glue"
MIN_EDGES = 50  # fewer means cargo-modules' output was not understood

cmd = ["cargo", "modules", "dependencies", "--lib", "-p", "fediguard",
       "--no-externs", "--no-sysroot", "--no-fns", "--no-types", "--no-traits",
       "--no-owns"]
out = subprocess.run(cmd, capture_output=True, text=True)
if out.returncode != 0:
    sys.stderr.write(out.stderr)
    sys.exit("check-layout: cargo modules failed")

edge = re.compile(r'^\s*"fediguard(?:::([\w:]+))?" -> "fediguard(?:::([\w:]+))?" \[label="uses"')
graph = {}
for line in out.stdout.splitlines():
    m = edge.match(line)
    if m:
        a, b = m.group(1) or "", m.group(2) or ""
        if a != b:
            graph.setdefault(a, set()).add(b)
            graph.setdefault(b, set())
edges = sum(len(v) for v in graph.values())
if edges < MIN_EDGES:
    sys.exit(f"check-layout: only {edges} use edges read; is cargo-modules' output format known?")

problems = []


def top(m):
    return m.split("::")[0] if m else ""


for a, uses in sorted(graph.items()):
    for b in sorted(uses):
        ta, tb = top(a), top(b)
        if ta == GLUE and tb != GLUE:
            problems.append(f"glue uses {tb or 'the crate root'}: {a} -> {b}")
        if ta in CAPABILITIES and tb not in CAPABILITIES and tb != GLUE:
            problems.append(f"capability uses the entry: {a} -> {b}")

# Tarjan's strongly connected components.
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)


def visit(v):
    index[v] = low[v] = n[0]
    n[0] += 1
    stack.append(v)
    on.add(v)
    for w in graph[v]:
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            sccs.append(sorted(comp))


for v in sorted(graph):
    if v not in index:
        visit(v)
for c in sccs:
    problems.append("import circle: " + ", ".join(x or "crate" for x in c))

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"layout: {len(graph)} modules, {edges} use edges, no import circle, "
      "glue and capabilities use nothing above them")
