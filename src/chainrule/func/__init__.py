"""Function transforms, as ``torch.func``: grad, vjp, jvp, jacrev, jacfwd, hessian, vmap.

Each transform takes a function of Tensors and returns a new function; they compose
(``grad(grad(f))``, ``jacrev(jacrev(f))``, ``vmap(grad(f))``).
"""

from . import functional_call as _functional_call
from . import transforms as _transforms
from . import vmap as _vmap
from .functional_call import *  # noqa: F403
from .transforms import *  # noqa: F403
from .vmap import *  # noqa: F403

__all__ = [*_transforms.__all__, *_functional_call.__all__, *_vmap.__all__]
