"""``python -m curation.synthetic``: write a generated export (see curation.synthetic.generate)."""

import sys

from curation.synthetic.generate import main

sys.exit(main())
