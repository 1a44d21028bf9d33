"""The exceptions edgeformer raises: one class per status code of the runtime, each carrying its message."""


class EdgeformerError(Exception):
    """Every edgeformer failure."""


class InvalidArgumentError(EdgeformerError, ValueError):
    """A wrong argument: a bad dtype or shape, a closed model, a thread count out of range."""


class InvalidModelError(EdgeformerError):
    """The file is not a valid .eft model (it says what is wrong with it)."""


class ModelIOError(EdgeformerError, OSError):
    """The file cannot be read."""


class OutOfRangeError(EdgeformerError, IndexError):
    """A token id outside the vocabulary, or more tokens than the context holds."""


class OutOfMemoryError(EdgeformerError, MemoryError):
    """The arena the model needs cannot be allocated (or is over the cap)."""


class UnsupportedError(EdgeformerError):
    """The model cannot do this (e.g. generate with an encoder, embed without a sentence head)."""


class InternalError(EdgeformerError):
    """A bug in edgeformer."""


class ConversionError(EdgeformerError):
    """A checkpoint edgeformer-convert cannot convert (the message names the file and the key)."""
