"""Convolution and pooling primitives on NCHW arrays.

Three primitives make up convolution, and each one's backward is made of the other two, so
the set is closed under differentiation (double backward of conv1d/conv2d/conv_transpose2d):

- ``Convolution``: out = conv(x, w) + b (cross-correlation, as PyTorch);
- ``ConvTranspose``: its adjoint in x, z = conv^T(g, w) (the gradient of the input, and
  PyTorch's conv_transpose2d);
- ``ConvWeight``: its adjoint in w, dw = conv_w(x, g) (the gradient of the weight).

Convolution and ConvWeight walk the batch a few images at a time (``_column_chunks``): one
strided copy of the chunk into columns (an im2col with ``as_strided``) and one batched matrix
product (a single BLAS call per group), all in a cache-sized buffer that the next chunk
reuses; the weight gradient adds up one product per chunk. ConvTranspose adds the columns
back with one strided add per kernel offset (``_col2im``), or at stride 1 runs as a
convolution with the flipped kernel. Columns are channels last, (groups, rows (n, p, q),
kh * kw * C/groups): each row copies runs of contiguous channels, and every product puts the
long rows axis where OpenBLAS is fastest. With few channels per group the columns are pixels
last instead (``_pixel_column_chunks``: runs along the width, products NCHW already).
Outputs are written in (N, C, H, W) memory order, so that ``.view()`` works on them as in
PyTorch. Chunk buffers and outputs come from a small pool (``ops.buffers.scratch``): fresh
arrays of a few MiB are page-faulted in on every call.

``TakeFlat`` and ``PutFlat`` (gather and scatter-add over the flattened H*W plane of each
(n, c)) are each other's backward: adaptive max pooling picks its maxima with ``TakeFlat``
(windowed max pooling has its own pair, in ``nn.functional.pooling``).

Padding is given per side, ((top, bottom), (left, right)), so that 'same' padding and
ceil-mode pooling, which pad more on one side, need no extra copy.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..autograd.forward_ad import add_terms, linear_jvp, multilinear_jvp
from ..autograd.function import Function
from ..tensor import Tensor
from .buffers import scratch

Pair = tuple[int, int]
Padding = tuple[Pair, Pair]


def conv_out_size(size: int, kernel: int, stride: int, pad: Pair, dilation: int) -> int:
    """Number of window positions: floor((size + pads - dilation (kernel - 1) - 1) / stride) + 1."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def _padded(x: np.ndarray, padding: Padding, value: float = 0.0) -> np.ndarray:
    """``x`` (N, C, H, W) with ``value`` around it (``x`` itself when nothing is padded)."""
    (top, bottom), (left, right) = padding
    if not (top or bottom or left or right):
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + top + bottom, w + left + right), value, dtype=x.dtype)
    out[:, :, top:top + h, left:left + w] = x
    return out


_CHUNK_BYTES = 1 << 20  # columns per chunk: within a core's L2 cache


