"""Stages 2-4, labels: the taxonomic labels of the records, cleaned per barcode and then across
barcodes (docs/curation.md#order).

Takes the ingested labels; gives curated labels (spelt one way, genus and species agreeing,
voted, inferred, homonym lineages curtailed, subfamilies completed), the taxon,
``inferred_ranks`` and a changes table naming the rule of every change.  Guarantees: one label
path per barcode, no genus or species under two lineages, genus -> subfamily a function, and
every changed label recorded with its rule.
"""
