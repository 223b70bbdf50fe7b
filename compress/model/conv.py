"""Convolution geometry: which input every kernel tap of every output neuron reads.

A convolution layer keeps its kernel ``(out_channels, in_channels / groups, kh, kw)``
(not a matrix with one column per input): :class:`Conv` holds the rest, the input
shape ``(C, H, W)``, stride, padding, dilation and groups, with NIR's (and
PyTorch's) meaning: output neuron ``(o, i, j)`` sums kernel tap ``(c', a, b)`` times
input ``(g * C/g + c', i * sy - py + a * dy, j * sx - px + b * dx)`` where
``g = o // (O / groups)``; a position outside the input (padding) reads 0.
Neurons and inputs are numbered channel-major, as NIR's ``Flatten`` does:
``index = (c * H + y) * W + x``.

:meth:`Conv.taps` gives, for every output neuron and tap, the input index (-1 in
the padding); :meth:`Conv.unroll` the equivalent dense matrix (for references and
small tests, never for hardware); :meth:`Conv.after_sum_pool` the convolution that
equals sum pooling followed by this one (exact: both are linear), which is how
pooling layers are imported.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from functools import cached_property

import numpy as np

__all__ = ["Conv", "pool_matrix"]


def _pair(value: object, field: str, low: int) -> tuple[int, int]:
    values = np.broadcast_to(np.asarray(value), (2,)) if np.ndim(value) <= 1 else None
    if values is None or values.size != 2:
        raise ValueError(f"{field} must be one integer or two, not {value!r}")
    out = []
    for v in values.tolist():
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < low:
            raise ValueError(f"{field} must be integers of at least {low}, not {value!r}")
        out.append(int(v))
    return out[0], out[1]


@dataclass(frozen=True)
class Conv:
    """The geometry of a 2-D convolution layer (its kernel is the layer's weights).

    Attributes
    ----------
    in_shape : tuple of int
        ``(C, H, W)`` of the input.
    out_channels : int
    kernel_size, stride, padding, dilation : tuple of int
        ``(y, x)`` pairs (one integer means both).
    groups : int
        ``C`` and ``out_channels`` are split in this many groups; group ``g``'s
        outputs read only group ``g``'s input channels.
    """

    in_shape: tuple[int, int, int]
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int] = (1, 1)
    padding: tuple[int, int] = (0, 0)
    dilation: tuple[int, int] = (1, 1)
    groups: int = 1

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        shape = tuple(int(v) for v in np.asarray(self.in_shape).reshape(-1))
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"in_shape must be (C, H, W) of positive sizes, not {self.in_shape!r}")
        set_(self, "in_shape", shape)
        set_(self, "kernel_size", _pair(self.kernel_size, "kernel_size", 1))
        set_(self, "stride", _pair(self.stride, "stride", 1))
        set_(self, "padding", _pair(self.padding, "padding", 0))
        set_(self, "dilation", _pair(self.dilation, "dilation", 1))
        for name in ("out_channels", "groups"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"{name} must be a positive integer, not {value!r}")
            set_(self, name, int(value))
        if shape[0] % self.groups or self.out_channels % self.groups:
            raise ValueError(
                f"groups must divide the input channels ({shape[0]}) and the output channels "
                f"({self.out_channels}), not {self.groups}"
            )
        if min(self.out_shape) < 1:
            raise ValueError(
                f"the kernel must fit the padded input: in_shape {shape}, kernel "
                f"{self.kernel_size}, padding {self.padding}, dilation {self.dilation} give "
                f"output {self.out_shape}"
            )

    @property
    def kernel_shape(self) -> tuple[int, int, int, int]:
        """``(out_channels, in_channels / groups, kh, kw)``: the layer's weights."""
        return (self.out_channels, self.in_shape[0] // self.groups, *self.kernel_size)

    @property
    def out_shape(self) -> tuple[int, int, int]:
        """``(out_channels, H', W')``."""
        size = []
        for n, k, s, p, d in zip(
            self.in_shape[1:], self.kernel_size, self.stride, self.padding, self.dilation
        ):
            size.append((n + 2 * p - d * (k - 1) - 1) // s + 1)
        return (self.out_channels, size[0], size[1])

    @property
    def n_in(self) -> int:
        return int(np.prod(self.in_shape))

    @property
    def n_out(self) -> int:
        return int(np.prod(self.out_shape))

    @property
    def n_taps(self) -> int:
        """Kernel taps per output neuron: ``C / groups * kh * kw``."""
        return int(np.prod(self.kernel_shape[1:]))

    @cached_property
    def _taps(self) -> np.ndarray:
        _, h, w = self.in_shape
        o_n, oh, ow = self.out_shape
        cg, kh, kw = self.kernel_shape[1:]
        o, i, j = np.meshgrid(np.arange(o_n), np.arange(oh), np.arange(ow), indexing="ij")
        cc, a, b = np.meshgrid(np.arange(cg), np.arange(kh), np.arange(kw), indexing="ij")
        group = (o // (o_n // self.groups)).reshape(-1, 1)
        chan = group * cg + cc.reshape(1, -1)
        y = (
            i.reshape(-1, 1) * self.stride[0]
            - self.padding[0]
            + a.reshape(1, -1) * self.dilation[0]
        )
        x = (
            j.reshape(-1, 1) * self.stride[1]
            - self.padding[1]
            + b.reshape(1, -1) * self.dilation[1]
        )
        inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
        index = np.where(inside, (chan * h + y) * w + x, -1).astype(np.int64)
        index.setflags(write=False)
        return index

    def taps(self) -> np.ndarray:
        """``(n_out, n_taps)``: the input index each tap of each output neuron reads
        (-1 in the padding); tap ``t`` is kernel element ``(c', a, b)`` in C order."""
        return self._taps

    def apply(self, kernel: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The convolution of inputs ``x`` ``(..., n_in)`` (channel-major) with ``kernel``:
        ``(..., n_out)`` floats, without building the unrolled matrix."""
        kernel = np.asarray(kernel, dtype=np.float64)
        if kernel.shape != self.kernel_shape:
            raise ValueError(f"kernel must have shape {self.kernel_shape}, not {kernel.shape}")
        x = np.asarray(x, dtype=np.float64)
        padded = np.concatenate([x, np.zeros((*x.shape[:-1], 1))], axis=-1)  # -1 reads 0
        taps = self.taps()
        per = self.out_shape[1] * self.out_shape[2]
        rows = kernel.reshape(self.out_channels, -1)
        out = np.empty((*x.shape[:-1], self.n_out))
        for o in range(self.out_channels):  # a channel's taps: one gather, one product
            block = slice(o * per, (o + 1) * per)
            out[..., block] = padded[..., taps[block]] @ rows[o]
        return out

    def unroll(self, kernel: np.ndarray) -> np.ndarray:
        """The dense ``(n_out, n_in)`` matrix of this convolution with ``kernel``."""
        kernel = np.asarray(kernel, dtype=np.float64)
        if kernel.shape != self.kernel_shape:
            raise ValueError(f"kernel must have shape {self.kernel_shape}, not {kernel.shape}")
        taps = self.taps()
        per = self.out_shape[1] * self.out_shape[2]
        values = np.repeat(kernel.reshape(self.out_channels, -1), per, axis=0)
        out = np.zeros((self.n_out, self.n_in))
        rows, cols = np.nonzero(taps >= 0)
        np.add.at(out, (rows, taps[rows, cols]), values[rows, cols])
        return out

    def after_sum_pool(
        self, kernel: np.ndarray, pool: tuple[int, int], pool_stride: tuple[int, int]
    ) -> tuple[Conv, np.ndarray]:
        """``(conv, kernel)`` equal to sum pooling (window ``pool``, stride ``pool_stride``,
        no padding) followed by this convolution, whose input is the pooled map.

        Needs ``pool == pool_stride`` (non-overlapping windows) and dilation 1: the
        pooled map's tap ``(a, b)`` becomes the ``pool`` block ``(a*py + p, b*px + q)``
        of the composed kernel (the same weight), with the strides and the padding
        multiplied by the pool's.
        """
        pool = _pair(pool, "kernel_size", 1)
        pool_stride = _pair(pool_stride, "stride", 1)
        if pool != pool_stride or self.dilation != (1, 1):
            raise ValueError(
                f"a pooling before a convolution must have stride == kernel_size and the "
                f"convolution dilation 1, not pool {pool} stride {pool_stride}, dilation "
                f"{self.dilation}"
            )
        c, h, w = self.in_shape
        in_shape = (c, h * pool[0], w * pool[1])
        kernel = np.asarray(kernel, dtype=np.float64)
        composed = np.repeat(np.repeat(kernel, pool[0], axis=2), pool[1], axis=3)
        conv = Conv(
            in_shape,
            self.out_channels,
            (self.kernel_size[0] * pool[0], self.kernel_size[1] * pool[1]),
            (self.stride[0] * pool[0], self.stride[1] * pool[1]),
            (self.padding[0] * pool[0], self.padding[1] * pool[1]),
            (1, 1),
            self.groups,
        )
        return conv, composed

    def to_array(self) -> np.ndarray:
        """The 13 integers a network file stores (``conv_<l>``): ``C, H, W, out_channels,
        kh, kw, sy, sx, py, px, dy, dx, groups``."""
        return np.array(
            [
                *self.in_shape,
                self.out_channels,
                *self.kernel_size,
                *self.stride,
                *self.padding,
                *self.dilation,
                self.groups,
            ],
            dtype=np.int64,
        )

    @classmethod
    def from_array(cls, values: np.ndarray) -> Conv:
        """The inverse of :meth:`to_array`."""
        v = np.asarray(values).reshape(-1)
        if v.shape != (13,) or v.dtype.kind not in "iu":
            raise ValueError(f"conv must be 13 integers, not {v.dtype} of shape {v.shape}")
        v = [int(x) for x in v]
        return cls(
            tuple(v[0:3]),
            v[3],
            tuple(v[4:6]),
            tuple(v[6:8]),
            tuple(v[8:10]),
            tuple(v[10:12]),
            v[12],
        )


def pool_matrix(
    in_shape: tuple[int, int, int],
    kernel: tuple[int, int],
    stride: tuple[int, int],
    scale: float = 1.0,
) -> np.ndarray:
    """The dense matrix of sum pooling (``scale`` times it: ``1 / (kh*kw)`` for average
    pooling), no padding, channel-major indices; for a pooling before a dense layer."""
    c, h, w = (int(v) for v in in_shape)
    kernel, stride = _pair(kernel, "kernel_size", 1), _pair(stride, "stride", 1)
    oh, ow = (h - kernel[0]) // stride[0] + 1, (w - kernel[1]) // stride[1] + 1
    out = np.zeros((c * oh * ow, c * h * w))
    for ch in range(c):
        for i in range(oh):
            for j in range(ow):
                row = (ch * oh + i) * ow + j
                for a in range(kernel[0]):
                    for b in range(kernel[1]):
                        y, x = i * stride[0] + a, j * stride[1] + b
                        out[row, (ch * h + y) * w + x] = scale
    return out
