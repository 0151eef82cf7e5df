"""Benchmark: MidiTok's tokenizers (TSD, REMI, MIDI-Like) against seqgen's events codec, same files.

For each tokenizer: notes kept after encoding and decoding (against the notes symusic reads from
the files), and tokens per second of music. Needs ``pip install miditok`` (not a seqgen dependency).

    python benchmarks/midi_miditok.py /tmp/m21/folk /tmp/m21/piano
"""

from __future__ import annotations

import argparse
import time


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


def theirs(name: str, files) -> tuple[int, int, float]:
    """``(tokens, notes kept, CPU seconds)`` of a MidiTok tokenizer (one stream per track, as MidiTok does
    without programs)."""
    import miditok
    from symusic import Score

    config = miditok.TokenizerConfig(pitch_range=(0, 127), num_velocities=32, use_programs=False)
    tokenizer = getattr(miditok, name)(config)
    tokens, kept = 0, 0
    start = time.process_time()
    for f in files:
        score = Score(str(f))
        seqs = tokenizer.encode(score)
        seqs = seqs if isinstance(seqs, list) else [seqs]
        tokens += sum(len(s.ids) for s in seqs)
        kept += tokenizer.decode(seqs).note_num()
    return tokens, kept, time.process_time() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)

    from symusic import Score

    from seqgen.data_prep.midi_read import find_midi_files, read_corpus

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


if __name__ == "__main__":
    main()
