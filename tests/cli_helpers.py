"""Running ``seqgen`` in-process for tests, and the check every bad-input test makes."""

from click.testing import CliRunner

from seqgen.generate.cli import main


def run(*args):
    """Invoke ``seqgen ARGS...`` through click's runner (arguments may be paths or numbers)."""
    return CliRunner().invoke(main, [str(a) for a in args])


def assert_one_line_error(result, *fragments):
    """A non-zero exit, no traceback, exactly one ``Error`` line, containing every fragment."""
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit)  # no traceback
    error_lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1, result.output
    for fragment in fragments:
        assert fragment in error_lines[0], error_lines[0]
