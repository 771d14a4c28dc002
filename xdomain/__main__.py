import sys

from xdomain.cli import main

sys.exit(main())
