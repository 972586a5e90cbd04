from __future__ import annotations

from datetime import UTC, datetime

from gateway.pdf.marks import Mark, check_token, make_token, mark_key, tokens_in

KEY = mark_key(b"k" * 32)


def test_a_token_names_its_entry_and_checks_only_in_its_matter():
    token = make_token(KEY, 7, 1234)
    assert token.startswith("POGW-1234-")
    assert check_token(KEY, 7, token) == 1234
    assert check_token(KEY, 8, token) is None  # another matter
    assert check_token(mark_key(b"j" * 32), 7, token) is None  # another key
    forged = token.replace("POGW-1234-", "POGW-1235-")
    assert check_token(KEY, 7, forged) is None
    assert check_token(KEY, 7, token + "0") is None


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
