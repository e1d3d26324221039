"""mlp-tui's engine: a from-scratch NumPy multi-layer perceptron whose every value can be inspected.

Pure NumPy; never imports textual or rich.
"""
from .errors import CheckpointError, DatasetError, EngineError
from .network import Layer, Network

__all__ = ["Network", "Layer", "EngineError", "DatasetError", "CheckpointError"]
from .gradcheck import GradcheckResult, gradcheck
from .trace import Trace, TraceStep
from .trainer import Trainer

__all__ += ["gradcheck", "GradcheckResult", "Trace", "TraceStep", "Trainer"]
