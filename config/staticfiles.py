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
