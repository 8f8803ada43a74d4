"""The shape of the code: imports point one way, modules stay small, citations resolve.

Read from the source text (``ast``), so the checks cover modules a test run never imports.
"""
from __future__ import annotations

import ast
import re
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("abm", "intracellular")
MAX_LINES = 500
"""Modules longer than this say at their top why they are not split (issue 14)."""
REASON = re.compile(r"^(#|\s*)?.*\b(not split|one job)\b", re.I | re.M)


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(module: str, path: Path) -> set[str]:
    """Modules of this repo that ``module`` imports at run time (at any depth of its code;
    imports under ``if TYPE_CHECKING:`` are for annotations only and do not count)."""
    is_package = path.name == "__init__.py"
    package = module if is_package else module.rpartition(".")[0]
    out = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module:
                out.add(name)
    return out


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for child in node.orelse for n in _runtime_nodes_of(child))
            continue
        yield from _runtime_nodes_of(node)


def _runtime_nodes_of(node: ast.AST):
    yield node
    yield from _runtime_nodes(node)


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _parent_packages(module: str) -> set[str]:
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_import_cycle():
    """A package importing its own submodules is not a cycle; anything else is."""
    graph = {m: {d for d in deps if d not in _parent_packages(m)} for m, deps in GRAPH.items()}
    assert _cycles(graph) == []


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_intracellular_imports_nothing_from_abm():
    offenders = {m: sorted(d for d in deps if d.split(".")[0] == "abm")
                 for m, deps in GRAPH.items() if m.split(".")[0] == "intracellular"}
    assert {m: d for m, d in offenders.items() if d} == {}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_module_is_small_or_says_why(module):
    text = MODULES[module].read_text()
    n = text.count("\n")
    if n > MAX_LINES:
        head = ast.get_docstring(ast.parse(text)) or ""
        assert REASON.search(head), (f"{module} has {n} lines; split it by job or say at its "
                                     "top why it is one job (the words 'not split' or 'one job')")


CITATION = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w-]+\.md)\b")


def _source_files():
    for folder in ("abm", "intracellular", "scenarios", "benchmarks", "tests"):
        yield from (ROOT / folder).rglob("*.py")
    yield from (ROOT / "scenarios").glob("*.toml")


def test_every_cited_document_is_in_the_repo():
    """Every ``.md`` a source file cites is ``README.md`` or a ``docs/NAME.md`` the repo has."""
    missing = set()
    for path in _source_files():
        if path.resolve() == Path(__file__).resolve():
            continue
        for name in CITATION.findall(path.read_text()):
            if not (name == "README.md" or (name.startswith("docs/") and (ROOT / name).exists())):
                missing.add(f"{path.relative_to(ROOT)}: {name}")
    assert sorted(missing) == []


def _machine_paths() -> set[str]:
    """How a source would name this machine: the checkout's own absolute path, the home
    folder, and, unless the checkout sits in a folder everyone shares (``/``, the temporary
    folder), that folder and the folders beside the checkout (as ``../NAME/``)."""
    marks = {f"{ROOT}/"} | ({f"{Path.home()}/"} if Path.home() != Path("/") else set())
    parent = ROOT.parent
    if parent not in (Path("/"), Path(tempfile.gettempdir()).resolve()):
        marks.add(f"{parent}/")
        marks |= {f"../{p.name}/" for p in parent.iterdir() if p.is_dir() and p != ROOT}
    return marks


def test_no_source_names_a_path_of_a_machine():
    marks = _machine_paths()
    hits = [f"{p.relative_to(ROOT)}: {mark}" for p in _source_files()
            for mark in marks if mark in p.read_text()]
    assert hits == []
