from __future__ import annotations

from datetime import UTC, datetime

from gateway.pdf.marks import TOKEN, Mark, check_token, make_token, mark_key, tokens_in

KEY = mark_key(b"k" * 32)


def test_a_token_names_its_entry_and_checks_only_in_its_matter():
    token = make_token(KEY, 7, 1234)
    assert TOKEN.fullmatch(token)
    assert check_token(KEY, 7, token) == 1234
    assert check_token(KEY, 8, token) is None  # another matter
    assert check_token(mark_key(b"j" * 32), 7, token) is None  # another key
    sealed = token.split("-")[1]
    altered = token.replace(sealed, sealed[:-1] + ("0" if sealed[-1] != "0" else "1"))
    assert check_token(KEY, 7, altered) is None  # the MAC covers the sealed number
    assert check_token(KEY, 7, token + "0") is None


def test_a_token_does_not_show_the_trails_count():
    """Consecutive entries' tokens share nothing a reader could count with: the number is
    sealed, so two downloads do not tell how many entries others wrote between them."""
    first, second = make_token(KEY, 7, 1000), make_token(KEY, 7, 1001)
    assert "1000" not in first and "1001" not in second
    a, b = first.split("-")[1], second.split("-")[1]
    assert sum(x != y for x, y in zip(a, b, strict=True)) > 16  # a block cipher, not a counter


def test_tokens_are_found_in_text_once_each():
    a, b = make_token(KEY, 1, 5), make_token(KEY, 1, 6)
    assert tokens_in(f"x {a} y {b} z {a}") == [a, b]
    assert tokens_in("nothing here POGW-12-zz") == []


def test_the_visible_line_is_ascii_and_says_who_when_and_which():
    mark = Mark("José Núñez", "jn@example.com", datetime(2026, 12, 1, 14, 5, tzinfo=UTC), "T")
    line = mark.line()
    assert line == "Served to Jose Nunez <jn@example.com> on 2026-12-01 14:05 UTC - T"
    assert line.isascii()
    assert "?" in Mark("李", "l@example.com", mark.at, "T").line()
