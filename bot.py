"""The entry point for a checkout: ``python bot.py [run|chat|check|campaign]``, the same as the
``parley`` command an installed package provides (see parley/cli.py)."""

import sys

from parley.cli import main

if __name__ == "__main__":
    sys.exit(main())
