"""The bad-input cases of ``fuzz_cli.py``: the fixture folder they read, and one row per case.

A case is ``Case(name, args, expect, setup)``: ``args`` may hold ``{F}`` (the shared, read-only
fixture folder), ``{C}`` (the case's own folder, where outputs go) and ``{R}`` (a run folder the
case's ``setup`` made in ``{C}``). ``expect`` is "refuse" (a one-line error is the right answer),
"ok" (it must work) or "any". ``setup(case_dir)`` returns the files it put there that a user owns:
they must survive the command unchanged.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[1]
SHIPPED_CHORALE = ROOT / "generate" / "pretrained" / "chorale"
SHIPPED_TEXT = ROOT / "generate" / "pretrained" / "shakespeare"
HUGE = "1000000000"


@dataclass
class Case:
    name: str
    args: list[str]
    expect: str = "refuse"
    setup: Callable[[Path], list[str]] | None = None
    env: dict = field(default_factory=dict)


# -- fixtures --------------------------------------------------------------------------------------

def _midi(path: Path, voices: int, notes: int = 32) -> None:
    import mido

    song = mido.MidiFile()
    for v in range(voices):
        track = mido.MidiTrack()
        song.tracks.append(track)
        for i in range(notes):
            pitch = 72 - 7 * v + (i % 5)
            track.append(mido.Message("note_on", note=pitch, velocity=80, time=0))
            track.append(mido.Message("note_off", note=pitch, velocity=0, time=480))
    song.save(path)


def make_fixtures(folder: Path) -> None:
    """The inputs every case may read (never to be changed by any case)."""
    folder.mkdir(parents=True, exist_ok=True)
    _midi(folder / "good.mid", 4)
    _midi(folder / "mono.mid", 1)
    (folder / "empty.mid").write_bytes(b"")
    (folder / "trunc.mid").write_bytes((folder / "good.mid").read_bytes()[:60])
    (folder / "text_as.mid").write_text("this is not a MIDI file\n" * 20)
    (folder / "empty.txt").write_text("")
    (folder / "prompt.txt").write_text("ROMEO:\nWhat light through yonder window breaks?\n")
    (folder / "binary.bin").write_bytes(bytes(range(256)) * 64)
    (folder / "utf16.txt").write_text("To be or not to be\n" * 50, encoding="utf-16")
    (folder / "prompt_1mb.txt").write_text(("All the world's a stage.\n" * 42_000)[:1_000_000])
    with open(folder / "prompt_200mb.txt", "w") as f:  # written in pieces: bounded memory here too
        for _ in range(200):
            f.write("x" * 1_000_000)
    (folder / "empty.ndjson").write_text("")
    (folder / "bad.ndjson").write_text('{"word": "cat", "drawing": [[[0, 1], [2]]]}\n{not json\n')
    drawing = [[[0, 10, 20, 30], [0, 10, 0, 10]], [[5, 15], [5, 25]]]
    (folder / "cats.ndjson").write_text("".join(json.dumps({"word": "cat", "drawing": drawing}) + "\n" for _ in range(5)))
    (folder / "trunc.npz").write_bytes(b"PK\x03\x04" + b"\0" * 40)
    (folder / "one_row.csv").write_text("time,value\n2020-01-01,1.0\n")
    (folder / "series.csv").write_text("time,value\n" + "".join(f"{i},{(i * 7) % 13 + 0.5 * i}\n" for i in range(300)))
    (folder / "nan.csv").write_text("time,value\n" + "".join(f"{i},nan\n" for i in range(100)))
    (folder / "empty.tgz").write_bytes(b"")
    (folder / "notes.txt").write_text("not a soundfont\n")
    (folder / "not_music").mkdir(exist_ok=True)
    (folder / "not_music" / "readme.txt").write_text("nothing musical\n")
    (folder / "empty_dir").mkdir(exist_ok=True)
    (folder / "existing.mid").write_bytes((folder / "good.mid").read_bytes())


# -- per-case run folders --------------------------------------------------------------------------

def copy_run(source: Path, edit: Callable[[dict], None] | None = None, user_files: bool = False):
    """A setup: ``{C}/run`` copied from ``source``, its run.json edited, user files added inside it."""
    def setup(case_dir: Path) -> list[str]:
        run = case_dir / "run"
        shutil.copytree(source, run)
        if edit is not None:
            info = json.loads((run / "run.json").read_text())
            edit(info)
            (run / "run.json").write_text(json.dumps(info))
        if not user_files:
            return []
        for folder in ("backup", "tensorboard"):
            (run / folder).mkdir(exist_ok=True)
            (run / folder / "my-notes.txt").write_text(f"the user's own notes in {folder}/\n")
        (run / "my-notes.txt").write_text("the user's own notes\n")
        return ["run/backup/my-notes.txt", "run/tensorboard/my-notes.txt", "run/my-notes.txt"]
    return setup


def user_folder(case_dir: Path) -> list[str]:
    (case_dir / "run").mkdir()
    (case_dir / "run" / "thesis.txt").write_text("years of work\n")
    return ["run/thesis.txt"]


def existing_output(case_dir: Path) -> list[str]:
    (case_dir / "out.mid").write_text("the user's file, not to be overwritten\n")
    return ["out.mid"]


def _set(path: str, value):
    def edit(info: dict) -> None:
        *parents, last = path.split(".")
        node = info
        for key in parents:
            node = node[key]
        node[last] = value
    return edit


def _garbage(case_dir: Path) -> list[str]:
    (case_dir / "run").mkdir()
    (case_dir / "run" / "run.json").write_text("{ this is not json")
    return []


def _truncated_model(case_dir: Path) -> list[str]:
    copy_run(SHIPPED_CHORALE)(case_dir)
    model = case_dir / "run" / "model.keras"
    model.write_bytes(model.read_bytes()[:5000])
    return []


def finished_run(master: Path):
    """A setup: a copy of the harness's finished 2-epoch tiny chorale run (trained once)."""
    def setup(case_dir: Path) -> list[str]:
        shutil.copytree(master, case_dir / "run")
        return ["run/run.json", "run/state.json", "run/log.csv"]  # a refused --resume changes none of them
    return setup


