"""Celery tasks of the invoices app, by topic (Celery's autodiscovery imports this package)."""

from .ksef import *  # noqa: F403
from .rates import *  # noqa: F403
from .rendering import *  # noqa: F403
from .vies import *  # noqa: F403
