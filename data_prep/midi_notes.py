"""Notes of a performance: the :class:`Note` row, and :class:`NoteTable`, the columns the reader makes.

The reader produces numpy columns; building one Python :class:`Note` per note costs about 1 µs, as
much as everything else the reader does for a file. A :class:`NoteTable` therefore keeps the
columns and builds the rows only when someone iterates or indexes it, while figures over a whole
corpus (lengths, polyphony, pitch range) read the columns through :func:`columns_of`.
"""

from __future__ import annotations

from itertools import repeat
from typing import Iterator, NamedTuple, Sequence

import numpy as np


class Note(NamedTuple):
    """One note; seconds follow the tempo map, beats are quarter notes from the file's start."""

    start: float  # seconds
    end: float  # seconds
    start_beat: float  # quarter notes
    end_beat: float  # quarter notes
    pitch: int  # MIDI 0-127
    velocity: int  # 1-127
    channel: int  # 0-15; 9 = drums (see midi_read's module doc)
    track: int  # index of the part in the file
    program: int  # General MIDI program 0-127 of the part


FIELDS = Note._fields
_FLOAT_FIELDS = ("start", "end", "start_beat", "end_beat")


class NoteTable(Sequence[Note]):
    """An immutable sequence of :class:`Note` held as one numpy column per field (float64 times,
    int64 numbers), in the reader's order; rows are built once, on first use."""

    __slots__ = ("columns", "_rows")

    def __init__(self, columns: dict[str, np.ndarray]):
        lengths = {len(columns[f]) for f in FIELDS}
        if len(lengths) != 1:
            raise ValueError(f"note columns of unequal lengths: {sorted(lengths)}")
        self.columns = {f: np.asarray(columns[f], np.float64 if f in _FLOAT_FIELDS else np.int64) for f in FIELDS}
        for column in self.columns.values():
            column.flags.writeable = False  # shared with every reader of the table
        self._rows: tuple[Note, ...] | None = None

    @classmethod
    def from_block(cls, block: np.ndarray) -> NoteTable:
        """The table of a ``(notes, len(FIELDS))`` float64 block (a cache entry's rows), without
        :meth:`__init__`'s checks and per-column conversions (a cached read's largest cost)."""
        floats = block[:, : len(_FLOAT_FIELDS)].T.copy()  # (4, notes): each column contiguous
        ints = block[:, len(_FLOAT_FIELDS) :].T.astype(np.int64, order="C")  # (5, notes)
        floats.flags.writeable = ints.flags.writeable = False
        table = object.__new__(cls)
        table.columns = dict(zip(FIELDS, [*floats, *ints]))
        table._rows = None
        return table

    def rows(self) -> tuple[Note, ...]:
        if self._rows is None:
            lists = [self.columns[f].tolist() for f in FIELDS]
            self._rows = tuple(map(tuple.__new__, repeat(Note), zip(*lists)))  # rows built in C, not via _make
        return self._rows

    def __len__(self) -> int:
        return len(self.columns["start"])

    def __getitem__(self, index):
        return self.rows()[index]

    def __iter__(self) -> Iterator[Note]:
        return iter(self.rows())

    def __eq__(self, other) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return hash(self.rows())

    def __repr__(self) -> str:
        return f"NoteTable({len(self)} notes)"


def columns_of(notes: Sequence[Note]) -> dict[str, np.ndarray]:
    """``{field: (notes,) array}`` of any sequence of notes; free for a :class:`NoteTable`."""
    if isinstance(notes, NoteTable):
        return notes.columns
    rows = list(notes)
    return {f: np.array([getattr(n, f) for n in rows], np.float64 if f in _FLOAT_FIELDS else np.int64)
            for f in FIELDS}
