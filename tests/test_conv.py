"""Convolution geometry against a convolution written from NIR's semantics with numpy."""

from __future__ import annotations

import numpy as np
import pytest

from compress.model.conv import Conv, pool_matrix


def conv2d(x, kernel, stride, padding, dilation, groups):
    """NIR's Conv2d (PyTorch's cross-correlation), written out: x (C, H, W)."""
    _, h, w = x.shape
    o_n, cg, kh, kw = kernel.shape
    xp = np.pad(x, ((0, 0), (padding[0],) * 2, (padding[1],) * 2))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((o_n, oh, ow))
    per = o_n // groups
    for o in range(o_n):
        g = o // per
        for i in range(oh):
            for j in range(ow):
                ys = i * stride[0] + dilation[0] * np.arange(kh)
                xs = j * stride[1] + dilation[1] * np.arange(kw)
                patch = xp[g * cg : (g + 1) * cg][:, ys][:, :, xs]
                out[o, i, j] = np.sum(patch * kernel[o])
    return out


def sum_pool(x, k, s):
    c, h, w = x.shape
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    return np.array(
        [
            [
                [x[ch, i * s : i * s + k, j * s : j * s + k].sum() for j in range(ow)]
                for i in range(oh)
            ]
            for ch in range(c)
        ]
    )


GEOMETRIES = [
    ((2, 9, 9), 4, 5, 2, 1, 1, 1),  # cnn_sinabs's first layer, smaller
    ((3, 7, 6), 6, 3, 1, 1, 1, 3),  # grouped
    ((2, 8, 8), 2, 3, 1, 2, 2, 1),  # dilated
    ((1, 5, 7), 3, (2, 3), (1, 2), (0, 1), 1, 1),  # rectangular
]


@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_unrolled_convolution_is_the_convolution(geometry):
    in_shape, o_n, k, s, p, d, g = geometry
    conv = Conv(in_shape, o_n, k, s, p, d, g)
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=conv.kernel_shape)
    x = rng.normal(size=in_shape)
    want = conv2d(x, kernel, conv.stride, conv.padding, conv.dilation, g)
    assert want.shape == conv.out_shape
    np.testing.assert_allclose(conv.unroll(kernel) @ x.reshape(-1), want.reshape(-1))
    taps = conv.taps()
    assert taps.shape == (conv.n_out, conv.n_taps) and taps.max() < conv.n_in
    assert Conv.from_array(conv.to_array()) == conv


def test_sum_pooling_then_convolution_is_one_convolution():
    """SumPool2d(2) then Conv2d(3, padding 1) equals a 6x6 convolution of stride 2."""
    rng = np.random.default_rng(1)
    pooled = Conv((3, 4, 4), 5, 3, 1, 1)
    kernel = rng.normal(size=pooled.kernel_shape)
    conv, composed = pooled.after_sum_pool(kernel, (2, 2), (2, 2))
    x = rng.integers(0, 2, size=(3, 8, 8)).astype(float)
    want = conv2d(sum_pool(x, 2, 2), kernel, (1, 1), (1, 1), (1, 1), 1)
    assert conv.kernel_size == (6, 6) and conv.stride == (2, 2) and conv.padding == (2, 2)
    np.testing.assert_allclose(conv.unroll(composed) @ x.reshape(-1), want.reshape(-1))
    np.testing.assert_allclose(
        pool_matrix((3, 8, 8), (2, 2), (2, 2)) @ x.reshape(-1), sum_pool(x, 2, 2).reshape(-1)
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"in_shape": (2, 3)}, r"^in_shape must be \(C, H, W\)"),
        ({"groups": 3}, r"^groups must divide the input channels \(2\)"),
        ({"kernel_size": 9}, r"^the kernel must fit the padded input"),
        ({"stride": 0}, r"^stride must be integers of at least 1, not 0"),
        ({"out_channels": 0}, r"^out_channels must be a positive integer, not 0"),
    ],
)
def test_bad_geometry_is_named(kwargs, message):
    fields = {"in_shape": (2, 6, 6), "out_channels": 4, "kernel_size": 3, **kwargs}
    with pytest.raises(ValueError, match=message):
        Conv(**fields)
