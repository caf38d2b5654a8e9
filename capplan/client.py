"""`capplan forecast | plan | analyze | batch`: ask a running service; a summary for people, --json for scripts."""
from __future__ import annotations

import argparse
import json
import os
import sys

from capplan.batch_command import run_batch
from capplan.history_file import read_history
from capplan.hours import UTC, HourError, api_text, parse_hour, parse_zone
from capplan.local_input import LocalInputError
from capplan.plan_fields import FLAG_OF_FIELD, OPTION_NAMES, parse_option
from capplan.service_client import ClientError, ServiceClient
from capplan.summary import summary_lines

MULTI_COMMAND = True
EXIT_OK, EXIT_ERROR = 0, 1              # and 2 from batch: some plans failed
SOURCE_FLAGS = {"prometheus": "--prometheus", "query": "--query", "lookback_hours": "--lookback-hours"}
PATHS = {"forecast": "/api/forecast", "plan": "/api/capacity/recommendations", "analyze": "/api/capacity/analyze"}
BARE_NUMBERS = ("{path} holds bare numbers, so the hour of its last value is unknown: give it with "
                "--last-hour YYYY-MM-DDTHH (in --tz, default UTC), or use a file with times (CSV with a "
                "timestamp column, or JSON points). The forecast starts the hour after it, so a guessed "
                "hour would shift the peak hours and the scaling schedule by as much as the guess is off.")


def epilog(name: str) -> str:
    text = """exit status:
  0  done{every}
  1  an error: the service refused the request or failed the job (its message and the field names
     go to stderr), could not be reached, or a flag, an --option or a file was refused before
     anything was sent
"""
    if name == "batch":
        text += "  2  the batch ran and some plans failed; each is listed with its line in PLANS_CSV\n"
    return text.format(every=", and every plan succeeded" if name == "batch" else "") + """
times: --last-hour and times without an offset in files are read in --tz (default UTC); the API
is sent UTC; the summary shows times in --tz."""


def add_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.epilog = epilog(name)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.usage_error_status = EXIT_ERROR     # 2 means "some plans failed"; a usage error is an error
    add_service_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the API's JSON body instead of the summary")
    parser.add_argument("--tz", type=_zone, default=UTC, metavar="ZONE",
                        help="IANA time zone of the times you give and of the times shown (default UTC)")
    parser.add_argument("--notify", action="append", default=[], metavar="TARGET",
                        help="a webhook or Alertmanager named in the service's CAPPLAN_CONFIG, told when the job "
                             "ends (a signed event; an alert when a breach is predicted); repeat for several")
    if name == "batch":
        parser.add_argument("plans_csv", metavar="PLANS_CSV",
                            help="CSV with a header naming the API's fields: id, current_capacity, current_load, "
                                 "hours_ahead, timestamp, scaling_threshold, unit_capacity, ... (one plan per row)")
        parser.add_argument("--out", metavar="FILE", help="write the per-plan results CSV here, with each plan's "
                                                          "line in PLANS_CSV ('-': stdout, the summary to stderr)")
        return
    parser.add_argument("--hours", type=int, default=168 if name == "analyze" else 24, help="hours ahead")
    parser.add_argument("--current-load", type=float, help="load at --last-hour (needed without --history)")
    parser.add_argument("--last-hour", "--timestamp", dest="last_hour", metavar="YYYY-MM-DDTHH",
                        help="the hour of the last observed load, in --tz; required with a --history of bare "
                             "numbers (default with only --current-load: this hour)")
    parser.add_argument("--history", metavar="FILE",
                        help="hourly loads: one number per line, CSV with a time column (timestamp,load), "
                             "or JSON (a list of loads or of {timestamp, load} points)")
    parser.add_argument("--prometheus", metavar="TARGET",
                        help="instead of --history: the service's workers fetch it from this Prometheus, named "
                             "in the service's CAPPLAN_CONFIG, with --query (hourly, ending at --last-hour)")
    parser.add_argument("--query", metavar="PROMQL", help="with --prometheus: a query that returns one series")
    parser.add_argument("--lookback-hours", type=int, metavar="N",
                        help="with --prometheus: hours of history to fetch (default 672, four weeks)")
    if name in ("plan", "analyze"):
        parser.add_argument("--capacity", type=float, required=True, help="current capacity")
        parser.add_argument("--threshold", type=float, default=0.8, help="scaling threshold (0, 1]")
        parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                            help="another planning option, e.g. --option unit_capacity=500")


