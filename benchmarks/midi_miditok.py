"""Benchmark: MidiTok's tokenizers (TSD, REMI, MIDI-Like) against seqgen's events codec, same files.

For each tokenizer: notes kept after encoding and decoding (against the notes symusic reads from
the files), and tokens per second of music. With ``--train``, also the figures that decide between
them: the same small GRU trained the same way on each tokenization of the same files, then the
nats per second of music of the held-out files (every token predicted from all before it in its
stream), and ten sampled pieces decoded without bounds: their mean polyphony and the share of their
notes longer than the corpus's 99th-percentile note length (hanging notes). Needs
``pip install miditok`` (not a seqgen dependency).

    python benchmarks/midi_miditok.py /tmp/m21/folk /tmp/m21/piano
    python benchmarks/midi_miditok.py /tmp/m21/folk --train --epochs 4
"""

from __future__ import annotations

import argparse
import time
import zlib
from dataclasses import replace
from pathlib import Path
from typing import Callable, NamedTuple

import numpy as np


def ours(files, corpus) -> tuple[int, int, float]:
    """``(tokens, notes kept, CPU seconds)`` of the events codec."""
    from seqgen.data_prep.midi_events import EventCodec

    codec, tokens, kept = EventCodec(), 0, 0
    start = time.process_time()
    for p in corpus.performances:
        row = codec.encode(p)
        tokens += len(row)
        kept += len(codec.decode(row))
    return tokens, kept, time.process_time() - start


def miditok_config():
    """Every pitch, 32 velocities like ours, no program tokens (one stream per track)."""
    import miditok

    return miditok.TokenizerConfig(pitch_range=(0, 127), num_velocities=32, use_programs=False)


def theirs(name: str, files) -> tuple[int, int, float]:
    """``(tokens, notes kept, CPU seconds)`` of a MidiTok tokenizer (one stream per track, as MidiTok does
    without programs)."""
    import miditok
    from symusic import Score

    tokenizer = getattr(miditok, name)(miditok_config())
    tokens, kept = 0, 0
    start = time.process_time()
    for f in files:
        score = Score(str(f))
        seqs = tokenizer.encode(score)
        seqs = seqs if isinstance(seqs, list) else [seqs]
        tokens += sum(len(s.ids) for s in seqs)
        kept += tokenizer.decode(seqs).note_num()
    return tokens, kept, time.process_time() - start


# ------------------------------------------------------------------ --train: nats per second, hanging notes


class Streams(NamedTuple):
    """One tokenization of a corpus: BOS-first token streams and how to read them back."""

    train: list  # (tokens,) int32 arrays, BOS first
    test: list
    vocab: int  # model vocabulary (BOS included)
    bos: int
    forbidden: tuple  # ids never sampled (BOS, MidiTok's PAD/EOS/MASK)
    decode: Callable  # generated tokens (BOS excluded) -> list of seqgen Notes
    p99: float  # the corpus's p99 note length on the decode's clock (see miditok_streams)


def is_test(name: str) -> bool:
    """The held-out rule, the same files for every tokenizer: a hash of the file's name, about 10%."""
    return zlib.crc32(Path(name).name.encode()) % 10 == 0


def our_streams(corpus, stats: dict) -> Streams:
    """The events codec's streams, one per file; generated pieces decode without the corpus's bounds."""
    from seqgen.data_prep.midi_events import EventCodec
    from seqgen.data_prep.pipeline import with_bos

    codec = EventCodec()
    free = EventCodec(replace(codec.config, max_note_ms=0, max_polyphony=0))  # no bounds: hanging notes show
    rows = {p.name: with_bos(codec.encode(p), codec.bos_id) for p in corpus.performances}
    return Streams([r for n, r in rows.items() if not is_test(n)], [r for n, r in rows.items() if is_test(n)],
                   codec.vocab_size, codec.bos_id, tuple(codec.forbidden_ids), free.decode, stats["length_p99_s"])


def miditok_streams(name: str, corpus, stats: dict) -> Streams:
    """MidiTok's streams, one per track. Its decoded pieces carry no tempo (no tempo tokens), so their
    notes are timed at 120 bpm and judged against the corpus's p99 length in beats at that tempo."""
    import miditok
    from symusic import Score

    tokenizer = getattr(miditok, name)(miditok_config())
    train, test = [], []
    for p in corpus.performances:
        for seq in tokenizer.encode(Score(p.name)):
            (test if is_test(p.name) else train).append(np.array([tokenizer["BOS_None"], *seq.ids], np.int32))
    special = tuple(tokenizer[t] for t in tokenizer.special_tokens)
    decode = lambda row: score_notes(tokenizer.decode([[int(t) for t in row]]))  # noqa: E731
    return Streams(train, test, len(tokenizer), tokenizer["BOS_None"], special, decode,
                   stats["length_p99_beats"] * 60 / 120)


def score_notes(score) -> list:
    """A symusic score's notes as seqgen Notes, seconds at 120 bpm (MidiTok decodes without a tempo)."""
    from seqgen.data_prep.midi_notes import Note

    tpq, notes = score.ticks_per_quarter, []
    for track in score.tracks:
        for n in track.notes:
            start, end = n.time / tpq, (n.time + n.duration) / tpq  # beats
            notes.append(Note(start / 2, end / 2, start, end, n.pitch, n.velocity, 0, 0, 0))
    return notes


