"""initstudy: weight initialization as a hyperparameter, studied over many seeds."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
