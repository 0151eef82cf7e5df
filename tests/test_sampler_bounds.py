"""Generation bounds: absurd lengths are refused before any work, and long runs report progress."""

import numpy as np
import pytest

from seqgen.data_prep.errors import SeqgenError
from seqgen.generate import sampler as sampler_module
from seqgen.generate.sampler import MAX_TOKENS, Sampler, check_length
from seqgen.generate.sampling import make_strategy
from seqgen.models.config import make_config
from seqgen.models.registry import build_model


def test_absurd_lengths_are_refused_naming_the_limit_and_how_to_raise_it(monkeypatch):
    monkeypatch.delenv("SEQGEN_MAX_TOKENS", raising=False)
    with pytest.raises(SeqgenError, match=f"more than the limit of {MAX_TOKENS:,} .* SEQGEN_MAX_TOKENS=40000000"):
        check_length(10_000_000, batch=4)
    check_length(MAX_TOKENS)  # at the limit: fine
    monkeypatch.setenv("SEQGEN_MAX_TOKENS", "100")
    with pytest.raises(SeqgenError, match="limit of 100 per run"):
        Sampler(object(), make_strategy()).generate(np.zeros((2, 1), np.int32), 51)  # before touching the model
    monkeypatch.setenv("SEQGEN_MAX_TOKENS", "lots")
    with pytest.raises(SeqgenError, match="SEQGEN_MAX_TOKENS must be a whole number"):
        check_length(1)


def test_progress_callback_sees_every_chunk(monkeypatch):
    model = build_model(make_config("gru", "tiny", 12, 1))
    calls = []
    out = Sampler(model, make_strategy(), seed=1).generate(np.zeros((2, 1), np.int32), 150,
                                                           progress=lambda done, total: calls.append((done, total)))
    assert out.shape == (2, 150) and calls == [(64, 150), (128, 150), (150, 150)]
    monkeypatch.setattr(sampler_module, "PROGRESS_FROM", 1)
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    plain = Sampler(model, make_strategy(), seed=1).generate(np.zeros((2, 1), np.int32), 150)  # "auto": no bar off a terminal
    np.testing.assert_array_equal(plain, out)
