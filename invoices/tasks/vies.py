"""Celery tasks: vies."""
