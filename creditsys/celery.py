"""Celery application. Tasks are thin wrappers around services; beat's schedule lives in settings."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditsys.settings")

app = Celery("creditsys")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
