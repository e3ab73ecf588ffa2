#!/usr/bin/env python3
"""The layout rules of both crates, read from the source (no cargo-modules,
no build): which file uses which, through `use` declarations and
`crate::`/`super::`/`self::` paths (or a module imported by `use`) in code.

Rules:
1. no import circle among the files (modules) of the nginx layer (`src/`)
   or of the core (`crates/fediguard-core/src/`);
2. in `src/`: `glue/` uses nothing but `glue/` (and the core crate);
3. in `src/`: a capability (every folder of `src/` but `glue` and the
   entry's own `access/`) never uses
   the entry (the files directly in `src/`);
4. `unsafe` (a block, `unsafe fn`, `unsafe impl`, `unsafe extern`) only in
   `src/glue/` and, in the core crate (its sources and its tests), in
   `shm*` paths (`shm_table`, `shm_stats`). `UNSAFE_RULE=report` only
   lists what it finds in `src/` (never for the core).

An edge goes to the file that defines what is used: a `pub use` (a facade's
re-export, as in a `mod.rs`) is followed to where the item is defined, and
is no edge of the facade itself. A glob import (`use super::*`), or a
module imported by `use`, is an edge to that module's file (and the paths
through the imported module are followed further). `mod x;` declares, it does not use. Comments, strings
and character literals are ignored.

Usage: tools/check-layout.py   (from the repository's top)
"""
import bisect
import os
import re
import sys
from pathlib import Path

NGINX_LAYER = Path("src")
CORE = Path("crates/fediguard-core")
GLUE = "glue"
# Folders of the entry itself (the access phase's steps), not capabilities.
ENTRY_FOLDERS = {"access"}
# Fewer edges than this in a crate means the source was not understood.
MIN_EDGES = 50
UNSAFE_RULE = os.environ.get("UNSAFE_RULE", "strict")  # for src/; "report" only lists


# --- reading the source -----------------------------------------------------

def strip(text):
    """The text with comments, string and character literals blanked out
    (same length, newlines kept, so offsets and lines stay right)."""
    out = list(text)
    n = len(text)
    i = 0

    def blank(a, b):
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif c == "/" and text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif c in "rb" and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) and \
                re.match(r'(?:br|r)(#*)"', text[i:i + 260]):
            m = re.match(r'(?:br|r)(#*)"', text[i:])
            close = '"' + m.group(1)
            j = text.find(close, i + m.end())
            j = n if j < 0 else j + len(close)
            blank(i, j)
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            blank(i, j + 1)
            i = j + 1
        elif c == "'":
            if i + 1 < n and text[i + 1] == "\\":
                j = i + 3
                while j < n and text[j] != "'":
                    j += 1
                blank(i, j + 1)
                i = j + 1
            elif i + 2 < n and text[i + 2] == "'":
                blank(i, i + 3)
                i += 3
            else:
                i += 1  # a lifetime or a label
        else:
            i += 1
    return "".join(out)


IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
USE = re.compile(r"\buse\b")
VIS = re.compile(r"\bpub\s*(?:\([^)]*\))?\s*$")
MOD = re.compile(r"\{|\}|\bmod\s+(" + IDENT + r")\s*([{;])")
PATH = re.compile(r"(?<![\w:])(\$crate|" + IDENT + r")((?:\s*::\s*" + IDENT + r")+)")
UNSAFE = re.compile(r"\bunsafe\s*(\{|fn\b|impl\b|extern\b)")


def use_trees(body):
    """`a::{b, c::d as e, f::*}` -> [(segs, alias, glob)]."""
    toks = re.findall(IDENT + r"|::|[{},*]", body)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else None

    def take():
        pos[0] += 1
        return toks[pos[0] - 1]

    def tree(prefix):
        segs = list(prefix)
        if peek() == "::":
            take()
            segs.append("::")  # `::std`: an extern crate
        while True:
            t = peek()
            if t == "*":
                take()
                return [(segs, None, True)]
            if t == "{":
                take()
                found = []
                while peek() not in (None, "}"):
                    found += tree(segs)
                    if peek() == ",":
                        take()
                take()
                return found
            if t is None or not re.match(IDENT, t):
                return []
            take()
            if peek() == "::":
                take()
                segs.append(t)
                continue
            alias = None
            if peek() == "as":
                take()
                alias = take()
            if t == "self":
                return [(segs, alias or (segs[-1] if segs else None), False)]
            return [(segs + [t], alias or t, False)]

    return tree([])


