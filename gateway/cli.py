"""``pogw``: the operator's command line."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from gateway import cli_exports, cli_orders
from gateway.errors import GatewayError


def _settings(ctx: click.Context) -> dict[str, Any]:
    from gateway.config import load_settings

    overrides = {k: v for k, v in (ctx.obj or {}).items() if v is not None}
    return load_settings(overrides)


def _runtime(ctx: click.Context) -> Any:
    """A runtime closed (its connections released) when the command ends."""
    from gateway.runtime import Runtime

    return ctx.with_resource(Runtime(_settings(ctx)))


class _Group(click.Group):
    """Every command's GatewayError becomes a clear message and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GatewayError as error:
            _fail(error)


@click.group(cls=_Group)
@click.option(
    "--instance",
    "INSTANCE_PATH",
    type=click.Path(path_type=Path),
    help="instance folder (database, blobs); default ./instance or GATEWAY_INSTANCE_PATH",
)
@click.option(
    "--keys",
    "KEYS_PATH",
    type=click.Path(path_type=Path),
    help="keys folder; default ./keys or GATEWAY_KEYS_PATH",
)
@click.pass_context
def main(ctx: click.Context, **options: Any) -> None:
    """Protective-order gateway."""
    ctx.obj = options


def _fail(error: GatewayError) -> None:
    problems = error.details.get("errors") if isinstance(error.details, dict) else None
    if problems:
        from gateway.ingest.errors import LoadFileError

        count = error.details.get("total", len(problems))
        click.secho(f"error: {count} problem(s); nothing was ingested", fg="red", err=True)
        for item in problems:
            message = LoadFileError(
                item["reason"], file=item["file"], line=item["line"], field=item["field"]
            ).message
            click.echo(f"  {message}", err=True)
    else:
        click.secho(f"error: {error.message}", fg="red", err=True)
    sys.exit(2)


