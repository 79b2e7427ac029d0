"""The bundle's ``passkiosk`` executable: the same command as the wheel's console script."""

import sys

from kiosk.cli import main

sys.exit(main())
