#!/usr/bin/env python3
"""Fails when two Rust files of a crate import each other, directly or around a circle.

Usage: scripts/import-cycles.py SRC_DIR...   (e.g. core/src bindings-python/src bindings-wasm/src cli/src)

A file imports another when it names a path into it: `use crate::engine::view::TxView;`, `use super::holds;`,
`super::operation::Operation::Rent` in code, a group `use super::{ledger, limits};`, a path into a child module it
declares (`mod search;` … `search::index_existing`). A path is followed down the
module tree as far as files exist (`crate::engine::view::TxView` is engine/view.rs; `crate::engine::Batch` is
engine/mod.rs, which re-exports it). `mod x;` declarations are not imports. Prints the files of each circle and
exits 1, or prints how many files and imports it read and exits 0.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Dict, List, Optional, Set, Tuple

PATH = re.compile(r"\b(crate|super|self)((?:::\w+)+)")
USE = re.compile(r"\buse\s+((?:crate|super|self)(?:::\w+)*)::\{([^;]*)\};", re.S)


def module_of(src: Path, file: Path) -> List[str]:
    """The module path of a file: core/src/engine/view.rs is ["engine", "view"]; lib.rs and main.rs are []."""
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return parts


def file_of(src: Path, module: List[str]) -> Optional[Path]:
    if not module:
        for root in ("lib.rs", "main.rs"):
            if (src / root).exists():
                return src / root
        return None
    base = src.joinpath(*module)
    for candidate in (base.with_suffix(".rs"), base / "mod.rs"):
        if candidate.exists():
            return candidate
    return None


REEXPORT = re.compile(r"\bpub(?:\([^)]*\))?\s+use\s+([\w:]+?)(?:::\{([^;]*)\})?\s*;", re.S)
_reexports: Dict[Path, Dict[str, Tuple[str, List[str]]]] = {}


def reexports(src: Path, file: Path) -> Dict[str, Tuple[str, List[str]]]:
    """The names a module file re-exports (`pub use book::{Book, Copy};`): name -> the path it comes from."""
    if file not in _reexports:
        table: Dict[str, Tuple[str, List[str]]] = {}
        for prefix, group in REEXPORT.findall(strip_comments(file.read_text())):
            segments = prefix.split("::")
            head = segments[0] if segments[0] in ("crate", "super", "self") else "self"
            base = segments[1:] if segments[0] in ("crate", "super", "self") else segments
            items = [group] if group == "" else group.split(",")
            for item in items:
                item = item.strip()
                if group == "":
                    names = base
                else:
                    if not item or "{" in item:
                        continue
                    names = base + [n for n in item.split(" as ")[0].strip().split("::") if n]
                alias = item.split(" as ")[-1].strip() if " as " in item else (names[-1] if names else "")
                if alias and alias != "*":
                    table[alias] = (head, names)
        _reexports[file] = table
    return _reexports[file]


def target(src: Path, here: List[str], is_mod_file: bool, head: str, rest: List[str], depth: int = 0) -> Optional[Path]:
    """The file that defines what a path names: followed down the module tree while files exist, then through the
    re-exports of the module file it stopped at (`crate::domain::Book` is domain/book.rs, re-exported by
    domain/mod.rs)."""
    if head == "crate":
        module: List[str] = []
    elif head == "self":
        module = list(here)
    else:  # super: the parent of this file's module
        module = list(here[:-1]) if here else []
    best = file_of(src, module)
    taken = 0
    for name in rest:
        found = file_of(src, module + [name])
        if found is None:
            break
        module.append(name)
        best = found
        taken += 1
    left = rest[taken:]
    if best is not None and left and depth < 8 and best.name in ("mod.rs", "lib.rs", "main.rs"):
        again = reexports(src, best).get(left[0])
        if again is not None:
            head2, names = again
            deeper = target(src, module, True, head2, names + left[1:], depth + 1)
            if deeper is not None:
                return deeper
    return best


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r"/\*.*?\*/", "", text, flags=re.S)


def imports(src: Path, file: Path) -> Set[Path]:
    text = strip_comments(file.read_text())
    here = module_of(src, file)
    is_mod = file.name in ("mod.rs", "lib.rs", "main.rs")
    found: Set[Path] = set()
    paths: List[Tuple[str, List[str]]] = []
    for prefix, group in USE.findall(text):
        segments = prefix.split("::")
        for item in group.split(","):
            item = item.strip().split(" as ")[0].strip()
            if not item or item.startswith("{"):
                continue
            names = [n for n in item.split("::") if n and n != "self" and n != "*"]
            paths.append((segments[0], segments[1:] + names))
    # The groups were read above; the paths left are single ones (`use crate::x::Y;`, `super::y::f(…)`).
    for head, rest in PATH.findall(USE.sub("", text)):
        paths.append((head, [n for n in rest.split("::") if n]))
    # Paths that start with a child module this file declares (`mod search;` ... `search::index_existing`).
    children = set(re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text, re.M))
    if children:
        child = re.compile(r"(?<![\w:])(" + "|".join(sorted(children)) + r")((?:::\w+)+)")
        for name, rest in child.findall(text):
            paths.append(("self", [name] + [n for n in rest.split("::") if n]))
        for name, group in re.findall(r"\buse\s+(" + "|".join(sorted(children)) + r")::\{([^;]*)\};", text, re.S):
            for item in group.split(","):
                item = item.strip().split(" as ")[0].strip()
                if item:
                    paths.append(("self", [name] + [n for n in item.split("::") if n and n != "self"]))
    for head, rest in paths:
        t = target(src, here, is_mod, head, rest)
        if t is not None and t != file:
            found.add(t)
    return found


def cycles(graph: Dict[Path, Set[Path]]) -> List[List[Path]]:
    """Strongly connected components of more than one file (Tarjan)."""
    index: Dict[Path, int] = {}
    low: Dict[Path, int] = {}
    stack: List[Path] = []
    on: Set[Path] = set()
    out: List[List[Path]] = []
    counter = [0]

    def visit(v: Path) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(dirs: List[str]) -> int:
    if not dirs:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    bad = 0
    for d in dirs:
        src = Path(d)
        files = sorted(src.rglob("*.rs"))
        graph = {f: imports(src, f) for f in files}
        edges = sum(len(v) for v in graph.values())
        found = cycles(graph)
        for component in found:
            names = ", ".join(str(f) for f in component)
            print(f"{d}: files that import each other around a circle: {names}")
            for f in component:
                for t in sorted(graph[f] & set(component)):
                    print(f"    {f} -> {t}")
        bad += len(found)
        if not found:
            print(f"{d}: {len(files)} files, {edges} imports between them, no circle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
