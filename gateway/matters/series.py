"""Each party produces only in its own Bates series.

A prefix is registered to one party of a matter: the first production in it claims it,
or the operator assigns it beforehand. Prefixes compare without regard to case
(``aol-def-`` is ``AOL-DEF-``), and once registered only the registered spelling is taken,
so one series is never stored under two spellings. A matter also caps how many pages one
document's range may span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.bates import parse_bates, prefix_key
from gateway.documents.models import Document
from gateway.errors import Conflict, Forbidden, GatewayError, Invalid, NotFound
from gateway.matters.models import BatesPrefix, Matter, Party
from gateway.runtime import Refused, Runtime

MAX_PAGES_CEILING = 10_000_000


@dataclass(frozen=True)
class Registration:
    prefix: str
    party: str


def check_series(session: Session, matter_id: int, party_id: int, prefixes: Iterable[str]) -> None:
    """Refuse production by ``party_id`` into a prefix that is not, or cannot become, its own."""
    spellings: dict[str, str] = {}
    for prefix in sorted(set(prefixes)):
        other = spellings.setdefault(prefix_key(prefix), prefix)
        if other != prefix:
            raise Invalid(
                f"Bates prefixes {other!r} and {prefix!r} differ only in case: one series "
                "is written one way"
            )
    registered = _registered(session, matter_id, spellings)
    for key, prefix in spellings.items():
        reg = registered.get(key)
        if reg is None:
            _check_unregistered(session, matter_id, party_id, prefix)
        elif reg.party_id != party_id:
            raise Forbidden(
                f"Bates prefix {prefix!r} is registered to {_party_name(session, reg.party_id)}: "
                "a party produces only in its own Bates series"
            )
        elif reg.prefix != prefix:
            raise Invalid(
                f"Bates prefix {prefix!r} differs in case from the registered {reg.prefix!r}: "
                "write it as registered"
            )


def claim_series(
    rt: Runtime, session: Session, matter_id: int, party_id: int, prefixes: Iterable[str]
) -> list[str]:
    """Check, then register to ``party_id`` the prefixes no one holds; the ones registered.
    Call with the matter locked, so that two first productions cannot both claim one."""
    wanted = set(prefixes)
    check_series(session, matter_id, party_id, wanted)
    held = _registered(session, matter_id, {prefix_key(p): p for p in wanted})
    claimed = sorted(p for p in wanted if prefix_key(p) not in held)
    for prefix in claimed:
        session.add(
            BatesPrefix(
                matter_id=matter_id,
                party_id=party_id,
                prefix=prefix,
                prefix_key=prefix_key(prefix),
                created_at=rt.now(),
            )
        )
    session.flush()
    return claimed


def _registered(session: Session, matter_id: int, keys: Iterable[str]) -> dict[str, BatesPrefix]:
    rows = session.scalars(
        select(BatesPrefix).where(
            BatesPrefix.matter_id == matter_id, BatesPrefix.prefix_key.in_(list(keys))
        )
    )
    return {row.prefix_key: row for row in rows}


def _check_unregistered(session: Session, matter_id: int, party_id: int, prefix: str) -> None:
    """A series produced in before prefixes were registered belongs to no one yet: the
    operator assigns it rather than the next producer taking it."""
    others = session.scalar(
        select(func.count())
        .select_from(Document)
        .where(
            Document.matter_id == matter_id,
            func.lower(Document.bates_prefix) == prefix_key(prefix),
            Document.producing_party_id != party_id,
        )
    )
    if others:
        raise Forbidden(
            f"Bates prefix {prefix!r} holds another party's documents: the operator "
            "assigns it (pogw matters assign-prefix)"
        )


def _party_name(session: Session, party_id: int) -> str:
    party = session.get(Party, party_id)
    return party.name if party else f"party {party_id}"


def check_span(matter: Matter, bates_begin: str, bates_end: str) -> str | None:
    """Why a range is longer than the matter allows, or None."""
    pages = parse_bates(bates_end).number - parse_bates(bates_begin).number + 1
    if pages > matter.max_document_pages:
        return (
            f"the range {bates_begin}-{bates_end} spans {pages} pages; this matter allows at "
            f"most {matter.max_document_pages} per document (pogw matters set-max-pages)"
        )
    return None


# --- the operator's commands -------------------------------------------------------------


def list_prefixes(rt: Runtime, matter_id: int) -> list[Registration]:
    with rt.db.session() as session:
        rows = session.execute(
            select(BatesPrefix.prefix, Party.name)
            .join(Party, Party.id == BatesPrefix.party_id)
            .where(BatesPrefix.matter_id == matter_id)
            .order_by(BatesPrefix.prefix_key)
        )
        return [Registration(prefix, party) for prefix, party in rows]


def assign_prefix(
    rt: Runtime, actor: Actor, matter_id: int, *, prefix: str, party_name: str
) -> Registration:
    """Register ``prefix`` to a party before it produces (or a series no one holds)."""
    with rt.transaction() as session:
        details: dict[str, object] = {"action": "assign", "prefix": prefix[:80]}
        details["party"] = party_name[:300]
        try:
            _check_prefix_text(prefix)
            party = find_party(session, matter_id, party_name)
            check_series(session, matter_id, party.id, [prefix])
        except GatewayError as error:
            raise _refused(actor, matter_id, error, details) from None
        if not _registered(session, matter_id, [prefix_key(prefix)]):
            session.add(
                BatesPrefix(
                    matter_id=matter_id,
                    party_id=party.id,
                    prefix=prefix,
                    prefix_key=prefix_key(prefix),
                    created_at=rt.now(),
                )
            )
        _audit(rt, session, actor, matter_id, details)
        return Registration(prefix, party.name)


def release_prefix(rt: Runtime, actor: Actor, matter_id: int, *, prefix: str) -> None:
    """Unregister a prefix in which nothing has been produced (say, assigned by mistake)."""
    with rt.transaction() as session:
        details: dict[str, object] = {"action": "release", "prefix": prefix[:80]}
        reg = _registered(session, matter_id, [prefix_key(prefix)]).get(prefix_key(prefix))
        produced = session.scalar(
            select(func.count())
            .select_from(Document)
            .where(
                Document.matter_id == matter_id,
                func.lower(Document.bates_prefix) == prefix_key(prefix),
            )
        )
        error: GatewayError | None = None
        if reg is None:
            error = NotFound(f"Bates prefix {prefix!r} is not registered in this matter")
        elif produced:
            error = Conflict(
                f"{produced} document(s) are produced in {reg.prefix!r}: a series with "
                "documents stays with the party that produced them"
            )
        if error is not None:
            raise _refused(actor, matter_id, error, details)
        assert reg is not None
        details["party"] = _party_name(session, reg.party_id)
        session.delete(reg)
        _audit(rt, session, actor, matter_id, details)


def set_max_document_pages(rt: Runtime, actor: Actor, matter_id: int, pages: int) -> None:
    with rt.transaction() as session:
        details: dict[str, object] = {"setting": "max_document_pages", "value": pages}
        matter = session.get(Matter, matter_id)
        if matter is None:
            raise NotFound(f"no matter {matter_id}")
        if not 1 <= pages <= MAX_PAGES_CEILING:
            error = Invalid(f"max pages: between 1 and {MAX_PAGES_CEILING}, not {pages}")
            raise _refused(actor, matter_id, error, details, tag=Tag.MATTER_SETTING_CHANGED)
        details["was"] = matter.max_document_pages
        matter.max_document_pages = pages
        _audit(rt, session, actor, matter_id, details, tag=Tag.MATTER_SETTING_CHANGED)


def find_party(session: Session, matter_id: int, name: str) -> Party:
    """The matter's party of that name; ``Invalid`` listing the parties otherwise."""
    parties = list(session.scalars(select(Party).where(Party.matter_id == matter_id)))
    for party in parties:
        if party.name == name:
            return party
    names = "; ".join(repr(p.name) for p in sorted(parties, key=lambda p: p.name)) or "none"
    raise Invalid(f"party: no party {name!r} in this matter; its parties: {names}")


def _check_prefix_text(prefix: str) -> None:
    try:
        bates = parse_bates(f"{prefix}1")
    except ValueError as exc:
        raise Invalid(f"prefix: {prefix!r} is not a Bates prefix ({exc})") from None
    if bates.prefix != prefix or not prefix:
        raise Invalid(f"prefix: {prefix!r} is not a Bates prefix (letters, then digits follow)")


def _audit(
    rt: Runtime,
    session: Session,
    actor: Actor,
    matter_id: int,
    details: dict[str, object],
    *,
    tag: Tag = Tag.BATES_PREFIX_CHANGED,
) -> None:
    rt.audit(
        session,
        AuditEvent(
            tag=tag,
            outcome=Outcome.ALLOWED,
            actor=actor,
            matter_id=matter_id,
            details=details,
        ),
    )


def _refused(
    actor: Actor,
    matter_id: int,
    error: GatewayError,
    details: dict[str, object],
    *,
    tag: Tag = Tag.BATES_PREFIX_CHANGED,
) -> Refused:
    return Refused(
        error,
        AuditEvent(
            tag=tag,
            outcome=Outcome.DENIED,
            actor=actor,
            matter_id=matter_id,
            reason=error.message[:300],
            details=details,
        ),
    )
