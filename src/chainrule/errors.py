"""The two exception types chainrule adds. Both subclass the built-in errors PyTorch users catch."""


class ShapeError(ValueError, RuntimeError):
    """Shapes that do not fit the operation (caught by ``except ValueError`` or ``RuntimeError``)."""


class DTypeError(TypeError, RuntimeError):
    """A dtype the operation cannot take (caught by ``except TypeError`` or ``RuntimeError``)."""
