"""The reference case (Al Otro Lado v. Wolf, S.D. Cal.) as demo data.

The documents are generated stand-ins: PDFs that carry the real Bates numbers and
designations of the exhibits the court's order of June 26, 2020 discusses, and say on
every page that they are stand-ins. They are built in memory and go straight through the
same ingest path as a real volume, encrypted before anything is stored: no demo document
exists in plaintext on disk, not even for a moment.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib import resources

from reportlab.lib.pagesizes import letter
from reportlab.pdfgen import canvas

from gateway.accounts import service as accounts
from gateway.audit.events import Actor
from gateway.documents.ingest import designation_spellings, ingest
from gateway.ingest.plan import build_plan
from gateway.ingest.source import MemorySource
from gateway.ingest.writer import write_dat
from gateway.matters import order_policy
from gateway.matters import service as matters
from gateway.matters.exhibit_a import ExhibitA
from gateway.runtime import Runtime

DEMO_PASSWORD = "demo-password-123"  # noqa: S105 - demo accounts only, printed with a warning
CASE_NUMBER = "3:17-cv-2366-BAS-KSC"
LEGENDS = {
    "OCEO": "HIGHLY CONFIDENTIAL - OUTSIDE COUNSEL'S EYES ONLY",
    "AEO": "HIGHLY CONFIDENTIAL - ATTORNEYS' EYES ONLY",
    "CONFIDENTIAL": "CONFIDENTIAL",
    "PUBLIC": "",
}


# What the court's order of June 26, 2020 rules on, page by page (stand-in text): the
# database identification codes it lets Defendants withhold, and the "Information Gaps"
# section it does not.
PAGE_TEXT = {
    "AOL-DEF-00528703": (
        "Database identification code: FIR-2018-000123",
        "Information Gaps",
        "  Stand-in names: Agent Example One; Analyst Example Two",
        "  Open questions on the subject's travel (stand-in text).",
    ),
    "AOL-DEF-00516617": ("Database identification code: PPT-2018-000456",),
}


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str | None
    party: str | None  # "plaintiffs", "defendants" or None
    signed: bool = False
    operator: bool = False


USERS = (
    DemoUser(
        "counsel@plaintiffs.example", "Pat Plaintiff-Counsel", "outside_counsel", "plaintiffs"
    ),
    DemoUser("staff@alotrolado.example", "Sam Staff", "party_employee", "plaintiffs", signed=True),
    DemoUser("expert@plaintiffs.example", "Erin Expert", "expert", "plaintiffs"),
    DemoUser("court@casd.example", "Chambers Clerk", "court", None),
    DemoUser("counsel@defendants.example", "Dana Defense-Counsel", "outside_counsel", "defendants"),
    DemoUser("auditor@audit.example", "Alex Auditor", "auditor", None),
    DemoUser("admin@gateway.example", "Gateway Operator", None, None, operator=True),
)


@dataclass(frozen=True)
class DemoDoc:
    begin: int
    end: int
    designation: str
    title: str
    custodian: str
    family: int | None = None  # BEGATTACH number
    family_end: int | None = None
    author: str = ""
    recipients: str = ""


def defendants_documents(*, start: bool = False) -> list[DemoDoc]:
    """Defendants' exhibits; ``start``: as first produced, before Ex. 19 was re-designated."""
    fam, fam_end = 556914, 556934
    docs = [
        DemoDoc(
            556914,
            556918,
            "AEO",
            "E-mail re revocation of a SENTRI card (Gov't Ex. 1)",
            "CBP Office of Field Operations",
            fam,
            fam_end,
            author="officer.a@cbp.example",
            recipients="supervisor.b@cbp.example",
        ),
    ]
    for exhibit in range(2, 18):
        number = 556917 + exhibit
        kind = {2: '"lookout" record', 5: "excerpt of the field information report"}.get(
            exhibit, "public social-media post" if exhibit >= 14 else "embedded image"
        )
        docs.append(
            DemoDoc(
                number,
                number,
                "AEO" if exhibit <= 5 else "CONFIDENTIAL",
                f"Image embedded in Gov't Ex. 1: {kind} (Gov't Ex. {exhibit})",
                "CBP Office of Field Operations",
                fam,
                fam_end,
            )
        )
    docs.append(
        DemoDoc(
            528691,
            528707,
            "AEO",
            "Border Patrol field information report (Gov't Ex. 18)",
            "U.S. Border Patrol Intelligence",
        )
    )
    docs.append(
        DemoDoc(
            516605,
            516623,
            "CONFIDENTIAL" if start else "AEO",
            "Briefing presentation, December 2018 operations (Gov't Ex. 19"
            + (")" if start else "; re-designated from CONFIDENTIAL)"),
            "CBP Leadership Briefings",
        )
    )
    return docs


