"""Pure polars stages of the BIOSCAN-style curation pipeline.

Every stage module exposes functions from polars frames to polars frames; files are read and
written only by :mod:`curation.io` and the thin rule scripts in ``workflow/scripts``.
"""
