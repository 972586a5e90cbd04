"""The Exhibit A acknowledgment: its text is rendered from the matter and the signer."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from gateway.matters.models import Matter

TEMPLATE = """\
ACKNOWLEDGMENT AND AGREEMENT TO BE BOUND (Exhibit A)

I, {full_name}, whose address is {address}, declare under penalty of perjury that I have \
read and understand the whole of the {order_title} entered by the {court} on {order_date} \
in {caption}, Case No. {case_number}.

I agree to comply with and be bound by every term of that order. I understand that if I \
fail to comply I may be sanctioned and punished for contempt. I will not disclose any \
information or item protected by that order to any person or entity except as the order \
allows.

I submit to the jurisdiction of the {court} for the purpose of enforcing that order, and \
I understand that this continues after this action has ended.

I appoint {agent_name}, whose address is {agent_address}, as my agent in {forum_state} for \
service of process in connection with this action or any proceeding to enforce that order.

I declare under penalty of perjury under the laws of the United States of America that \
the foregoing is true and correct (28 U.S.C. § 1746).

Date: {signed_on}
City and state where signed: {signed_city}
Printed name: {full_name}
Signature: {signature}
"""

FIELDS = ("full_name", "address", "agent_name", "agent_address", "signed_city", "signature")


@dataclass(frozen=True)
class ExhibitA:
    full_name: str
    address: str
    agent_name: str
    agent_address: str
    signed_city: str
    signed_on: date
    signature: str
    agree: bool

    def render(self, matter: Matter) -> str:
        return TEMPLATE.format(
            full_name=self.full_name,
            address=self.address,
            order_title=matter.order_title,
            court=matter.court,
            order_date=matter.order_date.strftime("%B %-d, %Y"),
            caption=matter.caption,
            case_number=matter.case_number,
            agent_name=self.agent_name,
            agent_address=self.agent_address,
            forum_state=matter.forum_state,
            signed_on=self.signed_on.isoformat(),
            signed_city=self.signed_city,
            signature=self.signature,
        )


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def blank_text(matter: Matter) -> str:
    """The text shown before signing, with the signer's parts as placeholders."""
    return (
        ExhibitA(
            full_name="[full name]",
            address="[address]",
            agent_name="[agent's name]",
            agent_address="[agent's address]",
            signed_city="[city and state]",
            signed_on=date(1900, 1, 1),
            signature="[signature]",
            agree=False,
        )
        .render(matter)
        .replace("1900-01-01", "[date]")
    )
