"""(placeholder: filled by the layer work of the training issue)"""

from __future__ import annotations

__all__: list[str] = []
