"""Reads. Every query of domain rows for a user starts from ``for_user`` (patrol.scoping)."""
from gis.models import Village
from patrol.models import Campaign, Case, CaseEvent, Notice, Patrol, Photo


def villages_for(user):
    return Village.objects.for_user(user).order_by("name")


def cases_for(user):
    return Case.objects.for_user(user)


def photos_for(user):
    return Photo.objects.for_user(user)


def notices_for(user):
    return Notice.objects.for_user(user)


def events_for(user):
    return CaseEvent.objects.for_user(user)


def campaigns_for(user):
    return Campaign.objects.for_user(user)


def patrols_for(user):
    return Patrol.objects.for_user(user)
