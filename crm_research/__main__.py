"""``python -m crm_research`` runs the command line (see :mod:`crm_research.runner.cli`)."""

from crm_research.runner.cli import main

raise SystemExit(main())
