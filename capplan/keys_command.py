"""`capplan keys create NAME --tenant T`: a new API key, printed once, and the TOML lines that list its hash."""
from __future__ import annotations

import argparse
import re
import sys

from capplan.keys import NAME, TENANT, new_key, toml_entry

RATE = re.compile(r"^[0-9A-Za-z /;,]+$")    # "60/minute", "10 per second; 600/hour": checked fully by the API


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("The key is shown only now: the API keeps its SHA-256, so a lost key is replaced, "
                     "not recovered. Add the printed lines to the TOML file named by CAPPLAN_CONFIG and "
                     "restart the API.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="make a new key and print it with its TOML lines")
    create.add_argument("name", metavar="NAME", type=_matching(NAME, "1-64 of A-Z a-z 0-9 _ -"),
                        help="the key's name (who or what holds it: ci-nightly, alice)")
    create.add_argument("--tenant", required=True, type=_matching(TENANT, "1-64 of A-Z a-z 0-9 . _ -, from a letter"),
                        help="the tenant whose jobs the key sees and makes")
    create.add_argument("--rate-limit", type=_matching(RATE, "like 60/minute"),
                        help="submissions for this key, e.g. 60/minute (default: the service's RATE_LIMIT)")
    create.add_argument("--max-jobs", type=int, help="the tenant's queued and running jobs when this key "
                                                     "submits (default: MAX_JOBS_PER_TENANT)")


def _matching(pattern: re.Pattern, what: str):
    def check(text: str) -> str:
        if not pattern.match(text):
            raise argparse.ArgumentTypeError(f"{text!r}: must be {what}")
        return text
    return check


def run(args: argparse.Namespace) -> int:
    if args.max_jobs is not None and args.max_jobs < 0:
        print("capplan keys: --max-jobs must be >= 0 (0: no cap)", file=sys.stderr)
        return 1
    key = new_key()
    print(f"API key {args.name} for tenant {args.tenant}; it is shown only now, so keep it in a secret store:")
    print(f"\n    {key}\n")
    print("Add these lines to the TOML file named by CAPPLAN_CONFIG, then restart the API:\n")
    print("\n".join(toml_entry(args.name, args.tenant, key, args.rate_limit, args.max_jobs)))
    print("\nClients send it as 'Authorization: Bearer KEY' (the CLI: --api-key or CAPPLAN_API_KEY).")
    return 0
