# Production-like image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core gettext \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml ./
COPY . .
RUN pip install --no-cache-dir -e . && python manage.py collectstatic --noinput
ENV DJANGO_SETTINGS_MODULE=billing_site.settings
EXPOSE 8000
