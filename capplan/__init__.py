"""capplan: what every process of the service shares besides jobs, and the tools that run it.

Shared: Settings (config), JSON logs with a request id (logs) and errors that carry an HTTP status
(errors). Tools: the `capplan` command line (cli, client), `capplan run` (launcher), the gunicorn
settings (gunicorn_conf) and finding a Redis to run (embedded_redis). Jobs live in jobs/, HTTP in api/,
Celery in workers/.
"""
