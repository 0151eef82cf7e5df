"""The series task's windows: nothing of the future reaches training, validation counts only its own part."""

import numpy as np
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.series import table_from_array
from seqgen.models.series_task import SeriesDataConfig, origins, prepare, series_datasets


def ramp(n=100):
    return table_from_array(np.arange(n, dtype=float)[:, None], ["y"])


def test_statistics_and_training_windows_never_see_the_future():
    data = SeriesDataConfig(window=8, horizon=3, batch_size=4)
    table = ramp()
    prep = prepare(table, data)
    assert (prep.train_end, prep.valid_end) == (70, 85)
    changed = ramp()
    changed.values[prep.train_end:] *= 1000  # a different future
    assert prepare(changed, data).codec == prep.codec
    decode = prep.codec.decode_target
    train, valid = series_datasets(prep, data)
    seen = np.concatenate([np.r_[decode(x.numpy()).ravel(), decode(y.numpy()).ravel()] for x, y, _ in train])
    assert round(seen.max(), 3) == prep.train_end - 1  # the last training step, and nothing after it
    for x, y, w in valid:
        first_target = np.round(decode(y.numpy()[..., 0]), 3)  # (batch, window)
        counted = w.numpy() > 0
        assert (first_target[counted] >= prep.train_end).all() and (first_target[~counted] < prep.train_end).all()
        assert round(decode(y.numpy()).max(), 3) <= prep.valid_end - 1  # validation targets never reach the test part


def test_test_origins_forecast_only_the_test_part():
    prep = prepare(ramp(), SeriesDataConfig(window=8, horizon=3))
    starts = origins(prep, "test", 8, 3)
    assert starts[0] == prep.valid_end - 1 and starts[-1] + 3 == 99


def test_too_short_and_horizon_errors_name_the_option():
    with pytest.raises(SeqgenError, match="too short.*--window 80"):
        prepare(ramp(), SeriesDataConfig(window=80, horizon=3))
    with pytest.raises(SeqgenError, match="--horizon 20 is longer than the validation part"):
        prepare(ramp(), SeriesDataConfig(window=8, horizon=20))


def test_series_task_and_eval_need_no_function_local_import():
    """series_task imports series_eval, never the reverse, and neither hides an import in a function."""
    import ast
    from pathlib import Path

    import seqgen

    for name in ("series_task", "series_eval"):
        tree = ast.parse((Path(seqgen.__file__).parent / "models" / f"{name}.py").read_text())
        local = [node.lineno for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 for node in ast.walk(f) if isinstance(node, (ast.Import, ast.ImportFrom))]
        assert local == [], f"models/{name}.py imports inside functions at lines {local}"
        modules = {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
        if name == "series_eval":
            assert "seqgen.models.series_task" not in modules
        else:
            assert "seqgen.models.series_eval" in modules
