"""Stage 5, partition: species sets and the eight splits of the original BIOSCAN-5M partitioner.

Takes the curated labels; gives each record's split, species set and placeholder flag.
Guarantees: no barcode key in two splits, and every invariant of docs/curation.md#invariants
(the build fails when one breaks).
"""
