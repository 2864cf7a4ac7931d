"""Shared set-up for benchmarks: Django on a throw-away PostGIS test database, never the real one."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API beside the ORM


def django_with_test_database():
    """Set Django up and create a fresh test database; returns a function that drops it again."""
    import django
    from django.test.utils import get_runner, setup_test_environment

    django.setup()
    setup_test_environment()
    from django.conf import settings

    runner = get_runner(settings)(verbosity=0, interactive=False)
    old = runner.setup_databases()
    return lambda: runner.teardown_databases(old)
