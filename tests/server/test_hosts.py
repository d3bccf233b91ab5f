"""Host header parsing: only literal loopback addresses, ``localhost`` and allowed names count as ours."""

from __future__ import annotations

import pytest

from torchscope.server.hosts import allowed_hosts, env_allowed_hosts, is_loopback, parse_host, split_host

LOOPBACK = ["127.0.0.1", "127.0.0.1:6006", "127.1.2.3", "127.255.255.254:1", "localhost", "LOCALHOST",
            "localhost.", "localhost.:6006", "Localhost:80", "[::1]", "[::1]:6006", "::1", "[0:0:0:0:0:0:0:1]:8",
            "[::ffff:127.0.0.1]:6006", " 127.0.0.1 ", "127.0.0.1."]  # a trailing dot: still the literal
# DNS names an attacker can point at 127.0.0.1 (DNS rebinding), and garbage
HOSTILE = ["127.evil.example", "127.evil.example:6006", "127.0.0.1.nip.io", "127.0.0.1.nip.io:6006",
           "localhost.evil.com", "localhost.evil.com:6006", "evil.example", "evil.localhost",
           "127.1", "0x7f.0.0.1", "2130706433", "0.0.0.0", "10.0.0.5", "[::2]", "[::]", "::ffff:10.0.0.1",
           "", " ", ":6006", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:99999", "127.0.0.1:abc", "127.0.0.1:80:80",
           "[::1", "[::1]x", "[::1]:", "[127.0.0.1]", "user@127.0.0.1", "127.0.0.1/x", "127.0.0.1 evil",
           "lоcalhost",  # a Cyrillic о
           "localhost\u200b", "ｌｏｃａｌｈｏｓｔ", "127.0.0.1\x00", "127.0.0.1\r\nX: y", "*", "-localhost"]


@pytest.mark.parametrize("host", LOOPBACK)
def test_literal_loopback_hosts_are_loopback(host):
    assert is_loopback(host)


@pytest.mark.parametrize("host", HOSTILE)
def test_names_and_garbage_are_not_loopback(host):
    assert not is_loopback(host)


@pytest.mark.parametrize(("value", "expected"), [
    ("LocalHost.:80", ("localhost", 80)), ("[::1]:6006", ("::1", 6006)), ("[0::1]", ("::1", None)),
    ("Dash.Example", ("dash.example", None)), ("dash.example.:443", ("dash.example", 443)),
    ("127.0.0.1:65535", ("127.0.0.1", 65535)), ("127.0.0.1:65536", None), ("exa mple", None), ("é.example", None),
    ("a" * 64 + ".example", None), ("[fe80::1%eth0]", None),
])
def test_split_host(value, expected):
    assert split_host(value) == expected
    assert parse_host(value) == (expected[0] if expected else None)


def test_allowed_hosts_are_normalized_and_checked():
    assert allowed_hosts(["Dash.Example.", "10.0.0.5", "[::2]"]) == {"dash.example", "10.0.0.5", "::2"}
    for bad in ("*.example", "http://dash.example", "dash.example:80", "", "dash example"):
        with pytest.raises(ValueError, match="not a host name"):
            allowed_hosts([bad])
    assert env_allowed_hosts(" a.example, ,b.example,") == ["a.example", "b.example"]
    assert env_allowed_hosts(None) == []
