#!/usr/bin/env python3
"""Fails if the files of one crate import each other in a circle.

Each `.rs` file is a module; a `use crate::…`, `use super::…`, `use self::…`
or `use child::…` line is an edge to the file that defines the longest
prefix of the path (re-exports included). Test modules at the end of a file
are ignored. Prints every cycle found and exits 1 if there is one.

Usage: scripts/import_cycles.py [crate-source-folder ...]
"""

import os
import re
import sys
from collections import defaultdict

CRATES = ["src", "actors/src", "plugins/src", "waha-sim/src", "load-tests/src"]
USE = re.compile(r"\buse\s+((?:crate::|super::|self::)?[a-z_][a-z_0-9]*::[^;]+);", re.S)
TESTS = re.compile(r"#\[cfg\(test\)\]\s*mod tests\s*\{.*", re.S)


def module_of(root, path):
    parts = os.path.relpath(path, root)[: -len(".rs")].split(os.sep)
    if parts[-1] in ("lib", "main", "mod"):
        parts = parts[:-1]
    return tuple(parts)


def imported_paths(use):
    """The paths one `use` names: `a::{b, c::d}` gives a::b and a::c::d."""
    if "{" not in use:
        return [use.split("::")]
    base = use[: use.index("{")].rstrip(":").split("::")
    inner = use[use.index("{") + 1 : use.rindex("}")]
    paths = []
    for item in re.split(r",(?![^{]*\})", inner):
        item = item.strip().split("{")[0].split(" as ")[0].rstrip(":")
        if item and item != "self":
            paths.append(base + item.split("::"))
        elif item == "self":
            paths.append(base)
    return paths


def edges_of(root):
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(".rs"):
                path = os.path.join(folder, name)
                files[module_of(root, path)] = path
    edges = defaultdict(set)
    for module, path in files.items():
        source = TESTS.sub("", open(path, encoding="utf-8").read())
        for use in USE.findall(source):
            if not re.match(r"(crate|super|self)::", use):
                if module + (use.split("::")[0],) not in files:
                    continue  # another crate
                use = "self::" + use
            for target in imported_paths(use):
                here = list(module)
                if target[0] == "crate":
                    here, target = [], target[1:]
                elif target[0] == "self":
                    target = target[1:]
                while target and target[0] == "super":
                    here, target = here[:-1], target[1:]
                full = here + target
                for length in range(len(full), 0, -1):
                    if tuple(full[:length]) in files:
                        if tuple(full[:length]) != module:
                            edges[module].add(tuple(full[:length]))
                        break
    return files, edges


def cycles(files, edges):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for successor in edges[node]:
            if successor not in index:
                visit(successor)
                low[node] = min(low[node], low[successor])
            elif successor in on_stack:
                low[node] = min(low[node], index[successor])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    sys.setrecursionlimit(10_000)
    for node in files:
        if node not in index:
            visit(node)
    return found


def main():
    failed = False
    for root in sys.argv[1:] or CRATES:
        files, edges = edges_of(root)
        for component in cycles(files, edges):
            failed = True
            names = sorted("::".join(module) or "(crate root)" for module in component)
            print(f"{root}: import cycle between {', '.join(names)}")
    if not failed:
        print("no import cycles between files")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
