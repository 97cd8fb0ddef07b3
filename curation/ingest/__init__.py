"""Stage 1, ingest: raw BOLD exports (v4 TSV, BCDM TSV, BIOSCAN-5M/1M metadata) in, one table out.

Takes export files in any supported layout; gives one record per released processid with a
barcode key, its labels, the rejected rows with a reason each, and non-fatal issues.
Guarantees: every input row is released or rejected (rows read = released + rejected).
"""
