"""``pogw export`` (a member's export, as the API serves it) and ``pogw ingest-overlay`` (the
receiving side's operator applying an overlay volume to what it loaded)."""

from __future__ import annotations

from pathlib import Path

import click

from gateway.cli_orders import LOCAL, _member, _token


@click.command("export")
@click.argument("case_number")
@click.option("--volume", default=None, help="a production volume's name")
@click.option("--document", "documents", multiple=True, help="a BEGBATES to export (repeatable)")
@click.option("--overlay-since", default=None, help="an overlay of what changed since (ISO 8601)")
@click.option("--name", default=None, help="the export's volume folder")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="where to write the ZIP (refused if it exists)",
)
@_token
@click.pass_context
def export(
    ctx: click.Context,
    case_number: str,
    volume: str | None,
    documents: tuple[str, ...],
    overlay_since: str | None,
    name: str | None,
    out: Path,
    token: str | None,
) -> None:
    """Export a volume, listed documents, or an overlay, as the API's POST …/exports does."""
    from gateway.errors import Invalid
    from gateway.exports import overlay
    from gateway.exports.service import ExportRequest
    from gateway.exports.service import export as run_export

    if out.exists():
        raise click.BadParameter(f"{out} exists; give a new file", param_hint="--out")
    rt, user, matter_id = _member(ctx, token, case_number)
    if overlay_since is not None:
        if volume or documents:
            raise Invalid("--overlay-since: an overlay takes no --volume or --document")
        served = overlay.export_overlay(
            rt, user, matter_id, since=overlay_since, name=name, address=LOCAL
        )
    else:
        request = ExportRequest(volume=volume, documents=documents, name=name)
        served = run_export(rt, user, matter_id, request, address=LOCAL)
    written = 0
    with out.open("xb") as handle:
        for chunk in served.chunks:
            handle.write(chunk)
            written += len(chunk)
    click.echo(f"wrote {out} ({written} bytes)")


@click.command("ingest-overlay")
@click.argument("volume_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--matter", "case_number", required=True, help="case number of the matter")
@click.option("--volume", default=None, help="the overlay's name (default: the folder's name)")
@click.pass_context
def ingest_overlay(
    ctx: click.Context, volume_dir: Path, case_number: str, volume: str | None
) -> None:
    """Apply an overlay volume: designations by BEGBATES, replacement files, removals."""
    from gateway.audit.events import Actor
    from gateway.cli import _matter_id, _runtime
    from gateway.documents.overlays import load_overlay
    from gateway.ingest.source import DirectorySource

    rt = _runtime(ctx)
    counts = load_overlay(
        rt,
        Actor.command_line(),
        matter_id=_matter_id(rt, case_number),
        source=DirectorySource(volume_dir),
        volume=volume or volume_dir.name,
    )
    click.echo(
        f"applied {volume or volume_dir.name}: {counts['designated']} re-designated, "
        f"{counts['replaced']} with files replaced, {counts['withdrawn']} withdrawn"
    )


def register(main: click.Group) -> None:
    main.add_command(export)
    main.add_command(ingest_overlay)
