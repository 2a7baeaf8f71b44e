"""``python -m planpilot_providers_core.cli``: the ``planpilot-providers`` command."""

import sys

from planpilot_providers_core.cli import main

sys.exit(main())
