"""Utilities, as in ``torch.utils``: ``data`` (datasets, samplers, DataLoader) and
``checkpoint`` (activation checkpointing)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
