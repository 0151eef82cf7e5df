"""``seqgen`` commands for musicians: ``judge``, ``harmonize``, ``infill``, ``render``."""

from __future__ import annotations

import click

from seqgen.generate.cli_common import DATA_DIR


def register(main: click.Group, data: click.Group, train: click.Group, generate: click.Group) -> None:
    """Add the music tools as top-level commands."""

    @main.command("judge")
    @click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option("--reference", default="bach", show_default=True,
                  help="'bach' (the music21 chorales), a folder of MIDI/MusicXML pieces, or 'none'.")
    @click.option("--json", "as_json", is_flag=True, help="Print every measure of every file as JSON.")
    @DATA_DIR
    def judge_cmd(files, reference, as_json, data_dir) -> None:
        """Part-writing errors, distances to Bach's distributions and general measures of 4-voice pieces.

        Example: seqgen judge chorale-1.mid chorale-2.mid --reference bach
        """
        from seqgen.generate.judge import format_report, judge, to_json

        report = judge(list(files), reference, data_dir)
        click.echo(to_json(report) if as_json else format_report(report))
