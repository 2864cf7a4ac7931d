from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data (``manage.py seed_demo``): every app's rows, so it sits above them all."""

    name = "demo"
    verbose_name = "Demo"
