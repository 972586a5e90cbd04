"""``pogw`` commands for the order's workflows (re-designation, claw-back, rulings,
certifications, notices, the privilege log) and the operator's list of what is due.

A workflow is a matter member's act, so its command runs as that member: the user's API
token comes from ``--token`` or ``POGW_TOKEN``, is resolved here as the API resolves it
(a bad token is counted and audited the same way), and the command calls the service the
API calls, from the address ``local``. It prints the JSON the API answers. The operator,
who is no member of any matter, lists every matter's deadlines without a token.
"""

from __future__ import annotations

import json
from typing import Any

import click

LOCAL = "local"

_token = click.option(
    "--token",
    envvar="POGW_TOKEN",
    show_envvar=True,
    help="the acting user's API token (POST /api/v1/auth/token); prefer POGW_TOKEN, "
    "which other users of this machine cannot read in the process list",
)


def _member(ctx: click.Context, token: str | None, case_number: str | None = None) -> Any:
    """(runtime, the token's user, the matter's id or None) for a member's command."""
    from gateway.accounts.service import user_for_token
    from gateway.cli import _matter_id, _runtime

    if not token:
        raise click.UsageError(
            "this command acts as a member of the matter: give that user's API token "
            "with --token or the POGW_TOKEN environment variable"
        )
    rt = _runtime(ctx)
    user = user_for_token(rt, token, address=LOCAL)
    return rt, user, None if case_number is None else _matter_id(rt, case_number)


def _print(value: Any) -> None:
    click.echo(json.dumps(value))


def _numbers(text: str | None, option: str) -> list[int] | None:
    """``3,4`` -> [3, 4]; the service checks them against the document."""
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise click.BadParameter(
            f"page numbers separated by commas, not {text!r}", param_hint=option
        ) from None


@click.command()
@click.argument("case_number")
@click.argument("bates")
@click.option("--designation", required=True, help="a tier of the matter's order, e.g. AEO")
@click.option("--pages", default=None, help="only these pages, e.g. 3,4 (1 is the first page)")
@click.option("--reason", required=True, help="why the designation changes")
@_token
@click.pass_context
def redesignate(
    ctx: click.Context,
    case_number: str,
    bates: str,
    designation: str,
    pages: str | None,
    reason: str,
    token: str | None,
) -> None:
    """Re-designate a document, whole or named pages, as its designating party's counsel."""
    from gateway.orders.redesignate import redesignate as change

    rt, user, matter_id = _member(ctx, token, case_number)
    result = change(
        rt,
        user,
        matter_id,
        bates,
        designation=designation,
        pages=_numbers(pages, "--pages"),
        reason=reason,
        address=LOCAL,
    )
    _print(result.as_json())


@click.group()
def clawbacks() -> None:
    """Claw back privileged material, present it to the court, rule on it."""


@clawbacks.command("notice")
@click.argument("case_number")
@click.argument("bates", nargs=-1, required=True)
@click.option("--privilege", required=True, help="the privilege or protection asserted")
@click.option("--basis", required=True, help="the basis of the claim")
@_token
@click.pass_context
def clawbacks_notice(
    ctx: click.Context,
    case_number: str,
    bates: tuple[str, ...],
    privilege: str,
    basis: str,
    token: str | None,
) -> None:
    """Claw back documents (FRCP 26(b)(5)(B)): sequestered at once for the receiving side."""
    from gateway.orders.clawback import claw_back

    rt, user, matter_id = _member(ctx, token, case_number)
    view = claw_back(
        rt,
        user,
        matter_id,
        documents=list(bates),
        privilege=privilege,
        basis=basis,
        address=LOCAL,
    )
    _print(view.as_json())


@clawbacks.command("show")
@click.argument("case_number")
@click.argument("clawback_id", type=int)
@_token
@click.pass_context
def clawbacks_show(
    ctx: click.Context, case_number: str, clawback_id: int, token: str | None
) -> None:
    """A claw-back, naming the documents of it the user may list."""
    from gateway.orders.clawback import get_clawback

    rt, user, matter_id = _member(ctx, token, case_number)
    _print(get_clawback(rt, user, matter_id, clawback_id, address=LOCAL).as_json())


@clawbacks.command("present")
@click.argument("case_number")
@click.argument("clawback_id", type=int)
@click.argument("bates", nargs=-1)
@_token
@click.pass_context
def clawbacks_present(
    ctx: click.Context,
    case_number: str,
    clawback_id: int,
    bates: tuple[str, ...],
    token: str | None,
) -> None:
    """Present a claw-back's documents (or only BATES...) to the court under seal, as
    receiving counsel."""
    from gateway.orders.clawback import present

    rt, user, matter_id = _member(ctx, token, case_number)
    view = present(rt, user, matter_id, clawback_id, documents=list(bates) or None, address=LOCAL)
    _print(view.as_json())


