"""PNG charts of a summary, drawn with matplotlib's Agg backend (no display) in a font with Chinese glyphs.

Each chart is its own ``Figure`` (not pyplot's global state), so two threads or tasks never draw on each
other's axes. Labels come from gettext: draw inside ``translation.override`` for another language.
"""
import contextlib
import functools
import io
import logging
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from django.conf import settings  # noqa: E402
from django.utils.translation import gettext as _  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

logger = logging.getLogger(__name__)

FALLBACK_FAMILY = "DejaVu Sans"  # ships with matplotlib; has no Chinese glyphs
COLOURS = {"found": "#1f4e79", "closed": "#2e8b57", "overdue": "#c0392b"}
DPI = 110


@functools.lru_cache(maxsize=4)
def font_families(path):
    """The font family names to draw with: the CJK font at ``path`` first, then the fallback."""
    if path and Path(path).is_file():
        try:
            font_manager.fontManager.addfont(path)
        except (OSError, RuntimeError, ValueError):
            logger.warning("Chart font %s could not be loaded; Chinese labels in charts will show as boxes",
                           path, exc_info=True)
        else:
            names = [entry.name for entry in font_manager.fontManager.ttflist if entry.fname == path]
            # A .ttc holds one face per region; Simplified Chinese first.
            names.sort(key=lambda name: (not name.endswith(" SC"), name))
            if names:
                return tuple(dict.fromkeys(names[:1] + [FALLBACK_FAMILY]))
    logger.warning("Chart font %s not found: summary charts are drawn without Chinese glyphs (labels show as boxes). "
                   "Install Debian's fonts-noto-cjk (scripts/system-packages.sh) or set SUMMARY_CHART_FONT.", path)
    return (FALLBACK_FAMILY,)


def _figure(width, height):
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure):
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


@contextlib.contextmanager
def _style():
    families = font_families(settings.SUMMARY_CHART_FONT)
    with matplotlib.rc_context({
        "font.family": "sans-serif",
        "font.sans-serif": list(families),
        "axes.unicode_minus": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.size": 10,
    }), warnings.catch_warnings():
        if families == (FALLBACK_FAMILY,):
            # Said once in the log already (font_families), not once per missing glyph.
            warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        yield


def weekly_chart(weeks):
    """Bars of new findings and closures per week; ``weeks`` as in ``numbers["weekly"]``."""
    with _style():
        figure = _figure(7.5, 3.6)
        axes = figure.add_subplot()
        positions = range(len(weeks))
        found = [week["new_findings"] for week in weeks]
        closed = [week["closed"] for week in weeks]
        axes.bar([p - 0.2 for p in positions], found, width=0.4, color=COLOURS["found"], label=_("新发现线索"))
        axes.bar([p + 0.2 for p in positions], closed, width=0.4, color=COLOURS["closed"], label=_("结案"))
        axes.set_xticks(list(positions), [week["week"][5:] for week in weeks], rotation=45 if len(weeks) > 8 else 0)
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(_("每周新发现与结案"))
        axes.set_xlabel(_("周（周一日期）"))
        axes.set_ylabel(_("件"))
        if not any(found) and not any(closed):
            axes.text(0.5, 0.5, _("本期无数据"), transform=axes.transAxes, ha="center", va="center", color="#888888")
        axes.legend(loc="upper left", frameon=False)
        return _png(figure)


def village_chart(villages):
    """Horizontal bars per village: new findings and closures in the period, and cases overdue now."""
    with _style():
        rows = list(reversed(villages))  # matplotlib draws the first bar at the bottom
        figure = _figure(7.5, max(2.6, 0.5 * len(rows) + 1.2))
        axes = figure.add_subplot()
        positions = range(len(rows))
        for offset, key, colour, label in ((0.27, "new_findings", COLOURS["found"], _("新发现线索")),
                                           (0.0, "closed", COLOURS["closed"], _("结案")),
                                           (-0.27, "overdue_now", COLOURS["overdue"], _("当前逾期"))):
            axes.barh([p + offset for p in positions], [row["current"][key] for row in rows], height=0.26,
                      color=colour, label=label)
        names = [row["name"] + ("" if row.get("patrolled_recently", True) else _("（近7日未巡查）")) for row in rows]
        axes.set_yticks(list(positions), names)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(_("各村本期新发现、结案与当前逾期"))
        axes.legend(loc="lower right", frameon=False)
        return _png(figure)
