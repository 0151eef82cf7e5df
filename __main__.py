"""``python -m seqgen``: the same as the ``seqgen`` command."""

from seqgen.generate.cli import main

main()