def add_service_arguments(parser: argparse.ArgumentParser) -> None:
    """--url, --api-key and --timeout: how every command that asks the service reaches it."""
    parser.add_argument("--url", default=os.environ.get("CAPPLAN_URL", f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"),
                        help="service base URL (default: CAPPLAN_URL or http://127.0.0.1:$PORT)")
    parser.add_argument("--api-key", default=os.environ.get("CAPPLAN_API_KEY"), metavar="KEY",
                        help="the service's API key, where it asks for one (default: CAPPLAN_API_KEY, "
                             "which other users of this machine cannot read in its process list)")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for a job")


def _zone(name: str):
    try:
        return parse_zone(name)
    except HourError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def open_service(args: argparse.Namespace) -> ServiceClient:
    return ServiceClient(args.url, args.timeout, args.api_key)


def run(args: argparse.Namespace) -> int:
    try:
        if args.command == "batch":
            if args.json and args.out == "-":
                raise LocalInputError("--json and --out - would both write to stdout; give --out a file")
            return run_batch(open_service(args), args, args.tz)
        body = request_body(args)
        service = open_service(args)
        status, answer = service.request("POST", PATHS[args.command], body, headers={"Prefer": "respond-async"}
                                         if args.command == "analyze" else None)
        if status == 202:
            answer = service.wait_for(answer["job_id"])["result"]
        if args.json:
            json.dump(answer, sys.stdout, indent=2)
            sys.stdout.write("\n")
        else:
            print("\n".join(summary_lines(args.command, answer, args.tz, getattr(args, "threshold", None))))
        return EXIT_OK
    except LocalInputError as e:
        print(f"capplan {args.command}: {e}", file=sys.stderr)
    except ClientError as e:
        print(f"capplan {args.command}: {e.message}", file=sys.stderr)
        for field, reason in e.fields.items():
            print(f"  {field}{_flag(field)}: {reason}", file=sys.stderr)
    return EXIT_ERROR


def request_body(args: argparse.Namespace) -> dict:
    """The JSON body for forecast, plan or analyze; every local problem raises LocalInputError first."""
    body: dict = {"hours_ahead": args.hours}
    if args.current_load is not None:
        body["current_load"] = args.current_load
    last_hour = _last_hour(args)
    if args.history:
        history = read_history(args.history, args.tz)
        body["history"] = history.history
        if history.last_hour is None and last_hour is None:
            raise LocalInputError(BARE_NUMBERS.format(path=args.history))
        if history.last_hour is not None and last_hour not in (None, history.last_hour):
            raise LocalInputError(f"--last-hour {args.last_hour} is not the hour of the last point of "
                                  f"{args.history} ({api_text(history.last_hour)} UTC); leave --last-hour out")
    source = _source(args)
    if source is not None:
        body["source"] = source
    elif not args.history and args.current_load is None:
        raise LocalInputError("give --history FILE, --prometheus TARGET with --query PROMQL, or --current-load "
                              "(the load at --last-hour, default this hour)")
    if last_hour is not None:
        body["timestamp"] = api_text(last_hour)
    if args.command in ("plan", "analyze"):
        body.update(current_capacity=args.capacity, scaling_threshold=args.threshold)
        body.update(parse_option(option) for option in args.option)
    if args.notify:
        body["notify"] = args.notify
    return body


def _source(args: argparse.Namespace) -> dict | None:
    """The ``source`` that --prometheus, --query and --lookback-hours give; None without them."""
    if args.prometheus is None and args.query is None:
        if args.lookback_hours is not None:
            raise LocalInputError("--lookback-hours goes with --prometheus and --query")
        return None
    if args.prometheus is None or args.query is None:
        raise LocalInputError("--prometheus TARGET and --query PROMQL go together: the target names the server "
                              "(as the service's CAPPLAN_CONFIG does), the query the series")
    if args.history:
        raise LocalInputError("give --history FILE or --prometheus with --query, not both")
    source = {"prometheus": args.prometheus, "query": args.query}
    if args.lookback_hours is not None:
        source["lookback_hours"] = args.lookback_hours
    return source


def _last_hour(args: argparse.Namespace):
    if not args.last_hour:
        return None
    try:
        return parse_hour(args.last_hour, args.tz)
    except HourError as e:
        raise LocalInputError(f"--last-hour: {e}") from None


def _flag(field: str) -> str:
    """" (--capacity)" for a field a flag sets; history[3].load is set by --history."""
    if field.startswith("source."):
        return f" ({SOURCE_FLAGS.get(field.split('.', 1)[1], '--prometheus and --query')})"
    name = field.split("[", 1)[0].split(".", 1)[0]
    if name in OPTION_NAMES:
        return f" (--option {name}=...)"
    return f" ({FLAG_OF_FIELD[name]})" if name in FLAG_OF_FIELD else ""
