"""The network model: frozen dataclasses passed between passes.

A :class:`Network` is an ordered tuple of :class:`Layer` s whose shapes chain
(``n_in`` of layer ``l + 1`` is ``n_out`` of layer ``l``).  Arrays are copied
on construction and made read-only, so a pass can never change its input.

On disk a network is an ``.npz`` file with keys ``weights_<l>`` and the
optional ``delays_<l>`` (steps, same shape as the weights),
``threshold_<l>`` (scalar or one per neuron, weight units),
``leak_shift_<l>`` (integer), ``reset_<l>`` (``"zero"`` or ``"subtract"``) and
``bias_<l>`` (one per neuron, weight units).
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import math
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .limits import DEFAULT_LIMITS, Limits
from .validate import check_finite, check_int, check_real

__all__ = [
    "RESETS",
    "Layer",
    "Network",
    "load_network",
    "read_npz",
    "save_network",
    "write_npz",
]

#: Reset modes of the LIF neuron.
RESETS = ("zero", "subtract")
#: Largest leak shift (the membrane register is at most 32 bits wide).
MAX_LEAK_SHIFT = 31


def _frozen_array(value: Any, field: str) -> np.ndarray:
    arr = np.array(check_real(value, field), dtype=np.float64, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Layer:
    """One fully connected layer of integrate-and-fire neurons.

    Attributes
    ----------
    weights : ndarray, shape (n_out, n_in)
        Synaptic weights, float64.
    delays : ndarray or None, shape (n_out, n_in)
        Synaptic delays in steps (non-negative; whole steps before a hardware
        build, see :func:`compress.quantize_delays`), or ``None`` for none.
    threshold : ndarray
        Firing threshold in weight units, a scalar or one per neuron.
    leak_shift : int or None
        ``v <- v - (v >>> leak_shift)`` each step, or ``None`` for no leak.
    reset : {'zero', 'subtract'}
        After a spike the membrane is set to 0 or has the threshold subtracted.
    bias : ndarray or None, shape (n_out,)
        Added to each neuron's input every step, in weight units, or ``None``.
        In hardware it is one always-on input line of the layer with a synapse
        per neuron, compressed and classed like any other synapse (SPEC section 4).
    """

    weights: np.ndarray
    delays: np.ndarray | None = None
    threshold: np.ndarray | float = 1.0
    leak_shift: int | None = None
    reset: str = "zero"
    bias: np.ndarray | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "weights", _frozen_array(self.weights, "weights"))
        if self.delays is not None:
            set_(self, "delays", _frozen_array(self.delays, "delays"))
        set_(self, "threshold", _frozen_array(self.threshold, "threshold"))
        if self.bias is not None:
            set_(self, "bias", _frozen_array(self.bias, "bias"))

    @property
    def synapses(self) -> np.ndarray:
        """The weights with the bias as one more input column, ``(n_out, n_in + 1)``
        (just the weights without a bias): what compression and hardware see."""
        if self.bias is None:
            return self.weights
        return np.hstack([self.weights, self.bias.reshape(-1, 1)])

    def with_synapses(self, synapses: np.ndarray) -> Layer:
        """A copy whose weights (and bias, as the last column) come from ``synapses``."""
        synapses = np.asarray(synapses)
        if self.bias is None:
            return dataclasses.replace(self, weights=synapses)
        return dataclasses.replace(self, weights=synapses[:, :-1], bias=synapses[:, -1])

    @property
    def n_out(self) -> int:
        """Number of neurons (rows of ``weights``)."""
        return int(self.weights.shape[0])

    @property
    def n_in(self) -> int:
        """Number of inputs (columns of ``weights``)."""
        return int(self.weights.shape[1])

    @property
    def thresholds(self) -> np.ndarray:
        """The threshold of every neuron, shape ``(n_out,)``."""
        return np.broadcast_to(self.threshold, (self.n_out,))

    def check(self, index: int) -> None:
        """Raise ``ValueError`` naming layer ``index`` if a field is invalid."""
        w = self.weights
        if w.ndim != 2 or 0 in w.shape:
            raise ValueError(
                f"layer {index}: weights must be a non-empty 2-D array (n_out, n_in), "
                f"not shape {w.shape}"
            )
        check_finite(w, "weights", index)
        if self.delays is not None:
            if self.delays.shape != w.shape:
                raise ValueError(
                    f"layer {index}: delays must have the weights' shape {w.shape}, "
                    f"not {self.delays.shape}"
                )
            check_finite(self.delays, "delays", index)
            if self.delays.min() < 0:
                at = np.unravel_index(int(np.argmin(self.delays)), w.shape)
                raise ValueError(
                    f"layer {index}: delays must be non-negative, "
                    f"not {float(self.delays[at])!r} at {tuple(int(i) for i in at)}"
                )
        if self.threshold.shape not in ((), (w.shape[0],)):
            raise ValueError(
                f"layer {index}: threshold must be a scalar or have shape ({w.shape[0]},), "
                f"not shape {self.threshold.shape}"
            )
        check_finite(self.threshold, "threshold", index)
        if self.threshold.min() <= 0:
            raise ValueError(
                f"layer {index}: threshold must be positive, not {float(self.threshold.min())!r}"
            )
        if self.leak_shift is not None:
            check_int(self.leak_shift, "leak_shift", low=1, high=MAX_LEAK_SHIFT, layer=index)
        if self.bias is not None:
            if self.bias.shape != (w.shape[0],):
                raise ValueError(
                    f"layer {index}: bias must have shape ({w.shape[0]},), not {self.bias.shape}"
                )
            check_finite(self.bias, "bias", index)
        if self.reset not in RESETS:
            raise ValueError(
                f"layer {index}: reset must be 'zero' or 'subtract', not {self.reset!r}"
            )


@dataclass(frozen=True, eq=False)
class Network:
    """An ordered chain of layers.

    Attributes
    ----------
    layers : tuple of Layer
        Layer ``l + 1`` takes the ``n_out`` spikes of layer ``l`` as inputs.
    """

    layers: tuple[Layer, ...]

    def __post_init__(self) -> None:
        layers = tuple(self.layers)
        object.__setattr__(self, "layers", layers)
        if not layers:
            raise ValueError("layers must be a non-empty sequence, not empty")
        for index, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise ValueError(
                    f"layer {index}: layer must be a Layer, not {type(layer).__name__}"
                )
            layer.check(index)
            if index and layer.n_in != layers[index - 1].n_out:
                raise ValueError(
                    f"layer {index}: weights must have n_in == {layers[index - 1].n_out} "
                    f"(n_out of layer {index - 1}), not {layer.n_in}"
                )

    @classmethod
    def from_weights(cls, weights: Iterable[Any], **fields: Any) -> Network:
        """Build a network from weight matrices; ``fields`` apply to every layer."""
        return cls(tuple(Layer(w, **fields) for w in weights))

    @property
    def weights(self) -> list[np.ndarray]:
        """The weight matrices, in order (read-only views)."""
        return [layer.weights for layer in self.layers]

    @property
    def sizes(self) -> tuple[int, ...]:
        """``(n_in, n_out of layer 0, n_out of layer 1, ...)``."""
        return (self.layers[0].n_in, *(layer.n_out for layer in self.layers))

    @property
    def synapses(self) -> list[np.ndarray]:
        """Each layer's weights with its bias as one more column (:attr:`Layer.synapses`)."""
        return [layer.synapses for layer in self.layers]

    def with_synapses(self, synapses: Iterable[np.ndarray]) -> Network:
        """Return a copy with new weights and biases (as :attr:`synapses` holds them)."""
        return Network(
            tuple(layer.with_synapses(s) for layer, s in zip(self.layers, synapses, strict=True))
        )

    def with_weights(self, weights: Iterable[np.ndarray]) -> Network:
        """Return a copy with new weight matrices of the same shapes."""
        return Network(
            tuple(
                dataclasses.replace(layer, weights=w)
                for layer, w in zip(self.layers, weights, strict=True)
            )
        )


