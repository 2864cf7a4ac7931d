"""The shape of the code that README "Architecture" promises, beyond what the import contract checks.

(.importlinter's layers, run by `make test`, keep the imports pointing one way.)
"""
import ast
import re
from pathlib import Path

from django.conf import settings

from worker import tasks  # noqa: F401 - registers the worker's tasks
from worker.celery import app

ROOT = Path(settings.BASE_DIR)
PACKAGES = ["core", "gis", "notifications", "patrol", "documents", "videos", "tuban", "disclosure", "exports", "summaries", "demo", "worker", "api",
            "config"]

# Imports inside a function that are allowed, each with why (an import there must never hide a cycle).
FUNCTION_IMPORTS_ALLOWED = {
    # A script run on its own: it sets Django up before it may import anything of Django's GIS.
    "gis/data/make_demo_boundaries.py": "standalone script; imports after django.setup()",
}


def source_files():
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_every_task_queued_by_name_is_a_task_the_worker_registers():
    queued = set()
    for path in source_files():
        queued |= set(re.findall(r"[\"'](worker\.tasks\.\w+)[\"']", path.read_text()))
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"worker.tasks.send_email", "worker.tasks.make_thumbnail", "worker.tasks.send_summary",
            "worker.tasks.build_export"} <= queued
    assert sorted((queued | scheduled) - set(app.tasks)) == []


def test_no_import_hides_inside_a_function():
    found = []
    for path in source_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative in FUNCTION_IMPORTS_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found += [f"{relative}:{inner.lineno}" for inner in ast.walk(node)
                          if isinstance(inner, (ast.Import, ast.ImportFrom))]
    assert found == []
