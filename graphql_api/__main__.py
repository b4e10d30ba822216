"""Allow `python -m graphql_api`."""

from graphql_api.cli import main

raise SystemExit(main())
