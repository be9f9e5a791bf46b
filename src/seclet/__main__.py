"""``python -m seclet``: the same as the ``seclet`` command."""

from seclet.cli.main import main

raise SystemExit(main())
