"""What a person sees in a real browser: the same rules as the API."""

from __future__ import annotations

from tests.browser.conftest import sign_in


def test_employee_browses_without_ever_seeing_aeo(page, live_url, demo):
    sign_in(page, live_url, "staff@alotrolado.example")
    page.click("text=Documents")
    page.wait_for_selector("table.docs")
    assert page.inner_text("#total") == "14"
    text = page.inner_text("main")
    assert "AOL-DEF-00556923" in text
    for hidden in ("AOL-DEF-00556914", "AOL-DEF-00528691", "AOL-DEF-00516605", "SENTRI", "lookout"):
        assert hidden not in text, f"{hidden} leaked into the page"
    page.fill("input[name=q]", "Border Patrol")
    page.click("text=Find")
    assert page.inner_text("#total") == "0"
    # the stylesheet applies: the header bar is coloured, so CSP did not block it
    colour = page.eval_on_selector("header.top", "e => getComputedStyle(e).backgroundColor")
    assert colour == "rgb(35, 48, 68)"


def test_expert_signs_exhibit_a_then_sees_confidential(page, live_url, demo):
    sign_in(page, live_url, "expert@plaintiffs.example")
    page.goto(f"{live_url}/matters/{demo}/documents")
    # before signing: what needs no Exhibit A, and a link to sign for the rest
    assert "AOL-PLTF-00000004" in page.inner_text("table.docs")
    assert "AOL-DEF-00556923" not in page.inner_text("main")
    page.click("#sign-for-more a")
    assert "/acknowledgment" in page.url
    assert "penalty of perjury" in page.inner_text("pre.exhibit")
    page.fill("input[name=full_name]", "Erin Expert")
    page.fill("input[name=address]", "9 Lab Way, San Diego, CA")
    page.fill("input[name=agent_name]", "Agent A")
    page.fill("input[name=agent_address]", "1 Main St, San Diego, CA")
    page.fill("input[name=signed_city]", "San Diego, CA")
    page.fill("input[name=signed_on]", "2020-06-26")
    page.fill("input[name=signature]", "/s/ Erin Expert")
    page.check("input[name=agree]")
    page.click("form.stack button[type=submit]")
    page.wait_for_selector("table.docs")
    text = page.inner_text("main")
    assert "Exhibit A signed" in text
    assert "AOL-DEF-00556923" in text and "AOL-DEF-00528691" not in text


def test_auditor_reads_the_trail_but_not_documents(page, live_url, demo):
    sign_in(page, live_url, "auditor@audit.example")
    page.goto(f"{live_url}/matters/{demo}/audit")
    assert "Every side" in page.inner_text("main")
    rows = page.locator("table.audit tbody tr").count()
    assert rows > 0
    response = page.goto(f"{live_url}/matters/{demo}/documents/AOL-DEF-00556923/content")
    assert response.status == 403
    assert "%PDF" not in page.content()
