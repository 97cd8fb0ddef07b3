"""``python -m curation.evolve OLD NEW --out DIR``: the diff of two releases (compare.py)."""

import sys

from curation.evolve.compare import main

sys.exit(main())
