"""The `capplan` command: one entry point, each subcommand implemented in its own room.

Each subcommand module exposes ``add_arguments(parser)`` and ``run(args) -> int``; modules are
imported only when their subcommand runs, so `capplan --help` never imports torch.
"""
from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("capplan.launcher", "run Redis (embedded if none answers), a worker and the API"),
    "train": ("experiments.train_cli", "train the forecasting model and write its artifacts"),
    "backtest": ("experiments.backtest_cli", "rolling-origin backtest of the model and baselines on a CSV"),
    "forecast": ("capplan.client", "ask a running service for a forecast"),
    "plan": ("capplan.client", "ask a running service for capacity recommendations"),
    "analyze": ("capplan.client", "submit a 168-hour analysis job and wait for it"),
    "batch": ("capplan.client", "submit a CSV of plans as a batch job and wait for it"),
    "schedule": ("capplan.schedule_command", "print a job's scaling schedule as KEDA, CronHPA, AWS or CSV"),
    "keys": ("capplan.keys_command", "make an API key and the lines that list it in CAPPLAN_CONFIG"),
}


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser; a command may set ``usage_error_status`` (the client keeps 2 for failed plans)."""

    usage_error_status = 2

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(self.usage_error_status, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="capplan", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in COMMANDS:
        parser = build_parser()
        if argv and argv[0] not in ("-h", "--help"):
            parser.error(f"unknown command {argv[0]!r}")
        parser.print_help()
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    module = importlib.import_module(COMMANDS[name][0])
    sub = CommandParser(prog=f"capplan {name}", description=COMMANDS[name][1])
    module.add_arguments(sub, name) if _takes_name(module) else module.add_arguments(sub)
    try:
        args = sub.parse_args(rest)
    except SystemExit as e:                    # --help or a usage error: its status, returned like run()'s
        return e.code if isinstance(e.code, int) else 1
    args.command = name
    return int(module.run(args) or 0)


def _takes_name(module) -> bool:
    """Client commands share one module; it receives the subcommand name."""
    return getattr(module, "MULTI_COMMAND", False)


if __name__ == "__main__":
    sys.exit(main())
