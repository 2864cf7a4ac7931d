from django import template
from django.utils.html import json_script

from patrol import frontend

register = template.Library()


@register.filter
def get(mapping, key):
    """``errors|get:"service_method"`` — dictionary lookup for keys the dot syntax cannot reach."""
    if hasattr(mapping, "get"):
        return mapping.get(key)
    return None


@register.simple_tag
def frontend_config():
    """``<script id="xuncha-config" type="application/json">``: the URLs and base maps the scripts read."""
    return json_script(frontend.frontend_config(), "xuncha-config")
