from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoConfig(AppConfig):
    # django.contrib.gis already holds the label "gis".
    name = "gis"
    label = "geo"
    verbose_name = _("辖区与村界")
