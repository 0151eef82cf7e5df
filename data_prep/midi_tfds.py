"""TFDS builder ``midi_folder``: a folder of MIDI files as token sequences, prepared with Apache Beam.

Each example is one usable file: ``tokens`` (int16, no BOS) in the ``events`` or ``durations``
encoding with its default settings (:mod:`data_prep.midi_events`, :mod:`data_prep.midi_durations`,
the same ids ``train midi`` feeds its model), ``path`` (relative to the folder, ``/``-separated),
``hash`` (BLAKE2b-160 of the file's bytes, hex) and ``seconds`` (the piece's length).

* With Apache Beam installed (``pip install "seqgen[beam]"``), ``_generate_examples`` returns a Beam
  transform, ``Create(files) | FlatMap(read and encode one file)``, and TFDS's Beam support runs it:
  locally on Beam's in-process runner (:func:`prepare_midi_tfds`), or on any runner given Beam
  pipeline options. Workers read the files at the paths the launching machine found, so on a
  cluster the folder must be mounted at the same path everywhere. Without Beam the same function
  runs as TFDS's plain generator, in one process.
* Splits ``train`` and ``validation`` (about 10% of the files, as ``train midi`` holds out). A
  file's split is a function of its relative path alone (:func:`split_of`), so the same folder
  splits the same way on every machine, in any order, whatever else the folder holds. A split
  that gets no file is left out; one whose files are all unusable is an error (TFDS writes no
  empty split).
* A file the reader cannot use (truncated, hostile, no notes, over a :class:`ReadLimits` limit)
  is skipped, never fatal; ``info.metadata["files"]`` records the files found per split, so
  ``files - num_examples`` is the number skipped (:func:`skipped_files`), and each is logged with
  its reason. ``seqgen data midi`` on the folder tells why, file by file.
* ``grid`` is not offered: its token ids depend on a pitch range fitted to the whole corpus.

    import seqgen.data_prep.midi_tfds as midi_tfds  # registers the builder
    built = midi_tfds.prepare_midi_tfds("my_midi/", "~/tfds")
    ds = tfds.builder_from_directory(built.path).as_dataset(split="train")

Calling ``MidiFolder(config=midi_tfds_config(FOLDER), ...).download_and_prepare()`` directly with Beam
installed, give ``download_config=tfds.download.DownloadConfig(beam_runner=...)``: without a runner
TFDS takes Beam's DirectRunner, which first tries to download Prism.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import logging
import os
import re
import shlex
import tempfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import tensorflow_datasets as tfds

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.midi_durations import DurationCodec
from seqgen.data_prep.midi_events import EventCodec
from seqgen.data_prep.midi_folder import FILES_PER_WORKER, default_workers, find_midi_files
from seqgen.data_prep.midi_read import ReadLimits, _parse_performance, _read_bytes, _Unusable

ENCODINGS = {"events": EventCodec, "durations": DurationCodec}  # per-file encodings (no corpus fit)
SPLITS = ("train", "validation")
VALID_FRACTION = 0.1  # as `train midi` holds out (Beam's fixed cost is per split: a test split would be another)
_LOG = logging.getLogger(__name__)


@dataclasses.dataclass(eq=False)
class MidiFolderConfig(tfds.core.BuilderConfig):
    """Which folder and how to encode it; build one with :func:`midi_tfds_config`."""

    folder: str | None = None  # absolute path of the folder of MIDI files
    encoding: str = "durations"  # a key of ENCODINGS
    include_drums: bool = False  # keep the drum channel's notes


def midi_tfds_config(folder: str | os.PathLike, encoding: str = "durations", include_drums: bool = False,
                     files: list[Path] | None = None) -> MidiFolderConfig:
    """A config whose name encodes the folder, its files (names, sizes, times) and the settings, so a
    changed folder or setting is a new dataset rather than a stale one reused. ``files``: the folder's
    MIDI files when the caller has listed them already."""
    if encoding not in ENCODINGS:
        raise SeqgenError(f"the TFDS builder encodes with {' or '.join(ENCODINGS)}, not {encoding!r}: "
                          "grid token ids need a pitch range fitted to the whole corpus")
    root = Path(folder).expanduser().resolve()
    if not root.is_dir():
        raise SeqgenError(f"{str(folder)!r} is not a folder: give the folder of MIDI files to build from")
    digest = hashlib.sha1(repr((str(root), encoding, include_drums)).encode())
    for file in find_midi_files([root]) if files is None else files:
        stat = file.stat()
        digest.update(f"\0{file.relative_to(root).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}".encode())
    return MidiFolderConfig(name=f"{encoding}-{digest.hexdigest()[:12]}", folder=str(root), encoding=encoding,
                            include_drums=include_drums,
                            description=f"{root}, {encoding} encoding, drums {'kept' if include_drums else 'left out'}")


def split_of(relative_path: str) -> str:
    """The split of a file: a stable hash of its relative path (``hash()`` changes per process)."""
    u = int.from_bytes(hashlib.blake2b(relative_path.encode("utf-8"), digest_size=8).digest(), "big") / 2**64
    return "validation" if u < VALID_FRACTION else "train"


@dataclasses.dataclass(frozen=True)
class _Settings:
    """What a worker needs to turn one file into an example (pickled to Beam workers)."""

    encoding: str
    include_drums: bool
    limits: ReadLimits = ReadLimits()


def encode_file(relative: str, path: str, settings: _Settings) -> tuple[str, dict] | str:
    """``(key, example)`` for one file, or the reason it is skipped."""
    file = Path(path)
    try:
        data = _read_bytes(file, settings.limits)
        performance = _parse_performance(data, file, settings.include_drums, settings.limits)
        tokens = ENCODINGS[settings.encoding]().encode(performance)
    except _Unusable as exc:
        return str(exc)
    except OSError as exc:  # unreadable on disk (permissions, a vanished file)
        return f"cannot be read ({exc.strerror or exc})"
    except SeqgenError as exc:  # the codec refused the notes
        return str(exc)
    return relative, {"tokens": tokens.astype(np.int16), "path": relative,
                      "hash": hashlib.blake2b(data, digest_size=20).hexdigest(),
                      "seconds": np.float32(performance.duration)}


def _examples(item: tuple[str, str], settings: _Settings) -> list[tuple[str, dict]]:
    """The FlatMap step: one file -> [example], or [] (logged) when it is skipped."""
    result = encode_file(*item, settings)
    if isinstance(result, str):
        _LOG.warning("midi_folder: skipped %s: %s", item[0], result)
        return []
    return [result]


def beam_available() -> bool:
    """Whether Apache Beam can be imported (the ``beam`` extra)."""
    try:
        import apache_beam  # noqa: F401
    except ImportError:
        return False
    return True


class MidiFolder(tfds.core.GeneratorBasedBuilder):
    """A folder of MIDI files, one example per usable file (see the module doc)."""

    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release: events or durations tokens, relative path, content hash, seconds."}

    def __init__(self, *, use_beam: bool | None = None, **kwargs):
        self._use_beam = beam_available() if use_beam is None else use_beam  # None: when installed
        super().__init__(**kwargs)

    def _info(self) -> tfds.core.DatasetInfo:
        return self.dataset_info_from_configs(
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "tokens": tfds.features.Tensor(shape=(None,), dtype=np.int16),
                "path": tfds.features.Text(),
                "hash": tfds.features.Text(),
                "seconds": tfds.features.Scalar(dtype=np.float32),
            }),
            metadata=tfds.core.MetadataDict(),
        )

    def _settings(self) -> _Settings:
        config = self.builder_config
        if config is None or config.folder is None:
            raise SeqgenError("midi_folder needs a folder: build it with config=midi_tfds_config(FOLDER)")
        return _Settings(config.encoding, config.include_drums)

    def _split_generators(self, dl_manager):
        settings, root = self._settings(), Path(self.builder_config.folder)
        files: dict[str, list[tuple[str, str]]] = {s: [] for s in SPLITS}
        for file in find_midi_files([root]):
            relative = file.relative_to(root).as_posix()
            files[split_of(relative)].append((relative, str(file)))
        if not any(files.values()):
            raise SeqgenError(f"no MIDI file (.mid, .midi) found in {root}: give a folder of MIDI files")
        # Known before any file is read, so the count of skipped files needs nothing from the runner.
        self.info.metadata["files"] = {s: len(v) for s, v in files.items() if v}
        self.info.metadata["codec"] = ENCODINGS[settings.encoding]().to_config()
        return {s: self._generate_examples(v, settings) for s, v in files.items() if v}

    def _generate_examples(self, files: list[tuple[str, str]], settings: _Settings):
        if self._use_beam:
            import apache_beam as beam

            return beam.Create(files) | beam.FlatMap(_examples, settings=settings)
        return (example for item in files for example in _examples(item, settings))


def skipped_files(info: tfds.core.DatasetInfo) -> dict[str, int]:
    """Files found but not usable, per split, from a prepared dataset's info."""
    return {s: n - info.splits[s].num_examples if s in info.splits else n
            for s, n in info.metadata.get("files", {}).items()}


