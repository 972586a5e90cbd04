"""Matters, parties, memberships, acknowledgments, and resolving a user's access."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.recorder import Actor
from gateway.audit.tags import Outcome, Tag
from gateway.authz.derive import Grants
from gateway.authz.vocabulary import Action
from gateway.crypto.keys import generate_key, unwrap_key, wrap_key
from gateway.errors import AcknowledgmentRequired, Conflict, Forbidden, Invalid, NotFound
from gateway.matters.exhibit_a import FIELDS, ExhibitA, text_sha256
from gateway.matters.models import Acknowledgment, Matter, Membership, Party
from gateway.runtime import Refused, Runtime

PARTY_KINDS = ("plaintiff", "defendant", "non_party")
DISCLOSURE_ROLES = ("expert", "house_counsel")


def matter_key_context(matter: Matter) -> bytes:
    return f"pogw-matter-key:{matter.uid}".encode("ascii")


def matter_key(rt: Runtime, matter: Matter) -> bytes:
    return unwrap_key(rt.keyring.master_key, matter.wrapped_key, context=matter_key_context(matter))


@dataclass(frozen=True)
class MatterAccess:
    """What one user may do in one matter, resolved once per request."""

    matter: Matter
    user: User
    actor: Actor
    side_party_id: int | None
    roles: frozenset[str]
    ack: str
    disclosure: str
    grants: Grants
    acknowledgment_required: bool

    def audit_kwargs(self) -> dict[str, object]:
        return {
            "actor": self.actor,
            "matter_id": self.matter.id,
            "side_party_id": self.side_party_id,
        }

    def may(self, action: Action | str) -> bool:
        return str(action) in self.grants.matter


def create_matter(
    rt: Runtime,
    actor: Actor,
    *,
    caption: str,
    case_number: str,
    court: str,
    court_timezone: str,
    order_title: str,
    order_date: date,
    order_docket: str,
    forum_state: str,
) -> Matter:
    try:
        ZoneInfo(court_timezone)  # refuse an unknown zone before anything is written
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"court_timezone: unknown time zone {court_timezone!r}") from exc
    with rt.transaction() as session:
        if session.scalar(select(Matter.id).where(Matter.case_number == case_number)):
            raise Conflict(f"matter {case_number} exists already")
        matter = Matter(
            uid=secrets.token_hex(16),
            caption=caption,
            case_number=case_number,
            court=court,
            court_timezone=court_timezone,
            order_title=order_title,
            order_date=order_date,
            order_docket=order_docket,
            forum_state=forum_state,
            wrapped_key=b"",
            created_at=rt.now(),
        )
        matter.wrapped_key = wrap_key(
            rt.keyring.master_key, generate_key(), context=matter_key_context(matter)
        )
        session.add(matter)
        session.flush()
        rt.audit(
            session,
            tag=Tag.MATTER_CREATED,
            actor=actor,
            outcome=Outcome.ALLOWED,
            matter_id=matter.id,
            details={"case_number": case_number},
        )
        return matter


def add_party(rt: Runtime, actor: Actor, matter_id: int, *, name: str, kind: str) -> Party:
    if kind not in PARTY_KINDS:
        raise Invalid(f"kind: must be one of {', '.join(PARTY_KINDS)}, not {kind!r}")
    with rt.transaction() as session:
        _matter(session, matter_id)
        party = Party(matter_id=matter_id, name=name, kind=kind)
        session.add(party)
        session.flush()
        rt.audit(
            session,
            tag=Tag.MEMBERSHIP_CHANGED,
            actor=actor,
            outcome=Outcome.ALLOWED,
            matter_id=matter_id,
            details={"party_added": name, "kind": kind},
        )
        return party


def add_member(
    rt: Runtime,
    actor: Actor,
    matter_id: int,
    *,
    email: str,
    role: str,
    party_id: int | None,
    disclosure: str = "not_cleared",
) -> Membership:
    from gateway.authz.vocabulary import Disclosure, Role

    if role not in {r.value for r in Role}:
        raise Invalid(f"role: unknown role {role!r}")
    if disclosure not in {d.value for d in Disclosure}:
        raise Invalid(f"disclosure: unknown value {disclosure!r}")
    with rt.transaction() as session:
        _matter(session, matter_id)
        user = session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise NotFound(f"no user {email}")
        if user.is_operator:
            # the operator runs the gateway for both sides: a role in a matter would let it
            # read documents or a party's review trail through the product
            raise Invalid(f"{user.email} is an operator account and cannot hold a matter role")
        if party_id is not None:
            party = session.get(Party, party_id)
            if party is None or party.matter_id != matter_id:
                raise Invalid(f"party: no party {party_id} in this matter")
        others = session.scalars(
            select(Membership.party_id).where(
                Membership.matter_id == matter_id, Membership.user_id == user.id
            )
        ).all()
        if any(p != party_id for p in others):
            raise Conflict("a user acts for one party (or none) in a matter")
        membership = Membership(
            matter_id=matter_id,
            user_id=user.id,
            party_id=party_id,
            role=role,
            disclosure=disclosure,
            created_at=rt.now(),
        )
        session.add(membership)
        session.flush()
        rt.audit(
            session,
            tag=Tag.MEMBERSHIP_CHANGED,
            actor=actor,
            outcome=Outcome.ALLOWED,
            matter_id=matter_id,
            side_party_id=party_id,
            details={"user": user.email, "role": role, "disclosure": disclosure},
        )
        return membership


def _matter(session: Session, matter_id: int) -> Matter:
    matter = session.get(Matter, matter_id)
    if matter is None:
        raise NotFound("no such matter")
    return matter


def list_matters(rt: Runtime, user: User) -> list[tuple[Matter, list[str]]]:
    """Matters the user is a member of, with the user's roles; an operator sees all."""
    with rt.db.session() as session:
        if user.is_operator:
            rows = session.scalars(select(Matter).order_by(Matter.id)).all()
            return [(m, []) for m in rows]
        result: dict[int, tuple[Matter, list[str]]] = {}
        stmt = (
            select(Matter, Membership.role)
            .join(Membership, Membership.matter_id == Matter.id)
            .where(Membership.user_id == user.id)
            .order_by(Matter.id, Membership.role)
        )
        for matter, role in session.execute(stmt):
            result.setdefault(matter.id, (matter, []))[1].append(role)
        return list(result.values())


