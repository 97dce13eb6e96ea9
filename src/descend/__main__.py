"""``python -m descend``: the command line (see :mod:`descend.cli`)."""

import sys

from descend.cli import main

sys.exit(main())
