"""Production's static files storage: WhiteNoise's compressed files with hashed names, and ES modules that
import each other by those hashed names too.

The pages load static/js/*.js as ES modules importing one another by relative path. Without rewriting, the
hashed field.js would import the unhashed field/outbox.js: served, but not what the service worker kept, so
the field page would not open after a reload without network.
"""
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    # Django's rewriting of `import … from "./x.js";` (it needs the semicolon, which our modules always write).
    support_js_module_import_aggregation = True

    def __init__(self, *args, **kwargs):
        # Static files are public: readable by whoever serves them. Without this they would get the evidence files'
        # FILE_UPLOAD_PERMISSIONS (0o640), and the Docker image, which collects them as root and runs as the user
        # xuncha, failed to start: PermissionError on staticfiles.json (found by scripts/compose-check.sh, #16).
        kwargs.setdefault("file_permissions_mode", 0o644)
        kwargs.setdefault("directory_permissions_mode", 0o755)
        super().__init__(*args, **kwargs)
