"""Neural-network building blocks: Module, Parameter, layers, losses, init and functional."""

from . import modules
from .modules import *  # noqa: F403
from .parameter import Parameter

__all__ = ["Parameter", "modules", *modules.__all__]
