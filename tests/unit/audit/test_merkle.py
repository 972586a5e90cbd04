"""The Merkle tree against the RFC 9162 definitions, recomputed the plain recursive way."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.audit import merkle


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1, straight from its definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(leaves[:k]) + mth(leaves[k:])).digest()


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of 2.1.3.1."""
    if len(leaves) == 1:
        return []
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) of 2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def tree_of(leaves: list[bytes]) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for leaf in leaves:
        tree.append(merkle.leaf_hash(leaf))
    return tree


entries = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=150, deadline=None)
@given(entries, st.data())
def test_roots_and_proofs_match_the_definitions(leaves: list[bytes], data: st.DataObject) -> None:
    tree = tree_of(leaves)
    n = len(leaves)
    for size in range(n + 1):
        assert tree.root(size) == mth(leaves[:size])
    assert tree.frontier.root() == mth(leaves)

    index = data.draw(st.integers(0, n - 1))
    size = data.draw(st.integers(index + 1, n))
    proof = tree.inclusion(index, size)
    assert proof == path(index, leaves[:size])
    leaf = merkle.leaf_hash(leaves[index])
    assert merkle.verify_inclusion(index, size, leaf, proof, mth(leaves[:size]))

    old = data.draw(st.integers(0, n))
    new = data.draw(st.integers(old, n))
    proof = tree.consistency(old, new)
    assert proof == ([] if old in (0, new) else subproof(old, leaves[:new], True))
    assert merkle.verify_consistency(old, new, mth(leaves[:old]), mth(leaves[:new]), proof)


@settings(max_examples=150, deadline=None)
@given(entries, st.data())
def test_a_changed_proof_or_leaf_does_not_verify(leaves: list[bytes], data: st.DataObject) -> None:
    tree = tree_of(leaves)
    n = len(leaves)
    index = data.draw(st.integers(0, n - 1))
    proof = tree.inclusion(index)
    root = tree.root()
    leaf = merkle.leaf_hash(leaves[index])
    assert not merkle.verify_inclusion(
        index, n, merkle.leaf_hash(leaves[index] + b"x"), proof, root
    )
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1))
        bent = list(proof)
        bent[at] = bytes(32)
        assert not merkle.verify_inclusion(index, n, leaf, bent, root)
        assert not merkle.verify_inclusion(index, n, leaf, proof[:-1], root)
        assert not merkle.verify_inclusion(index, n, leaf, [*proof, bytes(32)], root)
    other = data.draw(st.integers(0, n - 1))
    if other != index and leaves[other] != leaves[index]:
        assert not merkle.verify_inclusion(other, n, leaf, proof, root)

    old = data.draw(st.integers(1, n))
    if old < n:
        proof = tree.consistency(old)
        old_root = tree.root(old)
        assert not merkle.verify_consistency(old, n, old_root, bytes(32), proof)
        assert not merkle.verify_consistency(old, n, bytes(32), root, proof)
        if proof:
            assert not merkle.verify_consistency(old, n, old_root, root, proof[:-1])
        # a root of a different history of the same size (a fork) is not consistent
        forked = tree_of([*leaves[: old - 1], b"forked"]).root()
        assert not merkle.verify_consistency(old, n, forked, root, proof)


def test_a_frontier_rebuilt_from_its_hashes_continues_the_same_tree() -> None:
    leaves = [bytes([i]) for i in range(37)]
    frontier = merkle.Frontier()
    for leaf in leaves[:21]:
        frontier.append(merkle.leaf_hash(leaf))
    again = merkle.Frontier(frontier.size, frontier.hashes)
    for leaf in leaves[21:]:
        again.append(merkle.leaf_hash(leaf))
    assert again.root() == mth(leaves)
    with pytest.raises(ValueError, match="subtrees"):
        merkle.Frontier(21, frontier.hashes[:1])


def test_append_returns_every_completed_subtree() -> None:
    frontier = merkle.Frontier()
    made = [frontier.append(merkle.leaf_hash(bytes([i]))) for i in range(8)]
    assert [[(n.level, n.index) for n in nodes] for nodes in made] == [
        [(0, 0)],
        [(0, 1), (1, 0)],
        [(0, 2)],
        [(0, 3), (1, 1), (2, 0)],
        [(0, 4)],
        [(0, 5), (1, 2)],
        [(0, 6)],
        [(0, 7), (1, 3), (2, 1), (3, 0)],
    ]
    leaves = [bytes([i]) for i in range(8)]
    assert made[-1][-1].hash == mth(leaves)


def test_the_stored_subtrees_a_range_needs_give_its_hash() -> None:
    leaves = [bytes([i]) for i in range(45)]
    tree = tree_of(leaves)
    needed = merkle.complete_subtrees(0, 45)
    assert needed == [(5, 0), (3, 4), (2, 10), (0, 44)]
    known = {(lv, ix): tree.levels[lv][ix] for lv, ix in needed}
    assert merkle.hash_range(0, 45, known) == mth(leaves)


def test_bad_ranges_are_refused() -> None:
    tree = tree_of([b"a", b"b", b"c"])
    with pytest.raises(ValueError):
        tree.inclusion(3)
    with pytest.raises(ValueError):
        tree.consistency(4, 3)
    assert not merkle.verify_consistency(3, 2, tree.root(), tree.root(2), [])
    assert not merkle.verify_inclusion(5, 3, merkle.leaf_hash(b"a"), [], tree.root())