class Built(NamedTuple):
    """What :func:`prepare_midi_tfds` made."""

    path: Path  # the prepared dataset (tfds.builder_from_directory(path))
    examples: dict[str, int]  # per split
    skipped: dict[str, int]  # per split
    beam: bool  # prepared with Apache Beam
    fresh: bool  # False: it was already prepared, and reused


def _download_config(beam_options: str | None, workers: int) -> tfds.download.DownloadConfig:
    """Beam's in-process runner (the DirectRunner's batch engine: the DirectRunner itself first tries
    Prism, a binary it downloads), in ``workers`` processes, unless the options name a runner."""
    from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
    from apache_beam.runners.portability.fn_api_runner import FnApiRunner

    args = shlex.split(beam_options or "")
    if workers > 1 and not beam_options:  # each worker process imports TensorFlow: seconds, so only for many files
        args += [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    options = PipelineOptions(args)
    named = options.view_as(StandardOptions).runner
    return tfds.download.DownloadConfig(beam_runner=None if named else FnApiRunner(), beam_options=options)


def _prepare(builder: MidiFolder, download_config: tfds.download.DownloadConfig | None) -> None:
    """``download_and_prepare``, with TFDS's refusal of an empty split said in one line."""
    with tempfile.TemporaryDirectory() as downloads:  # nothing is downloaded: leave no folder for it
        try:
            builder.download_and_prepare(download_dir=downloads, download_config=download_config)
        except (AssertionError, ValueError) as exc:  # TFDS: plain / Beam writer, a split of 0 examples
            empty = re.search(r'(?:No examples were yielded|examples is 0)', str(exc))
            split = re.search(r'split "?(\w+)', str(exc))
            if not (empty and split):
                raise
            folder = builder.builder_config.folder
            raise SeqgenError(f"no file of the {split.group(1)} split of {folder} is usable, and a TFDS split "
                              f"cannot be empty: run `seqgen data midi {folder}` to see why") from None


def prepare_midi_tfds(folder: str | os.PathLike, data_dir: str | os.PathLike, *, encoding: str = "durations",
                      include_drums: bool = False, use_beam: bool | None = None, beam_options: str | None = None,
                      workers: int | None = None) -> Built:
    """Prepare ``folder`` as a ``midi_folder`` dataset under ``data_dir`` (with Beam when installed,
    or as ``use_beam`` says) and say what it holds. ``beam_options``: Beam pipeline options, as on a
    command line (``--runner=...``); ``workers``: local Beam worker processes [default: every core,
    one per 1,000 files]; without Beam the files are read in this process."""
    use_beam = beam_available() if use_beam is None else use_beam
    if use_beam and not beam_available():
        raise SeqgenError('Apache Beam is not installed: pip install "seqgen[beam]"')
    if beam_options and not use_beam:
        raise SeqgenError('Beam options need Apache Beam: pip install "seqgen[beam]"')
    root = Path(folder).expanduser().resolve()
    files = find_midi_files([root]) if root.is_dir() else None  # else: the config's one-line error
    config = midi_tfds_config(root, encoding, include_drums, files)
    builder = MidiFolder(config=config, data_dir=os.fspath(Path(data_dir).expanduser().resolve()), use_beam=use_beam)
    fresh = not builder.is_prepared()
    if fresh:
        if workers is None:
            workers = min(default_workers(), -(-len(files) // FILES_PER_WORKER))
        _prepare(builder, _download_config(beam_options, workers) if use_beam else None)
    info = builder.info
    return Built(Path(builder.data_dir), {s: info.splits[s].num_examples for s in info.splits},
                 skipped_files(info), use_beam, fresh)


@contextlib.contextmanager
def quiet_tfds():
    """Keep TFDS's and Beam's chatter (progress bars, notices printed on stdout, their loggers'
    warnings) out of a command's output; this module's lines about skipped files still show."""
    root, ours = logging.getLogger(), _LOG
    saved = root.level, ours.level
    root.setLevel(logging.CRITICAL)  # a failure still raises (a SeqgenError says it in one line)
    ours.setLevel(logging.WARNING)
    tfds.disable_progress_bar()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        root.setLevel(saved[0])
        ours.setLevel(saved[1])


def built_lines(built: Built, folder: str) -> list[str]:
    """What ``seqgen data midi --tfds`` prints."""
    how = "with Apache Beam" if built.beam else "without Apache Beam (one process)"
    first = (f"prepared the TFDS dataset midi_folder {how} in {built.path}" if built.fresh
             else f"already prepared (same files and settings) in {built.path}")
    counts = ", ".join(f"{s}: {n} examples" for s, n in built.examples.items())
    skipped = sum(built.skipped.values())
    return [first, f"  {counts}; {skipped} file{'s' * (skipped != 1)} skipped"
            + (f" (`seqgen data midi {folder}` says why)" if skipped else ""),
            f'  load it with tfds.builder_from_directory("{built.path}").as_dataset(split="train")']
