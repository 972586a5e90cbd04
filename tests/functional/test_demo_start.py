"""The demonstration aids of the order's workflows: `pogw demo --start` (the reference case
before the order's events) and the clock file (time an operator can move; no route can)."""

from __future__ import annotations

import pytest

from gateway.clock import FileClock
from gateway.demo import load_demo
from gateway.errors import ConfigurationError
from gateway.runtime import Runtime
from tests.helpers import all_bates, api_get, token_for

EX18 = "AOL-DEF-00528691"
EX19 = "AOL-DEF-00516605"


@pytest.fixture
def start(rt) -> int:
    return load_demo(rt, say=lambda _line: None, start=True)


def test_demo_start_is_the_case_before_the_order(client, start, rt):
    staff = token_for(client, "staff@alotrolado.example")
    # Ex. 19 as first produced: CONFIDENTIAL, so the employee with Exhibit A has it
    meta = api_get(client, staff, f"/matters/{start}/documents/{EX19}").get_json()
    assert meta["designation"] == "CONFIDENTIAL" and "re-designated" not in meta["title"]
    assert api_get(client, staff, f"/matters/{start}/documents/{EX19}/content").status_code == 200
    # nothing clawed back yet
    counsel = token_for(client, "counsel@plaintiffs.example")
    items = api_get(client, counsel, f"/matters/{start}/documents", per_page=500).get_json()
    assert {i["state"] for i in items["items"]} == {"produced"}
    assert EX18 in all_bates(client, counsel, start)


def _page_text(pdf: bytes, index: int) -> bytes:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as doc:
        # a served copy: the page's own streams, wrapped in q/Q and followed by the mark's
        return b"".join(stream.read_bytes() for stream in doc.pages[index].Contents)


def test_the_pages_the_order_rules_on_carry_their_stand_in_text(client, start):
    counsel = token_for(client, "counsel@plaintiffs.example")
    ex18 = api_get(client, counsel, f"/matters/{start}/documents/{EX18}/content").data
    page = _page_text(ex18, 528703 - 528691)  # AOL-DEF-00528703
    assert b"Database identification code: FIR-2018-000123" in page
    assert b"Information Gaps" in page
    assert b"FIR-2018-000123" not in _page_text(ex18, 0)
    ex19 = api_get(client, counsel, f"/matters/{start}/documents/{EX19}/content").data
    assert b"Database identification code: PPT-2018-000456" in _page_text(ex19, 516617 - 516605)


def test_the_clock_file_is_read_at_every_use_and_refuses_what_is_not_an_instant(
    tmp_path, settings, capsys
):
    path = tmp_path / "now"
    path.write_text("2020-07-10T23:59:00-07:00\n", encoding="utf-8")
    with Runtime({**settings, "CLOCK_FILE": str(path)}) as rt:
        assert "clock reads" in capsys.readouterr().err
        assert rt.now().isoformat() == "2020-07-11T06:59:00+00:00"
        path.write_text("2020-07-11T00:05:00-07:00", encoding="utf-8")
        assert rt.now().isoformat() == "2020-07-11T07:05:00+00:00"
    for text, why in (("2020-07-10T23:59:00", "offset"), ("next Friday", "not an ISO 8601")):
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigurationError, match=why):
            FileClock(path)
    with pytest.raises(ConfigurationError, match="GATEWAY_CLOCK_FILE"):
        FileClock(tmp_path / "missing")
