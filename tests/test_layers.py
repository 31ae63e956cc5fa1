"""Layers point one way: a package imports only the packages below it (lazy imports included).

    foundation  <-  nlu  <-  knowledge  <-  assistant  <-  benchmarks
          ^          ^                        |
          +------ connectors <----------------+

A lower package importing ``assistant`` (or ``knowledge`` and ``nlu`` importing each other in a
circle) fails here with the file and line that did it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAY_IMPORT = {
    "foundation": set(),
    "nlu": {"foundation"},
    "knowledge": {"foundation", "nlu"},
    "connectors": {"foundation", "nlu"},
    "assistant": {"foundation", "nlu", "knowledge", "connectors"},
    "benchmarks": {"foundation", "nlu", "knowledge", "connectors", "assistant"},
}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in a file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def violations(package: str) -> list[str]:
    allowed = MAY_IMPORT[package] | {package}
    out = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for line, name in imported_packages(path):
            if name in MAY_IMPORT and name not in allowed:
                out.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return out


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_package_imports_only_what_is_below_it(package):
    assert violations(package) == []


def test_the_check_sees_a_lower_package_importing_the_app(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from assistant.logs import get_logger\n", encoding="utf-8")
    assert imported_packages(bad) == [(2, "assistant")]


def test_the_rules_have_no_circle():
    """Each package's allowed imports lie strictly below it, so no two packages import each other."""
    for package, below in MAY_IMPORT.items():
        for other in below:
            assert package not in MAY_IMPORT[other], f"{package} <-> {other}"
