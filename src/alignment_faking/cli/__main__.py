"""`python -m alignment_faking.cli`."""

import sys

from alignment_faking.cli import main

sys.exit(main())
