"""Read ``.npz`` archives without ever running code from them.

Published sketch-rnn files hold ragged data as OBJECT arrays, which numpy stores as a pickle, and
``np.load(allow_pickle=True)`` would run whatever that pickle names (a crafted file can create
files, start processes, ...). Here each ``.npy`` member is read by hand: plain arrays with
``allow_pickle=False``; object arrays through :class:`NumpyOnlyUnpickler`, which resolves only the
few numpy names an array pickle needs (``_reconstruct``, ``ndarray``, ``dtype``, ``scalar``) and
refuses every other global. Sizes are checked before anything is allocated.

Every problem (not a zip, a damaged member, a forbidden global, an array too large) is a
:class:`SeqgenError` of one line naming the file.
"""

from __future__ import annotations

import os
import pickle
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

from seqgen.data_prep.errors import SeqgenError

MAX_MEMBER_BYTES = 2**31  # an uncompressed .npy member larger than this is refused (bounded memory)
MAX_ELEMENTS = 2**28  # elements of one array built while unpickling (cells, not bytes)

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(1))[0]  # numpy's array-rebuilding function, whatever its module
_SCALAR = np.float32(0).__reduce__()[0]  # numpy's scalar-rebuilding function
_READ_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OSError, EOFError, MemoryError,
                RecursionError, OverflowError, UnicodeError, struct.error, zlib.error, zipfile.BadZipFile,
                pickle.UnpicklingError, NotImplementedError)


class _ArrayClass:
    """Stands for ``numpy.ndarray`` inside a pickle: usable only as ``_reconstruct``'s first argument."""


def _checked_reconstruct(subtype, shape, dtype):
    """numpy's ``_reconstruct`` for plain ndarrays of a bounded size only."""
    if subtype is not _ArrayClass:
        raise pickle.UnpicklingError("an array pickle rebuilds something that is not a numpy array")
    count = int(np.prod(np.asarray(shape, dtype=np.int64))) if np.ndim(shape) else int(shape)
    if count < 0 or count > MAX_ELEMENTS:
        raise pickle.UnpicklingError(f"an array of {count} elements is larger than allowed")
    return _RECONSTRUCT(np.ndarray, shape, dtype)


def _checked_dtype(spec, align=False, copy=False):
    """``numpy.dtype`` limited to simple (non-structured, bounded-size) types."""
    if not isinstance(spec, (str, bytes)):
        raise pickle.UnpicklingError("an array pickle asks for a structured or unusual dtype")
    dtype = np.dtype(spec.decode("latin1") if isinstance(spec, bytes) else spec)
    if dtype.itemsize > 64:
        raise pickle.UnpicklingError(f"dtype {dtype} is larger than allowed")
    return dtype


_ALLOWED = {"_reconstruct": _checked_reconstruct, "ndarray": _ArrayClass, "dtype": _checked_dtype,
            "scalar": _SCALAR}
_NUMPY_MODULES = ("numpy", "numpy.core.multiarray", "numpy._core.multiarray")


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Resolves only numpy's array, dtype and scalar rebuilders; any other global is refused."""

    def find_class(self, module: str, name: str):
        if module in _NUMPY_MODULES and name in _ALLOWED:
            return _ALLOWED[name]
        raise pickle.UnpicklingError(f"the data names {module}.{name}, which is not a numpy array type")


def _read_header(fh) -> tuple[tuple[int, ...], bool, np.dtype]:
    version = np.lib.format.read_magic(fh)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(fh)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(fh)
    raise ValueError(f"unsupported .npy format version {version}")


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    """One ``.npy`` member -> array; object arrays through the restricted unpickler."""
    if info.file_size > MAX_MEMBER_BYTES:
        raise ValueError(f"member {info.filename} would take {info.file_size:,} bytes")
    with archive.open(info) as fh:
        shape, fortran, dtype = _read_header(fh)
        if not dtype.hasobject:
            data = fh.read(info.file_size)  # bounded by the size check above
            array = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape, dtype=np.int64)))
            return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)
        array = NumpyOnlyUnpickler(fh, encoding="latin1").load()
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
        raise ValueError(f"member {info.filename} does not hold the array its header describes")
    return array


def load_npz(path: str | os.PathLike, keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` (only ``keys`` when given) without running code from the file."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = {Path(i.filename).stem: i for i in archive.infolist() if i.filename.endswith(".npy")}
            wanted = members if keys is None else {k: members[k] for k in keys if k in members}
            return {key: _read_member(archive, info) for key, info in wanted.items()}
    except pickle.UnpicklingError as exc:
        raise SeqgenError(f"{path}: refused to read the .npz: {exc}; only numpy arrays are read "
                          "from sketch files (nothing is executed), so use a genuine sketch-rnn file") from exc
    except _READ_ERRORS as exc:
        raise SeqgenError(f"{path}: the .npz is damaged or not a numpy archive "
                          f"({type(exc).__name__}: {str(exc)[:120]}); download it again") from exc


def npz_keys(path: str | os.PathLike) -> list[str]:
    """The array names of an ``.npz`` (member names without ``.npy``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return [Path(n).stem for n in archive.namelist() if n.endswith(".npy")]
    except _READ_ERRORS as exc:
        raise SeqgenError(f"{path}: the .npz is damaged or not a numpy archive ({exc}); download it again") from exc
