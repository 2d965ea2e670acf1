from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` (the `load_demo` command). The top layer: it builds accounts,
    orders and documents through every app's services, and no app imports it."""

    name = "demo"