class Crate:
    def __init__(self, root):
        self.root = root
        self.modules = {}  # module path (tuple) -> file
        self.files = {}  # file -> dict: module, text, spans [(offset, module)]
        self.reexports = {}  # module -> {name: absolute segments}
        self.edges = {}  # file -> {file: (line, what)}
        self.unreached = []
        self.load(root / "lib.rs", ())
        for f in sorted(root.rglob("*.rs")):
            if f not in self.files:
                self.unreached.append(f)

    def load(self, path, module):
        text = strip(path.read_text(errors="replace"))
        info = {"module": module, "text": text, "spans": [(0, module)]}
        self.files[path] = info
        self.modules[module] = path
        own_dir = path.parent if path.name in ("lib.rs", "mod.rs") else path.with_suffix("")
        stack, depth = [], 0
        for m in MOD.finditer(text):
            tok = m.group(0)
            if m.group(1):
                inner = module + tuple(s for s, _ in stack)
                name = m.group(1)
                if m.group(2) == "{":
                    stack.append((name, depth))
                    depth += 1
                    self.modules[inner + (name,)] = path
                    info["spans"].append((m.end(), inner + (name,)))
                else:
                    d = own_dir.joinpath(*[s for s, _ in stack])
                    for cand in (d / (name + ".rs"), d / name / "mod.rs"):
                        if cand.exists():
                            self.load(cand, inner + (name,))
                            break
            elif tok == "{":
                depth += 1
            else:
                depth -= 1
                if stack and stack[-1][1] == depth:
                    stack.pop()
                    info["spans"].append((m.end(), module + tuple(s for s, _ in stack)))

    def module_at(self, info, offset):
        keys = [o for o, _ in info["spans"]]
        return info["spans"][bisect.bisect_right(keys, offset) - 1][1]

    def absolute(self, segs, here, aliases):
        """Segments made absolute from module `here`; None for another crate."""
        segs = list(segs)
        if not segs or segs[0] == "::":
            return None
        head = segs[0]
        if head in ("crate", "$crate"):
            return segs[1:]
        if head in ("self", "super"):
            base = list(here)
            while segs and segs[0] in ("self", "super"):
                if segs.pop(0) == "super":
                    base = base[:-1]
            return base + segs
        if tuple(here) + (head,) in self.modules:
            return list(here) + segs
        if head in aliases:
            return list(aliases[head]) + segs[1:]
        return None

    def resolve(self, segs, depth=0):
        """(file defining it, whether it is a module)."""
        cur = ()
        for i, s in enumerate(segs):
            if cur + (s,) in self.modules:
                cur += (s,)
                continue
            target = self.reexports.get(cur, {}).get(s)
            if target is not None and depth < 16:
                return self.resolve(list(target) + list(segs[i + 1:]), depth + 1)
            return self.modules[cur], False
        return self.modules[cur], True

    def uses(self, info):
        """[(offset, end, is_pub, segs, alias, glob)] of a file's `use`s."""
        text, found = info["text"], []
        for m in USE.finditer(text):
            end = text.find(";", m.end())
            if end < 0:
                continue
            is_pub = bool(VIS.search(text[max(0, m.start() - 40):m.start()]))
            for segs, alias, glob in use_trees(text[m.end():end]):
                found.append((m.start(), end, is_pub, segs, alias, glob))
        return found

    def build(self):
        parsed = {f: self.uses(info) for f, info in self.files.items()}
        # Re-exports first: `pub use` makes a name of the module.
        for f, info in self.files.items():
            for off, _, is_pub, segs, alias, glob in parsed[f]:
                here = self.module_at(info, off)
                if is_pub and not glob and alias:
                    target = self.absolute(segs, here, {})
                    if target is not None:
                        self.reexports.setdefault(here, {})[alias] = target
        for f, info in self.files.items():
            text, edges, aliases = info["text"], {}, {}
            self.edges[f] = edges

            def edge(off, target, what):
                if target != f and target not in edges:
                    line = text.count("\n", 0, off) + 1
                    edges[target] = (line, what)

            spans = []
            for off, end, is_pub, segs, alias, glob in parsed[f]:
                spans.append((off, end))
                here = self.module_at(info, off)
                target = self.absolute(segs, here, aliases)
                if target is None:
                    continue
                file, is_module = self.resolve(target)
                what = "::".join(["crate"] + target) + ("::*" if glob else "")
                if is_module and not glob:
                    aliases[alias] = target  # its uses in code resolve further
                if glob or not is_pub:
                    edge(off, file, what)
            masked = list(text)
            for a, b in spans:
                masked[a:b] = " " * (b - a)
            masked = "".join(masked)
            for m in PATH.finditer(masked):
                segs = [m.group(1)] + re.findall(IDENT, m.group(2))
                here = self.module_at(info, m.start())
                target = self.absolute(segs, here, aliases)
                if target is None:
                    continue
                file, _ = self.resolve(target)
                edge(m.start(), file, "::".join(["crate"] + target))

    def circles(self):
        index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]

        def visit(v):
            index[v] = low[v] = n[0]
            n[0] += 1
            stack.append(v)
            on.add(v)
            for w in sorted(self.edges[v]):
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

        for v in sorted(self.edges):
            if v not in index:
                visit(v)
        return sccs


