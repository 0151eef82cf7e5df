"""Which drawings a sketch run uses (files or the synthetic shapes), and ``seqgen data sketches``'s
summary of them. Nothing here imports TensorFlow: reading and counting drawings needs none (a
TFRecord file alone imports it, to read its records).
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

from seqgen.data_prep.errors import SeqgenError
from seqgen.data_prep.sketch_formats import ReadStats
from seqgen.data_prep.sketch_sources import describe, load_sketches
from seqgen.data_prep.strokes import SketchSet
from seqgen.data_prep.synthetic_sketches import SHAPES, synthetic_splits

SPLIT_FRACTIONS = (0.8, 0.1, 0.1)  # train/valid/test for sources without a published split
SYNTHETIC_PER_CLASS = 80  # training drawings per synthetic shape when per_class is not given


@dataclasses.dataclass(frozen=True)
class SketchSource:
    """Which drawings to use; saved in ``run.json`` so evaluation re-reads the very same split."""

    paths: tuple[str, ...] = ()  # files or folders of one layout (stored absolute)
    synthetic: bool = False  # the built-in synthetic shapes instead of files
    categories: tuple[str, ...] | None = None  # classes to keep; None: all of them
    max_categories: int | None = None  # keep only the first N classes by name; None: all
    per_class: int | None = None  # training drawings per class (valid/test in proportion); None: all
    seed: int = 0  # the split (ndjson, synthetic drawings) and the per-class sampling

    def __post_init__(self) -> None:
        if bool(self.paths) == bool(self.synthetic):
            raise SeqgenError("give sketch files (--data PATH) or --synthetic, exactly one of them")
        object.__setattr__(self, "paths", tuple(str(Path(p).resolve()) for p in self.paths))
        if self.categories is not None:
            object.__setattr__(self, "categories", tuple(self.categories))
            if not self.categories:
                raise SeqgenError("the category list is empty; name at least two categories")
        for name in ("max_categories", "per_class"):
            value = getattr(self, name)
            if value is not None and (int(value) != value or value < 1):
                raise SeqgenError(f"{name.replace('_', '-')} must be a whole number >= 1, got {value!r}")

    def to_dict(self) -> dict:
        """JSON-able; ``SketchSource.from_dict`` rebuilds it."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "SketchSource":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in data.items() if k in fields})

    def describe(self) -> str:
        """A few words for reports: what the drawings are."""
        what = "synthetic shapes" if self.synthetic else ", ".join(Path(p).name for p in self.paths)
        return f"{what} (split seed {self.seed})"

    def load(self, stats: ReadStats | None = None, raw: str = "simplify") -> dict[str, SketchSet]:
        """``{"train", "valid", "test"}`` drawings as read, classes sorted by name (``raw``: see StrokePrep)."""
        if self.synthetic:
            return self._synthetic()
        return load_sketches(self.paths, categories=self.categories, max_categories=self.max_categories,
                             per_class=self.per_class, seed=self.seed, split_fractions=SPLIT_FRACTIONS,
                             stats=stats, raw=raw)

    def _synthetic(self) -> dict[str, SketchSet]:
        names = sorted(SHAPES)
        if self.categories is not None:
            unknown = [c for c in self.categories if c not in SHAPES]
            if unknown:
                raise SeqgenError(f"category {unknown[0]!r} is not a synthetic shape "
                                  f"({', '.join(names)}); check the spelling")
            names = sorted(set(self.categories))
        names = names[:self.max_categories]
        per_class = self.per_class or SYNTHETIC_PER_CLASS
        return synthetic_splits(math.ceil(per_class / SPLIT_FRACTIONS[0]), classes=names, seed=self.seed,
                                fractions=SPLIT_FRACTIONS)


def data_summary(source: SketchSource) -> str:
    """What ``seqgen data sketches`` prints: categories, drawings per split, length statistics."""
    stats = ReadStats()
    return f"{source.describe()}\n{describe(source.load(stats), stats)}"
