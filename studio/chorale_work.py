"""The chorale page's long work, run by the job worker: generate, infill and harmonise.

Each function takes the loader, the request body (already a dict) and the :class:`~seqgen.studio.jobs.Job`,
calls the library (:mod:`seqgen.generate.chorale_gen`, :mod:`~seqgen.generate.infill`,
:mod:`~seqgen.generate.harmonize`) and returns the piece as JSON.
"""

from __future__ import annotations

import numpy as np

from seqgen.data_prep.grid import VOICE_NAMES, Grid
from seqgen.studio.jobs import Job
from seqgen.studio.loader import Loader, require_ready
from seqgen.studio.params import number
from seqgen.studio.pieces import grid_from_json, melody_from_notes, parse_melody, piece_json
from seqgen.studio.security import StudioError

STEPS_PER_BAR = 16


def _key(body: dict) -> str | None:
    from seqgen.data_prep.music_metrics import parse_key

    key = (body.get("key") or "").strip() or None
    if key is not None:
        parse_key(key)  # one line naming the bad key, before the model is asked
    return key


def _primer(body: dict, loaded, max_steps: int, data_dir: str | None) -> Grid | None:
    """The primer: the piece on screen (``primer_piece``), a dataset name (``bwv269``, ``test:3``) or none."""
    from seqgen.generate.chorale_io import resolve_primer

    if body.get("primer_piece"):
        return grid_from_json(body["primer_piece"], max_steps, loaded.codec.voices)
    name = (body.get("primer") or "").strip()
    if not name:
        return None
    if "/" in name or "\\" in name or "." in name:
        raise StudioError(f"primer {name!r}: give a dataset chorale (bwv269, test:3); upload files with the Upload button")
    return resolve_primer(name, loaded.codec.voices, loaded.info.source.get("source", "music21"), data_dir)


def generate(loader: Loader, body: dict, job: Job, max_steps: int, data_dir: str | None = None) -> dict:
    """A new chorale from the chosen run (temperature, top-p, seed, steps, key, primer)."""
    from seqgen.data_prep.music_metrics import parse_key
    from seqgen.generate.chorale_gen import generate_grids
    from seqgen.generate.chorale_io import apply_key
    from seqgen.generate.sampling import SamplingConfig

    steps = number(body, "steps", 64, 2, max_steps, int)
    top_p = number(body, "top_p", None, 0.01, 1.0)
    sampling = SamplingConfig(temperature=number(body, "temperature", 1.0, 0.05, 5.0), top_p=top_p,
                              seed=number(body, "seed", 0, 0, 2**31 - 1, int))
    key = _key(body)
    job.report(0.0, "loading the model")
    require_ready(loader)
    loaded = loader.open(body.get("run"), "chorale")
    primer = _primer(body, loaded, max_steps, data_dir)
    primer_steps = number(body, "primer_steps", 16, 1, max_steps - 1, int)
    job.report(0.05, "sampling")
    tonic, mode = parse_key(key) if key is not None else (None, None)  # as the CLI: the mode asked, its scale steering
    grids, notes = generate_grids(loaded.model, loaded.codec, primer, steps, 1, sampling, primer_steps,
                                  progress=lambda done, total: job.report(0.05 + 0.95 * done / total),
                                  mode=mode, tonic=tonic)
    grid, key_name, lines = apply_key(grids[0], key)
    return piece_json(grid, notes + lines, key_name)


