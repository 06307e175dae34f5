"""An offline OpenF1: the snapshot format, a season simulator, a replay server and a recorder.

The four parts talk through snapshot folders on disk and HTTP, never through each other's internals:
``snapshot`` is the one module they share.
"""