def _ordered(text: str) -> dict[str, Any]:
    """``PARTY|WHAT|DAYS`` -> {party, what, days}; the service checks the party and days."""
    party, _, rest = text.partition("|")
    what, _, days = rest.rpartition("|")
    try:
        count = int(days)
    except ValueError:
        count = None
    if not party or not what or count is None:
        raise click.BadParameter(
            f"PARTY|WHAT|DAYS, e.g. 'Acme Corp.|file the redacted version|14', not {text!r}",
            param_hint="--deadline",
        )
    return {"party": party, "what": what, "days": count}


@clawbacks.command("rule")
@click.argument("case_number")
@click.argument("clawback_id", type=int)
@click.option("--document", required=True, help="the Bates number ruled on")
@click.option("--outcome", required=True, help="denied, granted or granted_in_part")
@click.option("--pages", default=None, help="granted_in_part: the pages, e.g. 1,2")
@click.option("--order-date", required=True, help="the date of the court's order, YYYY-MM-DD")
@click.option("--docket", required=True, help="the docket number of the court's order")
@click.option(
    "--deadline",
    "deadlines",
    multiple=True,
    help="an obligation the order sets: 'PARTY|WHAT|DAYS', the party as the matter names "
    "it (repeatable)",
)
@_token
@click.pass_context
def clawbacks_rule(
    ctx: click.Context,
    case_number: str,
    clawback_id: int,
    document: str,
    outcome: str,
    pages: str | None,
    order_date: str,
    docket: str,
    deadlines: tuple[str, ...],
    token: str | None,
) -> None:
    """Record the court's ruling on one document of a claw-back, and the deadlines it sets:
    as the court's user (its token), or, without a token, as the operator entering the
    court's written order."""
    from gateway.audit.events import Actor
    from gateway.cli import _matter_id, _runtime
    from gateway.orders.rulings import record_ruling, rule

    ordered = [_ordered(text) for text in deadlines]
    arguments: dict[str, Any] = dict(
        document=document,
        outcome=outcome,
        pages=_numbers(pages, "--pages"),
        order={"date": order_date, "docket": docket},
        deadlines=ordered or None,
    )
    if token:
        rt, user, matter_id = _member(ctx, token, case_number)
        _print(rule(rt, user, matter_id, clawback_id, **arguments, address=LOCAL))
        return
    rt = _runtime(ctx)
    matter_id = _matter_id(rt, case_number)
    _print(record_ruling(rt, Actor.command_line(), matter_id, clawback_id, **arguments))


@click.group()
def certifications() -> None:
    """Certify what became of the copies downloaded before a claw-back notice."""


@certifications.command("list")
@click.argument("case_number")
@_token
@click.pass_context
def certifications_list(ctx: click.Context, case_number: str, token: str | None) -> None:
    """The certification tasks of the user's own party (never another party's)."""
    from gateway.orders.clawback import certifications_for

    rt, user, matter_id = _member(ctx, token, case_number)
    _print({"items": certifications_for(rt, user, matter_id, address=LOCAL)})


def _copy(text: str) -> dict[str, str]:
    bates, _, action = text.partition("=")
    if not bates or not action:
        raise click.BadParameter(
            f"BATES=returned|sequestered|destroyed, not {text!r}", param_hint="--copy"
        )
    return {"bates_begin": bates, "action": action}


@certifications.command("sign")
@click.argument("case_number")
@click.argument("certification_id", type=int)
@click.option(
    "--copy",
    "copies",
    multiple=True,
    required=True,
    help="BATES=returned|sequestered|destroyed, for every copy the task lists (repeatable)",
)
@click.option("--statement", required=True, help="what was done with the copies")
@click.option("--signed-by", required=True, help="counsel's own full name, e.g. '/s/ Pat Doe'")
@_token
@click.pass_context
def certifications_sign(
    ctx: click.Context,
    case_number: str,
    certification_id: int,
    copies: tuple[str, ...],
    statement: str,
    signed_by: str,
    token: str | None,
) -> None:
    """Sign the party's certification: what became of each copy it downloaded."""
    from gateway.orders.clawback import certify

    listed = [_copy(text) for text in copies]
    rt, user, matter_id = _member(ctx, token, case_number)
    result = certify(
        rt,
        user,
        matter_id,
        certification_id,
        copies=listed,
        statement=statement,
        signed_by=signed_by,
        address=LOCAL,
    )
    _print(result)


@click.command()
@_token
@click.pass_context
def notices(ctx: click.Context, token: str | None) -> None:
    """The user's own notices, newest first."""
    from gateway.orders.notices import notices_for

    rt, user, _ = _member(ctx, token)
    _print({"items": notices_for(rt, user)})


@click.command()
@click.option("--case", "case_number", default=None, help="only this matter (its case number)")
@click.option("--overdue", is_flag=True, help="only obligations whose last day has ended")
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
@click.pass_context
def deadlines(ctx: click.Context, case_number: str | None, overdue: bool, as_json: bool) -> None:
    """What the court's orders require of each party, in every matter, and what is overdue."""
    from gateway.audit.events import Actor
    from gateway.cli import _matter_id, _runtime
    from gateway.orders.dashboard import obligations_due

    rt = _runtime(ctx)
    matter_id = None if case_number is None else _matter_id(rt, case_number)
    items = obligations_due(rt, Actor.command_line(), matter_id=matter_id, overdue_only=overdue)
    if as_json:
        _print({"now": rt.now().isoformat(), "items": items})
        return
    _table(items, rt.now())