def plaintiffs_documents() -> list[DemoDoc]:
    return [
        DemoDoc(
            1,
            3,
            # the matter's own stricter tier: no officer or employee of Defendants may ever
            # see it, not even a cleared Designated House Counsel (BRIEF §3)
            "OCEO",
            "Key linking the 67 pseudonymous declarants to their identities",
            "Al Otro Lado Legal Team",
        ),
        DemoDoc(
            4,
            5,
            "PUBLIC",
            "Index of pseudonymous declarations as filed (Dkt. 390)",
            "Al Otro Lado Legal Team",
        ),
    ]


def _pdf(prefix: str, doc: DemoDoc) -> bytes:
    """A stand-in PDF: one page per Bates number, legend and Bates burned in."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=letter, invariant=1)
    width, height = letter
    for number in range(doc.begin, doc.end + 1):
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(72, height - 90, doc.title[:80])
        pdf.setFont("Helvetica", 11)
        pdf.drawString(
            72, height - 120, "GENERATED STAND-IN DOCUMENT FOR DEMONSTRATION. NOT REAL CONTENT."
        )
        pdf.drawString(
            72, height - 140, f"Page {number - doc.begin + 1} of {doc.end - doc.begin + 1}"
        )
        for line_no, line in enumerate(PAGE_TEXT.get(f"{prefix}{number:08d}", ())):
            pdf.drawString(72, height - 180 - line_no * 16, line)
        if "Key linking" in doc.title:
            for row in range(20):
                declarant = (number - doc.begin) * 23 + row + 1
                if declarant <= 67:
                    pdf.drawString(
                        72,
                        height - 180 - row * 16,
                        f"Declarant {declarant:02d}  ->  [stand-in identity {declarant:02d}]",
                    )
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(72, 40, LEGENDS[doc.designation])
        pdf.drawRightString(width - 72, 40, f"{prefix}{number:08d}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _volume(prefix: str, volume: str, docs: list[DemoDoc]) -> tuple[MemorySource, bytes]:
    fields = [
        "BEGBATES",
        "ENDBATES",
        "BEGATTACH",
        "ENDATTACH",
        "CUSTODIAN",
        "CONFIDENTIALITY",
        "TITLE",
        "FROM",
        "TO",
        "FILENAME",
        "NATIVELINK",
        "PAGECOUNT",
    ]
    rows = []
    files: dict[str, bytes] = {}
    for doc in docs:
        begin = f"{prefix}{doc.begin:08d}"
        native = f"NATIVES/{begin}.pdf"
        files[native] = _pdf(prefix, doc)
        rows.append(
            [
                begin,
                f"{prefix}{doc.end:08d}",
                f"{prefix}{doc.family:08d}" if doc.family else "",
                f"{prefix}{doc.family_end:08d}" if doc.family_end else "",
                doc.custodian,
                LEGENDS[doc.designation],
                doc.title,
                doc.author,
                doc.recipients,
                f"{begin}.pdf",
                native,
                str(doc.end - doc.begin + 1),
            ]
        )
    dat = write_dat(fields, rows)
    files[f"DATA/{volume}.dat"] = dat
    return MemorySource(files, name=volume), dat


def _variant_file(name: str) -> str:
    return resources.files("policies").joinpath("variants", name).read_text(encoding="utf-8")


def reference_rules_text() -> str:
    """The reference matter's rules: the default set and the order's own additions."""
    default = resources.files("policies").joinpath("default.csv").read_text(encoding="utf-8")
    return default + "\n" + _variant_file("casd-dkt-276-rules.csv")


def load_demo(rt: Runtime, say: Callable[[str], None] = print, *, start: bool = False) -> int:
    """Create the reference matter, its users and both productions. Returns the matter id.

    ``start``: the case as it stood before the events of the order (Ex. 19 still
    CONFIDENTIAL, nothing clawed back); otherwise Ex. 19 as re-designated AEO."""
    operator = Actor.command_line("demo-loader")
    for user in USERS:
        accounts.create_user(
            rt,
            operator,
            email=user.email,
            full_name=user.name,
            password=DEMO_PASSWORD,
            is_operator=user.operator,
        )
    matter = matters.create_matter(
        rt,
        operator,
        caption="Al Otro Lado, Inc., et al. v. Chad F. Wolf, et al.",
        case_number=CASE_NUMBER,
        court="United States District Court for the Southern District of California",
        court_timezone="America/Los_Angeles",
        order_title="Stipulated Protective Order (Dkt. No. 276)",
        # The reference gives the order's docket number, not its date: this is a stand-in.
        order_date=date(2019, 9, 3),
        order_docket="276",
        forum_state="California",
        court_id="casd",
    )
    plaintiffs = matters.add_party(
        rt, operator, matter.id, name="Al Otro Lado, Inc., et al. (Plaintiffs)", kind="plaintiff"
    )
    defendants = matters.add_party(
        rt, operator, matter.id, name="Chad F. Wolf, et al. (Defendants)", kind="defendant"
    )
    party_ids = {"plaintiffs": plaintiffs.id, "defendants": defendants.id}
    for user in USERS:
        if user.role:
            matters.add_member(
                rt,
                operator,
                matter.id,
                matters.NewMember(
                    email=user.email,
                    role=user.role,
                    party_id=party_ids.get(user.party or ""),
                ),
            )
    for user in USERS:
        if user.signed:
            signer = accounts.get_user(rt, user.email)
            matters.sign_acknowledgment(
                rt,
                signer,
                matter.id,
                ExhibitA(
                    full_name=user.name,
                    address="1 Demo Street, San Diego, CA",
                    agent_name="Demo Agent",
                    agent_address="2 Demo Street, San Diego, CA",
                    signed_city="San Diego, California",
                    signed_on=matters.court_today(matter, rt.now()),
                    signature=f"/s/ {user.name}",
                    agree=True,
                ),
                address="demo",
            )
    order_policy.set_variant(
        rt,
        operator,
        matter.id,
        rules_text=reference_rules_text(),
        tiers_text_=_variant_file("casd-dkt-276-tiers.csv"),
        reason="Stipulated Protective Order (Dkt. No. 276): outside counsel's eyes only tier",
    )
    spellings = designation_spellings(rt, matter.id)
    for prefix, volume, party_id, docs in (
        ("AOL-DEF-", "AOL-DEF-VOL001", defendants.id, defendants_documents(start=start)),
        ("AOL-PLTF-", "AOL-PLTF-VOL001", plaintiffs.id, plaintiffs_documents()),
    ):
        source, _dat = _volume(prefix, volume, docs)
        plan = build_plan(
            source,
            dat_path=f"DATA/{volume}.dat",
            opt_path=None,
            designations=spellings,
            volume=volume,
        )
        production = ingest(
            rt, operator, matter_id=matter.id, party_id=party_id, plan=plan, source=source
        )
        say(
            f"  produced {production.volume}: {production.document_count} documents, "
            f"{production.page_count} pages"
        )
    return matter.id
