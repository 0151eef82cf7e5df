"""No import cycles among our modules, counting imports inside functions too.

A function-local import can hide a cycle that a top-level import would make Python refuse; such a
cycle still ties two modules together. Every module of the four stages is a node, every import of
ours (top-level or local) an edge, and the graph must have no strongly connected part of two or more.
"""

import ast
from pathlib import Path

import seqgen

PACKAGE = Path(seqgen.__file__).parent
STAGES = ("data_prep", "models", "generate", "studio")


def our_modules() -> dict[str, Path]:
    return {f"seqgen.{stage}.{p.stem}": p for stage in STAGES for p in sorted((PACKAGE / stage).glob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Modules of ours that ``path`` imports anywhere (``from seqgen.x import y`` may name a module y)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & set(modules)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of two or more nodes (Tarjan, iterative)."""
    index, low, on_stack, stack, found, counter = {}, {}, set(), [], [], 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    part = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        part.append(member)
                        if member == node:
                            break
                    if len(part) > 1:
                        found.append(sorted(part))
            elif child not in index:
                index[child] = low[child] = counter
                counter += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph[child]))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_even_through_function_local_imports():
    modules = our_modules()
    assert len(modules) > 80
    graph = {name: imports_of(path, modules) - {name} for name, path in modules.items()}
    assert cycles(graph) == []
