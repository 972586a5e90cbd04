"""Merkle tree hashing and proofs of RFC 9162 (Certificate Transparency 2.0), section 2.1.

Pure functions over bytes: no database, no clock. A log stores, besides its leaves, the
hashes of its complete subtrees (``Node``); ``Frontier`` is the list of complete subtrees
whose sizes add up to the tree's size (one per set bit of the size, largest first). Adding
a leaf touches only the frontier, so an append never re-reads the log, and the root is the
frontier folded from the right.

Proofs follow the RFC's recursive definitions (``PATH`` for inclusion, ``PROOF`` for
consistency); the verifiers are the RFC's iterative algorithms of sections 2.1.3.2 and
2.1.4.2, written independently of the generators so that one checks the other.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True)
class Node:
    """The root of the complete subtree of ``2**level`` leaves starting at leaf
    ``index * 2**level``."""

    level: int
    index: int
    hash: bytes


class Frontier:
    """The complete subtrees a tree of ``size`` leaves is made of, largest first."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if len(hashes) != bin(size).count("1"):
            raise ValueError(f"a tree of {size} leaves has {bin(size).count('1')} subtrees")
        self.size = size
        self.hashes = list(hashes)

    def append(self, leaf: bytes) -> list[Node]:
        """Add one leaf hash; returns the nodes it completes (the leaf itself first)."""
        index = self.size
        made = [Node(0, index, leaf)]
        current = leaf
        level = 0
        # each trailing 1 bit of the old size is a subtree the new one merges with
        while (index >> level) & 1:
            current = node_hash(self.hashes.pop(), current)
            level += 1
            made.append(Node(level, index >> level, current))
        self.hashes.append(current)
        self.size += 1
        return made

    def push(self, leaf: bytes) -> None:
        """``append`` without the completed nodes (for a verifier that keeps none)."""
        hashes, index = self.hashes, self.size
        current = leaf
        while index & 1:
            current = hashlib.sha256(b"\x01" + hashes.pop() + current).digest()
            index >>= 1
        hashes.append(current)
        self.size += 1

    def root(self) -> bytes:
        if not self.hashes:
            return EMPTY_ROOT
        current = self.hashes[-1]
        for left in reversed(self.hashes[:-1]):
            current = node_hash(left, current)
        return current

    def copy(self) -> Frontier:
        return Frontier(self.size, list(self.hashes))


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n`` > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


# ``subtree(start, size)`` returns the hash of leaves [start, start + size); a stored log
# answers from its complete subtrees, an in-memory tree from its levels
Subtree = Callable[[int, int], bytes]


def inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """RFC 9162 2.1.3.1: the audit path of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    path: list[bytes] = []
    start = 0
    while size > 1:
        k = _split(size)
        if index < k:
            path.append(subtree(start + k, size - k))
            size = k
        else:
            path.append(subtree(start, k))
            start += k
            index -= k
            size -= k
    path.reverse()
    return path


def consistency_path(old: int, new: int, subtree: Subtree) -> list[bytes]:
    """RFC 9162 2.1.4.1: the proof that the tree of ``old`` leaves is a prefix of the one
    of ``new`` leaves (empty when the sizes are equal or ``old`` is 0)."""
    if not 0 <= old <= new:
        raise ValueError(f"no consistency proof from {old} leaves to {new}")
    if old == 0 or old == new:
        return []
    proof: list[bytes] = []
    start, m, n, whole = 0, old, new, True
    while m != n:
        k = _split(n)
        if m <= k:
            proof.append(subtree(start + k, n - k))
            n = k
        else:
            proof.append(subtree(start, k))
            start += k
            m -= k
            n -= k
            whole = False
    if not whole:
        proof.append(subtree(start, m))
    proof.reverse()
    return proof


def root_from_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes:
    """RFC 9162 2.1.3.2: the root that ``path`` proves ``leaf`` at ``index`` is under;
    raises ``ValueError`` when the path cannot be one for that index and size."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size} leaves")
    fn, sn = index, size - 1
    current = leaf
    for sibling in path:
        if sn == 0:
            raise ValueError("the inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            current = node_hash(sibling, current)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            current = node_hash(current, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("the inclusion proof is shorter than the tree is deep")
    return current


def verify_inclusion(
    index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes
) -> bool:
    try:
        return root_from_inclusion(index, size, leaf, path) == root
    except ValueError:
        return False


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2."""
    if not 0 <= old <= new:
        return False
    if old == new:
        return old_root == new_root and not proof
    if old == 0:
        return not proof
    if not proof and old & (old - 1) == 0:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the first node
        path.insert(0, old_root)
    if not path:
        return False
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class MemoryTree:
    """Every level of a tree held in memory: for the offline verifier and for tests.

    ``levels[0]`` are the leaf hashes; ``levels[h][i]`` is the complete subtree ``(h, i)``.
    """

    def __init__(self) -> None:
        self.levels: list[list[bytes]] = [[]]
        self.frontier = Frontier()

    @property
    def size(self) -> int:
        return self.frontier.size

    def append(self, leaf: bytes) -> None:
        for node in self.frontier.append(leaf):
            if node.level == len(self.levels):
                self.levels.append([])
            self.levels[node.level].append(node.hash)

    def root(self, size: int | None = None) -> bytes:
        size = self.size if size is None else size
        return EMPTY_ROOT if size == 0 else self.subtree(0, size)

    def subtree(self, start: int, size: int) -> bytes:
        """The hash of leaves [start, start + size), from the complete subtrees."""
        if size <= 0 or start + size > self.size:
            raise ValueError(f"leaves {start}..{start + size} are not all in the tree")
        if size & (size - 1) == 0 and start % size == 0:
            return self.levels[size.bit_length() - 1][start // size]
        k = _split(size)
        return node_hash(self.subtree(start, k), self.subtree(start + k, size - k))

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_path(index, self.size if size is None else size, self.subtree)

    def consistency(self, old: int, new: int | None = None) -> list[bytes]:
        return consistency_path(old, self.size if new is None else new, self.subtree)


def complete_subtrees(start: int, size: int) -> list[tuple[int, int]]:
    """The complete subtrees ``(level, index)`` whose hashes give leaves
    [start, start + size) the way the RFC splits a range (what a stored log must read)."""
    if size & (size - 1) == 0 and start % size == 0:
        return [(size.bit_length() - 1, start // size)]
    k = _split(size)
    return complete_subtrees(start, k) + complete_subtrees(start + k, size - k)


def hash_range(start: int, size: int, known: dict[tuple[int, int], bytes]) -> bytes:
    """The hash of leaves [start, start + size) from the complete subtrees in ``known``."""
    if size & (size - 1) == 0 and start % size == 0:
        return known[(size.bit_length() - 1, start // size)]
    k = _split(size)
    return node_hash(hash_range(start, k, known), hash_range(start + k, size - k, known))
