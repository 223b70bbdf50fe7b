"""The network model: frozen dataclasses passed between passes.

A :class:`Network` is an ordered tuple of :class:`Layer` s whose shapes chain
(``n_in`` of layer ``l + 1`` is ``n_out`` of layer ``l``).  Arrays are copied
on construction and made read-only, so a pass can never change its input.

On disk a network is an ``.npz`` file with keys ``weights_<l>`` and the
optional ``delays_<l>`` (steps, same shape as the weights),
``threshold_<l>`` (scalar or one per neuron, weight units),
``leak_shift_<l>`` (integer), ``reset_<l>`` (``"zero"`` or ``"subtract"``),
``bias_<l>`` (one per neuron, weight units), and for the neuron models NIR
exports (see :class:`Layer`): ``leak_<l>`` (the fraction ``dt/tau`` of the
membrane lost per step, scalar), ``syn_leak_<l>`` (the same for a synaptic
current; its presence makes the layer current-based), ``drive_<l>`` (per neuron
or scalar, added to the membrane every step, weight units), ``v_reset_<l>``
(per neuron or scalar, weight units), ``spiking_<l>`` (bool; False for a leaky
integrator read by its membrane), ``strict_<l>`` (bool; spike when
``v > threshold``), ``frac_bits_<l>`` (integer ``F``, overriding the automatic
choice) and ``recurrent_<l>`` (``(n_out, n_out)``: weights of the layer's own
spikes of the previous step).  A convolution layer has ``conv_<l>`` (13 integers:
``C, H, W, out_channels, kh, kw, sy, sx, py, px, dy, dx, groups``, see
:class:`~compress.model.conv.Conv`); its ``weights_<l>`` is then the kernel
``(out_channels, C / groups, kh, kw)`` and its ``bias_<l>`` one value per output
channel.
"""

from __future__ import annotations

import dataclasses
import difflib
import io
import math
import numbers
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .conv import Conv
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
#: Most fractional bits of a membrane (:mod:`compress.hardware.neuron` uses the same).
MAX_FRAC_BITS = 16


def _frozen_array(value: Any, field: str) -> np.ndarray:
    arr = np.array(check_real(value, field), dtype=np.float64, copy=True)
    arr.setflags(write=False)
    return arr


