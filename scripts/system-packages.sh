#!/usr/bin/env bash
# Install the Debian/Ubuntu packages Xuncha needs, only those missing (so a second run is quick).
#   scripts/system-packages.sh run    — what `make run` needs (GDAL, SpatiaLite, gettext, CJK font, Pango for PDFs)
#   scripts/system-packages.sh test   — plus PostGIS for the local PostgreSQL, Chromium for browser tests and
#                                       poppler-utils (pdftotext, pdffonts) to read the PDFs back and nginx (the
#                                       trusted-proxy tests put a real one in front of the app)
#   scripts/system-packages.sh docker — what the production image needs
set -euo pipefail
profile="${1:-run}"
# WeasyPrint (documents as PDF) needs Pango with its FreeType backend and HarfBuzz's subsetter; fonts-noto-cjk is
# the font embedded in every document, cut down once by hb-subset (libharfbuzz-bin; documents/fonts.py).
pdf_packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libharfbuzz-bin fonts-noto-cjk fontconfig)
packages=(gdal-bin libgdal-dev libsqlite3-mod-spatialite gettext python3-venv binutils libproj-dev "${pdf_packages[@]}")
if [ "$profile" = test ]; then
  pg_major=""
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_major=$(pg_lsclusters --no-header 2>/dev/null | awk 'NR==1 {print $1}')
  fi
  if [ -z "$pg_major" ] && command -v psql >/dev/null 2>&1; then
    pg_major=$(psql --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')
  fi
  packages+=("postgresql-${pg_major:-15}-postgis-3" chromium redis-tools poppler-utils nginx)
fi
if [ "$profile" = docker ]; then
  packages=(gdal-bin libsqlite3-mod-spatialite gettext binutils libproj25 postgresql-client "${pdf_packages[@]}")
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Xuncha needs these packages and this system has no apt-get: ${missing[*]}" >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "Please install as root: apt-get install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "Installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
