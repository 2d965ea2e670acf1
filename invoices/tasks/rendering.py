"""Celery tasks: rendering."""
