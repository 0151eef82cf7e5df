"""Build MIDI folders from music21's bundled corpus, for the MIDI benchmarks (never for tests).

Two corpora, written once into a folder you name (kept between runs, so later benchmarks reuse it):

* ``folk``: tunes from the ABC collections (Nottingham reels with their chord symbols sounded as
  chords under the melody, then Ryan's Mammoth, O'Neill's and Essen tunes, melody only), one file
  per tune: a folk-tune corpus of melody plus chords;
* ``piano``: multi-part works (Beethoven, Mozart, Haydn, Schumann, Joplin, Chopin, Schubert...),
  one file per movement: dense polyphony, as a piano corpus has.

    python benchmarks/midi_music21_corpus.py /tmp/m21 --folk 1000 --piano 60
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

FOLK_SOURCES = ("nottingham-dataset", "ryansMammoth", "oneills1850", "essenFolksong")
PIANO_SOURCES = ("joplin", "chopin", "schumann_robert", "schumann_clara", "beethoven", "mozart", "haydn",
                 "schubert", "handel", "beach", "weber", "corelli", "cpebach", "verdi")


def _sources(keys: tuple[str, ...]) -> list[Path]:
    from music21 import corpus

    paths = [Path(p) for p in corpus.getPaths()]
    return [p for key in keys for p in sorted(paths) if f"/{key}/" in str(p)]


def _sound_chord_symbols(score) -> None:
    """Chord symbols of a lead sheet become sounding chords in a part of their own (melody plus chords)."""
    from music21 import harmony, stream

    symbols = list(score.recurse().getElementsByClass(harmony.ChordSymbol))
    if not symbols:
        return
    harmony.realizeChordSymbolDurations(score)
    chords = stream.Part()
    for cs in score.recurse().getElementsByClass(harmony.ChordSymbol):
        try:
            pitches = [p.transpose(-12) if p.octave and p.octave >= 4 else p for p in cs.pitches]
        except Exception:  # noqa: BLE001 - a symbol music21 cannot realise is left out
            continue
        from music21 import chord

        c = chord.Chord(pitches, quarterLength=cs.quarterLength or 1.0)
        chords.insert(cs.getOffsetInHierarchy(score), c)
    if chords.notes:
        score.insert(0, chords)


def _scores(source: Path):
    """Every score in a corpus file (an ABC opus holds many tunes)."""
    from music21 import converter, stream

    parsed = converter.parse(str(source))
    if isinstance(parsed, stream.Opus):
        yield from parsed.scores
    else:
        yield parsed


def write_corpus(folder: Path, kind: str, count: int) -> list[Path]:
    """Write up to ``count`` MIDI files of ``kind`` (folk or piano) into ``folder``; reuses files already there."""
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob("*.mid"))
    if len(existing) >= count:
        return existing[:count]
    written = list(existing)
    for source in _sources(FOLK_SOURCES if kind == "folk" else PIANO_SOURCES):
        if source.suffix == ".krn" and source.with_suffix(".mxl").exists():
            continue  # the same movement twice
        try:
            scores = list(_scores(source))
        except Exception as exc:  # noqa: BLE001 - a file music21 cannot parse is left out
            print(f"  (music21 could not parse {source.name}: {type(exc).__name__})")
            continue
        for i, score in enumerate(scores):
            target = folder / f"{source.parent.name}-{source.stem}-{i:04d}.mid"
            if target in written or target.exists():
                continue
            try:
                if kind == "folk" and "nottingham" in str(source):
                    _sound_chord_symbols(score)
                score.write("midi", fp=str(target))
            except Exception as exc:  # noqa: BLE001
                print(f"  (music21 could not export {target.name}: {type(exc).__name__})")
                continue
            written.append(target)
            if len(written) >= count:
                return written
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--folk", type=int, default=1000)
    parser.add_argument("--piano", type=int, default=60)
    args = parser.parse_args(argv)
    for kind, count in (("piano", args.piano), ("folk", args.folk)):
        start = time.perf_counter()
        files = write_corpus(args.folder / kind, kind, count)
        print(f"{kind}: {len(files)} MIDI files in {args.folder / kind} ({time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
