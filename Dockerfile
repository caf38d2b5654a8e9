# One image for the API, the workers and Flower. CPU and GPU workers share it: torch from PyPI carries
# CUDA on linux/amd64 and falls back to the CPU when no GPU is reserved for the container.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    PORT=5000 MODEL_DIR=/app/models/artifacts
WORKDIR /app

COPY requirements.txt pyproject.toml README.md ./
RUN pip install -r requirements.txt

COPY api ./api
COPY workers ./workers
COPY jobs ./jobs
COPY planning ./planning
COPY models ./models
COPY experiments ./experiments
COPY capplan ./capplan
COPY Procfile ./
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 10001 capplan
USER capplan

EXPOSE 5000
# The API by default; workers and Flower override the command (see docker-compose.yml).
CMD ["gunicorn", "-c", "python:capplan.gunicorn_conf", "api.wsgi:app"]