def resolve_access(
    rt: Runtime, session: Session, user: User, matter_id: int, *, address: str
) -> MatterAccess:
    """The user's roles, side, acknowledgment and derived grants in one matter.

    A matter the user is not a member of is refused exactly like one that does not exist.
    """
    actor = Actor(user_id=user.id, email=user.email, address=address)
    matter = session.get(Matter, matter_id)
    memberships = (
        session.scalars(
            select(Membership).where(
                Membership.matter_id == matter_id, Membership.user_id == user.id
            )
        ).all()
        if matter
        else []
    )
    if not memberships:
        raise Refused(
            NotFound("no such matter"),
            dict(
                tag=Tag.MATTER_OPENED,
                actor=actor,
                outcome=Outcome.DENIED,
                matter_id=matter_id if matter else None,
                reason="not a member" if matter else "no such matter",
            ),
        )
    assert matter is not None
    roles = frozenset(m.role for m in memberships)
    cleared = any(m.disclosure == "cleared" for m in memberships if m.role in DISCLOSURE_ROLES)
    disclosure = "cleared" if cleared else "not_cleared"
    signed = session.scalar(
        select(Acknowledgment.id).where(
            Acknowledgment.matter_id == matter_id, Acknowledgment.user_id == user.id
        )
    )
    ack = "signed" if signed else "unsigned"
    return MatterAccess(
        matter=matter,
        user=user,
        actor=actor,
        side_party_id=memberships[0].party_id,
        roles=roles,
        ack=ack,
        disclosure=disclosure,
        grants=rt.authorizer.grants(roles, ack, disclosure),
        acknowledgment_required=(
            ack == "unsigned" and rt.authorizer.requires_acknowledgment(roles, disclosure)
        ),
    )


def require_acknowledged(access: MatterAccess, tag: Tag) -> None:
    """Refuse document access to a user the order binds only once Exhibit A is signed,
    and to a role that may never see documents (the auditor sees logs only)."""
    if not access.acknowledgment_required and not access.grants.document:
        raise Refused(
            Forbidden("your role in this matter gives no access to its documents"),
            dict(
                tag=tag,
                outcome=Outcome.DENIED,
                reason="no document access for role",
                **access.audit_kwargs(),
            ),
        )
    if access.acknowledgment_required:
        raise Refused(
            AcknowledgmentRequired(
                "sign the Acknowledgment and Agreement to Be Bound (Exhibit A) for this "
                "matter before opening its documents"
            ),
            dict(
                tag=tag,
                outcome=Outcome.DENIED,
                reason="acknowledgment required",
                **access.audit_kwargs(),
            ),
        )


def court_today(matter: Matter, now: datetime) -> date:
    return now.astimezone(ZoneInfo(matter.court_timezone)).date()


def sign_acknowledgment(
    rt: Runtime, user: User, matter_id: int, form: ExhibitA, *, address: str
) -> Acknowledgment:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        problems = _exhibit_a_problems(form, access.matter, rt.now())
        if problems:
            raise Invalid("; ".join(problems))
        if access.ack == "signed":
            raise Conflict("Exhibit A is already signed for this matter")
        text = form.render(access.matter)
        ack = Acknowledgment(
            matter_id=matter_id,
            user_id=user.id,
            full_name=form.full_name.strip(),
            address=form.address.strip(),
            agent_name=form.agent_name.strip(),
            agent_address=form.agent_address.strip(),
            signed_city=form.signed_city.strip(),
            signed_on=form.signed_on,
            signature=form.signature.strip(),
            text=text,
            text_sha256=text_sha256(text),
            signed_at=rt.now(),
            signed_from=address,
        )
        session.add(ack)
        session.flush()
        rt.audit(
            session,
            tag=Tag.ACKNOWLEDGMENT_SIGNED,
            outcome=Outcome.ALLOWED,
            details={"text_sha256": ack.text_sha256, "signed_on": form.signed_on.isoformat()},
            **access.audit_kwargs(),
        )
        return ack


def _exhibit_a_problems(form: ExhibitA, matter: Matter, now: datetime) -> list[str]:
    problems = [f"{name}: required" for name in FIELDS if not getattr(form, name).strip()]
    if not form.agree:
        problems.append("agree: you must agree to be bound, under penalty of perjury")
    typed = form.signature.strip().removeprefix("/s/").strip().casefold()
    if form.signature.strip() and typed != " ".join(form.full_name.split()).casefold():
        problems.append("signature: type your full name exactly as given (optionally after /s/)")
    today = court_today(matter, now)
    if form.signed_on != today:
        problems.append(f"signed_on: must be today's date in the court's time zone ({today})")
    return problems


def acknowledgment_of(rt: Runtime, user: User, matter_id: int) -> Acknowledgment | None:
    with rt.db.session() as session:
        return session.scalar(
            select(Acknowledgment).where(
                Acknowledgment.matter_id == matter_id, Acknowledgment.user_id == user.id
            )
        )
