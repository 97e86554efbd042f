"""`python -m bot` is the same as the `twinbridge` console script."""

from bot.cli import main

raise SystemExit(main())
