"""The procedure as a flowchart (事前公开 "执法程序"), drawn from the registry the software enforces.

Each state of ``patrol.choices.Status``, in procedure order, is a box listing the actions of
``patrol.workflow.ACTIONS`` that may be taken in it; actions open in most states (a comment, assigning the
inspector) are listed once, in a box of their own. So the picture changes when the registry does, and never says
what the software does not do. The SVG has no script and no style attribute (the CSP allows neither): colours are
presentation attributes and CSS classes of app.css.
"""
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from patrol.choices import Status
from patrol.workflow import ACTIONS

# An action allowed in more states than this is "at any stage" rather than repeated in every box.
ANY_STAGE_OVER = 4

WIDTH = 300
BOX_X, BOX_W = 4, 292
HEAD_H, LINE_H, PAD, GAP = 26, 20, 8, 22


@dataclass(frozen=True)
class Stage:
    status: str
    label: str
    actions: list  # [(name, label)]


def stages(actions=None):
    """([Stage per status in procedure order], [(name, label) of actions allowed at any stage])."""
    actions = ACTIONS if actions is None else actions
    anywhere = [(spec.name, str(spec.label)) for spec in actions.values() if len(spec.from_statuses) > ANY_STAGE_OVER]
    anywhere_names = {name for name, _label in anywhere}
    boxes = [Stage(status, str(label), [(spec.name, str(spec.label)) for spec in actions.values()
                                        if status in spec.from_statuses and spec.name not in anywhere_names])
             for status, label in Status.choices]
    return boxes, anywhere


def action_names(actions=None):
    """Every action the flowchart names (what the test compares with the registry)."""
    boxes, anywhere = stages(actions)
    return {name for box in boxes for name, _label in box.actions} | {name for name, _label in anywhere}


ENDS = (Status.CLOSED, Status.DISMISSED)


def _box(y, title, items, css, empty=""):
    height = HEAD_H + PAD + LINE_H * max(len(items), 1)
    parts = [format_html('<g class="fc-box {}"><rect x="{}" y="{}" width="{}" height="{}" rx="6"/>'
                         '<text class="fc-head" x="{}" y="{}">{}</text>',
                         css, BOX_X, y, BOX_W, height, BOX_X + 10, y + 18, title)]
    if items:
        parts.append(format_html_join("", '<text class="fc-action" data-action="{}" x="{}" y="{}">· {}</text>',
                                      ((name, BOX_X + 16, y + HEAD_H + PAD + LINE_H * i + 6, label)
                                       for i, (name, label) in enumerate(items))))
    else:
        parts.append(format_html('<text class="fc-none" x="{}" y="{}">{}</text>', BOX_X + 16,
                                 y + HEAD_H + PAD + 6, empty))
    parts.append(mark_safe("</g>"))
    return mark_safe("".join(parts)), height


def flowchart_svg(actions=None):
    """The inline SVG (safe HTML), 300 units wide, scaled to the page's width by CSS."""
    boxes, anywhere = stages(actions)
    body, y = [], 10
    for index, box in enumerate(boxes):
        ended = box.status in ENDS
        svg, height = _box(y, box.label, box.actions, "fc-end" if ended else "",
                           _("（程序终结）") if ended else _("（本环节暂无可登记的步骤）"))
        body.append(format_html('<g data-status="{}">{}</g>', box.status, svg))
        y += height
        following = boxes[index + 1].status if index < len(boxes) - 1 else None
        if following == Status.DISMISSED:  # an end of its own (不予立案、撤销立案), not a step after 结案
            y += GAP
        elif following is not None:
            body.append(format_html('<line class="fc-arrow" x1="{}" y1="{}" x2="{}" y2="{}" '
                                    'marker-end="url(#fc-arrowhead)"/>', WIDTH // 2, y + 2, WIDTH // 2, y + GAP - 3))
            y += GAP
    y += GAP
    svg, height = _box(y, _("各阶段均可进行"), anywhere, "fc-any")
    body.append(svg)
    y += height + 10
    title = _("执法程序流程图")
    return format_html(
        '<svg class="flowchart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="fc-title"><title id="fc-title">{}</title>'
        '<defs><marker id="fc-arrowhead" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#1f4e79"/></marker></defs>{}</svg>',
        WIDTH, y, title, mark_safe("".join(body)))
