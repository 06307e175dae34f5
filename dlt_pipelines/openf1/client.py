"""The loader's OpenF1 client is ``openf1_api.OpenF1Client``, the one client the recorder uses too (its policy
is ``openf1_api.client``'s docstring). This module only keeps the old import path for ``origin`` and ``scope``."""

from openf1_api.client import DEFAULT_BASE_URL, OpenF1Client, OpenF1Error, SessionInProgressError

__all__ = ["DEFAULT_BASE_URL", "OpenF1Client", "OpenF1Error", "SessionInProgressError"]
