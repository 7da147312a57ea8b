import sys

from voelgoed.cli import main

sys.exit(main())
