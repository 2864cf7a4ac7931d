"""Jurisdiction scoping: the one gate every read of domain rows goes through.

Plumbing below every app (it names no model): gis, patrol and the feature apps all scope their rows with it.

Each scoped model names the path from itself to its jurisdiction (``JURISDICTION_PATH``);
``Model.objects.for_user(user)`` then returns only rows of the user's own jurisdiction. A user
without a jurisdiction (the IT admin) sees nothing here and works in the Django admin instead.
"""
from django.db import models


class ScopedQuerySet(models.QuerySet):
    def for_user(self, user):
        jurisdiction_id = getattr(user, "jurisdiction_id", None)
        if not getattr(user, "is_authenticated", False) or not user.is_active or jurisdiction_id is None:
            return self.none()
        return self.filter(**{self.model.JURISDICTION_PATH: jurisdiction_id})

    def for_jurisdiction(self, jurisdiction):
        return self.filter(**{self.model.JURISDICTION_PATH: getattr(jurisdiction, "pk", jurisdiction)})


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)
