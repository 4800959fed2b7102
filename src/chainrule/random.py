"""Random numbers (being written)."""

__all__: list[str] = []