# -- the cases -------------------------------------------------------------------------------------

def _numbers(prefix: list[str], option: str, values: list[str], tail: list[str] = ()) -> list[Case]:
    """One refusal case per absurd value of ``option``."""
    return [Case(f"{' '.join(prefix)} {option} {v}", [*prefix, option, v, *tail]) for v in values]


def generate_cases() -> list[Case]:
    gen, out = ["generate", "chorale"], ["-o", "{C}/g.mid"]
    cases = [Case("generate chorale (works)", [*gen, "--steps", "32", *out], "ok")]
    cases += _numbers(gen, "--steps", [HUGE, "0", "-5"], out) + _numbers(gen, "--num", ["1000000", "0"], out)
    cases += _numbers(gen, "--temperature", ["nan", "inf", "0", "-1"], out) + _numbers(gen, "--top-p", ["nan", "2"], out)
    cases += _numbers(gen, "--top-k", ["0", "1000000000000"], out) + _numbers(gen, "--bpm", ["nan", "0", HUGE], out)
    cases += _numbers(gen, "--seed", ["-1", "1" + "0" * 30], out) + _numbers(gen, "--instrument", ["128"], out)
    cases += _numbers(gen, "--primer-steps", ["0"], out)
    cases += [Case("generate chorale --steps 100000 --num 1000", [*gen, "--steps", "100000", "--num", "1000", *out]),
              Case('generate chorale -o ""', [*gen, "-o", ""]),
              Case("generate chorale -o FOLDER", [*gen, "-o", "{F}/empty_dir"]),
              Case("generate chorale -o existing", [*gen, "-o", "{C}/out.mid"], setup=existing_output)]
    for primer in ("missing.mid", "empty.mid", "trunc.mid", "text_as.mid"):
        cases.append(Case(f"generate chorale --primer {primer}", [*gen, "--primer", f"{{F}}/{primer}", *out]))
    cases += [Case(f"generate chorale --primer {p}", [*gen, "--primer", p, *out]) for p in ("test:99999", "bwv0", "x:y")]
    cases += [Case('generate chorale --key "H major"', [*gen, "--key", "H major", *out])]
    text, tout = ["generate", "text"], ["-o", "{C}/t.txt"]
    cases += [Case("generate text (works)", [*text, "--length", "20", *tout], "ok")]
    cases += _numbers(text, "--length", [HUGE, "0"], tout) + _numbers(text, "--num", ["1000000"], tout)
    cases += _numbers(text, "--temperature", ["nan", "-inf"], tout) + _numbers(text, "--seed", ["99999999999999"], tout)
    for name in ("prompt_200mb.txt", "binary.bin", "utf16.txt"):
        cases.append(Case(f"generate text --prompt-file {name}", [*text, "--prompt-file", f"{{F}}/{name}", *tout]))
    cases += [Case("generate text --prompt-file prompt_1mb.txt --length 10",
                   [*text, "--prompt-file", "{F}/prompt_1mb.txt", "--length", "10", *tout]),
              Case("generate text --prompt-file empty.txt", [*text, "--prompt-file", "{F}/empty.txt", *tout], "any"),
              Case("generate text --encoding bogus", [*text, "--prompt-file", "{F}/prompt.txt", "--encoding", "bogus", *tout]),
              Case('generate text -o ""', [*text, "-o", ""]),
              Case("generate text --prompt and --prompt-file", [*text, "--prompt", "a", "--prompt-file", "{F}/prompt.txt"]),
              Case("generate text --run not-a-run", [*text, "--run", "{F}/not_music"]),
              Case("generate text --run a chorale run", [*text, "--run", str(SHIPPED_CHORALE)]),
              Case("generate chorale --run a text run", [*gen, "--run", str(SHIPPED_TEXT), *out])]
    midi = ["generate", "midi"]
    cases += [Case("generate midi without --run", [*midi, "-o", "{C}/m.mid"]),
              Case("generate midi --run a chorale run", [*midi, "--run", str(SHIPPED_CHORALE), "-o", "{C}/m.mid"])]
    cases += _numbers([*midi, "--run", str(SHIPPED_CHORALE)], "--seconds", ["nan", HUGE], ["-o", "{C}/m.mid"])
    cases += _numbers([*midi, "--run", str(SHIPPED_CHORALE)], "--primer-beats", ["inf"], ["-o", "{C}/m.mid"])
    return cases


