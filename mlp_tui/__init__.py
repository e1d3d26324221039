"""mlp-tui: a terminal dashboard for training small neural networks and seeing backpropagation."""
__version__ = "0.1.0"
