"""``python -m mockpartners`` is the ``mockpartners`` command."""

import sys

from .cli import main

sys.exit(main())
