"""The record-transform Lambda: its options, the Firehose processor that calls it, its bundling and its construct.

Modules: ``options`` (:class:`TransformOptions`), ``processor`` (:class:`ProcessorOptions`,
:func:`lambda_processor`), ``bundling`` (the Docker-free local bundler of the ``firehose_transform`` runtime),
``function`` (:class:`TransformFunction`).
"""

from .bundling import ENTRY_MODULE, RUNTIME_PACKAGE, BundlingError, PipLocalBundling
from .function import TransformFunction
from .options import DEFAULT_HANDLER, TransformOptions
from .processor import ProcessorOptions, lambda_processor

__all__ = [
    "DEFAULT_HANDLER",
    "ENTRY_MODULE",
    "RUNTIME_PACKAGE",
    "BundlingError",
    "PipLocalBundling",
    "ProcessorOptions",
    "TransformFunction",
    "TransformOptions",
    "lambda_processor",
]
