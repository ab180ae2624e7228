"""`python -m newsdesk ...` is the `newsdesk` command."""
import sys

from newsdesk.ui.cli import main

sys.exit(main())
