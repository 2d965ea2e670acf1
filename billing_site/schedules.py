"""Periodic jobs declared in code. `manage.py setup_periodic_tasks` writes them into
django-celery-beat's tables, where ops can change times or switch them off in the admin; running it
again adds what is missing and leaves ops' edits alone."""

# name → (task, crontab fields in Europe/Warsaw)
PERIODIC_TASKS = {
    "Heartbeat (every 5 minutes)": (
        "billing_site.heartbeat", {"minute": "*/5", "hour": "*"},
    ),
    "Apply scheduled member suspensions/deletions (daily)": (
        "seats.apply_scheduled_member_changes", {"minute": "5", "hour": "0"},
    ),
}
