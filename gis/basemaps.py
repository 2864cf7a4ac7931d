"""The base maps every map in the pages offers (field, case and supervisor map), first the default.

A base map is one or more tile layers drawn together (天地图 draws its place names on a second layer). Its tiles are
the one thing the pages load from outside (the CSP's img-src names their hosts), so everything drawn on top must
keep working when they fail.
"""
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

# 天地图 web-mercator tiles (TILEMATRIXSET=w, the *_w layers) fit Leaflet's default EPSG:3857; its datum CGCS2000 is
# within a metre of WGS-84, so our points need no conversion. GCJ-02 providers (AMap, Tencent) are not offered:
# every point shown or picked would need converting.
_TIANDITU_URL = ("https://t{{s}}.tianditu.gov.cn/{layer}_w/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0"
                 "&LAYER={layer}&STYLE=default&TILEMATRIXSET=w&FORMAT=tiles&TILEMATRIX={{z}}&TILEROW={{y}}"
                 "&TILECOL={{x}}&tk={key}")


def base_maps():
    """``[{"key", "label", "layers": [{"url", "options"}]}]`` for Leaflet's ``L.tileLayer(url, options)``.

    OpenStreetMap always; 天地图 (vector and imagery, each with its labels) only when ``TIANDITU_KEY`` is set.
    """
    # The admin's boundary widget (django-leaflet) draws on the same layer: its URL is written down once, there.
    _name, osm_url, osm_options = settings.LEAFLET_CONFIG["TILES"][0]
    maps = [{"key": "osm", "label": _("OpenStreetMap 地图"), "layers": [{"url": osm_url, "options": dict(osm_options)}]}]
    if settings.TIANDITU_KEY:
        # 天地图 keys are browser keys, bound to our domain in the 天地图 console; every tile request carries one.
        key = quote(settings.TIANDITU_KEY, safe="")
        options = {"subdomains": "01234567", "maxZoom": 18, "attribution": _("国家地理信息公共服务平台 天地图")}

        def tianditu(*layers):
            return [{"url": _TIANDITU_URL.format(layer=layer, key=key), "options": options} for layer in layers]

        maps.append({"key": "tianditu", "label": _("天地图 矢量"), "layers": tianditu("vec", "cva")})
        maps.append({"key": "tianditu_img", "label": _("天地图 影像"), "layers": tianditu("img", "cia")})
    return maps
