"""Stages 2-4, labels: the taxonomic labels of the records, cleaned per barcode (docs/curation.md).

Takes the ingested labels; gives curated labels (normalised, voted, inferred, subfamilies
completed), the taxon, ``inferred_ranks`` and a changes table naming the rule of every change.
Guarantees: one label path per barcode, and every changed label recorded with its rule.
"""