def _chunk_plan(n: int, oh: int, row_bytes: int) -> tuple[int, int]:
    """(images, output rows) per chunk of columns: as many whole images as fit in
    ``_CHUNK_BYTES``, else rows of one image (at least one of each)."""
    image_bytes = max(oh * row_bytes, 1)
    if image_bytes <= _CHUNK_BYTES:
        return max(1, min(n, _CHUNK_BYTES // image_bytes)), oh
    return 1, max(1, _CHUNK_BYTES // max(row_bytes, 1))


def _column_chunks(x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding, dilation: Pair,
                   groups: int, out_size: Pair):
    """im2col, channels last, a few images (or output rows) at a time: yields (images,
    rows, cols), two slices and cols[g, (n, p, q), (i, j, c)] = xpad[images.start + n,
    g Cg + c, (rows.start + p) sh + i dh, q sw + j dw].

    Each row copies runs of contiguous channels. The chunks reuse one cache-sized buffer, so
    the product that reads a chunk finds it in cache: on (32, 64, 32, 32) a 3x3 convolution
    takes ~36 ms this way against ~46 ms with all 75 MB of columns at once. A large image is
    split by output rows, so the buffer stays that small (64x224x224: 258 -> 157 ms). The
    padded channels-last copy of x is made per chunk of images too (into a buffer whose
    border stays zero).
    """
    n, c, h, w = x.shape
    (top, bottom), (left, right) = padding
    oh, ow = out_size
    kh, kw = kernel
    cg = c // groups
    step, rows = _chunk_plan(n, oh, ow * kh * kw * c * x.itemsize)
    xp = scratch((step, h + top + bottom, w + left + right, c), x.dtype)
    if top or bottom or left or right:
        xp.fill(0)  # the border; each chunk overwrites the inside
    sn, sh, sw, sc = xp.strides
    # made once per call: as_strided costs ~40 us, a slice of its result almost nothing
    windows = as_strided(xp, (groups, step, oh, ow, kh, kw, cg),
                         (cg * sc, sn, sh * stride[0], sw * stride[1], sh * dilation[0],
                          sw * dilation[1], sc), writeable=False)
    buf = scratch((groups * step * rows * ow * kh * kw * cg,), x.dtype)
    for start in range(0, n, step):
        m = min(step, n - start)
        xp[:m, top:top + h, left:left + w] = x[start:start + m].transpose(0, 2, 3, 1)
        for p in range(0, oh, rows):
            r = min(rows, oh - p)
            shape = (groups, m, r, ow, kh, kw, cg)
            cols = buf[:math.prod(shape)].reshape(shape)  # a prefix: contiguous for any m, r
            np.copyto(cols, windows[:, :m, p:p + r])
            yield (slice(start, start + m), slice(p, p + r),
                   cols.reshape(groups, m * r * ow, kh * kw * cg))


# Up to this many channels per group, columns are pixels last: for the forward (3x3 on
# 64x16x14x14: 2.0 against 2.3 ms), and for the weight gradient, whose batch of small
# products is slower beyond 4 (64x4x28x28: 1.6 against 3.0 ms; 64x8x14x14: 1.6 against 1.4).
_FEW_CHANNELS = 16
_FEW_CHANNELS_WEIGHT = 4


def _pixel_column_chunks(x: np.ndarray, kernel: Pair, stride: Pair, padding: Padding,
                         dilation: Pair, out_size: Pair):
    """im2col, pixels last, for inputs with few channels per group: yields (images, rows,
    cols), two slices and cols[n, (c, i, j), (p, q)] = xpad[images.start + n, c,
    (rows.start + p) sh + i dh, q sw + j dw].

    Channels-last rows would copy runs of a few channels (one float for a grey image); here
    each row copies runs along the image width, and the products come out NCHW already. On
    cnn_step's first layer (64x1x28x28, 16 3x3 kernels) this takes ~0.4 ms against ~1.9 ms.
    """
    n, c, h, w = x.shape
    (top, bottom), (left, right) = padding
    oh, ow = out_size
    kh, kw = kernel
    step, rows = _chunk_plan(n, oh, ow * kh * kw * c * x.itemsize)
    padded = bool(top or bottom or left or right)
    src = x  # unpadded, the windows are read from x itself
    if padded:
        src = scratch((step, c, h + top + bottom, w + left + right), x.dtype)
        src.fill(0)
    sn, sc, sh, sw = src.strides
    windows = as_strided(src, (len(src), c, kh, kw, oh, ow),
                         (sn, sc, sh * dilation[0], sw * dilation[1], sh * stride[0],
                          sw * stride[1]), writeable=False)
    buf = scratch((step * c * kh * kw * rows * ow,), x.dtype)
    for start in range(0, n, step):
        m = min(step, n - start)
        if padded:
            src[:m, :, top:top + h, left:left + w] = x[start:start + m]
        images = windows[:m] if padded else windows[start:start + m]
        for p in range(0, oh, rows):
            r = min(rows, oh - p)
            shape = (m, c, kh, kw, r, ow)
            cols = buf[:math.prod(shape)].reshape(shape)
            np.copyto(cols, images[..., p:p + r, :])
            yield slice(start, start + m), slice(p, p + r), cols.reshape(m, c * kh * kw, r * ow)


def _col2im(cols: np.ndarray, size: tuple[int, int, int, int], kernel: Pair, stride: Pair,
            padding: Padding, dilation: Pair, out_size: Pair, groups: int) -> np.ndarray:
    """The adjoint of ``_column_chunks`` (all images at once): adds every column entry back
    where it was read from."""
    n, c, h, w = size
    (top, bottom), (left, right) = padding
    oh, ow = out_size
    cols = cols.reshape(groups, n, oh, ow, kernel[0], kernel[1], c // groups)
    xp = np.zeros((n, h + top + bottom, w + left + right, groups, c // groups), cols.dtype)
    for i in range(kernel[0]):
        r = i * dilation[0]
        rows = slice(r, r + stride[0] * (oh - 1) + 1, stride[0])
        for j in range(kernel[1]):
            s = j * dilation[1]
            block = cols[:, :, :, :, i, j].transpose(1, 2, 3, 0, 4)  # (N, oh, ow, G, Cg)
            xp[:, rows, s:s + stride[1] * (ow - 1) + 1:stride[1]] += block
    return xp.reshape(n, *xp.shape[1:3], c)[:, top:top + h, left:left + w].transpose(0, 3, 1, 2)


def _weight_rows(w: np.ndarray, groups: int) -> np.ndarray:
    """(O, Cg, kh, kw) -> (groups, kh*kw*Cg, O/groups), matching the columns' layout."""
    o, cg, kh, kw = w.shape
    w = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 3, 4, 2, 1)
    return w.reshape(groups, kh * kw * cg, o // groups)


def _grad_rows(g: np.ndarray, groups: int) -> np.ndarray:
    """(N, O, oh, ow) -> (groups, N*oh*ow, O/groups): free when g is channels last."""
    n, o, oh, ow = g.shape
    g = g.reshape(n, groups, o // groups, oh, ow).transpose(1, 0, 3, 4, 2)
    return g.reshape(groups, n * oh * ow, o // groups)


def _conv(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Padding, dilation: Pair,
          groups: int, bias: np.ndarray | None = None) -> np.ndarray:
    """conv(x, w) (+ bias) as an (N, O, oh, ow) array, one product per chunk of images.

    Each chunk's product (rows (n, p, q), channels last) is transposed into the NCHW result
    while it is still in cache, and the bias is added there too.
    """
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh = conv_out_size(h, kh, stride[0], padding[0], dilation[0])
    ow = conv_out_size(wd, kw, stride[1], padding[1], dilation[1])
    og = o // groups
    out = scratch((n, o, oh, ow), x.dtype)
    if w.shape[1] <= _FEW_CHANNELS:
        rows = w.reshape(groups, og, -1)  # (G, O/G, Cg*kh*kw) against (m, G, ., oh*ow)
        for images, rs, cols in _pixel_column_chunks(x, (kh, kw), stride, padding, dilation,
                                                     (oh, ow)):
            m = len(cols)
            part = out[images, :, rs].reshape(m, groups, og, -1)  # a view: rows are whole
            np.matmul(rows, cols.reshape(m, groups, -1, cols.shape[2]), out=part)
            if bias is not None:
                part += bias.reshape(groups, og, 1)
        return out
    rows = np.ascontiguousarray(_weight_rows(w, groups))  # read once per chunk
    for images, rs, cols in _column_chunks(x, (kh, kw), stride, padding, dilation, groups,
                                           (oh, ow)):
        prod = np.matmul(cols, rows)  # (G, m*r*ow, O/G)
        if bias is not None:
            prod += bias.reshape(groups, 1, og)
        block = out[images, :, rs]
        m, r = block.shape[0], block.shape[2]
        block.reshape(m, groups, og, r, ow)[...] = (
            prod.reshape(groups, m, r, ow, og).transpose(1, 0, 4, 2, 3))
    return out


def _conv_transpose(g: np.ndarray, w: np.ndarray, stride: Pair, padding: Padding,
                    dilation: Pair, groups: int, size: Pair) -> np.ndarray:
    """conv^T(g, w) of spatial size ``size``, as an (N, C, H, W) array."""
    n, _, oh, ow = g.shape
    o, cg, kh, kw = w.shape
    full = [(dilation[d] * (k - 1) - padding[d][0], size[d] - s + padding[d][0])
            for d, (k, s) in enumerate(((kh, oh), (kw, ow)))]
    if stride == (1, 1) and o <= 4 * cg * groups and min(min(p) for p in full) >= 0:
        # At stride 1 the adjoint is a full convolution with the kernel flipped and its
        # in/out channels swapped: an im2col of g instead of a col2im into x, cheaper when
        # g has up to 4x the channels of x (16 -> 32, 3x3 on 64x14x14: 4.3 -> 2.6 ms; at
        # 4 -> 64 the col2im is faster, 2.7 against 4.6 ms).
        flipped = w.reshape(groups, o // groups, cg, kh, kw).transpose(0, 2, 1, 3, 4)
        flipped = flipped[..., ::-1, ::-1].reshape(groups * cg, o // groups, kh, kw)
        return _conv(g, flipped, stride, tuple(full), dilation, groups)
    # Otherwise columns of g, added back into x a chunk of whole images at a time (a chunk's
    # columns stay in cache for the adds: 3x3 stride 2, 128 -> 64 on 32x16x16: 24.6 -> 20.8 ms).
    weight = np.ascontiguousarray(_weight_rows(w, groups).transpose(0, 2, 1))  # (G, O/G, K)
    out = scratch((n, cg * groups, *size), g.dtype)
    step, _ = _chunk_plan(n, oh, ow * weight.shape[2] * groups * g.itemsize)
    for start in range(0, n, step):
        m = min(step, n - start)
        cols = np.matmul(_grad_rows(g[start:start + m], groups), weight)
        out[start:start + m] = _col2im(cols, (m, cg * groups, *size), (kh, kw), stride,
                                       padding, dilation, (oh, ow), groups)
    return out


def _conv_weight(x: np.ndarray, g: np.ndarray, kernel: Pair, stride: Pair, padding: Padding,
                 dilation: Pair, groups: int) -> np.ndarray:
    """conv_w(x, g): the (O, Cg, kh, kw) weight gradient, summed over chunks of images.

    Recomputing x's columns chunk by chunk costs less than keeping them from the forward
    (75 MB per 3x3 convolution of (32, 64, 32, 32), written and read back through memory).
    """
    _, o, oh, ow = g.shape
    cg = x.shape[1] // groups
    if cg <= _FEW_CHANNELS_WEIGHT:
        out = np.zeros((groups, o // groups, cg * kernel[0] * kernel[1]), g.dtype)
        for images, rs, cols in _pixel_column_chunks(x, kernel, stride, padding, dilation,
                                                     (oh, ow)):
            m, pixels = len(cols), cols.shape[2]
            grad = g[images, :, rs].reshape(m, groups, o // groups, pixels)
            cols = cols.reshape(m, groups, -1, pixels).transpose(0, 1, 3, 2)
            out += np.matmul(grad, cols).sum(axis=0)  # (m, G, O/G, Cg*kh*kw), then over m
        return out.reshape(o, cg, *kernel)
    out = part = None
    for images, rs, cols in _column_chunks(x, kernel, stride, padding, dilation, groups,
                                           (oh, ow)):
        # (G, kh*kw*Cg, O/G): OpenBLAS is ~4x faster with the long axis N*oh*ow inside the
        # first operand's rows than with the product the other way round.
        grad = _grad_rows(g[images, :, rs], groups)
        if out is None:
            out = np.matmul(cols.transpose(0, 2, 1), grad)
            part = np.empty_like(out)
        else:
            out += np.matmul(cols.transpose(0, 2, 1), grad, out=part)
    if out is None:  # no images
        out = np.zeros((groups, kernel[0] * kernel[1] * cg, o // groups), g.dtype)
    out = out.reshape(groups, *kernel, cg, o // groups).transpose(0, 4, 3, 1, 2)
    return np.ascontiguousarray(out).reshape(o, cg, *kernel)


class Convolution(Function):
    """out = conv(x, w) + b: out[n, o] = b[o] + sum_{c,i,j} w[o, c, i, j] xpad[n, c, ., .]."""

    @staticmethod
    def forward(ctx, x, w, b, stride, padding, dilation, groups):
        ctx.save_for_backward(x, w)
        ctx.conf = (stride, padding, dilation, groups)
        # NCHW in memory too, as PyTorch (.view() works)
        return _conv(x.data, w.data, stride, padding, dilation, groups,
                     None if b is None else b.data)

    @staticmethod
    def backward(ctx, grad):
        x, w = ctx.saved_tensors
        conf = ctx.conf
        need = ctx.needs_input_grad
        grad_x = grad_w = grad_b = None
        if need[0]:
            grad_x = ConvTranspose.apply(grad, w, *conf, x.shape[2:])
        if need[1]:
            grad_w = ConvWeight.apply(x, grad, w.shape[2:], *conf)
        if need[2]:
            # the batch first: whole-plane adds, then one short reduction per channel
            # (64x32x14x14: 68 against 147 us for one pass over (0, 2, 3))
            grad_b = grad.sum(0).sum((1, 2))
        return grad_x, grad_w, grad_b, None, None, None, None

    @staticmethod
    def jvp(ctx, tangent_x, tangent_w, tangent_b, *_):
        x, w = ctx.primals[:2]  # bilinear in (x, w), plus b
        conf = ctx.conf
        terms = [] if tangent_x is None else [Convolution.apply(tangent_x, w, None, *conf)]
        if tangent_w is not None:
            terms.append(Convolution.apply(x, tangent_w, None, *conf))
        if tangent_b is not None:
            terms.append(tangent_b.reshape(-1, 1, 1))
        return add_terms(terms)


class ConvTranspose(Function):
    """z = conv^T(g, w), the adjoint of conv in its input: <z, x> = <g, conv(x, w)>.

    ``size`` is the spatial size of z, which the stride alone leaves ambiguous.
    """

    @staticmethod
    def forward(ctx, g, w, stride, padding, dilation, groups, size):
        ctx.save_for_backward(g, w)
        ctx.conf = (stride, padding, dilation, groups)
        return _conv_transpose(g.data, w.data, stride, padding, dilation, groups, tuple(size))

    @staticmethod
    def backward(ctx, grad):
        g, w = ctx.saved_tensors
        conf = ctx.conf
        need = ctx.needs_input_grad
        grad_g = grad_w = None
        if need[0]:
            grad_g = Convolution.apply(grad, w, None, *conf)
            if grad_g.shape != g.shape:  # output_padding >= stride (allowed below dilation)
                grad_g = grad_g[:, :, :g.shape[2], :g.shape[3]]
        if need[1]:
            grad_w = ConvWeight.apply(grad, g, w.shape[2:], *conf)
        return grad_g, grad_w, None, None, None, None, None

    jvp = multilinear_jvp


class ConvWeight(Function):
    """dw = conv_w(x, g), the adjoint of conv in its weight: <dw, v> = <g, conv(x, v)>."""

    @staticmethod
    def forward(ctx, x, g, kernel, stride, padding, dilation, groups):
        ctx.save_for_backward(x, g)
        ctx.conf = (stride, padding, dilation, groups)
        return _conv_weight(x.data, g.data, tuple(kernel), stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx, grad):
        x, g = ctx.saved_tensors
        conf = ctx.conf
        need = ctx.needs_input_grad
        grad_x = grad_g = None
        if need[0]:
            grad_x = ConvTranspose.apply(g, grad, *conf, x.shape[2:])
        if need[1]:
            grad_g = Convolution.apply(x, grad, None, *conf)
            if grad_g.shape != g.shape:
                grad_g = grad_g[:, :, :g.shape[2], :g.shape[3]]
        return grad_x, grad_g, None, None, None, None, None

    @staticmethod
    def jvp(ctx, tangent_x, tangent_g, *_):
        x, g, kernel = ctx.primals[:3]  # bilinear in (x, g)
        conf = ctx.conf
        terms = [] if tangent_x is None else [ConvWeight.apply(tangent_x, g, kernel, *conf)]
        if tangent_g is not None:
            terms.append(ConvWeight.apply(x, tangent_g, kernel, *conf))
        return add_terms(terms)


def convolution(input: Tensor, weight: Tensor, bias: Tensor | None, stride: Pair,
                padding: Padding, dilation: Pair, groups: int) -> Tensor:
    """conv2d on checked arguments (see chainrule.nn.functional.conv2d)."""
    return Convolution.apply(input, weight, bias, stride, padding, dilation, groups)


def conv_transpose(input: Tensor, weight: Tensor, stride: Pair, padding: Padding,
                   dilation: Pair, groups: int, size: Pair) -> Tensor:
    """The adjoint of ``convolution`` in its input, of spatial size ``size``."""
    return ConvTranspose.apply(input, weight, stride, padding, dilation, groups, size)


# -- gather and scatter-add over each (n, c) plane, for adaptive max pooling ------------------


def _flat_index(index: np.ndarray) -> np.ndarray:
    n, c = index.shape[:2]
    return index.reshape(n, c, math.prod(index.shape[2:]))  # explicit: n or c may be 0


class TakeFlat(Function):
    """out[n, c, ...] = x[n, c].flat[index[n, c, ...]] (index: int64, positions in H*W).

    ``values``: the result, when the caller found it along with the index.
    """

    @staticmethod
    def forward(ctx, x, index, unique, values=None):
        if values is None:
            n, c = x.data.shape[:2]
            plane = x.data.reshape(n, c, math.prod(x.data.shape[2:]))
            flat = np.take_along_axis(plane, _flat_index(index), axis=2)
            values = flat.reshape(index.shape)
        ctx.size = x.data.shape
        ctx.index, ctx.unique = index, unique
        return values

    @staticmethod
    def backward(ctx, grad):
        return PutFlat.apply(grad, ctx.index, ctx.size, ctx.unique), None, None, None

    @staticmethod
    def jvp(ctx, tangent, *_):
        return TakeFlat.apply(tangent, ctx.index, ctx.unique)  # linear; values belong to x


class PutFlat(Function):
    """out = zeros(size); out[n, c].flat[index[n, c, ...]] += g[n, c, ...] (repeats add up).

    ``unique`` promises that no (n, c) plane repeats a position, so a plain write suffices.
    """

    @staticmethod
    def forward(ctx, g, index, size, unique):
        n, c = size[:2]
        flat = _flat_index(index)
        values = g.data.reshape(flat.shape)
        if unique:
            out = np.zeros((n, c, int(np.prod(size[2:]))), dtype=g.data.dtype)
            np.put_along_axis(out, flat, values, axis=2)
        else:
            plane = int(np.prod(size[2:]))
            offsets = (np.arange(n * c) * plane).reshape(n, c, 1)
            sums = np.bincount((flat + offsets).ravel(), weights=values.ravel(),
                               minlength=n * c * plane)
            out = sums.astype(g.data.dtype, copy=False)
        ctx.index, ctx.unique = index, unique
        return out.reshape(size)

    @staticmethod
    def backward(ctx, grad):
        return TakeFlat.apply(grad, ctx.index, ctx.unique), None, None, None

    jvp = linear_jvp


def take_flat(input: Tensor, index: np.ndarray, unique: bool,
              values: np.ndarray | None = None) -> Tensor:
    """``input[n, c].flat[index[n, c]]`` for every (n, c); see :class:`TakeFlat`."""
    return TakeFlat.apply(input, index, unique, values)