@dataclass(frozen=True, eq=False)
class Layer:
    """One layer of integrate-and-fire neurons: fully connected, or a convolution.

    Attributes
    ----------
    weights : ndarray, shape (n_out, n_in), or the kernel of a convolution
        Synaptic weights, float64; with ``conv``, the kernel
        ``(out_channels, in_channels / groups, kh, kw)``, shared by every output
        position (neurons and inputs are numbered channel-major).
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
    leak : float or None
        Fraction of the membrane lost per step (NIR's ``dt / tau_mem``), in
        ``(0, 1]``: ``v <- v (1 - leak) + ...``; exclusive with ``leak_shift``
        (which is ``leak = 2**-leak_shift``).  ``None``: no leak.
    syn_leak : float or None
        A current-based neuron (CubaLIF, CubaLI): the synaptic current
        ``i <- i (1 - syn_leak) + W x`` (``syn_leak`` in ``[0, 1]``) feeds the
        membrane instead of ``W x``.  ``None``: no current.
    drive : ndarray or None
        Added to the membrane every step, weight units, scalar or per neuron
        (NIR's ``(dt / tau) v_leak``).
    v_reset : ndarray or float
        The membrane after a spike when ``reset == "zero"``, weight units.
    spiking : bool
        False for a leaky integrator (LI, CubaLI): it never fires.
    strict : bool
        Spike when ``v > threshold`` (NIR) instead of ``v >= threshold``.
    frac_bits : int or None
        Fractional bits ``F`` of the membrane and current; ``None`` chooses
        them from the leaks and constants (:func:`compress.hardware.neuron.frac_bits_for`).
    recurrent : ndarray or None, shape (n_out, n_out)
        Weights of the layer's own spikes of the previous step (a recurrent
        edge): in hardware ``n_out`` more input lines fed by the layer's
        spikes, compressed and classed like any other synapse.
    conv : Conv or None
        The geometry of a convolution layer (:class:`~compress.model.conv.Conv`),
        or ``None`` for a fully connected one.  A convolution's ``bias`` has one
        value per output channel; it has no delays and no recurrent edge.
    """

    weights: np.ndarray
    delays: np.ndarray | None = None
    threshold: np.ndarray | float = 1.0
    leak_shift: int | None = None
    reset: str = "zero"
    bias: np.ndarray | None = None
    leak: float | None = None
    syn_leak: float | None = None
    drive: np.ndarray | None = None
    v_reset: np.ndarray | float = 0.0
    spiking: bool = True
    strict: bool = False
    frac_bits: int | None = None
    recurrent: np.ndarray | None = None
    conv: Conv | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        if self.conv is not None and not isinstance(self.conv, Conv):
            set_(self, "conv", Conv.from_array(np.asarray(self.conv)))
        set_(self, "weights", _frozen_array(self.weights, "weights"))
        if self.delays is not None:
            set_(self, "delays", _frozen_array(self.delays, "delays"))
        set_(self, "threshold", _frozen_array(self.threshold, "threshold"))
        for name in ("bias", "drive", "recurrent"):
            if getattr(self, name) is not None:
                set_(self, name, _frozen_array(getattr(self, name), name))
        set_(self, "v_reset", _frozen_array(self.v_reset, "v_reset"))
        for name in ("leak", "syn_leak"):
            value = getattr(self, name)
            if isinstance(value, np.ndarray) and value.shape == ():
                set_(self, name, float(value))

    @property
    def n_recurrent(self) -> int:
        """Input lines fed by the layer's own spikes (``n_out`` with a recurrent edge, else 0)."""
        return 0 if self.recurrent is None else self.n_out

    @property
    def model(self) -> str:
        """NIR's name for the neuron: ``LIF``, ``IF``, ``LI``, ``CubaLIF`` or ``CubaLI``."""
        if self.syn_leak is not None:
            return "CubaLIF" if self.spiking else "CubaLI"
        if not self.spiking:
            return "LI"
        return "LIF" if self.leak_fraction else "IF"

    def summary(self) -> str:
        """The layer in words: ``CubaLIF, leak 0.1, current leak 0.45, recurrent, bias, reset
        subtract``."""
        parts = [self.model]
        if self.conv is not None:
            c = self.conv
            parts.append(
                f"conv {'x'.join(map(str, c.in_shape))} -> {'x'.join(map(str, c.out_shape))}, "
                f"kernel {c.kernel_size[0]}x{c.kernel_size[1]} stride {c.stride[0]}"
            )
        if self.leak_fraction:
            parts.append(f"leak {self.leak_fraction:.6g}")
        if self.syn_leak is not None:
            parts.append(f"current leak {self.syn_leak:.6g}")
        if self.recurrent is not None:
            parts.append("recurrent")
        if self.bias is not None:
            parts.append("bias")
        if self.drive is not None:
            parts.append("drive")
        parts.append(f"reset {self.reset}")
        return ", ".join(parts)

    @property
    def leak_fraction(self) -> float | None:
        """The fraction of the membrane lost per step (``leak`` or ``2**-leak_shift``)."""
        if self.leak is not None:
            return float(self.leak)
        return None if self.leak_shift is None else 2.0**-self.leak_shift

    @property
    def synapses(self) -> np.ndarray:
        """The weights, then the recurrent weights and the bias as more input columns,
        ``(n_out, n_in [+ n_out] [+ 1])``: what compression and hardware see.  A
        convolution's are its kernel, one row per output channel and one column per
        tap, then its bias: ``(out_channels, taps [+ 1])``."""
        parts = [self.weights.reshape(self.weights.shape[0], -1) if self.conv else self.weights]
        if self.recurrent is not None:
            parts.append(self.recurrent)
        if self.bias is not None:
            parts.append(self.bias.reshape(-1, 1))
        return parts[0] if len(parts) == 1 else np.hstack(parts)

    def with_synapses(self, synapses: np.ndarray) -> Layer:
        """A copy whose weights (recurrent weights, bias) come from ``synapses``'s columns."""
        synapses = np.asarray(synapses)
        n_in, n_rec = self.n_columns, self.n_recurrent
        fields: dict[str, Any] = {"weights": synapses[:, :n_in]}
        if self.conv is not None:
            fields["weights"] = synapses[:, :n_in].reshape(self.conv.kernel_shape)
        if self.recurrent is not None:
            fields["recurrent"] = synapses[:, n_in : n_in + n_rec]
        if self.bias is not None:
            fields["bias"] = synapses[:, n_in + n_rec]
        return dataclasses.replace(self, **fields)

    @property
    def n_out(self) -> int:
        """Number of neurons (rows of ``weights``; a convolution's output positions)."""
        return self.conv.n_out if self.conv else int(self.weights.shape[0])

    @property
    def n_in(self) -> int:
        """Number of inputs (columns of ``weights``; a convolution's input positions)."""
        return self.conv.n_in if self.conv else int(self.weights.shape[1])

    @property
    def n_columns(self) -> int:
        """Weight columns of :attr:`synapses` before the recurrent and bias ones: ``n_in``,
        or a convolution's taps per output channel."""
        return self.conv.n_taps if self.conv else self.n_in

    @property
    def thresholds(self) -> np.ndarray:
        """The threshold of every neuron, shape ``(n_out,)``."""
        return np.broadcast_to(self.threshold, (self.n_out,))

    def check(self, index: int) -> None:
        """Raise ``ValueError`` naming layer ``index`` if a field is invalid."""
        if self.conv is not None:
            self._check_conv(index)
            return
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
        self._check_shared(index, f"shape ({w.shape[0]},)")

    def _check_conv(self, index: int) -> None:
        """A convolution: its kernel, per-channel bias, no delays, no recurrent edge."""
        conv, w = self.conv, self.weights
        if w.shape != conv.kernel_shape:
            raise ValueError(
                f"layer {index}: weights must be the kernel {conv.kernel_shape} of its "
                f"convolution, not shape {w.shape}"
            )
        check_finite(w, "weights", index)
        for name in ("delays", "recurrent"):
            if getattr(self, name) is not None:
                raise ValueError(
                    f"layer {index}: {name} must be None for a convolution layer, not an array"
                )
        self._check_shared(index, f"one value per output channel, shape ({conv.out_channels},)")

    def _check_shared(self, index: int, bias_rule: str) -> None:
        """The fields both kinds of layer check alike: thresholds (one per neuron), the leak
        shift, the bias (``bias_rule``: its shape, in words), the reset and the neuron."""
        if self.threshold.shape not in ((), (self.n_out,)):
            raise ValueError(
                f"layer {index}: threshold must be a scalar or have shape ({self.n_out},), "
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
            want = self.weights.shape[0] if self.conv is None else self.conv.out_channels
            if self.bias.shape != (want,):
                raise ValueError(
                    f"layer {index}: bias must have {bias_rule}, not {self.bias.shape}"
                )
            check_finite(self.bias, "bias", index)
        if self.reset not in RESETS:
            raise ValueError(
                f"layer {index}: reset must be 'zero' or 'subtract', not {self.reset!r}"
            )
        self._check_neuron(index)

    def dense(self) -> Layer:
        """The same layer fully connected: a convolution unrolled into its ``(n_out, n_in)``
        matrix and its per-channel bias into one per neuron (for references and small
        tests: the hardware keeps the kernel)."""
        if self.conv is None:
            return self
        per = self.conv.out_shape[1] * self.conv.out_shape[2]
        bias = None if self.bias is None else np.repeat(self.bias, per)
        return dataclasses.replace(
            self, weights=self.conv.unroll(self.weights), bias=bias, conv=None
        )

    def _check_neuron(self, index: int) -> None:
        n_out = self.n_out
        if self.leak is not None:
            if self.leak_shift is not None:
                raise ValueError(
                    f"layer {index}: leak and leak_shift must not both be set, "
                    f"not {self.leak!r} and {self.leak_shift!r}"
                )
            _check_fraction(self.leak, "leak", index, low_open=True)
        if self.syn_leak is not None:
            _check_fraction(self.syn_leak, "syn_leak", index, low_open=False)
        for name in ("drive", "v_reset"):
            value = getattr(self, name)
            if value is None:
                continue
            if value.shape not in ((), (n_out,)):
                raise ValueError(
                    f"layer {index}: {name} must be a scalar or have shape ({n_out},), "
                    f"not shape {value.shape}"
                )
            check_finite(value, name, index)
        for name in ("spiking", "strict"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(
                    f"layer {index}: {name} must be True or False, not {getattr(self, name)!r}"
                )
        if self.frac_bits is not None:
            check_int(self.frac_bits, "frac_bits", low=0, high=MAX_FRAC_BITS, layer=index)
        if self.recurrent is not None:
            if not self.spiking:
                raise ValueError(
                    f"layer {index}: recurrent must be None for a leaky integrator (it never "
                    "spikes), not a matrix"
                )
            if self.recurrent.shape != (n_out, n_out):
                raise ValueError(
                    f"layer {index}: recurrent must have shape ({n_out}, {n_out}), "
                    f"not {self.recurrent.shape}"
                )
            check_finite(self.recurrent, "recurrent", index)

    @property
    def drives(self) -> np.ndarray:
        """The drive of every neuron, shape ``(n_out,)`` (zeros without one)."""
        return np.broadcast_to(0.0 if self.drive is None else self.drive, (self.n_out,))

    @property
    def v_resets(self) -> np.ndarray:
        """The reset value of every neuron, shape ``(n_out,)``."""
        return np.broadcast_to(self.v_reset, (self.n_out,))


def _check_fraction(value: Any, field: str, index: int, *, low_open: bool) -> None:
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if ok and math.isfinite(value) and (0 < value <= 1 if low_open else 0 <= value <= 1):
        return
    rule = "(0, 1]" if low_open else "[0, 1]"
    raise ValueError(f"layer {index}: {field} must be a number in {rule}, not {value!r}")


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
            if not layer.spiking and index < len(layers) - 1:
                raise ValueError(
                    f"layer {index}: spiking must be True for a layer that feeds another (a "
                    "leaky integrator's output is its membrane, not spikes), not False"
                )
            if index and layer.n_in != layers[index - 1].n_out:
                raise ValueError(
                    f"layer {index}: weights must have n_in == {layers[index - 1].n_out} "
                    f"(n_out of layer {index - 1}), not {layer.n_in}"
                )

    @classmethod
    def from_weights(cls, weights: Iterable[Any], **fields: Any) -> Network:
        """Build a network from weight matrices; ``fields`` apply to every layer."""
        return cls(tuple(Layer(w, **fields) for w in weights))

    def dense(self) -> Network:
        """The same network with every convolution unrolled into a fully connected layer
        (:meth:`Layer.dense`; for references and small networks)."""
        return Network(tuple(layer.dense() for layer in self.layers))

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


_FIELDS = (
    "weights",
    "delays",
    "threshold",
    "leak_shift",
    "reset",
    "bias",
    "leak",
    "syn_leak",
    "drive",
    "v_reset",
    "spiking",
    "strict",
    "frac_bits",
    "recurrent",
    "conv",
)
_KEY = re.compile(r"^(" + "|".join(sorted(_FIELDS, key=len, reverse=True)) + r")_(0|[1-9][0-9]*)$")


def _scalar(value: Any, kinds: str, what: str, field: str, index: int) -> Any:
    arr = np.asarray(value)
    if arr.shape != () or arr.dtype.kind not in kinds:
        raise ValueError(
            f"layer {index}: {field} must be a scalar {what}, not {arr.dtype} of shape {arr.shape}"
        )
    return arr.item()


def network_from_arrays(arrays: Mapping[str, np.ndarray]) -> Network:
    """Build a :class:`Network` from ``.npz``-style keys (see module docstring)."""
    fields: dict[int, dict[str, Any]] = {}
    for key in sorted(arrays):
        match = _KEY.match(key)
        if match is None:
            field = key.rsplit("_", 1)[0]
            guess = difflib.get_close_matches(field, _FIELDS, n=1)
            hint = f" (did you mean {guess[0]}_<l>?)" if guess and guess[0] != field else ""
            names = ", ".join(f"{f}_<l>" for f in _FIELDS)
            raise ValueError(f"npz keys must be one of {names}, not {key!r}{hint}")
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
            leak = int(_scalar(leak, "iu", "integer", "leak_shift", index))
        scalars: dict[str, Any] = {}
        for name, kinds, label, cast in (
            ("leak", "fiu", "number", float),
            ("syn_leak", "fiu", "number", float),
            ("spiking", "b", "bool", bool),
            ("strict", "b", "bool", bool),
            ("frac_bits", "iu", "integer", int),
        ):
            if name in f:
                scalars[name] = cast(_scalar(f[name], kinds, label, name, index))
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
                drive=f.get("drive"),
                v_reset=f.get("v_reset", 0.0),
                recurrent=f.get("recurrent"),
                conv=f.get("conv"),
                **scalars,
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
        for name in ("leak", "syn_leak", "drive", "recurrent"):
            if getattr(layer, name) is not None:
                out[f"{name}_{index}"] = np.asarray(getattr(layer, name), dtype=np.float64)
        if layer.v_reset.any():
            out[f"v_reset_{index}"] = layer.v_reset
        if not layer.spiking:
            out[f"spiking_{index}"] = np.array(False)
        if layer.strict:
            out[f"strict_{index}"] = np.array(True)
        if layer.frac_bits is not None:
            out[f"frac_bits_{index}"] = np.array(layer.frac_bits, dtype=np.int64)
        if layer.conv is not None:
            out[f"conv_{index}"] = layer.conv.to_array()
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
