"""Seeded random streams: one independent generator per (seed, topic, ...).

Every draw in the simulator comes from a stream named after what it is for (``stream(seed, "race", 3,
"Race")``), never from global state or the clock. Streams are independent, so adding a draw in one place
never shifts the numbers drawn anywhere else, and the same arguments always give the same season.
"""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, *keys: object) -> np.random.Generator:
    """A numpy Generator determined by ``seed`` and the ``keys`` naming its purpose."""
    entropy = [seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF]
    entropy += [zlib.crc32(str(key).encode("utf-8")) for key in keys]
    return np.random.default_rng(np.random.SeedSequence(entropy))
