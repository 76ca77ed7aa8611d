"""`python -m performer` is the `performer` command."""

import sys

from performer.app.cli import main

sys.exit(main())
