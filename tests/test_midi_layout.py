"""The MIDI data modules import one another at the top only: a function-local import of our own
modules there would hide an import circle (issue 17), so none is allowed."""

import ast
from pathlib import Path

import pytest

DATA_PREP = Path(__file__).resolve().parents[1] / "data_prep"
MIDI_MODULES = sorted(DATA_PREP.glob("midi_*.py"))


def local_seqgen_imports(path: Path) -> list[str]:
    """``function: module`` for each import of a seqgen module inside a function of ``path``."""
    found = []
    for func in ast.walk(ast.parse(path.read_text())):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seqgen"):
                    found.append(f"{func.name}: {node.module}")
                elif isinstance(node, ast.Import):
                    found += [f"{func.name}: {a.name}" for a in node.names if a.name.startswith("seqgen")]
    return found


def test_there_are_midi_modules():
    assert {"midi_read.py", "midi_report.py", "midi_stats.py"} <= {p.name for p in MIDI_MODULES}


@pytest.mark.parametrize("path", MIDI_MODULES, ids=lambda p: p.name)
def test_no_function_local_imports_of_our_modules(path):
    assert local_seqgen_imports(path) == []


def test_the_reader_does_not_import_the_report():
    tree = ast.parse((DATA_PREP / "midi_read.py").read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not imported & {"seqgen.data_prep.midi_report", "seqgen.data_prep.midi_stats"}
