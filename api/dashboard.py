"""The browser console: one page at `/` and its static files (Chart.js vendored, no CDN)."""
from __future__ import annotations

from flask import Blueprint, render_template

# Its own URL prefix for static files so it never collides with an app-level /static.
bp = Blueprint("dashboard", __name__, template_folder="templates",
               static_folder="static", static_url_path="/dashboard/static")


@bp.get("/")
def index():
    """The capacity planning console; every number on it comes from the JSON API."""
    return render_template("index.html")
