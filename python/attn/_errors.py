"""Exceptions of the attn package."""


class CompileError(ValueError):
    """The compiler rejected the program: the message carries its diagnostics
    (with locations). A ValueError, since it always comes from what the
    caller asked for: an unsupported form, a malformed op, bad MLIR."""