def music_cases() -> list[Case]:
    har, out = ["harmonize", "{F}/mono.mid"], ["-o", "{C}/h.mid"]
    cases = [Case("harmonize a melody (works)", [*har, "--particles", "2", *out], "ok")]
    cases += _numbers(har, "--particles", ["1000000", "0"], out) + _numbers(har, "--parallel-penalty", ["nan", "inf", "-1"], out)
    cases += _numbers(har, "--bpm", ["nan", "0"], out) + _numbers(har, "--num", ["1000000"], out)
    cases += _numbers(har, "--temperature", ["nan"], out) + _numbers(har, "--seed", ["-3"], out)
    cases += [Case(f"harmonize {m}", ["harmonize", f"{{F}}/{m}", *out]) for m in ("missing.mid", "empty.mid", "trunc.mid",
                                                                                   "text_as.mid")]
    cases += [Case('harmonize -o ""', [*har, "-o", ""]), Case("harmonize --key bogus", [*har, "--key", "bogus", *out]),
              Case("harmonize -o existing", [*har, "-o", "{C}/out.mid"], setup=existing_output),
              Case("harmonize --given alto", [*har, "--given", "alto", *out])]
    cases += [Case(f"harmonize --phrase-ends {b!r}", [*har, "--phrase-ends", b, *out])
              for b in ("", "2-4", "0", "x", "99999999999999999999", "-1")]
    cases += [Case("harmonize --phrase-ends 1,1,...(20,000)", [*har, "--phrase-ends", ",".join(["1"] * 20000), *out])]
    cases += [Case("harmonize --phrase-ends 1 (works)", [*har, "--phrase-ends", "1", "--particles", "2", *out], "ok")]
    inf, iout = ["infill", "bwv269"], ["-o", "{C}/i.mid"]
    cases += _numbers(inf, "--sweeps", ["1000000", "-1"], iout) + _numbers(inf, "--window", ["100000", HUGE, "0"], iout)
    cases += _numbers(inf, "--candidates", ["1000000"], iout) + _numbers(inf, "--bpm", ["nan"], iout)
    cases += [Case(f"infill --bars {b}", [*inf, "--bars", b, *iout]) for b in ("5-", "0", "999", "abc", "6-5", "-3")]
    cases += [Case("infill --voices soprano,x", [*inf, "--voices", "soprano,x", *iout]),
              Case("infill --top-p 0.9", [*inf, "--top-p", "0.9", *iout]),
              Case("infill a one-voice file", ["infill", "{F}/mono.mid", *iout]),
              Case("infill --bars 5- on a one-voice melody", ["infill", "{F}/mono.mid", "--bars", "5-", *iout]),
              Case("infill empty.mid", ["infill", "{F}/empty.mid", *iout]),
              Case('infill -o ""', [*inf, "-o", ""])]
    ren = ["render", "{F}/good.mid"]
    cases += [Case("render (works)", [*ren, "--synth", "builtin", "-o", "{C}/r.wav"], "ok")]
    cases += [Case(f"render {m}", ["render", f"{{F}}/{m}", "-o", "{C}/r.wav"]) for m in ("empty.mid", "trunc.mid", "text_as.mid")]
    cases += _numbers(ren, "--sample-rate", [HUGE, "0"], ["-o", "{C}/r.wav"])
    cases += [Case('render -o ""', [*ren, "-o", ""]), Case("render -o FOLDER", [*ren, "-o", "{F}/empty_dir"]),
              Case("render -o existing", [*ren, "-o", "{C}/out.mid"], setup=existing_output),
              Case("render --soundfont notes.txt", [*ren, "--soundfont", "{F}/notes.txt", "-o", "{C}/r.wav"])]
    cases += [Case("judge (works)", ["judge", "{F}/good.mid", "--reference", "none"], "ok")]
    cases += [Case(f"judge {m}", ["judge", f"{{F}}/{m}", "--reference", "none"]) for m in ("empty.mid", "trunc.mid",
                                                                                           "text_as.mid")]
    cases += [Case("judge --reference missing", ["judge", "{F}/good.mid", "--reference", "{F}/nothing_here"]),
              Case("judge --reference folder without music", ["judge", "{F}/good.mid", "--reference", "{F}/not_music"])]
    return cases


