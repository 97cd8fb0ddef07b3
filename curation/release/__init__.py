"""Stage 6, release: the files users read (CSV, Parquet, Croissant, statistics, report, MANIFEST).

Takes the records, curated labels and splits; gives the release in the BIOSCAN-5M column
contract with derived fields (chunk, image path) and its descriptions.
Guarantees: same inputs and settings give the same bytes, and a MANIFEST that checksums every file.
"""