# --- the rules --------------------------------------------------------------

def unsafe_sites(top, allowed):
    """{file: [(line, what)]} of `unsafe` outside the allowed paths."""
    sites = {}
    for f in sorted(top.rglob("*.rs")):
        if "target" in f.parts or allowed(f):
            continue
        text = strip(f.read_text(errors="replace"))
        for m in UNSAFE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            sites.setdefault(f, []).append((line, f"unsafe {m.group(1)}"))
    return sites


def count(sites):
    return sum(len(found) for found in sites.values())


def listed(sites):
    return "\n".join(f"  {f}:{line}: {what}" for f, found in sites.items() for line, what in found)


def summed(sites):
    return "\n".join(f"  {f}: {len(found)} (lines {', '.join(str(n) for n, _ in found)})"
                     for f, found in sites.items())


def main():
    sys.setrecursionlimit(10000)
    problems, notes = [], []
    crates = {"src": Crate(NGINX_LAYER), "core": Crate(CORE / "src")}
    for c in crates.values():
        c.build()
        for f in c.unreached:
            problems.append(f"{f}: no `mod` reaches it from {c.root}/lib.rs")
        n_edges = sum(len(e) for e in c.edges.values())
        if n_edges < MIN_EDGES:
            problems.append(f"{c.root}: only {n_edges} use edges read; is the source understood?")
        for comp in c.circles():
            members = set(comp)
            lines = [f"import circle in {c.root}: " + ", ".join(str(f) for f in comp)]
            for a in comp:
                for b, (line, what) in sorted(c.edges[a].items()):
                    if b in members:
                        lines.append(f"    {a}:{line} uses {b} ({what})")
            problems.append("\n".join(lines))

    src = crates["src"]
    capabilities = sorted(d.name for d in NGINX_LAYER.iterdir()
                          if d.is_dir() and d.name != GLUE and d.name not in ENTRY_FOLDERS)

    def area(f):
        parts = f.relative_to(NGINX_LAYER).parts
        return "entry" if len(parts) == 1 or parts[0] in ENTRY_FOLDERS else parts[0]

    for a, uses in sorted(src.edges.items()):
        for b, (line, what) in sorted(uses.items()):
            if area(a) == GLUE and area(b) != GLUE:
                problems.append(f"glue uses something above it: {a}:{line} uses {b} ({what})")
            if area(a) in capabilities and area(b) == "entry":
                problems.append(f"a capability uses the entry: {a}:{line} uses {b} ({what})")

    glue_dir = NGINX_LAYER / GLUE
    core_unsafe = unsafe_sites(CORE, lambda f: any(p.startswith("shm") for p in f.relative_to(CORE).parts))
    src_unsafe = unsafe_sites(NGINX_LAYER, lambda f: glue_dir in f.parents)
    if core_unsafe:
        problems.append(f"unsafe code in the core outside its shm* modules "
                        f"({count(core_unsafe)}):\n{listed(core_unsafe)}")
    if src_unsafe:
        if UNSAFE_RULE == "strict":
            problems.append(f"unsafe code in src/ outside src/glue/ ({count(src_unsafe)}):\n"
                            f"{listed(src_unsafe)}")
        else:
            notes.append(f"unsafe code in src/ outside src/glue/, reported only until "
                         f"UNSAFE_RULE=strict ({count(src_unsafe)} in {len(src_unsafe)} files):\n"
                         f"{summed(src_unsafe)}")

    for n in notes:
        print(n)
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    for c in crates.values():
        print(f"layout: {c.root}: {len(c.files)} files, "
              f"{sum(len(e) for e in c.edges.values())} use edges, no import circle")
    print(f"layout: glue uses only glue; no capability ({', '.join(capabilities)}) uses the entry; "
          f"unsafe only in src/glue/{'' if UNSAFE_RULE == 'strict' else ' (src/: reported)'} "
          f"and the core's shm* modules")


if __name__ == "__main__":
    main()
