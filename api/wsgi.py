"""WSGI entry point for gunicorn (`gunicorn api.wsgi:app`): the app built from the environment."""
from api import create_app

app = create_app()
