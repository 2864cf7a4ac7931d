from django import template

register = template.Library()


@register.filter
def get(mapping, key):
    """``errors|get:"service_method"`` — dictionary lookup for keys the dot syntax cannot reach."""
    if hasattr(mapping, "get"):
        return mapping.get(key)
    return None
