# One image for the web server, the Celery worker and beat, and the demo sandbox.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 DASHBOARD_VAR_DIR=/app/var
WORKDIR /app

COPY pyproject.toml requirements.lock README.md ./
COPY dashboard ./dashboard
COPY rooms ./rooms
COPY recordings ./recordings
COPY sandbox ./sandbox
RUN pip install --no-cache-dir -c requirements.lock .
COPY . .
RUN DJANGO_SECRET_KEY=build-only-not-secret-build-only-not-secret-0000 python manage.py collectstatic --noinput -v 0

RUN useradd --create-home --uid 1000 dashboard && mkdir -p /app/var && chown -R dashboard /app/var
USER dashboard
EXPOSE 8000
CMD ["gunicorn", "dashboard.wsgi", "--bind", "0.0.0.0:8000", "--worker-class", "gthread", "--workers", "2", "--threads", "8", "--timeout", "120", "--access-logfile", "-"]
