"""Entry point for `celery -A workers.worker worker`: the app built from the environment, with our tasks."""
from jobs.queues import create_celery
from workers import consumer_watchdog

app = create_celery(include=["workers.tasks"])
consumer_watchdog.install(app)
