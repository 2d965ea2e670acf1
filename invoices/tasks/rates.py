"""Celery tasks: rates."""
