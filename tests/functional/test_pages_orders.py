"""The court's order through the pages: each form calls the service the API calls, and what
every other user then sees (or must not see) changes with it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from gateway.audit.models import AuditEntry
from gateway.audit.tags import Outcome, Tag
from gateway.orders.models import Certification, Clawback, ClawbackItem, Obligation
from tests import factories
from tests.factories import DEFENDANTS, PLAINTIFFS
from tests.helpers import (
    BASE,
    SAME_ORIGIN,
    all_bates,
    assert_marked_copy,
    token_for,
    web_client,
    web_post,
)

EX1 = "AOL-DEF-00556914"  # AEO
EX6 = "AOL-DEF-00556923"  # CONFIDENTIAL image
EX18 = "AOL-DEF-00528691"  # AEO, 17 pages; page 13 is AOL-DEF-00528703
EX18_TITLE = b"Border Patrol field information report"
PLTF_INDEX = "AOL-PLTF-00000004"  # PUBLIC, produced and designated by Plaintiffs
DEFENSE = "counsel@defendants.example"
COUNSEL = "counsel@plaintiffs.example"
STAFF = "staff@alotrolado.example"
COURT = "court@casd.example"


def _page(client, path):
    return client.get(f"{BASE}{path}")


def _rows(rt, model):
    with rt.db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def _denied(rt, tag):
    with rt.db.session() as session:
        return session.scalars(
            select(AuditEntry.reason).where(
                AuditEntry.tag == str(tag), AuditEntry.outcome == str(Outcome.DENIED)
            )
        ).all()


def _without_csrf(page):
    """A page without its CSRF tokens (signed with the time, so two renderings differ)."""
    return re.sub(rb'name="csrf_token" value="[^"]*"', b"", page)


def _row(page, bates):
    """The document list's table row for ``bates``."""
    found = re.search(rb"<tr[^>]*>\s*<td><a [^>]*>" + bates.encode() + rb"</a>.*?</tr>", page, re.S)
    assert found, f"{bates} is not listed"
    return found.group(0)


