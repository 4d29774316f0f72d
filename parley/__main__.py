"""``python -m parley``: the same as the ``parley`` command."""

import sys

from parley.cli import main

# Guarded: tools that import every module of the package (the API reference's inspection) must
# not start the CLI.
if __name__ == "__main__":
    sys.exit(main())
