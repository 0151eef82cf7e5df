"""The package's shape: one import name, layers that hold, a light CLI, no global side effects."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import seqgen

PACKAGE = Path(seqgen.__file__).parent
# stage -> stages of ours it must never import (data flows one way: data_prep -> models -> generate -> studio)
FORBIDDEN = {"data_prep": ("seqgen.models", "seqgen.generate", "seqgen.studio"),
             "models": ("seqgen.generate", "seqgen.studio"), "generate": ("seqgen.studio",)}


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside functions."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_layers_hold(stage):
    files = sorted((PACKAGE / stage).glob("*.py"))
    assert len(files) > 5
    offences = [f"{path.name} imports {name}" for path in files for name in sorted(imported_modules(path))
                if name.startswith(FORBIDDEN[stage])]
    assert offences == []


def test_no_generic_top_level_names_are_imported():
    files = [*PACKAGE.glob("*.py"), *(p for stage in ("data_prep", "models", "generate", "studio")
                                      for p in (PACKAGE / stage).rglob("*.py"))]
    assert len(files) > 40
    for path in files:
        bare = {n for n in imported_modules(path) if n.split(".")[0] in ("data_prep", "models", "generate", "studio")}
        assert not bare, f"{path} imports {bare}: use seqgen.<stage>"


def _python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "-1",
                               "HOME": str(cwd)})


def test_user_modules_named_like_our_stages_do_not_shadow_them(tmp_path):
    for name in ("models.py", "generate.py", "data_prep.py"):
        (tmp_path / name).write_text("raise SystemExit('the user module was imported')\n")
    result = _python("import seqgen.models.task, seqgen.generate.cli, seqgen.data_prep.grid; print('ok')", tmp_path)
    assert result.returncode == 0 and result.stdout.strip() == "ok", result.stderr[-2000:]


def test_help_and_usage_errors_never_import_tensorflow(tmp_path):
    code = ("import sys\nfrom seqgen.generate.cli import main\n"
            "for args in (['--help'], ['data', 'midi', '--help'], ['train', 'chorales', '--help'],"
            " ['generate', 'text', '--help'], ['sketch', 'train', '--help'], ['studio', '--help'],"
            " ['train', 'midi', '--epochs', '0', '--out', 'x']):\n"
            "    try:\n        main(args, standalone_mode=False)\n    except Exception:\n        pass\n"
            "print('tensorflow' in sys.modules, 'keras' in sys.modules)")
    result = _python(code, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split()[-2:] == ["False", "False"]


def test_python_dash_m_seqgen(tmp_path):
    result = subprocess.run([sys.executable, "-m", "seqgen", "--help"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and "Usage: " in result.stdout and "generate" in result.stdout


def test_unknown_codecs_still_raise():
    # A dependency once installed a .pth hook that made every codec name decode, for every program.
    with pytest.raises(LookupError):
        b"x".decode("no-such-codec")
