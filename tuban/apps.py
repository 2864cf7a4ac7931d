from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TubanConfig(AppConfig):
    name = "tuban"
    verbose_name = _("卫片执法")
