"""`python -m arbees_engine` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
