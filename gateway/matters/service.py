"""Matters, parties, memberships, acknowledgments, and resolving a user's access."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from gateway.accounts.models import User
from gateway.audit.events import Actor, AuditEvent
from gateway.audit.tags import Outcome, Tag
from gateway.authz.derive import Authorizer, Grants
from gateway.authz.policy import PolicySource
from gateway.authz.vocabulary import (
    DISCLOSURE_ROLES,
    EMPLOYEE_ROLES,
    NEUTRAL_ROLES,
    PARTY_ROLES,
    WINDOWED_ROLES,
    Ack,
    Action,
    Affiliation,
    Role,
    Standing,
)
from gateway.crypto.keys import generate_key, unwrap_key, wrap_key
from gateway.errors import (
    AcknowledgmentRequired,
    Conflict,
    Forbidden,
    GatewayError,
    Invalid,
    NotFound,
)
from gateway.matters.exhibit_a import FIELDS, ExhibitA, text_sha256
from gateway.matters.models import (
    Acknowledgment,
    Clearance,
    Matter,
    Membership,
    Party,
    PartyAffiliation,
)
from gateway.runtime import Refused, Runtime

PARTY_KINDS = ("plaintiff", "defendant", "non_party")


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
    # the matter's own order (its variant, or the default), and what derives from it
    policy: PolicySource
    authorizer: Authorizer
    ack: Ack
    standing: Standing
    affiliation: Affiliation
    # designating parties whose §7.4 procedure cleared this person
    cleared_by: frozenset[int]
    grants: Grants
    acknowledgment_required: bool

    def event(
        self,
        tag: Tag,
        outcome: Outcome,
        *,
        document_id: int | None = None,
        bates: str = "",
        reason: str = "",
        rule: str = "",
        details: Mapping[str, Any] | None = None,
    ) -> AuditEvent:
        """An audit event of this user acting in this matter, from their side."""
        return AuditEvent(
            tag=tag,
            outcome=outcome,
            actor=self.actor,
            matter_id=self.matter.id,
            side_party_id=self.side_party_id,
            document_id=document_id,
            bates=bates,
            reason=reason,
            rule=rule,
            details=details or {},
        )

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
    court_id: str | None = None,
) -> Matter:
    try:
        ZoneInfo(court_timezone)  # refuse an unknown zone before anything is written
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise Invalid(f"court_timezone: unknown time zone {court_timezone!r}") from exc
    if court_id is not None:
        from gateway.orders.courts import court as pacer_court

        found = pacer_court(court_id)  # refuses an unknown PACER id, listing the known ones
        if found.timezone != court_timezone:
            raise Invalid(
                f"court_timezone: {court_id} sits in {found.zone.key}, not {court_timezone}"
            )
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
            court_id=court_id,
            clawback_certification_days=14,
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
            AuditEvent(
                tag=Tag.MATTER_CREATED,
                outcome=Outcome.ALLOWED,
                actor=actor,
                matter_id=matter.id,
                details={"case_number": case_number},
            ),
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
            AuditEvent(
                tag=Tag.MEMBERSHIP_CHANGED,
                outcome=Outcome.ALLOWED,
                actor=actor,
                matter_id=matter_id,
                details={"party_added": name, "kind": kind},
            ),
        )
        return party


@dataclass(frozen=True)
class NewMember:
    """What the operator records when adding a person to a matter under one role."""

    email: str
    role: str
    party_id: int | None
    # the party the person is an officer, director or employee of (None: of no party)
    affiliated_with: int | None = None
    # designating parties whose §7.4 procedure cleared the person
    cleared_by: tuple[int, ...] = ()
    # a role held only for a while, e.g. a deposition witness (¶7.2(f))
    active_from: datetime | None = None
    active_until: datetime | None = None


def add_member(rt: Runtime, actor: Actor, matter_id: int, new: NewMember) -> Membership:
    """Enrol a person under one role. Every fact that decides access is checked here and
    a combination the order does not foresee is refused, never read permissively; each
    refusal is audited with its reason."""
    with rt.transaction() as session:
        try:
            return _enroll(rt, session, actor, matter_id, new)
        except GatewayError as error:
            raise Refused(
                error,
                AuditEvent(
                    tag=Tag.MEMBERSHIP_CHANGED,
                    outcome=Outcome.DENIED,
                    actor=actor,
                    matter_id=matter_id if session.get(Matter, matter_id) else None,
                    reason=error.message[:300],
                    details={"user": new.email, "role": new.role},
                ),
            ) from None


def find_party(rt: Runtime, matter_id: int, name: str) -> Party:
    """A party of the matter by its name as the matter lists it; the error lists them."""
    with rt.db.session() as session:
        parties = session.scalars(
            select(Party).where(Party.matter_id == matter_id).order_by(Party.name)
        ).all()
    for party in parties:
        if party.name == name:
            return party
    names = "; ".join(p.name for p in parties) or "none yet"
    raise NotFound(f"party: no party {name!r} in this matter (its parties: {names})")


def _enroll(
    rt: Runtime, session: Session, actor: Actor, matter_id: int, new: NewMember
) -> Membership:
    _matter(session, matter_id)
    role = _member_role(new)
    user = _enrollable_user(session, new.email)
    parties = {p.id: p for p in session.scalars(select(Party).where(Party.matter_id == matter_id))}
    for named in (new.party_id, new.affiliated_with, *new.cleared_by):
        if named is not None and named not in parties:
            raise Invalid(f"party: no party {named} in this matter")
    now = rt.now()
    existing = session.scalars(
        select(Membership).where(Membership.matter_id == matter_id, Membership.user_id == user.id)
    ).all()
    if any(m.party_id != new.party_id for m in existing):
        raise Conflict("a user acts for one party (or none) in a matter")
    if any(m.role == role for m in existing):
        raise Conflict(f"{user.email} already holds the role {role} in this matter")
    affiliated_with = _affiliation_for(new, role)
    held = {Role(m.role) for m in existing} | {role}
    current = _current_affiliation(session, matter_id, user.id, now)
    if affiliated_with is not None and current is not None and current.party_id != affiliated_with:
        raise Conflict(
            f"{user.email} is recorded as affiliated with {parties[current.party_id].name}"
        )
    if Role.EXPERT in held and (affiliated_with is not None or current is not None):
        # ¶2 (Expert): not a past or current employee of a party
        raise Invalid(
            "role: an expert under the order may not be an officer, director or employee "
            "of a party; this person is (or is being recorded as) affiliated with one"
        )
    if new.cleared_by and not held & DISCLOSURE_ROLES:
        raise Invalid("cleared_by: only experts and Designated House Counsel are cleared (¶7.4)")
    membership = Membership(
        matter_id=matter_id,
        user_id=user.id,
        party_id=new.party_id,
        role=role,
        active_from=new.active_from,
        active_until=new.active_until,
        created_at=now,
    )
    session.add(membership)
    if affiliated_with is not None and current is None:
        session.add(
            PartyAffiliation(
                matter_id=matter_id,
                user_id=user.id,
                party_id=affiliated_with,
                since=now,
                until=None,
                recorded_at=now,
            )
        )
    already = set(
        session.scalars(
            select(Clearance.party_id).where(
                Clearance.matter_id == matter_id, Clearance.user_id == user.id
            )
        )
    )
    for party_id in sorted(set(new.cleared_by) - already):
        session.add(
            Clearance(matter_id=matter_id, user_id=user.id, party_id=party_id, recorded_at=now)
        )
    session.flush()
    rt.audit(
        session,
        AuditEvent(
            tag=Tag.MEMBERSHIP_CHANGED,
            outcome=Outcome.ALLOWED,
            actor=actor,
            matter_id=matter_id,
            side_party_id=new.party_id,
            details={
                "user": user.email,
                "role": role,
                "affiliated_with": parties[affiliated_with].name if affiliated_with else None,
                "cleared_by": sorted(parties[p].name for p in new.cleared_by),
                "active_from": new.active_from.isoformat() if new.active_from else None,
                "active_until": new.active_until.isoformat() if new.active_until else None,
            },
        ),
    )
    return membership


def _member_role(new: NewMember) -> Role:
    try:
        role = Role(new.role)
    except ValueError:
        raise Invalid(
            f"role: unknown role {new.role!r} (one of {', '.join(sorted(r.value for r in Role))})"
        ) from None
    if role in PARTY_ROLES and new.party_id is None:
        raise Invalid(f"party: a {role} acts for a party (or a non-party); name it")
    if role in NEUTRAL_ROLES and (new.party_id is not None or new.affiliated_with is not None):
        raise Invalid(f"party: the {role} acts for no party and is affiliated with none")
    window = (new.active_from, new.active_until)
    if role in WINDOWED_ROLES and None in window:
        raise Invalid(
            f"active_from, active_until: a {role} sees documents only during the deposition "
            "(¶7.2(f)); give the window's start and end"
        )
    for instant, name in zip(window, ("active_from", "active_until"), strict=True):
        if instant is not None and instant.tzinfo is None:
            raise Invalid(f"{name}: give the instant with its offset (ISO 8601)")
    if None not in window and not window[0] < window[1]:  # type: ignore[operator]
        raise Invalid("active_from, active_until: the window must end after it starts")
    return role


def _affiliation_for(new: NewMember, role: Role) -> int | None:
    if role in EMPLOYEE_ROLES:
        # an employee of the party they act for, by definition of the role
        if new.affiliated_with not in (None, new.party_id):
            raise Invalid(f"affiliated_with: a {role} is affiliated with the party it acts for")
        return new.party_id
    if new.affiliated_with is not None and new.affiliated_with != new.party_id:
        raise Invalid("affiliated_with: a person affiliated with one party cannot act for another")
    return new.affiliated_with


def _enrollable_user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise NotFound(f"no user {email}")
    if user.is_operator:
        # the operator runs the gateway for both sides: a role in a matter would let it
        # read documents or a party's review trail through the product
        raise Invalid(f"{user.email} is an operator account and cannot hold a matter role")
    return user


def _current_affiliation(
    session: Session, matter_id: int, user_id: int, now: datetime
) -> PartyAffiliation | None:
    rows = session.scalars(
        select(PartyAffiliation).where(
            PartyAffiliation.matter_id == matter_id, PartyAffiliation.user_id == user_id
        )
    ).all()
    return next((a for a in rows if a.current_at(now)), None)


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


def memberships_of(rt: Runtime, user: User) -> dict[int, dict[str, object]]:
    """Per matter, what the gateway records about the user as a person in it: the party
    they act for, the party they are an officer, director or employee of, who cleared them
    under §7.4, and each role's window. Shown to the user on their membership."""
    with rt.db.session() as session:
        names = dict(session.execute(select(Party.id, Party.name)).all())
        found: dict[int, dict[str, object]] = {}
        for m in session.scalars(select(Membership).where(Membership.user_id == user.id)):
            entry = found.setdefault(
                m.matter_id,
                {
                    "party": names.get(m.party_id) if m.party_id else None,
                    "affiliated_with": None,
                    "cleared_by": [],
                    "roles": [],
                },
            )
            entry["roles"].append(  # type: ignore[attr-defined]
                {
                    "role": m.role,
                    "active_from": m.active_from.isoformat() if m.active_from else None,
                    "active_until": m.active_until.isoformat() if m.active_until else None,
                }
            )
        now = rt.now()
        for a in session.scalars(
            select(PartyAffiliation).where(PartyAffiliation.user_id == user.id)
        ):
            if a.matter_id in found and a.current_at(now):
                found[a.matter_id]["affiliated_with"] = names.get(a.party_id)
        for c in session.scalars(select(Clearance).where(Clearance.user_id == user.id)):
            if c.matter_id in found:
                found[c.matter_id]["cleared_by"].append(names.get(c.party_id))  # type: ignore[attr-defined]
        return found


