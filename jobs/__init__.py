"""The job core that the API and the workers share, so that neither imports the other.

job_request: the normalised request the API stores and a worker runs; store: job records, batch chunks
and per-plan results in Redis under our own keys; heartbeats: the model state each worker process
publishes; metrics: what workers count for the API's /metrics; queues: queue and task names, and the
Celery app both sides build. Nothing here connects to Redis at import.
"""
