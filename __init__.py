"""seqgen: learn from sequences (Bach chorales, text, MIDI, sketches, numeric series) and write new ones.

The import name is ``seqgen``; its stages are ``seqgen.data_prep`` (sources and codecs, imports nothing
of ours), ``seqgen.models`` (models, trainer, tasks) and ``seqgen.generate`` (sampling, writers, CLI).
This module stays light: importing it never imports TensorFlow.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seqgen")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