_FIELDS = ("weights", "delays", "threshold", "leak_shift", "reset", "bias")
_KEY = re.compile(r"^(weights|delays|threshold|leak_shift|reset|bias)_(0|[1-9][0-9]*)$")


def network_from_arrays(arrays: Mapping[str, np.ndarray]) -> Network:
    """Build a :class:`Network` from ``.npz``-style keys (see module docstring)."""
    fields: dict[int, dict[str, Any]] = {}
    for key in sorted(arrays):
        match = _KEY.match(key)
        if match is None:
            field = key.rsplit("_", 1)[0]
            guess = difflib.get_close_matches(field, _FIELDS, n=1)
            hint = f" (did you mean {guess[0]}_<l>?)" if guess and guess[0] != field else ""
            raise ValueError(
                "npz keys must be weights_<l>, delays_<l>, threshold_<l>, leak_shift_<l>, "
                f"reset_<l> or bias_<l>, not {key!r}{hint}"
            )
        name, index = match.group(1), int(match.group(2))
        fields.setdefault(index, {})[name] = arrays[key]
    count = len(fields)
    for index in range(count):
        if "weights" not in fields.get(index, {}):
            raise ValueError(f"layer {index}: weights_{index} must be present, not missing")
    layers = []
    for index in range(count):
        f = fields[index]
        leak = f.get("leak_shift")
        if leak is not None:
            leak_arr = np.asarray(leak)
            if leak_arr.shape != () or leak_arr.dtype.kind not in "iu":
                raise ValueError(
                    f"layer {index}: leak_shift must be a scalar integer, "
                    f"not {leak_arr.dtype} of shape {leak_arr.shape}"
                )
            leak = int(leak_arr)
        reset = f.get("reset")
        reset = "zero" if reset is None else str(np.asarray(reset))
        try:
            layer = Layer(
                weights=f["weights"],
                delays=f.get("delays"),
                threshold=f.get("threshold", 1.0),
                leak_shift=leak,
                reset=reset,
                bias=f.get("bias"),
            )
        except ValueError as exc:  # a field's dtype: name the layer too
            raise ValueError(f"layer {index}: {exc}") from None
        layers.append(layer)
    if not layers:
        raise ValueError("npz file must hold weights_0, not no layers at all")
    return Network(tuple(layers))


