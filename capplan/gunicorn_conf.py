"""gunicorn settings shared by `capplan run`, the Procfile and Docker (`gunicorn -c python:capplan.gunicorn_conf`).

gthread: one process (one dispatcher, one metrics registry) whose threads wait on Redis for results.
"""
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '5000')}"
worker_class = "gthread"
workers = 1
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
timeout = 120
graceful_timeout = 5
accesslog = None            # the app logs each request as JSON with its request id
# gunicorn's largest request line (its default is 4094): URLs up to it reach the app, which answers
# one over api.request_limits.MAX_URL_BYTES with a JSON 414; only longer lines get gunicorn's HTML 414.
limit_request_line = 8190
control_socket_disable = True   # one shared ~/.gunicorn socket would clash between instances
# Threads left to health checks, job polls and submissions while SYNC_MAX_WAITING requests wait.
MIN_FREE_THREADS = 4


def on_starting(server):
    """Warn when waiting requests could hold (nearly) every thread: health checks would queue behind them."""
    from capplan.config import load_settings

    waiting = load_settings().SYNC_MAX_WAITING
    if server.cfg.threads - waiting < MIN_FREE_THREADS:
        server.log.warning("gunicorn has %d threads and SYNC_MAX_WAITING is %d: fewer than %d stay free for "
                           "health checks and job polls; raise the threads or lower SYNC_MAX_WAITING",
                           server.cfg.threads, waiting, MIN_FREE_THREADS)


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "capplan.logs.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}},
    "root": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"gunicorn.error": {"handlers": ["stderr"], "level": os.environ.get("LOG_LEVEL", "INFO"),
                                   "propagate": False},
                "gunicorn.access": {"handlers": [], "propagate": False}},
}
