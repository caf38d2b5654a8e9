"""Entry point for `celery -A workers.worker worker`: the app built from the environment."""
from workers.celery_app import create_celery

app = create_celery()
