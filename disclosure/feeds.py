"""The Atom feed of newly published decisions (``/gongshi/<code>/feed.atom``), with Django's syndication framework.

The same masked snapshot as the list, the 50 most recently published; a withdrawn decision stays in the feed with
its withdrawal line, as on the page. Cached like the pages (disclosure.views): an ETag from the entries' last
change, ``Cache-Control: public``.
"""
from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from disclosure import selectors
from disclosure.caching import PUBLIC_LANGUAGE, etag, not_modified, public

FEED_SIZE = 50


class DecisionFeed(Feed):
    feed_type = Atom1Feed

    def __call__(self, request, *args, **kwargs):
        # One query for the jurisdiction and its entries' version (the ETag), kept on the request for get_object:
        # the feed object serves every request, so nothing of one request is kept on it.
        jurisdiction = request.gongshi_jurisdiction = selectors.listing_jurisdiction(kwargs["code"])
        tag = etag("feed", jurisdiction.pk, jurisdiction.name, jurisdiction.entries_version)
        cached = not_modified(request, tag)
        if cached is not None:
            return cached
        with translation.override(PUBLIC_LANGUAGE):
            response = super().__call__(request, *args, **kwargs)
        return public(response, tag)

    def get_object(self, request, code):
        return request.gongshi_jurisdiction

    def title(self, jurisdiction):
        return _("%(name)s 行政执法决定公示") % {"name": jurisdiction.name}

    def subtitle(self, jurisdiction):
        return _("限期拆除决定、强制拆除决定等行政执法决定，当事人信息已依法隐去")

    def link(self, jurisdiction):
        return reverse("disclosure-decisions", args=[jurisdiction.code])

    def items(self, jurisdiction):
        # Along the (jurisdiction, -published_at, -id) index of public entries: 50 rows, not a sort of them all.
        entries = list(selectors.public_decisions(jurisdiction).order_by("-published_at", "-pk")[:FEED_SIZE])
        listing = reverse("disclosure-decisions", args=[jurisdiction.code])
        for entry in entries:
            entry.jurisdiction, entry.public_url = jurisdiction, f"{listing}#d{entry.pk}"
        return entries

    def item_title(self, entry):
        return f"{entry.get_kind_display()}（{entry.number}）"

    def item_description(self, entry):
        if entry.withdrawn:
            return _("该决定已被撤销，已于 %(date)s 撤回公示。") % {"date": _date(entry.withdrawn_at)}
        return "；".join(part for part in [
            _("当事人：%(party)s") % {"party": entry.party or "—"},
            _("行政村：%(village)s") % {"village": entry.village_name or "—"},
            _("违法事实：%(facts)s") % {"facts": entry.facts},
            _("依据：%(basis)s") % {"basis": entry.legal_basis},
            _("决定：%(decision)s") % {"decision": entry.decision},
            _("状态：%(status)s") % {"status": entry.get_status_display()},
        ] if part)

    def item_link(self, entry):
        return entry.public_url

    def item_guid(self, entry):
        return f"xuncha:gongshi:{entry.jurisdiction.code}:{entry.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry):
        return entry.published_at

    def item_updateddate(self, entry):
        return entry.withdrawn_at or entry.published_at



def _date(moment):
    day = timezone.localdate(moment)
    return f"{day.year}年{day.month}月{day.day}日"
