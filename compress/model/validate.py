"""Input checks shared by every pass.

Every message names the layer, the field and the offending value, worded
"<field> must be <rule>, not <value>".
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_bits",
    "check_finite",
    "check_int",
    "check_method",
    "check_number",
    "check_real",
    "layer_arrays",
    "options_of",
    "row_blocks",
]


def _where(layer: int | None) -> str:
    return "" if layer is None else f"layer {layer}: "


def check_finite(arr: np.ndarray, field: str, layer: int | None = None) -> None:
    """Raise ``ValueError`` naming the first NaN or infinity in ``arr``.

    A single reduction proves the common case (all finite) cheaply; only
    when it fails is the array searched for the culprit, so a sum that
    overflows on huge but finite values is not reported as an error.
    """
    if arr.size == 0:
        return
    with np.errstate(all="ignore"):
        total = np.add.reduce(arr, axis=None)
    if np.isfinite(total):
        return
    bad = ~np.isfinite(arr)
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    at = index if arr.ndim != 1 else index[0]
    raise ValueError(f"{_where(layer)}{field} must be finite, not {float(arr[index])!r} at {at}")


def check_real(value: Any, field: str, layer: int | None = None) -> np.ndarray:
    """Return ``value`` as a real numeric ndarray (float kept, int -> float64)."""
    arr = np.asarray(value)
    if arr.dtype.kind == "f":
        return arr
    if arr.dtype.kind in "iu":
        return arr.astype(np.float64)
    raise ValueError(f"{_where(layer)}{field} must be a real numeric array, not dtype {arr.dtype}")


def layer_arrays(weights: Any, field: str = "weights") -> list[np.ndarray]:
    """Check a list of weight matrices and return them as ndarrays.

    Each matrix must be 2-D with shape ``(n_out, n_in)``, real and finite, and
    layer ``l + 1`` must take ``n_out`` of layer ``l`` as its ``n_in``.  The
    returned arrays may be the caller's own objects: callers copy before they
    write.
    """
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence):
        raise ValueError(f"{field} must be a list of 2-D arrays, not {type(weights).__name__}")
    if len(weights) == 0:
        raise ValueError(f"{field} must be a non-empty list of 2-D arrays, not an empty list")
    arrays = []
    for index, w in enumerate(weights):
        arr = check_real(w, field, index)
        if arr.ndim != 2:
            raise ValueError(
                f"layer {index}: {field} must be a 2-D array (n_out, n_in), "
                f"not {arr.ndim}-D with shape {arr.shape}"
            )
        if arr.shape[0] == 0 or arr.shape[1] == 0:
            raise ValueError(
                f"layer {index}: {field} must have at least one row and column, "
                f"not shape {arr.shape}"
            )
        check_finite(arr, field, index)
        if arrays and arrays[-1].shape[0] != arr.shape[1]:
            raise ValueError(
                f"layer {index}: {field} must have n_in == {arrays[-1].shape[0]} "
                f"(n_out of layer {index - 1}), not {arr.shape[1]}"
            )
        arrays.append(arr)
    return arrays


def check_int(
    value: Any,
    field: str,
    *,
    low: int | None = None,
    high: int | None = None,
    layer: int | None = None,
) -> int:
    """Return ``value`` as an ``int`` if it is an integer within ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{_where(layer)}{field} must be an integer, not {value!r}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        if high is None:
            rule = f"at least {low}"
        elif low is None:
            rule = f"at most {high}"
        else:
            rule = f"in [{low}, {high}]"
        raise ValueError(f"{_where(layer)}{field} must be {rule}, not {value}")
    return value


def options_of(value: Any, kind: type, name: str) -> Any:
    """``value`` if it is a ``kind`` (``None``: ``kind()``, the defaults); else ``TypeError``."""
    if value is None:
        return kind()
    if not isinstance(value, kind):
        hint = f" (use {kind.__name__}(**options))" if isinstance(value, dict) else ""
        raise TypeError(f"{name} must be a {kind.__name__}, not {type(value).__name__}{hint}")
    return value


def check_bits(bits: Any) -> int:
    """Weight bit width: an integer in [2, 16]."""
    return check_int(bits, "bits", low=2, high=16)


def check_number(
    value: Any, field: str, *, low: float | None = None, low_open: bool = False
) -> float:
    """Return ``value`` as a finite ``float`` not below ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{field} must be a real number, not {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{field} must be finite, not {value!r}")
    if low is not None and (value < low or (low_open and value == low)):
        rule = f"greater than {low:g}" if low_open else f"at least {low:g}"
        raise ValueError(f"{field} must be {rule}, not {value!r}")
    return value


def check_method(method: Any, allowed: Sequence[str]) -> str:
    """Return ``method`` if it is one of ``allowed``."""
    if method not in allowed:
        names = " or ".join(repr(m) for m in allowed)
        raise ValueError(f"method must be {names}, not {method!r}")
    return method


#: Elements per block in the blocked kernels: small enough to stay in cache.
BLOCK = 1 << 15


def row_blocks(shape: tuple[int, ...]) -> list[slice]:
    """Row slices of a 2-D array of ``shape``, each about ``BLOCK`` elements.

    The passes work block by block so their temporaries stay in cache and no
    full-size scratch arrays are allocated.
    """
    rows = max(1, BLOCK // max(1, shape[1]))
    return [slice(start, start + rows) for start in range(0, shape[0], rows)]
