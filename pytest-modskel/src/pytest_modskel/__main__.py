"""``python -m pytest_modskel`` runs the ``modskel`` command line."""

from __future__ import annotations

import sys

from pytest_modskel.commands import main

sys.exit(main())
