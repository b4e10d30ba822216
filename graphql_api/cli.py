"""The `graphql-api` command: serve | emulator | schema."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _version() -> str:
    """The installed distribution's version (pyproject.toml's, through the package metadata)."""
    from . import __version__

    return __version__


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphql-api",
        description="GraphQL façade over the Partner Center customers API.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the GraphQL service")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (0.0.0.0: all)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--upstream", default=None,
                       help="Partner Center base URL (default: PARTNER_CENTER_URL; neither: "
                            "the embedded emulator)")
    serve.add_argument("--workers", type=int, default=1,
                       help="worker processes (uvicorn factory mode when more than 1)")

    emulator = commands.add_parser("emulator", help="run the Partner Center emulator")
    emulator.add_argument("--host", default="127.0.0.1")
    emulator.add_argument("--port", type=int, default=8081)
    emulator.add_argument("--customers", type=int, default=2000)
    emulator.add_argument("--seed", type=int, default=1)
    emulator.add_argument("--latency-ms", type=float, default=0.0)
    from graphql_api.emulator.serve import add_arguments as add_emulator_arguments

    add_emulator_arguments(emulator)

    schema = commands.add_parser("schema", help="print the GraphQL SDL")
    schema.add_argument(
        "--client", action="store_true",
        help="the schema for client tools (codegen, relay-compiler): no federation directives, "
             "no _service/_entities",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = _parser().parse_args(argv)
    if args.command == "serve":
        from graphql_api.web.serving import main as serve_main

        return serve_main(args)
    if args.command == "emulator":
        from graphql_api.emulator.serve import main as emulator_main

        return emulator_main(args)
    if args.command == "schema":
        from graphql_api.config import Settings
        from graphql_api.schema import create_schema, print_sdl
        from graphql_api.schema.client_sdl import print_client_sdl

        # Defaults, not the environment: the SDL is the same whatever the deployment, and
        # schema.graphql must match it on every machine.
        printer = print_client_sdl if args.client else print_sdl
        sys.stdout.write(printer(create_schema(Settings())))
        return 0
    print(f"graphql-api {args.command}: not built yet", file=sys.stderr)
    return 2