def init_instance(settings: dict[str, Any], say: Any = click.echo) -> None:
    from gateway.keyring import init_keys
    from gateway.migrate import upgrade

    created = init_keys(settings["KEYS_PATH"])
    for path in created:
        say(f"created key {path} (mode 0600; back it up: without it nothing can be decrypted)")
    if not created:
        say(f"keys already present in {settings['KEYS_PATH']}")
    Path(settings["INSTANCE_PATH"]).mkdir(mode=0o700, parents=True, exist_ok=True)
    upgrade(settings["DATABASE_URL"])
    say(f"database ready: {_safe_url(settings['DATABASE_URL'])}")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create missing keys (never overwrites one) and bring the database up to date."""
    init_instance(_settings(ctx))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="gunicorn workers (GATEWAY_WORKERS)")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int | None) -> None:
    """Serve the gateway (gunicorn). Refuses to start without keys."""
    settings = _settings(ctx)
    from gateway.keyring import load_keyring

    load_keyring(settings)
    _serve(settings, host, port, workers)


def _serve(settings: dict[str, Any], host: str, port: int, workers: int | None) -> None:
    import os

    from gateway.server import run

    count = workers or int(os.environ.get("GATEWAY_WORKERS", "1"))
    click.echo(f"serving on http://{host}:{port}/ with {count} worker(s); Ctrl-C stops")
    run(settings, host=host, port=port, workers=count)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="load the demo and stop")
@click.option(
    "--start",
    is_flag=True,
    help="the reference case as it stood before the order's events (Ex. 19 CONFIDENTIAL)",
)
@click.pass_context
def demo(ctx: click.Context, host: str, port: int, no_serve: bool, start: bool) -> None:
    """Initialise a demo instance with the reference case, then serve it."""
    from gateway.demo import CASE_NUMBER, DEMO_PASSWORD, USERS, load_demo
    from gateway.matters.models import Matter
    from gateway.runtime import Runtime

    settings = _settings(ctx)
    settings["SECURE_COOKIES"] = False  # plain http on loopback only
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise click.UsageError("the demo serves plain http and listens on loopback only")
    init_instance(settings)
    from sqlalchemy import select

    with Runtime(settings) as rt:
        with rt.db.session() as session:
            loaded = session.scalar(select(Matter.id).where(Matter.case_number == CASE_NUMBER))
        if loaded:
            click.echo(f"demo data already loaded in {settings['INSTANCE_PATH']}")
        else:
            click.echo(
                "loading the reference case (generated stand-in documents, encrypted in memory):"
            )
            load_demo(rt, say=click.echo, start=start)
    click.secho(
        f"WARNING: demo accounts only; every one has the password {DEMO_PASSWORD!r}", fg="yellow"
    )
    for user in USERS:
        click.echo(
            f"  {user.email:32} {user.role or 'operator'}"
            f"{' (Exhibit A signed)' if user.signed else ''}"
        )
    if not no_serve:
        _serve(settings, host, port, None)


@main.command()
@click.argument("volume_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--matter", "case_number", required=True, help="case number of the matter")
@click.option("--party", "party_name", required=True, help="producing party's name")
@click.option("--dat", "dat_path", required=True, help="DAT path inside the volume folder")
@click.option("--opt", "opt_path", default=None, help="OPT path inside the volume folder")
@click.option("--volume", default=None, help="volume name (default: the folder's name)")
@click.option("--encoding", default=None, help="DAT encoding, only when detection cannot tell")
@click.option("--opt-encoding", default=None, help="OPT encoding, when it is not UTF-8")
@click.option(
    "--designation-field",
    default=None,
    help="the DAT field that holds the designations, when its name is not a known one",
)
@click.option(
    "--designation",
    default=None,
    help="the one tier of a volume whose DAT has no designation field (e.g. AEO)",
)
@click.option(
    "--field",
    "fields",
    multiple=True,
    help='map a DAT field to a role, e.g. --field BEGBATES="Bates Beg" (repeatable)',
)
@click.option(
    "--ignore-field",
    "ignored_fields",
    multiple=True,
    help="a DAT field that gives neither designation nor family, though it looks so",
)
@click.option(
    "--unbranded",
    is_flag=True,
    help="the volume's images carry no Bates numbers or legends: burn them in at ingest",
)
@click.pass_context
def ingest(
    ctx: click.Context,
    volume_dir: Path,
    case_number: str,
    party_name: str,
    dat_path: str,
    opt_path: str | None,
    volume: str | None,
    encoding: str | None,
    opt_encoding: str | None,
    designation_field: str | None,
    designation: str | None,
    fields: tuple[str, ...],
    ignored_fields: tuple[str, ...],
    unbranded: bool,
) -> None:
    """Ingest a production volume from a DAT/OPT load-file set."""
    from gateway.audit.events import Actor
    from gateway.documents.ingest import files_of, plan_volume, resolve_producer
    from gateway.documents.ingest import ingest as run_ingest
    from gateway.ingest.source import DirectorySource

    rt = _runtime(ctx)
    producer = resolve_producer(
        rt,
        Actor.command_line(),
        case_number=case_number,
        party_name=party_name,
        volume=volume or volume_dir.name,
    )
    source = DirectorySource(volume_dir)
    plan = plan_volume(
        rt,
        Actor.command_line(),
        matter_id=producer.matter_id,
        source=source,
        dat_path=dat_path,
        opt_path=opt_path,
        volume=volume or volume_dir.name,
        encoding=encoding,
        opt_encoding=opt_encoding,
        fields=fields,
        ignored_fields=ignored_fields,
        designation_field=designation_field,
        designation=designation,
    )
    with click.progressbar(length=len(files_of(plan)), label=f"encrypting {plan.volume}") as bar:
        production = run_ingest(
            rt,
            Actor.command_line(),
            matter_id=producer.matter_id,
            party_id=producer.party_id,
            plan=plan,
            source=source,
            progress=bar.update,
            unbranded=unbranded,
        )
    branded = " (Bates numbers and legends burned in)" if unbranded else ""
    click.echo(f"ingested {production.volume}: {production.document_count} documents{branded}")


@main.group()
def users() -> None:
    """Manage user accounts."""


@users.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--operator", is_flag=True)
@click.password_option()
@click.pass_context
def users_create(ctx: click.Context, email: str, name: str, operator: bool, password: str) -> None:
    from gateway.accounts.service import create_user
    from gateway.audit.events import Actor

    create_user(
        _runtime(ctx),
        Actor.command_line(),
        email=email,
        full_name=name,
        password=password,
        is_operator=operator,
    )
    click.echo(f"created {email}")


@users.command("disable")
@click.argument("email")
@click.pass_context
def users_disable(ctx: click.Context, email: str) -> None:
    """Disable an account; its sessions and tokens end at once."""
    from gateway.accounts.service import set_disabled
    from gateway.audit.events import Actor

    set_disabled(_runtime(ctx), Actor.command_line(), email=email, disabled=True)
    click.echo(f"disabled {email}")


@users.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    from sqlalchemy import select

    from gateway.accounts.models import User

    rt = _runtime(ctx)
    with rt.db.session() as session:
        for user in session.scalars(select(User).order_by(User.email)):
            flags = "operator " if user.is_operator else ""
            flags += "disabled" if user.disabled else ""
            click.echo(f"{user.email:40} {user.full_name:30} {flags}")


@main.group()
def audit() -> None:
    """Audit trail tools."""


@audit.command("head")
@click.option("--matter", "case_number", default=None, help="only this matter's logs")
@click.pass_context
def audit_head(ctx: click.Context, case_number: str | None) -> None:
    """Print fresh signed checkpoints of the logs, to keep outside the gateway as receipts."""
    from gateway.audit.service import checkpoint_logs

    rt = _runtime(ctx)
    matter_id = _matter_id(rt, case_number) if case_number else None
    for note in checkpoint_logs(rt, matter_id):
        click.echo(note, nl=False)


@audit.command("stats")
@click.pass_context
def audit_stats(ctx: click.Context) -> None:
    """Print one JSON object: ``entries`` (every audit entry in the instance), per tag."""
    import json

    from gateway.audit.stats import audit_stats as stats

    rt = _runtime(ctx)
    with rt.db.read_session() as session:
        click.echo(json.dumps(stats(session)))


@audit.command("verify")
@click.option(
    "--receipt",
    "receipts",
    multiple=True,
    type=click.File("r"),
    help="checkpoints kept from `pogw audit head` or the API, to check the live logs against",
)
@click.option(
    "--bundle",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="an exported bundle, checked with nothing else (no instance, no keys, no network)",
)
@click.option(
    "--proof",
    "proof_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="an inclusion or consistency proof (JSON) to check, with --key or --bundle",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="the gateway's published note verifier key: the only key --bundle and --proof "
    "accept when given (without it a bundle is checked with the key it carries)",
)
@click.pass_context
def audit_verify(
    ctx: click.Context,
    receipts: tuple[Any, ...],
    bundle: Path | None,
    proof_files: tuple[Path, ...],
    key: Path | None,
) -> None:
    """Check the live logs (or a bundle, or proofs); exit 1 naming the first problem."""
    if bundle is not None or proof_files:
        report = _verify_offline(bundle, proof_files, key)
        what = f"bundle {bundle}" if bundle is not None else "proofs"
    else:
        from gateway.audit.service import verify_live

        rt = _runtime(ctx)
        texts = [handle.read() for handle in receipts]
        try:
            report = verify_live(rt, texts)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from exc
        what = "audit logs"
    for problem in report.problems:
        click.secho(f"PROBLEM: {problem}", fg="red")
    if not report.ok:
        click.echo(f"{what} NOT intact: first problem: {report.problems[0]}")
        sys.exit(1)
    click.echo(
        f"{what} intact: {report.checked} entries in {report.logs} logs, "
        f"{report.checkpoints} signed checkpoints hold"
        + (f", {len(receipts)} receipt file(s) hold" if receipts else "")
        + (f", {len(proof_files)} proof(s) hold" if proof_files else "")
    )


def _verify_offline(bundle: Path | None, proof_files: tuple[Path, ...], key: Path | None) -> Any:
    import json

    from gateway.audit.checkpoint import NoteError, Verifier
    from gateway.audit.log import VerifyReport
    from gateway.audit.offline import KEY_FILE, BundleError, check_proof, verify_bundle

    try:
        trusted = Verifier.parse(key.read_text()) if key is not None else None
        report = verify_bundle(bundle, trusted) if bundle is not None else VerifyReport()
        if proof_files and trusted is None and bundle is None:
            raise click.UsageError("--proof needs --key (or --bundle, whose key is used)")
        verifier = trusted or (Verifier.parse((bundle / KEY_FILE).read_text()) if bundle else None)
    except (BundleError, NoteError, OSError) as exc:
        click.secho(f"PROBLEM: {exc}", fg="red")
        sys.exit(1)
    if bundle is not None:
        click.echo(f"checked with the key {report.signer}")
        if trusted is None:
            click.echo(
                "NOTE: that key was read from the bundle itself; the result binds only if it "
                "is the key the gateway published (pass it with --key to insist on it)"
            )
    for path in proof_files:
        try:
            proof = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            report.problems.append(f"{path}: not JSON")
            continue
        assert verifier is not None
        problem = check_proof(proof, verifier)
        if problem:
            report.problems.append(f"{path}: {problem}")
    return report


@audit.command("export")
@click.option("--matter", "case_number", required=True, help="case number of the matter")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="a new (or empty) folder for the bundle",
)
@click.pass_context
def audit_export(ctx: click.Context, case_number: str, out: Path) -> None:
    """Write the matter's logs, checkpoints, proofs and verifier key as a bundle."""
    from gateway.audit.bundle import export_bundle
    from gateway.audit.events import Actor

    rt = _runtime(ctx)
    exported = export_bundle(rt, _matter_id(rt, case_number), out, Actor.command_line())
    click.echo(
        f"bundle written to {exported.folder}: {sum(exported.logs.values())} entries in "
        f"{len(exported.logs)} logs, {exported.checkpoints} checkpoints; check it with "
        f"`pogw audit verify --bundle {exported.folder}`"
    )


