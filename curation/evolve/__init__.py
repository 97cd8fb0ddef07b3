"""Release evolution: read published releases back, compare two of them, keep splits stable.

Takes a release of this pipeline (its directory or metadata file) or any BIOSCAN-5M metadata CSV;
gives canonical frames of its records and the differences between two releases.
Guarantees: a release compared with itself shows no difference.
"""
