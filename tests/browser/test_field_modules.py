"""In Chromium, the field page's modules on their own: the SHA-256 a phone computes without crypto.subtle (a page
served over plain http on the team's network) is the one the server computes."""
import base64
import hashlib
import os

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Around the padding boundaries (55/56 bytes fit one block or spill into two; 64 is a whole block) and larger.
LENGTHS = [0, 1, 3, 55, 56, 63, 64, 65, 119, 120, 1000, 1024 * 1024 + 7]

DIGESTS = """async (samples) => {
  const { sha256, sha256Fallback } = await import("/static/js/field/sha256.js");
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const fallback = samples.map((b64) => sha256Fallback(bytes(b64)));
  const subtle = await Promise.all(samples.map((b64) => sha256(new Blob([bytes(b64)]))));
  // As on an http page: no crypto.subtle, so sha256() must take the fallback.
  Object.defineProperty(window.crypto, "subtle", { value: undefined });
  const insecure = await Promise.all(samples.map((b64) => sha256(new Blob([bytes(b64)]))));
  return { fallback, subtle, insecure };
}"""


def test_the_fallback_sha256_matches_the_servers_for_every_padding_case(new_page, live_server):
    samples = [os.urandom(n) for n in LENGTHS] + [b"abc"]
    page = new_page()
    page.goto("/accounts/login/")  # any page of ours: the module comes from the same origin
    result = page.evaluate(DIGESTS, [base64.b64encode(sample).decode() for sample in samples])
    expected = [hashlib.sha256(sample).hexdigest() for sample in samples]
    assert result["subtle"] == expected
    assert result["fallback"] == expected
    assert result["insecure"] == expected
    assert expected[-1] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"  # FIPS 180-2's "abc"
