from django import template

register = template.Library()


@register.filter
def withdrawn_on(message, day):
    """The withdrawal line, its date put in (the message was translated once, outside the list's loop)."""
    return message % {"date": day}