def resolve_access(
    rt: Runtime, session: Session, user: User, matter_id: int, *, address: str
) -> MatterAccess:
    """The user's active roles, side, the facts about the person and the derived grants.

    A matter the user is not a member of is refused exactly like one that does not exist;
    a member whose every role is outside its window (a witness before or after the
    deposition) is told so.
    """
    actor = Actor.from_request(user.id, user.email, address)
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
            AuditEvent(
                tag=Tag.MATTER_OPENED,
                outcome=Outcome.DENIED,
                actor=actor,
                matter_id=matter_id if matter else None,
                reason="not a member" if matter else "no such matter",
            ),
        )
    assert matter is not None
    now = rt.now()
    active = [m for m in memberships if m.active_at(now)]
    side_party_id = memberships[0].party_id
    if not active:
        raise Refused(
            Forbidden(
                "your role in this matter is active only during the window recorded for it "
                f"({_windows(memberships)})"
            ),
            AuditEvent(
                tag=Tag.MATTER_OPENED,
                outcome=Outcome.DENIED,
                actor=actor,
                matter_id=matter_id,
                side_party_id=side_party_id,
                reason="outside the role's window",
            ),
        )
    roles = frozenset(m.role for m in active)
    signed = session.scalar(
        select(Acknowledgment.id).where(
            Acknowledgment.matter_id == matter_id, Acknowledgment.user_id == user.id
        )
    )
    ack = Ack.SIGNED if signed else Ack.UNSIGNED
    standing = _standing(session, side_party_id)
    affiliated = _current_affiliation(session, matter_id, user.id, now) is not None
    affiliation = Affiliation.AFFILIATED if affiliated else Affiliation.UNAFFILIATED
    cleared_by = frozenset(
        session.scalars(
            select(Clearance.party_id).where(
                Clearance.matter_id == matter_id, Clearance.user_id == user.id
            )
        )
    )
    facts = {"standing": standing, "affiliation": affiliation}
    policy = rt.policies.for_matter(session, matter_id).policy
    authorizer = Authorizer.shared(policy)
    return MatterAccess(
        matter=matter,
        user=user,
        actor=actor,
        side_party_id=side_party_id,
        roles=roles,
        policy=policy,
        authorizer=authorizer,
        ack=ack,
        standing=standing,
        affiliation=affiliation,
        cleared_by=cleared_by,
        grants=authorizer.grants(roles, ack=ack, **facts),
        acknowledgment_required=(
            ack == Ack.UNSIGNED and authorizer.requires_acknowledgment(roles, **facts)
        ),
    )


