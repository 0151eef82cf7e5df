"""The constants the CLI repeats so that ``--help`` never imports TensorFlow, held to their sources.

``generate/cli_*.py`` name model families, encodings and fill methods as plain tuples (the modules
that define them import TensorFlow); ``generate/runs.py`` names the command that trains each task.
Each copy is compared here with what it copies, so one cannot change without the other.
"""

import click
import pytest

from seqgen.generate import cli_chorale, cli_midi, cli_series, cli_sketch, cli_text, runs
from seqgen.generate.cli import main
from seqgen.generate.cli_common import SHARED_TRAIN_KEYS


def command_at(words):
    """The click command reached by ``seqgen WORDS...``."""
    cmd = main
    for word in words:
        assert isinstance(cmd, click.Group) and word in cmd.commands, f"seqgen {' '.join(words)}"
        cmd = cmd.commands[word]
    return cmd


def test_copied_names_match_their_sources():
    from seqgen.data_prep import series
    from seqgen.models import midi_task, sketch_classifier

    assert tuple(cli_sketch.CLASSIFIERS) == tuple(sketch_classifier.PRESETS)
    assert tuple(cli_midi.ENCODINGS) == tuple(midi_task.ENCODINGS)
    assert tuple(cli_series.FILLS) == tuple(series.FILLS)


@pytest.mark.parametrize("task", sorted(runs.TRAIN_COMMAND))
def test_train_commands_named_in_messages_exist(task):
    words = runs.TRAIN_COMMAND[task].split()
    assert words[0] == "seqgen"
    assert not command_at(words[1:]).hidden  # messages name today's spelling, not an alias


@pytest.mark.parametrize("words, keys", [
    (("train", "chorales"), cli_chorale.OPTION_KEYS), (("train", "text"), cli_text.OPTION_KEYS),
    (("train", "midi"), cli_midi.OPTION_KEYS), (("train", "sketches"), cli_sketch.OPTION_KEYS),
    (("train", "series"), cli_series.OPTION_KEYS)])
def test_resume_keys_name_options_of_their_command(words, keys):
    names = {p.name for p in command_at(words).params}
    assert set(keys) <= names, set(keys) - names
    shared = set(SHARED_TRAIN_KEYS) - {"preset"} if words[1] == "sketches" else set(SHARED_TRAIN_KEYS)
    assert shared <= names, shared - names


@pytest.mark.parametrize("task", sorted(runs.TRAIN_COMMAND))
def test_the_driver_names_each_tasks_train_command(task):
    from seqgen.models.driver import TRAIN_WORDS

    assert f"seqgen train {TRAIN_WORDS.get(task, task)}" == runs.TRAIN_COMMAND[task]


SAMPLING_VERBS = (("generate", "chorale"), ("generate", "midi"), ("generate", "text"), ("harmonize",), ("infill",))


@pytest.mark.parametrize("words", SAMPLING_VERBS)
def test_the_sampling_verbs_start_tensorflow_with_one_thread_per_op(words):
    assert getattr(command_at(words).callback, "__seqgen_sampling__", False), words


def test_one_thread_per_op_is_set_before_tensorflow_starts_and_a_users_setting_wins(monkeypatch):
    import os
    import sys

    from seqgen.generate import cli_common

    seen = []
    marked = cli_common.sampling_command(lambda: seen.append(os.environ.get("TF_NUM_INTRAOP_THREADS")))
    command = cli_common.SeqgenCommand("sample", callback=marked)
    monkeypatch.setattr(cli_common, "import_tensorflow_quietly", lambda: None)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)  # as in a fresh `seqgen` process
    for user in (None, "4"):
        if user is None:
            monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
        else:
            monkeypatch.setenv("TF_NUM_INTRAOP_THREADS", user)
        command.main([], standalone_mode=False)
    assert seen == [cli_common.SAMPLING_THREADS, "4"]
    plain, seen[:] = cli_common.SeqgenCommand("train", callback=lambda: seen.append(os.environ.get(
        "TF_NUM_INTRAOP_THREADS"))), []
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS")
    plain.main([], standalone_mode=False)
    assert seen == [None]  # training keeps TensorFlow's own threads