def region(body: dict, steps: int) -> tuple[range, list[int]]:
    """The selected bars (1-based, inclusive) and voices of an infill request."""
    bars = -(-steps // STEPS_PER_BAR)
    first, last = number(body, "bar_from", 1, 1, bars, int), number(body, "bar_to", bars, 1, bars, int)
    if first > last:
        raise StudioError(f"bar_from {first} comes after bar_to {last}")
    voices = body.get("voices") or []
    if not isinstance(voices, list) or not voices or not all(isinstance(v, int) and 0 <= v < 4 for v in voices):
        raise StudioError(f"voices must be a list of voice numbers 0-3 ({', '.join(VOICE_NAMES)}); tick at least one")
    return range((first - 1) * STEPS_PER_BAR, min(last * STEPS_PER_BAR, steps)), sorted(set(voices))


def infill(loader: Loader, body: dict, job: Job, max_steps: int) -> dict:
    """The piece with the selected bars x voices resampled; every other cell exactly as sent."""
    from seqgen.generate.infill import InfillConfig, log_likelihood, region_mask, resample_region

    config = InfillConfig(sweeps=number(body, "sweeps", 2, 0, 10, int), seed=number(body, "seed", 0, 0, 2**31 - 1, int),
                          temperature=number(body, "temperature", 1.0, 0.05, 5.0))
    require_ready(loader)
    loaded = loader.open(body.get("run"), "chorale")
    model, codec = loaded.model, loaded.codec
    piece, moved = codec.fit_into_range(grid_from_json(body.get("piece"), max_steps, codec.voices))
    steps, voices = region(body, piece.steps)
    tokens, mask = codec.encode(piece), region_mask(piece.steps, codec.voices, steps, voices)
    job.report(0.1, f"resampling {int(mask.sum())} cells")
    new = resample_region(model, codec, tokens, mask, config)
    job.report(0.9)
    before, after = log_likelihood(model, codec, tokens), log_likelihood(model, codec, new)
    lines = [f"{moved} notes outside the model's range moved by octaves"] if moved else []
    lines.append(f"{int((new != tokens).sum())} of {int(mask.sum())} cells changed; "
                 f"log-likelihood {before:.1f} -> {after:.1f} nats")
    return piece_json(codec.decode(new, name=piece.name), lines, body.get("piece", {}).get("key"))


def melody(body: dict, max_steps: int) -> Grid:
    """The melody to harmonise: typed note names, clicked notes, or an uploaded piece's top voice."""
    if body.get("text"):
        return parse_melody(str(body["text"]), max_steps)
    if body.get("notes"):
        return melody_from_notes(body["notes"], max_steps)
    if body.get("piece"):
        grid = grid_from_json(body["piece"], max_steps)
        return Grid(grid.pitches[:, :1], grid.struck[:, :1], grid.name)
    raise StudioError("no melody: type note names (C5 D5 E5), click notes on the roll, or upload a file")


def harmonize(loader: Loader, body: dict, job: Job, max_steps: int) -> dict:
    """Alto, tenor and bass written under the given soprano by the particle filter."""
    from seqgen.generate.chorale_io import apply_key
    from seqgen.generate.harmonize import HarmonizeConfig, fill_given, given_grid
    from seqgen.generate.harmonize_phrases import mark_phrase_ends

    config = HarmonizeConfig(particles=number(body, "particles", 16, 1, 128, int),
                             seed=number(body, "seed", 0, 0, 2**31 - 1, int))
    tune, key = melody(body, max_steps), _key(body)
    tune, key_name, lines = apply_key(tune, key, 0)
    marks = str(body.get("phrase_ends") or "").strip()[:400]  # bars, as harmonize --phrase-ends (checked there)
    if marks:
        tune = mark_phrase_ends(tune, marks)
    require_ready(loader)
    loaded = loader.open(body.get("run"), "chorale")
    codec = loaded.codec
    grid, moved, ends = given_grid(codec, tune, 0, 0)  # the soprano given
    if moved:
        lines.append(f"{moved} melody notes outside the model's range {codec.low}-{codec.high} moved by octaves")
    given = codec.encode(grid)
    job.report(0.1, f"harmonising with {config.particles} particles")
    result = fill_given(loaded.model, codec, given, np.arange(len(given)) % codec.voices == 0, config, ends)
    lines.append(f"log-likelihood {result.log_likelihood:.1f} nats, {result.resamples} resamplings; "
                 f"cadences at {result.cadences} of {result.phrases} phrase ends")
    return piece_json(codec.decode(result.tokens, name=f"{tune.name} harmonised"), lines, key_name)
