"""`capplan schedule JOB [--plan ID] --format keda|cronhpa|aws|csv`: a job's scaling schedule, to stdout."""
from __future__ import annotations

import argparse
import json
import sys
from urllib.parse import quote, urlencode

from capplan.client import EXIT_ERROR, EXIT_OK, add_service_arguments, open_service
from capplan.service_client import ClientError

EXIT_PLAN_FAILED = 2
FORMATS = ("keda", "cronhpa", "aws", "csv")
EPILOG = """exit status:
  0  the export was printed
  1  an error: a flag was refused, the service refused the request (its message and the field names go
     to stderr: unit_capacity missing for keda, cronhpa and aws, say) or could not be reached
  2  the plan named by --plan failed in its batch, so it has no schedule

examples:
  capplan schedule JOB --format keda --target web --tz Europe/Paris > scaledobject.yaml
  capplan schedule JOB --plan web --format aws --asg web-asg > actions.json

ids that start with "-": new job ids never do; for an older one, or a plan id, write --plan=-ID and
put the job id after --, as in: capplan schedule --format csv -- -4q1UGgem6JET5OJb2_hDw"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.usage_error_status = EXIT_ERROR      # 2 means "the plan failed"
    parser.add_argument("job", metavar="JOB", help="the job id: an analysis job, or a batch with --plan")
    parser.add_argument("--plan", metavar="ID", help="a batch plan's id (its index where it had none)")
    parser.add_argument("--format", required=True, choices=FORMATS, help="what to print")
    parser.add_argument("--tz", default="UTC", metavar="ZONE", help="IANA zone of the times written (default UTC)")
    parser.add_argument("--target", metavar="NAME", help="keda, cronhpa: the workload's Kubernetes name")
    parser.add_argument("--asg", metavar="NAME", help="aws: the Auto Scaling group's name (required for aws)")
    add_service_arguments(parser)


def schedule_path(args: argparse.Namespace) -> str:
    """The API path and query for the export the flags ask for."""
    base = f"/api/jobs/{quote(args.job, safe='')}"
    if args.plan is not None:
        base += f"/results/{quote(args.plan, safe='')}"
    query = {"format": args.format, "tz": args.tz, "target": args.target, "asg": args.asg}
    return f"{base}/schedule?" + urlencode({k: v for k, v in query.items() if v is not None})


def run(args: argparse.Namespace) -> int:
    try:
        _, body = open_service(args).request("GET", schedule_path(args))
    except ClientError as e:
        print(f"capplan schedule: {e.message}", file=sys.stderr)
        for field, reason in e.fields.items():
            print(f"  {field}: {reason}", file=sys.stderr)
        return EXIT_PLAN_FAILED if e.code == "plan_failed" else EXIT_ERROR
    # aws answers JSON, which the client parses: it is written back as the service indents it.
    sys.stdout.write(body.decode() if isinstance(body, bytes) else json.dumps(body, indent=2) + "\n")
    return EXIT_OK
