"""The API's room, HTTP only, and its Flask application factory: defaults, the environment, a test override.

Views validate requests against their models (schemas), normalise them (job_requests, hourly_history),
store jobs and publish them by task name through jobs/; the API never imports workers/ or the model,
which lives in the workers.
"""
from __future__ import annotations

from typing import Any, Mapping

from flask import Flask

from capplan.config import Settings, load_settings


def create_app(config: Mapping[str, Any] | Settings | None = None) -> Flask:
    """Build the API; it connects to Redis on first use and never loads the model (workers do)."""
    from api import forecast_views, health_views, job_views, openapi, schedule_views
    from api.auth import init_auth
    from api.content_types import init_content_types
    from api.errors import register_error_handlers
    from api.limits import init_limits
    from api.metrics import bp as metrics_bp, init_metrics
    from api.request_limits import init_request_limits
    from api.request_log import init_request_log
    from api.security_headers import init_security_headers
    from api.service import JobService
    from capplan.logs import configure_logging

    settings = config if isinstance(config, Settings) else load_settings(config)
    configure_logging(settings.LOG_LEVEL)
    app = Flask(__name__, static_folder=None)
    app.config.update(MAX_CONTENT_LENGTH=settings.MAX_CONTENT_LENGTH, CAPPLAN=settings,
                      DEBUG=settings.ENV == "development", TESTING=settings.ENV == "test")
    app.json.sort_keys = False
    service = app.extensions["capplan"] = JobService(settings)
    init_request_log(app)        # first: every later refusal carries the request id
    init_request_limits(app)     # then a URL or chunked body over the limit (414, 413)
    init_auth(app, settings)     # then the key (401): nothing below answers a caller without one
    init_content_types(app)      # then a body that is not JSON (415)
    init_security_headers(app)
    init_metrics(app)
    register_error_handlers(app)
    for module in (forecast_views, job_views, schedule_views, health_views, openapi):
        app.register_blueprint(module.bp)
    app.register_blueprint(metrics_bp)
    init_limits(app, settings, service.redis.connection_pool, forecast_views.bp)
    try:
        from api.dashboard import bp as dashboard_bp  # written separately; the API works without it
    except ImportError:
        dashboard_bp = None
    if dashboard_bp is not None:
        app.register_blueprint(dashboard_bp)
    return app
