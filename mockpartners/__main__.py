"""``python -m mockpartners`` is the ``mockpartners`` command."""

import sys

from .app.cli import main

sys.exit(main())
