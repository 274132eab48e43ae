"""Named, configurable weight-initialization schemes, their gains and the registry.

Names and defaults follow Keras 3 (``he_normal``, ``glorot_uniform``, ...); kernels are
``(fan_in, fan_out)`` and randomness is passed in as a :class:`numpy.random.Generator`.
"""

from ._base import Initializer, compute_fans
from ._constant import Constant, Identity, Ones, Zeros
from ._gain import gain
from ._hadamard import HadamardIdentity
from ._library_defaults import SklearnDefault, TorchDefault
from ._lsuv import LSUV
from ._orthogonal import Orthogonal
from ._random import RandomNormal, RandomUniform, TruncatedNormal
from ._registry import available, get, serialize
from ._sparse import Sparse
from ._variance_scaling import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
)

__all__ = [
    "LSUV",
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HadamardIdentity",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "SklearnDefault",
    "Sparse",
    "TorchDefault",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "available",
    "compute_fans",
    "gain",
    "get",
    "serialize",
]
