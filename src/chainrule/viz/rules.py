"""The local derivative each node applies, in words, for the replay page.

``grad`` is the gradient flowing into the node (with respect to its output ``out``); the rule
says what it sends to each input. Broadcasting is left out: the engine sums every gradient
back to its input's shape. Nodes not listed get the first line of their Function's docstring;
the replay page also shows each node's ``backward`` source, which is the rule itself.
"""

from __future__ import annotations

import inspect
import textwrap

__all__ = ["rule_for", "backward_source"]

RULES = {
    "AddBackward0": "grad_x = grad, grad_y = grad",
    "SubBackward0": "grad_x = grad, grad_y = -grad",
    "MulBackward0": "grad_x = grad * y, grad_y = grad * x",
    "DivBackward0": "grad_x = grad / y, grad_y = -grad * x / y²",
    "NegBackward0": "grad_x = -grad",
    "PowBackward0": "grad_x = grad * y * x^(y-1), grad_y = grad * out * log x",
    "PowScalarBackward0": "grad_x = grad * c * x^(c-1)",
    "CastBackward0": "grad_x = grad converted back to x's dtype",
    "ExpBackward0": "grad_x = grad * out  (d e^x = e^x)",
    "LogBackward0": "grad_x = grad / x",
    "Log1pBackward0": "grad_x = grad / (1 + x)",
    "Expm1Backward0": "grad_x = grad * (out + 1)",
    "SqrtBackward0": "grad_x = grad / (2 * out)",
    "AbsBackward0": "grad_x = grad * sign(x)",
    "SinBackward0": "grad_x = grad * cos(x)",
    "CosBackward0": "grad_x = -grad * sin(x)",
    "TanBackward0": "grad_x = grad * (1 + out²)",
    "TanhBackward0": "grad_x = grad * (1 - out²)",
    "ErfBackward0": "grad_x = grad * 2/√π * e^(-x²)",
    "SigmoidBackward0": "grad_x = grad * out * (1 - out)",
    "ReluBackward0": "grad_x = grad where out > 0, else 0",
    "SoftmaxBackward0": "grad_x = out * (grad - Σ grad * out)  (sum along dim)",
    "LogSoftmaxBackward0": "grad_x = grad - e^out * Σ grad  (sum along dim)",
    "ClampBackward0": "grad_x = grad where lo <= x <= hi, else 0",
    "SumBackward0": "grad_x = grad expanded to x's shape  (d sum / dx_i = 1)",
    "ProdBackward0": "grad_x = grad * out / x",
    "AmaxBackward0": "grad_x = grad at the maxima (ties share it evenly), else 0",
    "AminBackward0": "grad_x = grad at the minima (ties share it evenly), else 0",
    "CumsumBackward0": "grad_x = reversed cumulative sum of grad",
    "MatMulBackward0": "grad_x = grad @ yᵀ, grad_y = xᵀ @ grad",
    "ReshapeBackward0": "grad_x = grad reshaped to x's shape",
    "PermuteBackward0": "grad_x = grad with the inverse permutation",
    "ExpandBackward0": "grad_x = grad summed over the broadcast dims",
    "FlipBackward0": "grad_x = grad flipped back",
    "CatBackward0": "grad_xs = the slices of grad, one per input",
    "SplitBackward0": "grad_x = the piece gradients joined back together",
    "CloneBackward0": "grad_x = grad",
    "IndexBackward0": "grad_x = zeros with grad added at the indexed positions",
    "IndexPutBackward0": "grad_x = grad with the written positions zeroed, grad_values = "
                         "grad at those positions",
    "WhereBackward0": "grad_x = grad where condition, grad_y = grad elsewhere",
    "MaximumBackward0": "grad goes to the larger input (split in half on ties)",
    "MinimumBackward0": "grad goes to the smaller input (split in half on ties)",
    "torch::autograd::AccumulateGrad": "leaf.grad += grad  (the leaf's .grad accumulates)",
}


def rule_for(node) -> str:
    """``MulBackward0: grad_x = grad * y, grad_y = grad * x``; a docstring line if not listed.

    Example:
        >>> import chainrule.viz
        >>> x = chainrule.tensor([1.0], requires_grad=True)
        >>> rule_for((x * x).grad_fn)
        'MulBackward0: grad_x = grad * y, grad_y = grad * x'
    """
    name = node.name()
    if name in RULES:
        return f"{name}: {RULES[name]}"
    fn = getattr(node, "_fn", None)
    doc = inspect.getdoc(fn) if fn is not None else None
    first = doc.splitlines()[0] if doc else "its backward rule"
    return f"{name}: the derivative of {first}"


def backward_source(node) -> str | None:
    """The source code of the node's ``backward`` (None when Python cannot find it)."""
    fn = getattr(node, "_fn", None)
    if fn is None:
        return None
    try:
        return textwrap.dedent(inspect.getsource(fn.backward))
    except (OSError, TypeError):
        return None