def train_model(streams: Streams, args):
    """The same GRU, windows, epochs, batch, optimizer and seed for every tokenization."""
    import keras

    from seqgen.data_prep.pipeline import token_windows, windows_dataset
    from seqgen.models.config import RNNConfig
    from seqgen.models.rnn import RNNModel

    keras.utils.set_random_seed(args.seed)
    model = RNNModel(RNNConfig(cell="gru", vocab_size=streams.vocab, embedding_dim=32, units=args.units, layers=1))
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    windows = token_windows(streams.train, args.window, args.window // 2)  # streams shorter than a window: left out
    batches = windows_dataset(windows, 32, shuffle=True, seed=args.seed)  # shuffled here, so fit's shuffle is off
    model.fit(batches, epochs=args.epochs, verbose=0, shuffle=False)
    return model, len(windows)


def generate(model, streams: Streams, tokens: int, args) -> list:
    """``args.pieces`` pieces of ``tokens`` tokens each, temperature 1, decoded without bounds."""
    from seqgen.generate.sampler import Sampler
    from seqgen.generate.sampling import make_strategy

    sampler = Sampler(model, make_strategy(1.0, forbidden=streams.forbidden), seed=args.seed, progress=None)
    rows = sampler.generate(np.full((args.pieces, 1), streams.bos, np.int32), tokens)
    return [streams.decode(row) for row in rows]


def compare_training(path: str, corpus, args) -> None:
    """Train, score and sample each tokenization; one table row each."""
    from midi_generation_bounds import figures

    from seqgen.data_prep.midi_stats import note_stats
    from seqgen.models.evaluate import score_sequences

    stats = note_stats(corpus.performances)
    test_seconds = sum(p.duration for p in corpus.performances if is_test(p.name))
    train_seconds = sum(p.duration for p in corpus.performances if not is_test(p.name))
    held = sum(is_test(p.name) for p in corpus.performances)
    poly, share, _ = figures([list(p.notes) for p in corpus.performances], stats["length_p99_s"])
    # MidiTok writes one stream per part, so its pieces are one part: compare them with the corpus's parts.
    parts = [[n for n in p.notes if n.track == t] for p in corpus.performances for t in {n.track for n in p.notes}]
    part_poly, _, _ = figures(parts, stats["length_p99_s"])
    print(f"{path}: {held} test files ({test_seconds:.0f} s of music); gru 1x{args.units}, window {args.window} "
          f"tokens (stride {args.window // 2}), {args.epochs} epochs, batch 32, Adam 3e-3, seed {args.seed}; "
          f"{args.pieces} pieces of {args.seconds:g} s of tokens at temperature 1")
    print(f"  corpus         mean polyphony {poly:5.2f} ({part_poly:.2f} per part), {100 * share:5.2f}% of notes "
          f"longer than its p99 ({stats['length_p99_s']:.2f} s, {stats['length_p99_beats']:.2f} beats)")
    for name in ("events (ours)", "TSD", "REMI", "MIDILike"):
        start = time.process_time()
        streams = our_streams(corpus, stats) if name.startswith("events") else miditok_streams(name, corpus, stats)
        model, windows = train_model(streams, args)
        score, _ = score_sequences(model, streams.test, batch_size=4)  # whole streams, as `seqgen evaluate`
        rate = sum(len(s) - 1 for s in streams.train) / train_seconds  # tokens per second of training music
        pieces = generate(model, streams, round(args.seconds * rate), args)
        poly, share, notes = figures(pieces, streams.p99)
        print(f"  {name:14s} test tokens {score.count:7d}  nats/token {score.nats / score.count:.3f}  "
              f"nats/second {score.nats / test_seconds:6.2f}  | generated: {notes} notes, mean polyphony "
              f"{poly:5.2f}, {100 * share:5.2f}% longer than p99 ({windows} windows, "
              f"{time.process_time() - start:.0f} CPU s)", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--train", action="store_true", help="also train, score and sample each tokenization")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--window", type=int, default=128, help="tokens per training window")
    parser.add_argument("--units", type=int, default=128, help="GRU units (one layer)")
    parser.add_argument("--pieces", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20.0, help="piece length: this many seconds of tokens at "
                        "the tokenization's rate on the training files")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from symusic import Score

    from seqgen.data_prep.midi_folder import find_midi_files, read_corpus

    for path in args.paths:
        files = find_midi_files([path])
        corpus = read_corpus([path], include_drums=True)
        files = [f for f in files if str(f) in {p.name for p in corpus.performances}]
        seconds = sum(p.duration for p in corpus.performances)
        in_files = sum(Score(str(f)).note_num() for f in files)
        read = sum(len(p.notes) for p in corpus.performances)
        print(f"{path}: {len(files)} files, {seconds:.0f} s of music, {in_files} notes in the files "
              f"(symusic), {read} read by seqgen")
        for name in ("events (ours)", "TSD", "REMI", "MIDILike"):
            tokens, kept, cpu = ours(files, corpus) if name.startswith("events") else theirs(name, files)
            print(f"  {name:14s} notes kept {kept:8d} ({100 * kept / in_files:6.2f}%)  "
                  f"{tokens / seconds:7.1f} tokens per second of music  ({cpu:.1f} CPU s)", flush=True)
        if args.train:
            compare_training(path, corpus, args)


if __name__ == "__main__":
    main()