def network_arrays(network: Network) -> dict[str, np.ndarray]:
    """The ``.npz`` keys of ``network`` (the inverse of :func:`network_from_arrays`)."""
    out: dict[str, np.ndarray] = {}
    for index, layer in enumerate(network.layers):
        out[f"weights_{index}"] = layer.weights
        if layer.delays is not None:
            out[f"delays_{index}"] = layer.delays
        out[f"threshold_{index}"] = layer.threshold
        if layer.leak_shift is not None:
            out[f"leak_shift_{index}"] = np.array(layer.leak_shift, dtype=np.int64)
        out[f"reset_{index}"] = np.array(layer.reset)
        if layer.bias is not None:
            out[f"bias_{index}"] = layer.bias
    return out


#: Zip archives start with a local file header, or the end record when empty.
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> np.ndarray:
    """One ``.npy`` member, its header checked before any data is read or allocated."""
    key = info.filename[: -len(".npy")]
    with zf.open(info) as f:
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, _fortran, dtype = np.lib.format.read_array_header_2_0(f)
        except ValueError as exc:
            raise ValueError(f"{key}: array must be a valid .npy member, not ({exc})") from None
        if dtype.hasobject:
            raise ValueError(f"{key}: array must be numeric or text, not dtype object")
        elements = math.prod(shape)
        limits.check("synapses", elements, f"{key}: elements (shape {shape})")
        if elements * dtype.itemsize > info.file_size:
            raise ValueError(
                f"{key}: array data must hold {elements * dtype.itemsize} bytes for shape "
                f"{shape}, not {info.file_size} (a truncated or damaged file)"
            )
    with zf.open(info) as f:
        try:
            return np.lib.format.read_array(f, allow_pickle=False)
        except ValueError as exc:
            raise ValueError(f"{key}: array must be readable, not damaged ({exc})") from None


def read_npz(path: str | os.PathLike[str], limits: Limits | None = None) -> dict[str, np.ndarray]:
    """Read the arrays of an ``.npz`` file, refusing anything but plain numeric or text arrays.

    Unlike ``np.load`` this checks every member's declared shape against
    ``limits.synapses`` before reading it (a 1 MB file can declare a 300 GB
    array), and turns every way a file can be broken into one ``ValueError``.
    """
    limits = limits or DEFAULT_LIMITS
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(4)
    except OSError as exc:
        raise ValueError(f"network file must be readable, not {exc.strerror.lower()}") from None
    if head not in _ZIP_MAGIC:
        what = "empty" if not head else f"a file starting with {head!r}"
        raise ValueError(f"network file must be an .npz archive (a zip file), not {what}")
    arrays: dict[str, np.ndarray] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            for info in zf.infolist():
                if not info.filename.endswith(".npy") or info.is_dir():
                    raise ValueError(f"npz members must be .npy arrays, not {info.filename!r}")
                arrays[info.filename[: -len(".npy")]] = _read_member(zf, info, limits)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as exc:
        raise ValueError(
            f"network file must be a readable zip archive, not damaged ({exc})"
        ) from None
    return arrays


def load_network(path: str | os.PathLike[str], limits: Limits | None = None) -> Network:
    """Load a network from an ``.npz`` file.

    Parameters
    ----------
    path : path-like
        File with keys ``weights_0``, ``weights_1``, ... and optional
        ``delays_<l>``, ``threshold_<l>``, ``leak_shift_<l>``, ``reset_<l>``.
    limits : Limits, optional
        Largest array the file may declare (``limits.synapses`` elements),
        checked before the array is read.

    Returns
    -------
    Network

    Raises
    ------
    ValueError
        For a file that is not a readable ``.npz`` archive, arrays over the
        limits, unknown keys, missing layers, or any invalid field.
    """
    return network_from_arrays(read_npz(path, limits))


def write_npz(
    path: str | os.PathLike[str] | io.BufferedIOBase, arrays: Mapping[str, np.ndarray]
) -> None:
    """Write ``arrays`` as an ``.npz`` file (a path or a binary file), byte-identical for
    equal inputs.

    ``np.savez`` stamps the current time into the zip entries; this writer
    uses a fixed timestamp and sorted keys, so builds are reproducible.
    """
    target = path if hasattr(path, "write") else Path(path)  # type: ignore[arg-type]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as zf:
        for key in sorted(arrays):
            buffer = io.BytesIO()
            array = np.array(arrays[key], order="C", copy=True)
            np.lib.format.write_array(buffer, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue())


def save_network(network: Network, path: str | os.PathLike[str]) -> None:
    """Save ``network`` to ``path`` as a deterministic ``.npz`` file.

    The file is written beside ``path`` under a temporary name and renamed into
    place, so a failed save leaves no partial file.
    """
    path = Path(path)
    buffer = io.BytesIO()
    write_npz(buffer, network_arrays(network))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
