"""``python -m abm`` runs the command line."""
import sys

from abm.cli import main

sys.exit(main())
