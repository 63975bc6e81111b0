"""`python -m exstrat_app <command>`."""

import sys

from exstrat_app.runtime.cli import main

sys.exit(main(sys.argv[1:]))
