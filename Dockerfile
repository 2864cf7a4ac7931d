# One image for web, worker and beat (docker-compose.yml). The install steps are the Makefile's:
# scripts/system-packages.sh for Debian packages, requirements.txt for Python.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production \
    XUNCHA_VAR_DIR=/var/lib/xuncha

WORKDIR /app
COPY scripts/system-packages.sh scripts/
# GDAL and PROJ for GeoDjango; Pango, HarfBuzz and fonts-noto-cjk for WeasyPrint's PDF documents (documents app).
RUN scripts/system-packages.sh docker && rm -rf /var/lib/apt/lists/*

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Matplotlib's font cache (the summaries' charts) is made by the manage.py runs below and kept in the image for the
# user xuncha (chown below); without it every container start rebuilt it ("generated new fontManager").
ENV MPLCONFIGDIR=/var/lib/xuncha/.matplotlib
# Static files and compiled messages are built into the image; collectstatic needs a key, not a secret one.
RUN SECRET_KEY=build-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')-not-used-at-runtime-xxxxxxxx \
    DATABASE_URL=postgis://build@localhost/build \
    python manage.py compilemessages --ignore '.venv/*' -v0 && \
    SECRET_KEY=build-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')-not-used-at-runtime-xxxxxxxx \
    DATABASE_URL=postgis://build@localhost/build python manage.py build_document_fonts -v0 && \
    SECRET_KEY=build-only-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')-not-used-at-runtime-xxxxxxxx \
    DATABASE_URL=postgis://build@localhost/build STATIC_ROOT=/app/staticfiles \
    python manage.py collectstatic --noinput -v0

RUN useradd --system --uid 1000 --home /var/lib/xuncha xuncha && mkdir -p /var/lib/xuncha/media && \
    chown -R xuncha /var/lib/xuncha
USER xuncha
ENV STATIC_ROOT=/app/staticfiles
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
