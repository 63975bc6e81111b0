"""``python -m simexchange`` runs the simulated exchange (same options as
``python -m exstrat_app sim-exchange``)."""

import sys

from .cli import main

sys.exit(main(sys.argv[1:]))