def train_cases(master: Path) -> list[Case]:
    tc, out = ["train", "chorales", "--model", "lstm", "--preset", "tiny"], ["--out", "{C}/new"]
    cases = _numbers(tc, "--batch-size", [HUGE, "0"], out) + _numbers(tc, "--epochs", [HUGE, "0"], out)
    cases += _numbers(tc, "--learning-rate", ["nan", "inf", "0"], out) + _numbers(tc, "--patience", ["0", HUGE], out)
    cases += _numbers(tc, "--max-minutes", ["nan", "-1"], out) + _numbers(tc, "--window", [HUGE, "2"], out)
    cases += _numbers(tc, "--transpose", ["13"], out) + _numbers(tc, "--seed", ["-1", "1" + "0" * 25], out)
    cases += [Case("train chorales --preset huge", ["train", "chorales", "--model", "lstm", "--preset", "huge", *out]),
              Case("train chorales --model x", ["train", "chorales", "--model", "x", *out]),
              Case("train chorales --out FILE", [*tc, "--out", "{F}/good.mid"]),
              Case("train chorales --out a user's folder", [*tc, "--out", "{C}/run"], setup=user_folder),
              Case("train chorales --force on a user's folder", [*tc, "--force", "--out", "{C}/run"], setup=user_folder),
              Case("train chorales --resume on a user's folder", [*tc, "--resume", "--out", "{C}/run"], setup=user_folder),
              Case("train chorales --resume in a new folder", [*tc, "--resume", *out]),
              Case("train chorales --source missing.tgz", [*tc, "--source", "{F}/missing.tgz", *out]),
              Case("train chorales --source empty.tgz", [*tc, "--source", "{F}/empty.tgz", *out]),
              Case("train chorales --resume --epochs 1 on a finished 2-epoch run",
                   ["train", "chorales", "--resume", "--epochs", "1", "--out", "{C}/run"], setup=finished_run(master)),
              Case("train chorales --resume --batch-size 7 (conflicts)",
                   ["train", "chorales", "--resume", "--batch-size", "7", "--out", "{C}/run"], setup=finished_run(master)),
              Case("train chorales --force keeps the user's files in backup/ and tensorboard/",
                   [*tc, "--epochs", "1", "--force", "--out", "{C}/run"], "ok",
                   setup=copy_run(master, user_files=True))]
    tt, tout = ["train", "text", "--model", "lstm", "--preset", "tiny"], ["--out", "{C}/new"]
    cases += [Case(f"train text --corpus {c}", [*tt, "--corpus", f"{{F}}/{c}", *tout]) for c in ("missing.txt", "empty.txt",
                                                                                               "binary.bin")]
    cases += _numbers([*tt, "--corpus", "{F}/prompt.txt"], "--window", [HUGE], tout)
    cases += _numbers([*tt, "--corpus", "{F}/prompt.txt"], "--max-vocab", ["1000000000000"], tout)
    cases += _numbers([*tt, "--corpus", "{F}/prompt.txt"], "--samples", [HUGE], tout)
    cases += [Case("train text --encoding bogus", [*tt, "--corpus", "{F}/prompt.txt", "--encoding", "bogus", *tout]),
              Case("train text without a corpus", [*tt, *tout])]
    tm = ["train", "midi", "--model", "lstm", "--preset", "tiny"]
    cases += [Case("train midi --corpus empty folder", [*tm, "--corpus", "{F}/empty_dir", *tout]),
              Case("train midi --corpus not-music folder", [*tm, "--corpus", "{F}/not_music", *tout])]
    cases += _numbers([*tm, "--corpus", "{F}"], "--voices", ["0", "16"], tout)
    ts = ["train", "sketches", "--model", "tiny"]
    cases += [Case("train sketches --data empty.ndjson", [*ts, "--data", "{F}/empty.ndjson", *tout]),
              Case("train sketches --data bad.ndjson", [*ts, "--data", "{F}/bad.ndjson", *tout]),
              Case("train sketches --augment bogus", [*ts, "--synthetic", "--augment", "bogus", *tout])]
    cases += _numbers([*ts, "--synthetic"], "--max-length", [HUGE], tout) + _numbers([*ts, "--synthetic"], "--rdp", ["nan"], tout)
    cases += _numbers([*ts, "--synthetic"], "--split-seed", ["-1"], tout)
    ser = ["train", "series", "--model", "lstm", "--preset", "tiny"]
    cases += [Case("train series --csv one_row.csv", [*ser, "--csv", "{F}/one_row.csv", *tout]),
              Case("train series --csv nan.csv", [*ser, "--csv", "{F}/nan.csv", *tout])]
    return cases