def _standing(session: Session, party_id: int | None) -> Standing:
    if party_id is None:
        return Standing.NEUTRAL
    kind = session.scalar(select(Party.kind).where(Party.id == party_id))
    return Standing.NON_PARTY if kind == "non_party" else Standing.PARTY


def _windows(memberships: Sequence[Membership]) -> str:
    def at(instant: datetime | None) -> str:
        return instant.isoformat() if instant else "open"

    return "; ".join(
        f"{m.role} from {at(m.active_from)} until {at(m.active_until)}" for m in memberships
    )


SIGN_FOR_MORE = (
    "sign the Acknowledgment and Agreement to Be Bound (Exhibit A) for this matter to see "
    "the material the order discloses only to those who signed it"
)


def require_acknowledged(access: MatterAccess, tag: Tag) -> None:
    """Refuse document access only where the rules give this user no document at all.

    An unsigned user sees exactly what the rules grant without Exhibit A (PUBLIC material,
    their own party's, what they wrote, received or kept) and is told to sign for the rest
    (``MatterAccess.acknowledgment_required``); only a user the rules give nothing unsigned
    is refused, and told why. A role that may never see documents (the auditor) is refused.
    """
    if access.grants.document:
        return
    if access.acknowledgment_required:
        raise Refused(
            AcknowledgmentRequired(SIGN_FOR_MORE.capitalize() + "."),
            access.event(tag, Outcome.DENIED, reason="acknowledgment required"),
        )
    raise Refused(
        Forbidden("your role in this matter gives no access to its documents"),
        access.event(tag, Outcome.DENIED, reason="no document access for role"),
    )


def court_today(matter: Matter, now: datetime) -> date:
    return now.astimezone(ZoneInfo(matter.court_timezone)).date()


def sign_acknowledgment(
    rt: Runtime, user: User, matter_id: int, form: ExhibitA, *, address: str
) -> Acknowledgment:
    with rt.transaction() as session:
        access = resolve_access(rt, session, user, matter_id, address=address)
        _require_sign(access)
        problems = _exhibit_a_problems(form, access.matter, rt.now())
        if problems:
            raise Invalid("; ".join(problems))
        if access.ack == Ack.SIGNED:
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
            access.event(
                Tag.ACKNOWLEDGMENT_SIGNED,
                Outcome.ALLOWED,
                details={"text_sha256": ack.text_sha256, "signed_on": form.signed_on.isoformat()},
            ),
        )
        return ack


def _require_sign(access: MatterAccess) -> None:
    from gateway.matters.permissions import require  # the check lives beside MatterAccess

    require(access, Action.ACKNOWLEDGMENT_SIGN, tag=Tag.ACKNOWLEDGMENT_SIGNED)


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
