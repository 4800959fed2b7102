"""Neural-network building blocks: Module, Parameter, layers, losses, init and functional."""

from . import functional, init, modules, utils
from .modules import *  # noqa: F403
from .parameter import Parameter

__all__ = ["Parameter", "functional", "init", "modules", "utils", *modules.__all__]
