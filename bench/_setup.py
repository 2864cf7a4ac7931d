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


def textured_jpeg(size=(4000, 3000), quality=92, *, blur=1.2, noise=0.12, seed=7):
    """A JPEG with texture (coloured blocks, softened, with sensor-like noise): closer to a real photo than a flat
    colour, which compresses to nothing. The default is a 12 MP camera original."""
    import io
    import random

    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = Image.new("RGB", (400, 300))
    draw = ImageDraw.Draw(small)
    for _ in range(900):
        x, y = rng.randint(0, 400), rng.randint(0, 300)
        draw.rectangle([x, y, x + rng.randint(2, 40), y + rng.randint(2, 30)],
                       fill=(rng.randint(40, 220), rng.randint(40, 200), rng.randint(30, 180)))
    image = small.resize(size, Image.BICUBIC).filter(ImageFilter.GaussianBlur(blur))
    if noise:
        image = Image.blend(image, Image.effect_noise(size, 18).convert("RGB"), noise)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
