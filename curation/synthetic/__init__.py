"""The generator: a realistic raw BOLD export and the labels a correct curation gives it.

The pipeline's default input, its benchmark data and the oracle of the curation tests
(:mod:`curation.synthetic.generate`).  No stage imports it (.importlinter).
Run it with ``python -m curation.synthetic --records N --seed S --out export.tsv``.
"""