@audit.command("report")
@click.option("--matter", "case_number", required=True, help="case number of the matter")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="where to write the PDF (refused if it exists)",
)
@click.option("--since", default="", help="first day, ISO 8601 (the court's time zone)")
@click.option("--until", default="", help="last day, included; default today")
@cli_orders._token
@click.pass_context
def audit_report(
    ctx: click.Context, case_number: str, out: Path, since: str, until: str, token: str | None
) -> None:
    """Write the neutral auditor's printable report (PDF) of the matter's access."""
    from gateway.audit.auditor import audit_report as report

    if out.exists():
        raise click.BadParameter(f"{out} exists; give a new file", param_hint="--out")
    rt, user, matter_id = cli_orders._member(ctx, token, case_number)
    data = report(rt, user, matter_id, since=since, until=until, address=cli_orders.LOCAL)
    with out.open("xb") as handle:
        handle.write(data)
    click.echo(f"wrote {out} ({len(data)} bytes)")


@main.command()
@click.argument("found", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def trace(ctx: click.Context, found: Path) -> None:
    """Which download FOUND (a PDF, or a page of one) came from; exit 1 if it cannot be told."""
    import json

    from gateway.audit.trace import MAX_TRACE_BYTES, Verdict, trace_for_operator

    if found.stat().st_size > MAX_TRACE_BYTES:
        raise click.UsageError(f"{found}: a file to trace may be at most {MAX_TRACE_BYTES} bytes")
    report = trace_for_operator(_runtime(ctx), found.read_bytes())
    click.echo(json.dumps(report.as_json(), indent=2))
    if report.verdict not in (Verdict.EXACT, Verdict.MARKED):
        sys.exit(1)


@main.group()
def storage() -> None:
    """Blob storage upkeep."""


@storage.command("sweep")
@click.option(
    "--older-than-hours",
    default=48.0,
    show_default=True,
    help="only blobs written longer ago than this (an ingest may still be running)",
)
@click.option("--dry-run", is_flag=True, help="list what would be removed, remove nothing")
@click.pass_context
def storage_sweep(ctx: click.Context, older_than_hours: float, dry_run: bool) -> None:
    """Remove blobs that no document file refers to (left by an ingest killed midway)."""
    from datetime import timedelta

    from gateway.audit.events import Actor
    from gateway.documents.sweep import sweep_orphans

    report = sweep_orphans(
        _runtime(ctx),
        Actor.command_line(),
        grace=timedelta(hours=older_than_hours),
        dry_run=dry_run,
    )
    for key in report.orphans:
        click.echo(f"{'would remove' if dry_run else 'removed'} {key}")
    click.echo(
        f"{report.examined} blobs examined, {len(report.orphans)} unreferenced, "
        f"{report.removed} removed"
    )


@main.group()
def matters() -> None:
    """Set up matters, their parties and who holds which role."""


@matters.command("create")
@click.option("--case-number", required=True)
@click.option("--caption", required=True)
@click.option("--court", required=True, help="the court's full name")
@click.option("--timezone", "court_timezone", required=True, help="e.g. America/Los_Angeles")
@click.option("--order-title", required=True, help="e.g. 'Stipulated Protective Order'")
@click.option("--order-date", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--order-docket", required=True, help="docket number of the order")
@click.option("--forum-state", required=True, help="state for the agent for service of process")
@click.option(
    "--court-id",
    default=None,
    help="the court's PACER id (e.g. casd): its calendar counts the order's periods",
)
@click.pass_context
def matters_create(ctx: click.Context, order_date: Any, **fields: Any) -> None:
    from gateway.audit.events import Actor
    from gateway.matters.service import create_matter

    matter = create_matter(
        _runtime(ctx), Actor.command_line(), order_date=order_date.date(), **fields
    )
    click.echo(f"created matter {matter.case_number} (id {matter.id})")


@matters.command("add-party")
@click.argument("case_number")
@click.option("--name", required=True)
@click.option("--kind", required=True, type=click.Choice(["plaintiff", "defendant", "non_party"]))
@click.pass_context
def matters_add_party(ctx: click.Context, case_number: str, name: str, kind: str) -> None:
    from gateway.audit.events import Actor
    from gateway.matters.service import add_party

    rt = _runtime(ctx)
    party = add_party(rt, Actor.command_line(), _matter_id(rt, case_number), name=name, kind=kind)
    click.echo(f"added party {party.name!r} (id {party.id})")


@matters.command("add-member")
@click.argument("case_number")
@click.option("--email", required=True)
@click.option(
    "--role",
    required=True,
    help="outside_counsel, counsel_staff, party_employee, house_counsel, expert, court, "
    "vendor, witness or auditor",
)
@click.option("--party", "party_name", default=None, help="the party the user acts for")
@click.option(
    "--affiliated-with",
    "affiliated_with",
    default=None,
    help="the party the person is an officer, director or employee of",
)
@click.option(
    "--cleared-by",
    "cleared_by",
    multiple=True,
    help="a designating party whose §7.4 procedure cleared the person (repeatable)",
)
@click.option("--from", "active_from", default=None, help="role active from (ISO 8601, offset)")
@click.option("--until", "active_until", default=None, help="role active until (ISO 8601)")
@click.pass_context
def matters_add_member(
    ctx: click.Context,
    case_number: str,
    email: str,
    role: str,
    party_name: str | None,
    affiliated_with: str | None,
    cleared_by: tuple[str, ...],
    active_from: str | None,
    active_until: str | None,
) -> None:
    from gateway.audit.events import Actor
    from gateway.matters.service import NewMember, add_member, find_party

    rt = _runtime(ctx)
    matter_id = _matter_id(rt, case_number)

    def party(name: str | None) -> int | None:
        return None if name is None else find_party(rt, matter_id, name).id

    new = NewMember(
        email=email,
        role=role,
        party_id=party(party_name),
        affiliated_with=party(affiliated_with),
        cleared_by=tuple(find_party(rt, matter_id, name).id for name in cleared_by),
        active_from=_instant(active_from, "--from"),
        active_until=_instant(active_until, "--until"),
    )
    add_member(rt, Actor.command_line(), matter_id, new)
    click.echo(f"{email} is now {role} in {case_number}")


def _instant(text: str | None, option: str) -> datetime | None:
    """An ISO 8601 instant with its offset; a bare local time would be ambiguous."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise click.UsageError(f"{option}: not an ISO 8601 instant: {text!r}") from None
    if value.tzinfo is None:
        raise click.UsageError(f"{option}: give the offset too, e.g. {text}-07:00")
    return value


@matters.command("prefixes")
@click.argument("case_number")
@click.pass_context
def matters_prefixes(ctx: click.Context, case_number: str) -> None:
    """List the Bates prefixes registered to each party."""
    from gateway.matters.series import list_prefixes

    rt = _runtime(ctx)
    for registration in list_prefixes(rt, _matter_id(rt, case_number)):
        click.echo(f"{registration.prefix:30} {registration.party}")


@matters.command("assign-prefix")
@click.argument("case_number")
@click.option("--prefix", required=True, help="e.g. AOL-DEF- (compared without regard to case)")
@click.option("--party", "party_name", required=True, help="the party that produces in it")
@click.pass_context
def matters_assign_prefix(
    ctx: click.Context, case_number: str, prefix: str, party_name: str
) -> None:
    """Register a Bates prefix to a party: no other party may then produce in it."""
    from gateway.audit.events import Actor
    from gateway.matters.series import assign_prefix

    rt = _runtime(ctx)
    done = assign_prefix(
        rt, Actor.command_line(), _matter_id(rt, case_number), prefix=prefix, party_name=party_name
    )
    click.echo(f"{done.prefix} is registered to {done.party}")


@matters.command("release-prefix")
@click.argument("case_number")
@click.option("--prefix", required=True)
@click.pass_context
def matters_release_prefix(ctx: click.Context, case_number: str, prefix: str) -> None:
    """Unregister a Bates prefix in which nothing has been produced."""
    from gateway.audit.events import Actor
    from gateway.matters.series import release_prefix

    rt = _runtime(ctx)
    release_prefix(rt, Actor.command_line(), _matter_id(rt, case_number), prefix=prefix)
    click.echo(f"{prefix} is registered to no party")


@matters.command("field-names")
@click.argument("case_number")
@click.pass_context
def matters_field_names(ctx: click.Context, case_number: str) -> None:
    """List the DAT field names the matter adds to the ingest's table."""
    from gateway.ingest.fields import canonical_name
    from gateway.matters.field_names import field_aliases

    rt = _runtime(ctx)
    for role, names in sorted(field_aliases(rt, _matter_id(rt, case_number)).items()):
        click.echo(f"{canonical_name(role):16} {', '.join(names)}")


@matters.command("add-field-name")
@click.argument("case_number")
@click.option("--role", required=True, help="e.g. BEGBATES, CONFIDENTIALITY, BEGATTACH")
@click.option("--name", required=True, help='the field name producers use, e.g. "Doc Start"')
@click.pass_context
def matters_add_field_name(ctx: click.Context, case_number: str, role: str, name: str) -> None:
    """Let a DAT field name serve a role in every later ingest of the matter."""
    from gateway.audit.events import Actor
    from gateway.matters.field_names import add_field_name

    rt = _runtime(ctx)
    target = add_field_name(
        rt, Actor.command_line(), _matter_id(rt, case_number), role=role, name=name
    )
    click.echo(f"{name!r} now gives {target} in {case_number}")


@matters.command("remove-field-name")
@click.argument("case_number")
@click.option("--name", required=True)
@click.pass_context
def matters_remove_field_name(ctx: click.Context, case_number: str, name: str) -> None:
    from gateway.audit.events import Actor
    from gateway.matters.field_names import remove_field_name

    rt = _runtime(ctx)
    remove_field_name(rt, Actor.command_line(), _matter_id(rt, case_number), name=name)
    click.echo(f"{name!r} is no longer a field name of {case_number}")


@matters.command("set-max-pages")
@click.argument("case_number")
@click.argument("pages", type=int)
@click.pass_context
def matters_set_max_pages(ctx: click.Context, case_number: str, pages: int) -> None:
    """Set the most pages one document's Bates range may span in the matter."""
    from gateway.audit.events import Actor
    from gateway.matters.series import set_max_document_pages

    rt = _runtime(ctx)
    set_max_document_pages(rt, Actor.command_line(), _matter_id(rt, case_number), pages)
    click.echo(f"documents in {case_number} may span at most {pages} pages")


def _matter_id(rt: Any, case_number: str) -> int:
    from sqlalchemy import select

    from gateway.matters.models import Matter

    with rt.db.session() as session:
        matter_id = session.scalar(select(Matter.id).where(Matter.case_number == case_number))
        cases = list(session.scalars(select(Matter.case_number).order_by(Matter.case_number)))
    if matter_id is None:
        raise click.UsageError(
            f"no matter {case_number}; the matters: {'; '.join(cases) or 'none'}"
        )
    return matter_id


@storage.command("rebind")
@click.pass_context
def storage_rebind(ctx: click.Context) -> None:
    """Re-wrap data keys stored before access attributes were bound into their wrapping."""
    from gateway.audit.events import Actor
    from gateway.documents.rebinding import rebind_all

    report = rebind_all(_runtime(ctx), Actor.command_line())
    click.echo(f"{report.keys} data keys of {report.documents} documents re-wrapped")


@storage.command("rebrand")
@click.pass_context
def storage_rebrand(ctx: click.Context) -> None:
    """Brand every version whose pages still carry a legend it no longer has."""
    from gateway.documents.rebranding import rebrand_all

    report = rebrand_all(_runtime(ctx))
    click.echo(f"{report.versions} versions re-branded")
    if report.failed:
        click.secho(
            f"{len(report.failed)} document(s) could not carry their legend and are not "
            "served until they do: " + ", ".join(report.failed[:50]),
            fg="red",
            err=True,
        )
        ctx.exit(1)


@main.group()
def policy() -> None:
    """A matter's own order: its rules beside the default, and changing them."""


def _print_view(view: Any, *, full: bool) -> None:
    from gateway.matters.order_store import rules_text

    source = "its own variant" if view.variant else "the default rules (policies/)"
    click.echo(f"revision {view.revision}, version {view.version[:16]}: {source}")
    click.echo(
        "tiers: " + ", ".join(f"{t.code} ({t.legend or 'no legend'})" for t in view.policy.tiers)
    )
    if full:
        click.echo(rules_text(view.policy.rules), nl=False)
        return
    for rule in view.added:
        click.echo("+ " + ", ".join(rule))
    for rule in view.removed:
        click.echo("- " + ", ".join(rule))
    if not (view.added or view.removed):
        click.echo("(the same rules as the default)")


@policy.command("show")
@click.argument("case_number")
@click.option("--full", is_flag=True, help="print every rule, not only what differs")
@click.pass_context
def policy_show(ctx: click.Context, case_number: str, full: bool) -> None:
    """The matter's rules: what its variant adds to (+) and removes from (-) the default."""
    from gateway.matters.order_policy import describe

    rt = _runtime(ctx)
    _print_view(describe(rt, _matter_id(rt, case_number)), full=full)


@policy.command("set")
@click.argument("case_number")
@click.option("--rules", "rules_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--tiers", "tiers_file", default=None, type=click.Path(exists=True, dir_okay=False))
@click.option("--reason", required=True, help="why: e.g. the order and its docket number")
@click.pass_context
def policy_set(
    ctx: click.Context, case_number: str, rules_file: str, tiers_file: str | None, reason: str
) -> None:
    """Give the matter its own rules (a complete rule file) and tiers (default: the shipped)."""
    from importlib import resources

    from gateway.audit.events import Actor
    from gateway.matters.order_policy import set_variant

    rt = _runtime(ctx)
    tiers = (
        Path(tiers_file).read_text(encoding="utf-8")
        if tiers_file
        else resources.files("policies").joinpath("tiers.csv").read_text(encoding="utf-8")
    )
    view = set_variant(
        rt,
        Actor.command_line(),
        _matter_id(rt, case_number),
        rules_text=Path(rules_file).read_text(encoding="utf-8"),
        tiers_text_=tiers,
        reason=reason,
    )
    _print_view(view, full=False)


@policy.command("reset")
@click.argument("case_number")
@click.option("--reason", required=True)
@click.pass_context
def policy_reset(ctx: click.Context, case_number: str, reason: str) -> None:
    """Put the matter back on the shipped default rules."""
    from gateway.audit.events import Actor
    from gateway.matters.order_policy import reset_variant

    rt = _runtime(ctx)
    _print_view(
        reset_variant(rt, Actor.command_line(), _matter_id(rt, case_number), reason=reason),
        full=False,
    )


@main.command()
@click.option("--court", "court_id", required=True, help="the court's PACER id, e.g. casd")
@click.option("--from", "start", required=True, help="the day of the triggering event, YYYY-MM-DD")
@click.option("--days", required=True, help="the period in days, as the order states it")
@click.option("--business-days", is_flag=True, help="count only business days (the order says so)")
@click.option("--before-event", is_flag=True, help="count backward from a future event")
@click.pass_context
def deadline(
    ctx: click.Context,
    court_id: str,
    start: str,
    days: str,
    business_days: bool,
    before_event: bool,
) -> None:
    """The last day under FRCP 6(a), as JSON: due date, the instant it ends, skipped days."""
    import json

    from gateway.audit.events import Actor
    from gateway.orders.service import DeadlineRequest, compute

    request = DeadlineRequest(
        court=court_id,
        start=start,
        days=days,
        business_days="1" if business_days else "",
        before_event="1" if before_event else "",
    )
    click.echo(json.dumps(compute(_runtime(ctx), Actor.command_line(), request).as_json()))


cli_orders.register(main)
cli_exports.register(main)
