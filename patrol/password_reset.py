"""Password reset by email (/accounts/password_reset/, Django's own views), with two limits and a fixed address.

- Links in the email are built from SITE_URL, never from the request's Host header: a forged Host would
  otherwise send a user a genuine reset token on a link to someone else's server.
- At most PER_ADDRESS_LIMIT requests per client address and PER_ADDRESS_WINDOW (answered 429), and at most
  one email per account (email address) per PER_ACCOUNT_WINDOW. A request over the account limit gets the same
  "check your mailbox" page as any other and sends nothing, so the answer never tells whether an address has an
  account.
"""
import hashlib
from urllib.parse import urlsplit

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import render

PER_ADDRESS_LIMIT = 5
PER_ADDRESS_WINDOW_S = 60 * 60
PER_ACCOUNT_WINDOW_S = 15 * 60


def _key(kind, value):
    return f"password-reset:{kind}:" + hashlib.sha256(value.encode()).hexdigest()[:32]


def _over_address_limit(request):
    key = _key("address", get_client_ip_address(request) or "unknown")
    cache.add(key, 0, PER_ADDRESS_WINDOW_S)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, PER_ADDRESS_WINDOW_S)
        count = 1
    return count > PER_ADDRESS_LIMIT


def _first_for_account(email):
    """True once per PER_ACCOUNT_WINDOW_S for an email address (case-insensitive), atomically across processes."""
    return cache.add(_key("account", email.strip().lower()), 1, PER_ACCOUNT_WINDOW_S)


class PasswordResetView(auth_views.PasswordResetView):
    def post(self, request, *args, **kwargs):
        if _over_address_limit(request):
            return render(request, "registration/password_reset_throttled.html",
                          {"minutes": PER_ADDRESS_WINDOW_S // 60}, status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        if not _first_for_account(form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        site = urlsplit(settings.SITE_URL)
        # Django's view passes neither: it would take the domain from the Host header and the scheme from the request.
        form.save(domain_override=site.netloc, use_https=site.scheme == "https", request=self.request,
                  token_generator=self.token_generator, from_email=self.from_email,
                  email_template_name=self.email_template_name, subject_template_name=self.subject_template_name,
                  html_email_template_name=self.html_email_template_name,
                  extra_email_context=self.extra_email_context)
        return HttpResponseRedirect(self.get_success_url())