def data_cases() -> list[Case]:
    cases = [Case("data chorales (first build, timed)", ["data", "chorales"], "ok"),
             Case("data chorales --source missing.tgz", ["data", "chorales", "--source", "{F}/missing.tgz"]),
             Case("data chorales --source empty.tgz", ["data", "chorales", "--source", "{F}/empty.tgz"]),
             Case("data chorales --source text_as.mid", ["data", "chorales", "--source", "{F}/text_as.mid"]),
             Case("data text missing", ["data", "text", "{F}/missing.txt"]),
             Case("data text empty", ["data", "text", "{F}/empty.txt"]),
             Case("data text binary", ["data", "text", "{F}/binary.bin"]),
             Case("data text utf16 read as utf-8", ["data", "text", "{F}/utf16.txt"]),
             Case("data text --encoding bogus", ["data", "text", "{F}/prompt.txt", "--encoding", "bogus"]),
             Case("data midi empty folder", ["data", "midi", "{F}/empty_dir"]),
             Case("data midi trunc.mid", ["data", "midi", "{F}/trunc.mid"]),
             Case("data midi text_as.mid", ["data", "midi", "{F}/text_as.mid"]),
             Case("data midi --voices 0", ["data", "midi", "{F}/good.mid", "--voices", "0"]),
             Case("data sketches --synthetic (works)", ["data", "sketches", "--synthetic"], "ok"),
             Case("data sketches empty.ndjson", ["data", "sketches", "{F}/empty.ndjson"]),
             Case("data sketches bad.ndjson", ["data", "sketches", "{F}/bad.ndjson"]),
             Case("data sketches trunc.npz", ["data", "sketches", "{F}/trunc.npz"]),
             Case("data sketches missing", ["data", "sketches", "{F}/missing.ndjson"]),
             Case("data sketches --per-class 0", ["data", "sketches", "--synthetic", "--per-class", "0"]),
             Case("data sketches --max-categories 1e12", ["data", "sketches", "--synthetic", "--max-categories",
                                                          "1000000000000"], "any"),
             Case("data sketches --split-seed 1e30", ["data", "sketches", "--synthetic", "--split-seed", "1" + "0" * 30]),
             Case("data series one_row.csv", ["data", "series", "{F}/one_row.csv"]),
             Case("data series nan.csv", ["data", "series", "{F}/nan.csv"]),
             Case("data series empty.txt", ["data", "series", "{F}/empty.txt"]),
             Case("data series --window 100000", ["data", "series", "{F}/series.csv", "--window", "100000"]),
             Case("data series --valid-fraction nan", ["data", "series", "{F}/series.csv", "--valid-fraction", "nan"])]
    return cases