def _table(items: list[dict[str, Any]], now: Any) -> None:
    click.echo(f"as of {now.isoformat()}")
    if not items:
        click.echo("nothing due")
        return
    click.echo(f"{'due':10}  {'ends at (UTC)':25}  {'':7}  {'case':22}  {'order':8}  party: what")
    for item in items:
        click.echo(
            f"{item['due']:10}  {item['ends_at']:25}  "
            f"{'OVERDUE' if item['overdue'] else '':7}  {item['case_number']:22}  "
            f"{item['order']:8}  {item['party']}: {item['what']}"
        )


@click.group()
def versions() -> None:
    """A document's versions: supply a redacted one, list those the user may know of."""


class _FileUpload:
    """A version's file read from disk in pieces, with the fields the API takes as form
    fields."""

    def __init__(self, path: str, fields: dict[str, str]) -> None:
        self.path, self.fields = path, fields

    def chunks(self) -> Any:
        with open(self.path, "rb") as handle:
            while piece := handle.read(1 << 20):
                yield piece


@versions.command("add")
@click.argument("case_number")
@click.argument("bates")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--kind", required=True, type=click.Choice(["privilege_redacted", "public_redacted"]))
@click.option("--designation", required=True, help="the version's tier, e.g. AEO")
@_token
@click.pass_context
def versions_add(
    ctx: click.Context,
    case_number: str,
    bates: str,
    file: str,
    kind: str,
    designation: str,
    token: str | None,
) -> None:
    """Supply a redacted version of a document (a PDF with its page count), as its
    producing or designating party."""
    from gateway.orders.versions import supply_version

    rt, user, matter_id = _member(ctx, token, case_number)
    upload = _FileUpload(file, {"kind": kind, "designation": designation})
    _print(supply_version(rt, user, matter_id, bates, upload, address=LOCAL))


@versions.command("list")
@click.argument("case_number")
@click.argument("bates")
@_token
@click.pass_context
def versions_list(ctx: click.Context, case_number: str, bates: str, token: str | None) -> None:
    """The versions of a document the user may know of, most complete first."""
    from gateway.orders.versions import versions_of

    rt, user, matter_id = _member(ctx, token, case_number)
    _print({"items": versions_of(rt, user, matter_id, bates, address=LOCAL)})


@click.command("file")
@click.argument("case_number")
@click.argument("bates")
@click.option(
    "--disposition",
    required=True,
    help="lodged_under_seal, public_full or public_redacted",
)
@click.option("--version", "kind", default=None, help="the version filed (default: by disposition)")
@click.option("--docket", required=True, help="the docket number the court gave the filing")
@click.option("--filed-at", required=True, help="when it was filed, ISO 8601 with its offset")
@_token
@click.pass_context
def file_command(
    ctx: click.Context,
    case_number: str,
    bates: str,
    disposition: str,
    kind: str | None,
    docket: str,
    filed_at: str,
    token: str | None,
) -> None:
    """Record a filing with the court, checked against the deadline that ordered it."""
    from gateway.orders.filings import file_with_court

    rt, user, matter_id = _member(ctx, token, case_number)
    result = file_with_court(
        rt,
        user,
        matter_id,
        document=bates,
        version=kind,
        disposition=disposition,
        docket=docket,
        filed_at=filed_at,
        address=LOCAL,
    )
    _print(result)


@click.command("privilege-log")
@click.argument("case_number")
@click.option(
    "--format", "fmt", default="json", show_default=True, help="json, csv or pdf (as the API)"
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="write the log to this file (a csv or pdf log goes to standard output otherwise)",
)
@_token
@click.pass_context
def privilege_log_command(
    ctx: click.Context, case_number: str, fmt: str, output: str | None, token: str | None
) -> None:
    """The privilege log (FRCP 26(b)(5)(A)) as the user may see it."""
    from gateway.orders.privilege_log import privilege_log

    rt, user, matter_id = _member(ctx, token, case_number)
    log = privilege_log(rt, user, matter_id, fmt=fmt, address=LOCAL)
    if fmt == "json":
        data = (json.dumps(log.as_json()) + "\n").encode("utf-8")
    else:
        data = log.data  # made by the service (it refused any other format)
    if output is None:
        click.echo(data, nl=False)  # bytes go to the binary stream as they are
        return
    with open(output, "wb") as file:
        file.write(data)
    click.echo(f"{output}: {len(log.rows)} entries ({fmt})", err=True)


COMMANDS = (
    redesignate,
    clawbacks,
    certifications,
    notices,
    deadlines,
    versions,
    file_command,
    privilege_log_command,
)


def register(main: click.Group) -> None:
    for command in COMMANDS:
        main.add_command(command)
