"""Deriving grants once vs. one Casbin decision per (role, document).

Synthetic matter: N documents with random relation, designation and state. The baseline asks
Casbin whether each role may list each document (what a per-document ``enforce`` loop would
do); the derived path builds every role's grants once (cold, all acknowledgment/disclosure
combinations) and then filters with set lookups, as SQL will. Both must agree.

    python bench/authz_derive.py [--documents 10000] [--seed 7]

Ends with one ``RESULT`` line: how many times faster the derived path is.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence

from gateway.authz.derive import Authorizer
from gateway.authz.policy import PolicySource, build_enforcer, load_default_policy
from gateway.authz.vocabulary import Ack, Action, Affiliation, Relation, Role, Standing, State

Document = tuple[str, str, str]  # (relation, designation, state)
LIST = str(Action.DOCUMENT_LIST)
# the person the decisions are for: signed Exhibit A, acts for a party, no party's employee
PERSON = (str(Ack.SIGNED), str(Standing.PARTY), str(Affiliation.UNAFFILIATED))


def synthetic_documents(policy: PolicySource, count: int, seed: int) -> list[Document]:
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    relations, states = [str(r) for r in Relation], [str(s) for s in State]
    return [
        (rng.choice(relations), rng.choice(policy.designations), rng.choice(states))
        for _ in range(count)
    ]


def naive(policy: PolicySource, documents: Sequence[Document]) -> tuple[float, dict[str, int]]:
    enforcer = build_enforcer(policy)
    started = time.perf_counter()
    visible = {
        str(role): sum(
            enforcer.enforce(str(role), *PERSON, doc[0], "cleared", *doc[1:], "not_presented", LIST)
            for doc in documents
        )
        for role in Role
    }
    return time.perf_counter() - started, visible


def derived(
    policy: PolicySource, documents: Sequence[Document]
) -> tuple[float, float, dict[str, float], dict[str, int]]:
    started = time.perf_counter()
    authorizer = Authorizer(policy)
    per_role: dict[str, float] = {}
    for role in Role:
        role_started = time.perf_counter()
        for ack in Ack:
            for affiliation in Affiliation:
                authorizer.grants([role], ack=ack, standing=Standing.PARTY, affiliation=affiliation)
        per_role[str(role)] = time.perf_counter() - role_started
    derive_s = time.perf_counter() - started
    started = time.perf_counter()
    visible = {}
    for role in Role:
        grants = authorizer.grants([role], ack=PERSON[0], standing=PERSON[1], affiliation=PERSON[2])
        visible[str(role)] = sum(
            grants.allows(
                relation=doc[0],
                clearance="cleared",
                designation=doc[1],
                state=doc[2],
                presented="not_presented",
                action=LIST,
            )
            for doc in documents
        )
    return derive_s, time.perf_counter() - started, per_role, visible


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    policy = load_default_policy()
    documents = synthetic_documents(policy, args.documents, args.seed)
    rules = len(policy.rules)
    print(f"policy {policy.version[:12]}: {rules} rules, {len(documents)} documents, 8 roles")

    derive_s, filter_s, per_role, derived_visible = derived(policy, documents)
    for role, seconds in per_role.items():
        print(
            f"  grants() cold, 4 ack/affiliation combinations: {role:16} {seconds * 1000:7.1f} ms"
        )
    print(
        f"derive all roles: {derive_s:.3f} s; filter {len(documents)} docs x 8 roles: "
        f"{filter_s * 1000:.1f} ms"
    )

    naive_s, naive_visible = naive(policy, documents)
    decisions = len(documents) * len(Role)
    print(
        f"naive enforce: {decisions} decisions in {naive_s:.2f} s "
        f"({naive_s / decisions * 1e6:.0f} us each)"
    )
    if naive_visible != derived_visible:
        raise SystemExit(f"MISMATCH naive={naive_visible} derived={derived_visible}")
    print(f"visible per role (both agree): {derived_visible}")

    total = derive_s + filter_s
    print(
        f"RESULT ratio={naive_s / total:.1f} naive_s={naive_s:.2f} derived_s={total:.3f} "
        f"documents={len(documents)}"
    )


if __name__ == "__main__":
    main()