def run_cases() -> list[Case]:
    run = "{C}/run"
    vocab = copy_run(SHIPPED_CHORALE, _set("codec.high", 70))
    text_vocab = copy_run(SHIPPED_TEXT, _set("codec.chars", "abc\n "))
    family = copy_run(SHIPPED_CHORALE, _set("model.family", "gru"))
    cases = [Case("evaluate not-a-run", ["evaluate", "{F}/not_music"]),
             Case("evaluate garbage run.json", ["evaluate", run], setup=_garbage),
             Case("evaluate run.json is a list", ["evaluate", run], setup=copy_run(SHIPPED_CHORALE)),
             Case("evaluate truncated model.keras", ["evaluate", run], setup=_truncated_model),
             Case("evaluate chorale run.json vocabulary != model", ["evaluate", run], setup=vocab),
             Case("generate chorale run.json vocabulary != model", ["generate", "chorale", "--run", run, "-o", "{C}/g.mid"],
                  setup=vocab),
             Case("generate text run.json vocabulary != model", ["generate", "text", "--run", run, "-o", "{C}/t.txt"],
                  setup=text_vocab),
             Case("evaluate run.json family != model", ["evaluate", run], setup=family),
             Case("harmonize run.json vocabulary != model", ["harmonize", "{F}/mono.mid", "--run", run, "-o", "{C}/h.mid"],
                  setup=vocab),
             Case('evaluate -o ""', ["evaluate", str(SHIPPED_CHORALE), "-o", ""]),
             Case("evaluate missing folder", ["evaluate", "{F}/no_such_run"])]
    cases[2] = Case("evaluate run.json is a list", ["evaluate", run], setup=_json_list)
    sk = [("classify", ["classify", str(SHIPPED_CHORALE), "{F}/cats.ndjson"]), ("show", ["show", "sketches", "{F}/cats.ndjson"])]
    for name, prefix in sk:
        cases += _numbers(prefix, "--index", ["-1", "1000000000000"], ["-o", "{C}/s.png"] if name == "show" else [])
    cases += [Case("show sketches empty.ndjson", ["show", "sketches", "{F}/empty.ndjson", "-o", "{C}/s.png"]),
              Case("show sketches bad.ndjson", ["show", "sketches", "{F}/bad.ndjson", "-o", "{C}/s.png"]),
              Case("show sketches -o \"\"", ["show", "sketches", "{F}/cats.ndjson", "-o", ""]),
              Case("show sketches --index 99 of 5", ["show", "sketches", "{F}/cats.ndjson", "--index", "99", "-o", "{C}/s.png"]),
              Case("classify a chorale run", ["classify", str(SHIPPED_CHORALE), "{F}/cats.ndjson"]),
              Case("classify --top 0", ["classify", str(SHIPPED_CHORALE), "{F}/cats.ndjson", "--top", "0"]),
              Case("forecast a chorale run", ["forecast", str(SHIPPED_CHORALE), "--csv", "{F}/series.csv"]),
              Case("forecast --horizon 1e9", ["forecast", str(SHIPPED_CHORALE), "--horizon", HUGE]),
              Case("experiment sketches --seeds 1e9", ["experiment", "sketches", "--synthetic", "--seeds", HUGE, "--out", "{C}/x"]),
              Case("experiment sketches --models bogus", ["experiment", "sketches", "--synthetic", "--models", "bogus",
                                                          "--out", "{C}/x"])]
    return cases


def _json_list(case_dir: Path) -> list[str]:
    copy_run(SHIPPED_CHORALE)(case_dir)
    (case_dir / "run" / "run.json").write_text("[1, 2, 3]")
    return []


def all_cases(master: Path) -> list[Case]:
    return data_cases() + generate_cases() + music_cases() + train_cases(master) + run_cases()
