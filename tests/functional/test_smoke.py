from __future__ import annotations

from tests.helpers import BASE, all_bates, token_for


def test_counsel_lists_the_demo_productions(client, demo):
    token = token_for(client, "counsel@plaintiffs.example")
    bates = all_bates(client, token, demo)
    assert "AOL-DEF-00556914" in bates
    assert client.get(f"{BASE}/healthz").status_code == 200
