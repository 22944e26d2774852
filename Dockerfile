# Production image: gunicorn web, Celery worker and beat all run from this image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fonts-wqy-microhei \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY . .
RUN DEBUG=1 python manage.py collectstatic --no-input \
 && useradd --system --home /app creditsys && mkdir -p /data/uploads && chown creditsys /data/uploads
USER creditsys

ENV MEDIA_ROOT=/data/uploads CREDITSYS_VAR_DIR=/data LOG_FORMAT=json
EXPOSE 8000
CMD ["gunicorn", "creditsys.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-"]