def test_the_order_pages_need_sign_in_a_csrf_token_and_are_linked_from_the_matter(
    client, demo, rt, app
):
    for path in (
        "/notices",
        f"/matters/{demo}/deadlines",
        f"/matters/{demo}/certifications",
        f"/matters/{demo}/clawbacks",
        f"/matters/{demo}/clawbacks/1",
    ):
        response = _page(client, path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    defense = web_client(app, DEFENSE)
    documents = _page(defense, f"/matters/{demo}/documents").data
    for target in ("deadlines", "certifications", "clawbacks"):
        assert f'href="/matters/{demo}/{target}"'.encode() in documents
    assert b'href="/notices"' in documents
    # a form posted without the session's token, or from another site, changes nothing
    forged = defense.post(
        f"{BASE}/matters/{demo}/clawbacks",
        headers=SAME_ORIGIN,
        data={"documents": EX18, "privilege": "p", "basis": "b"},
    )
    assert forged.status_code == 400 and b"form expired or forged" in forged.data
    assert _rows(rt, Clawback) == 0
    assert EX18_TITLE in _page(web_client(app, COUNSEL), f"/matters/{demo}/documents").data


def test_redesignation_through_the_document_page_tells_everyone_who_held_it(demo, rt, app):
    staff, defense, counsel = (web_client(app, e) for e in (STAFF, DEFENSE, COUNSEL))
    assert staff.get(f"{BASE}/matters/{demo}/documents/{EX6}/content").status_code == 200
    page = _page(defense, f"/matters/{demo}/documents/{EX6}").data  # Defendants view it
    assert b'id="redesignate"' in page
    for code in ("PUBLIC", "CONFIDENTIAL", "AEO", "OCEO"):  # the matter's own tiers
        assert f'<option value="{code}"'.encode() in page
    # receiving counsel is not the designating party: no form is offered
    assert b'id="redesignate"' not in _page(counsel, f"/matters/{demo}/documents/{EX6}").data

    done = web_post(
        defense,
        f"/matters/{demo}/documents/{EX6}/designation",
        {"designation": "AEO", "pages": "", "reason": "inadvertently designated (¶5.3)"},
    )
    assert done.status_code == 200, done.data[:500]
    assert b"<strong>AEO</strong> (was CONFIDENTIAL)" in done.data
    held = re.search(rb'<table class="notified">.*?</table>', done.data, re.S).group(0)
    assert b"Dana Defense-Counsel" in held and DEFENSE.encode() in held and b"viewed" in held
    # Plaintiffs' people are told too, but their names are their side's work product
    assert STAFF.encode() not in done.data and b"Sam Staff" not in done.data

    # at once the employee gets 404, exactly as for a missing document, and is told why
    gone = _page(staff, f"/matters/{demo}/documents/{EX6}")
    missing = _page(staff, f"/matters/{demo}/documents/AOL-DEF-09999999")
    assert gone.status_code == 404 and _without_csrf(gone.data) == _without_csrf(missing.data)
    told = _page(staff, "/notices").data
    assert f"{EX6} re-designated AEO".encode() in told and b"downloaded" in told
    # receiving counsel opened its page (metadata only) and is told so; the court never did
    theirs = _page(counsel, "/notices").data
    assert f"{EX6} re-designated AEO".encode() in theirs and b"viewed" in theirs
    assert f"{EX6} re-designated".encode() not in _page(web_client(app, COURT), "/notices").data
    listed = _row(_page(counsel, f"/matters/{demo}/documents?per_page=500").data, EX6)
    assert b"ATTORNEYS&#39; EYES ONLY" in listed


def test_a_party_employee_gets_the_services_refusal_and_nothing_changes(demo, rt, app):
    staff = web_client(app, STAFF)
    page = _page(staff, f"/matters/{demo}/documents/{PLTF_INDEX}").data
    # the employee's own party designated it, but the role changes no designation: no form
    assert b'id="redesignate"' not in page
    refused = web_post(
        staff,
        f"/matters/{demo}/documents/{PLTF_INDEX}/designation",
        {"designation": "AEO", "reason": "ours to change"},
    )
    assert refused.status_code == 403
    assert b"your role in this matter does not allow designation:change" in refused.data
    # a tier the matter's order does not define: refused by the service, in its words
    defense = web_client(app, DEFENSE)
    unknown = web_post(
        defense,
        f"/matters/{demo}/documents/{EX6}/designation",
        {"designation": "SECRET", "reason": "stricter"},
    )
    assert unknown.status_code == 422 and b"designation: one of" in unknown.data
    refusals = _denied(rt, Tag.DESIGNATION_CHANGED)
    assert len(refusals) == 2 and "designation:change" in refusals[0]
    counsel = web_client(app, COUNSEL)
    assert b"CONFIDENTIAL" in _row(_page(counsel, f"/matters/{demo}/documents").data, EX6)
    assert b"PUBLIC" in _row(_page(counsel, f"/matters/{demo}/documents").data, PLTF_INDEX)


def test_clawback_through_the_page_sequesters_at_once_for_the_receiving_side(demo, rt, app):
    defense, counsel, staff = (web_client(app, e) for e in (DEFENSE, COUNSEL, STAFF))
    form = _page(defense, f"/matters/{demo}/documents/{EX18}").data
    assert f"/matters/{demo}/clawbacks?documents={EX18}".encode() in form
    filled = _page(defense, f"/matters/{demo}/clawbacks?documents={EX18}").data
    assert f">{EX18}</textarea>".encode() in filled

    # a Bates number that does not exist: the form comes back with the service's words
    typo = web_post(
        defense,
        f"/matters/{demo}/clawbacks",
        {"documents": f"{EX18}\nAOL-DEF-09999999", "privilege": "law enf.", "basis": "codes"},
    )
    assert typo.status_code == 404 and b"no such document" in typo.data
    assert b"AOL-DEF-09999999</textarea>" in typo.data and _rows(rt, Clawback) == 0

    notice = web_post(
        defense,
        f"/matters/{demo}/clawbacks",
        {
            "documents": f"{EX6}\n{EX18}, {EX1}",
            "privilege": "law enforcement privilege",
            "basis": "database identification codes",
        },
    )
    assert notice.status_code == 302
    location = notice.headers["Location"]
    assert re.fullmatch(rf"/matters/{demo}/clawbacks/\d+", location)
    page = _page(defense, location).data
    assert b"law enforcement privilege" in page and page.count(b'<tr class="sequestered">') == 3

    # receiving counsel: Bates number and "sequestered", no title, no content
    listed = _row(_page(counsel, f"/matters/{demo}/documents?per_page=500").data, EX18)
    assert b"sequestered" in listed and EX18_TITLE not in listed
    assert counsel.get(f"{BASE}/matters/{demo}/documents/{EX18}/content").status_code == 403
    assert b"Claw-back notice: 3 document(s) sequestered" in _page(counsel, "/notices").data
    assert b"Claw-back notice" not in _page(defense, "/notices").data
    # the employee's claw-back names only what the employee may list: Ex. 6, not the AEO ones
    theirs = _page(staff, location).data
    assert EX6.encode() in theirs and EX18.encode() not in theirs and EX1.encode() not in theirs
    # to the expert without Exhibit A, who may list none of them, it does not exist
    expert = web_client(app, "expert@plaintiffs.example")
    hidden = _page(expert, location)
    assert hidden.status_code == 404
    missing = _page(expert, f"/matters/{demo}/clawbacks/999").data
    assert _without_csrf(hidden.data) == _without_csrf(missing)


def test_receiving_counsel_presents_and_the_court_rules_through_the_clawback_page(
    demo, rt, app, clock
):
    clawback_id = factories.claw_back(rt, demo, [EX6, EX18])
    counsel, court = web_client(app, COUNSEL), web_client(app, COURT)
    url = f"/matters/{demo}/clawbacks/{clawback_id}"
    assert b"Present to the court under seal" in _page(counsel, url).data
    assert court.get(f"{BASE}/matters/{demo}/documents/{EX18}/content").status_code == 403
    presented = web_post(counsel, f"{url}/presentations")
    assert presented.status_code == 302
    assert court.get(f"{BASE}/matters/{demo}/documents/{EX18}/content").status_code == 200
    assert counsel.get(f"{BASE}/matters/{demo}/documents/{EX18}/content").status_code == 403

    page = _page(court, url).data
    assert page.count(b'class="stack ruling"') == 2 and b"Present to the court" not in page
    assert b'class="stack ruling"' not in _page(counsel, url).data
    order = {"order_date": "2020-06-26", "order_docket": "463"}
    # granted in part without naming the pages: the page comes back with the service's words
    vague = web_post(
        court, f"{url}/rulings", {"document": EX18, "outcome": "granted_in_part", **order}
    )
    assert vague.status_code == 422 and b"pages: name the pages" in vague.data
    assert b'<option value="granted_in_part" selected>' in vague.data
    in_part = web_post(
        court,
        f"{url}/rulings",
        {
            "document": EX18,
            "outcome": "granted_in_part",
            "pages": "13",
            **order,
            "deadlines": f"{DEFENDANTS} | lodge Ex. 18 under seal, redacted for privilege | 14",
        },
    )
    assert in_part.status_code == 302
    assert b"by 2020-07-10" in _page(court, url).data  # the flash names the deadline
    denied = web_post(court, f"{url}/rulings", {"document": EX6, "outcome": "denied", **order})
    assert denied.status_code == 302
    # as receiving counsel sees it: Ex. 6 restored, Ex. 18 still sequestered
    listed = _page(counsel, f"/matters/{demo}/documents?per_page=500").data
    assert b"produced" in _row(listed, EX6) and b"sequestered" in _row(listed, EX18)
    assert counsel.get(f"{BASE}/matters/{demo}/documents/{EX6}/content").status_code == 200
    again = web_post(court, f"{url}/rulings", {"document": EX6, "outcome": "granted", **order})
    assert again.status_code == 409 and b"ruled on already (denied)" in again.data
    with rt.db.session() as session:
        outcomes = session.scalars(select(ClawbackItem.outcome).order_by(ClawbackItem.id)).all()
    assert outcomes == ["denied", "granted_in_part"] and _rows(rt, Obligation) == 1
    # the producing party cannot present what it claws back: the service says why
    refused = web_post(web_client(app, DEFENSE), f"{url}/presentations")
    assert refused.status_code == 403 and b"the receiving party presents" in refused.data


def test_deadlines_page_shows_each_party_its_own_obligations(demo, rt, app, clock):
    clawback_id = factories.claw_back(rt, demo, [EX18])
    factories.rule(
        rt,
        demo,
        clawback_id,
        EX18,
        "granted_in_part",
        pages=[13],
        deadlines=[
            {"party": DEFENDANTS, "what": "file Ex. 18 on the public docket, redacted", "days": 14},
            {"party": PLAINTIFFS, "what": "return every copy of page 13", "days": 8},
        ],
    )
    defense, counsel, court = (web_client(app, e) for e in (DEFENSE, COUNSEL, COURT))
    path = f"/matters/{demo}/deadlines"
    theirs = _page(defense, path).data
    assert b"file Ex. 18 on the public docket" in theirs and b"return every copy" not in theirs
    # due July 10, 2020; the last day ends at midnight Pacific (FRCP 6(a)(4)(A))
    assert b"2020-07-10" in theirs and b"2020-07-11 00:00 PDT" in theirs
    assert b"2020-07-11T07:00:00+00:00" in theirs and b'<span id="overdue">0</span>' in theirs
    ours = _page(counsel, path).data
    assert b"return every copy" in ours and b"file Ex. 18" not in ours
    # 8 days end on Saturday, July 4 (Independence Day): the period runs to Monday, July 6
    assert b"2020-07-04: Saturday" in ours and b"2020-07-05: Sunday" in ours
    assert b"2020-07-06" in ours
    both = _page(court, path).data
    assert b"file Ex. 18" in both and b"return every copy" in both
    # the court's order itself, as each may know it
    assert b"Order of 2020-06-26, Dkt. 463: 1 granted in part" in ours
    expert = _page(web_client(app, "expert@plaintiffs.example"), path).data
    assert b'id="no-orders"' in expert and b"1 granted in part" not in expert  # none of it

    # signed in afresh after each step of the clock: the old sessions have timed out
    clock.advance(days=10)  # July 6, 2020, 10:00 Pacific: Plaintiffs' last day has not ended
    assert b'<span id="overdue">0</span>' in _page(web_client(app, COUNSEL), path).data
    clock.advance(hours=14)  # 00:00 Pacific on July 7
    late = _page(web_client(app, COUNSEL), path).data
    assert b'<span id="overdue">1</span>' in late and b"Overdue" in late
    assert b"Overdue" not in _page(web_client(app, DEFENSE), path).data


def test_certification_page_is_the_receiving_partys_alone(demo, rt, app):
    for email, bates in ((COUNSEL, EX6), (COUNSEL, EX18), (STAFF, EX6)):
        factories.download(rt, demo, email, bates)
    clawback_id = factories.claw_back(rt, demo, [EX1, EX6, EX18])
    counsel, defense = web_client(app, COUNSEL), web_client(app, DEFENSE)
    path = f"/matters/{demo}/certifications"
    page = _page(counsel, path).data
    task = re.search(rb'id="certification-(\d+)"', page).group(1).decode()
    assert f"claw-back {clawback_id}".encode() in page and b"2020-07-11 00:00 PDT" in page
    copies = re.search(rb'<table class="copies">.*?</table>', page, re.S).group(0)
    assert copies.count(EX6.encode()) == 2 and copies.count(EX18.encode()) == 1
    assert STAFF.encode() in copies and EX1.encode() not in copies  # never downloaded

    # the producing party sees nothing of it, and cannot sign it
    other = _page(defense, path)
    assert other.status_code == 200 and b'id="no-tasks"' in other.data
    for shown in (EX6, EX18, COUNSEL, STAFF):
        assert shown.encode() not in other.data
    stolen = web_post(
        defense, f"{path}/{task}", {"statement": "x", "signed_by": "Dana Defense-Counsel"}
    )
    missing = web_post(
        defense, f"{path}/999", {"statement": "x", "signed_by": "Dana Defense-Counsel"}
    )
    assert stolen.status_code == missing.status_code == 404
    assert b"no such certification for your party" in stolen.data

    actions = {f"action:{EX6}": "destroyed", f"action:{EX18}": "sequestered"}
    statement = {"statement": "destroyed and sequestered; no copies were given to others"}
    unsigned = web_post(counsel, f"{path}/{task}", {**actions, **statement, "signed_by": "P. C."})
    assert unsigned.status_code == 422 and b"signed_by: counsel signs" in unsigned.data
    assert b'<option value="destroyed" selected>' in unsigned.data  # what was chosen stays
    signed = web_post(
        counsel,
        f"{path}/{task}",
        {**actions, **statement, "signed_by": "/s/ Pat Plaintiff-Counsel"},
    )
    assert signed.status_code == 302
    done = _page(counsel, path).data
    assert b"Certified" in done and b"/s/ Pat Plaintiff-Counsel" in done
    assert (
        b"<td>destroyed</td>" in done
        and f'action="/matters/{demo}/certifications/{task}"'.encode() not in done
    )
    assert _rows(rt, Certification) == 1 and b'id="no-tasks"' in _page(defense, path).data


@pytest.mark.parametrize(
    "email", [STAFF, "expert@plaintiffs.example", COURT, DEFENSE, "auditor@audit.example"]
)
def test_the_order_pages_name_nothing_hidden_from_their_reader(client, demo, rt, app, email):
    for who, bates in ((COUNSEL, EX1), (COUNSEL, EX18), (STAFF, EX6)):
        factories.download(rt, demo, who, bates)
    clawback_id = factories.claw_back(rt, demo, [EX1, EX6, EX18])
    factories.rule(
        rt,
        demo,
        clawback_id,
        EX1,
        "denied",
        deadlines=[{"party": PLAINTIFFS, "what": "certify what became of the copies", "days": 14}],
    )
    court = token_for(client, COURT)
    universe = set(all_bates(client, court, demo))
    token = token_for(client, email)
    listed = set(all_bates(client, token, demo)) if email != "auditor@audit.example" else set()
    hidden = universe - listed
    assert hidden or email in (COURT, DEFENSE)
    # which documents Plaintiffs' people downloaded is their work product
    if email in (COURT, DEFENSE, "auditor@audit.example"):
        hidden |= {COUNSEL, STAFF}
    reader = web_client(app, email)
    for path in (
        "/notices",
        f"/matters/{demo}/clawbacks",
        f"/matters/{demo}/clawbacks/{clawback_id}",
        f"/matters/{demo}/certifications",
        f"/matters/{demo}/deadlines",
    ):
        body = _page(reader, path).data.decode()
        shown = sorted(b for b in hidden if b in body)
        assert shown == [], f"{email}: {path} names {shown}"


def _upload_page(client, matter, bates, *, token_first=True, pdf=None, kind="privilege_redacted"):
    """The versions page's form as a browser sends it: the CSRF token first, then the
    fields, then the file (or, forged, the file before any token)."""
    import io

    from tests.helpers import csrf_token, pdf_bytes

    token = csrf_token(client, f"{BASE}/notices")
    fields = [("kind", kind), ("designation", "AEO")]
    data = ([("csrf_token", token)] if token_first else []) + fields
    data.append(("file", (io.BytesIO(pdf if pdf is not None else pdf_bytes(17)), "v.pdf")))
    from werkzeug.datastructures import MultiDict

    return client.post(
        f"{BASE}/matters/{matter}/documents/{bates}/versions",
        headers=SAME_ORIGIN,
        data=MultiDict(data),
        content_type="multipart/form-data",
    )


def test_versions_and_filings_through_the_pages(demo, rt, app):
    from gateway.documents.ingest import count_rows
    from gateway.orders.models import Filing
    from tests.helpers import pdf_bytes

    defense, counsel = web_client(app, DEFENSE), web_client(app, COUNSEL)
    clawback_id = factories.claw_back(rt, demo, [EX18])
    factories.rule(rt, demo, clawback_id, EX18, "granted_in_part", pages=[13])
    page = _page(defense, f"/matters/{demo}/documents/{EX18}")
    assert b'id="file"' in page.data and b"Versions</a>" in page.data

    def stored():
        with rt.db.session() as session:
            return count_rows(session), sorted(rt.blobs.store.iter_keys())

    # a forged upload (no token before the file) stores nothing; the receiving side is refused
    before = stored()
    forged = _upload_page(defense, demo, EX18, token_first=False)
    assert forged.status_code == 403 and b"CSRF" in forged.data
    by_receiver = _upload_page(counsel, demo, EX18)
    assert by_receiver.status_code == 403 and b"only the producing" in by_receiver.data
    short = _upload_page(defense, demo, EX18, pdf=pdf_bytes(3))
    assert short.status_code == 422 and b"3 page(s)" in short.data
    assert stored() == before

    redacted = pdf_bytes(17, "redacted for privilege")
    made = _upload_page(defense, demo, EX18, pdf=redacted)
    assert made.status_code == 302, made.data
    history = _page(counsel, f"/matters/{demo}/documents/{EX18}/versions").data
    assert b'data-kind="privilege_redacted"' in history and b'data-kind="original"' in history
    got = counsel.get(f"{BASE}/matters/{demo}/documents/{EX18}/content")
    assert got.status_code == 200
    assert_marked_copy(got.data, redacted)

    # a filing from the document page; the receiving party may not file it publicly
    refused = web_post(
        counsel,
        f"/matters/{demo}/filings",
        {
            "document": EX6,
            "disposition": "public_full",
            "docket": "470",
            "filed_at": "2020-06-26T09:00-07:00",
        },
    )
    assert refused.status_code == 403 and _rows(rt, Filing) == 0
    filed = web_post(
        defense,
        f"/matters/{demo}/filings",
        {
            "document": EX6,
            "disposition": "public_full",
            "docket": "470",
            "filed_at": "2020-06-26T09:00-07:00",
        },
    )
    assert filed.status_code == 302 and _rows(rt, Filing) == 1
    expert = web_client(app, "expert@plaintiffs.example")  # no Exhibit A: PUBLIC only
    assert EX6 in all_bates(
        app.test_client(), token_for(app.test_client(), "expert@plaintiffs.example"), demo
    )
    assert _page(expert, f"/matters/{demo}/documents/{EX6}").status_code == 200
