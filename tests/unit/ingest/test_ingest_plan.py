from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from gateway.ingest import (
    DEFAULT_DESIGNATIONS,
    FIELD_ALIASES,
    MAX_ERRORS,
    DirectorySource,
    LoadFileErrors,
    MemorySource,
    OptRow,
    build_plan,
    designations_from_tiers,
    parse_bates,
    write_dat,
)

DAT_FILE = "VOL001/DATA/VOL001.dat"
OPT_FILE = "VOL001/DATA/VOL001.opt"
Problem = Callable[..., None]


def bates(number: int) -> str:
    return f"AOL-DEF-{number:08d}"


# --- what a good volume becomes ----------------------------------------------------------


def test_plans_the_reference_family_and_a_standalone_document(volume) -> None:
    plan = volume.plan()
    assert plan.volume == "VOL001"
    email, *attachments, report = plan.documents
    assert (email.bates_begin, email.bates_end, email.page_count) == (
        bates(556914),
        bates(556918),
        5,
    )
    assert email.designation == "AEO" and email.title == "SENTRI revocation"
    assert email.custodian == "Officer A" and email.line == 2
    assert [page.bates for page in email.pages] == [bates(n) for n in range(556914, 556919)]
    assert email.pages[0].path == f"IMAGES/0001/{bates(556914)}.tif"
    assert email.pages[0].line == 1
    assert {doc.family for doc in (email, *attachments)} == {bates(556914)}
    assert attachments[-1].designation == "CONFIDENTIAL"
    assert report.family == bates(528691) and report.page_count == 17


def test_maps_common_fields_and_keeps_the_rest_verbatim(volume) -> None:
    volume.fields = [
        "BegDoc#",
        "End_Doc",
        "Subject",
        "From",
        "To",
        "CC",
        "BCC",
        "DateSent",
        "Native_File",
        "TEXTPATH",
        "File_Name",
        "Designation",
        "MD5Hash",
        "Title",
    ]
    volume.rows = [
        {
            "BegDoc#": bates(528691),
            "End_Doc": bates(528707),
            "Subject": "FIR",
            "From": "Agent B; ",
            "To": "a@cbp.example; b@cbp.example",
            "CC": "c@cbp.example",
            "BCC": "a@cbp.example",
            "DateSent": "06/26/2020",
            "Native_File": "NATIVES\\fir.msg",
            "TEXTPATH": "TEXT\\fir.txt",
            "File_Name": "fir.msg",
            "Designation": "highly confidential -  attorneys’ eyes only",
            "MD5Hash": " 0cc175b9 ",
            "Title": "",
        }
    ]
    volume.opt = [row for row in volume.opt if row.image_key.startswith("AOL-DEF-00528")]
    volume.files |= {"NATIVES/fir.msg": b"msg", "TEXT/fir.txt": b""}
    (doc,) = volume.plan().documents
    assert doc.title == "FIR" and doc.file_name == "fir.msg" and doc.date == "06/26/2020"
    assert doc.authors == ("Agent B",)
    assert doc.recipients == ("a@cbp.example", "b@cbp.example", "c@cbp.example")
    assert (doc.native_path, doc.text_path) == ("NATIVES/fir.msg", "TEXT/fir.txt")
    assert doc.designation == "AEO"
    assert doc.extra == {"MD5Hash": " 0cc175b9 "}


def test_blank_designation_means_public_and_tiers_come_from_the_matter(volume) -> None:
    @dataclass
    class Tier:
        code: str
        legend: str

    volume.rows[-1]["CONFIDENTIALITY"] = ""
    volume.rows[0]["CONFIDENTIALITY"] = "Outside Counsel's Eyes Only"
    tiers = [
        Tier("CONFIDENTIAL", "CONFIDENTIAL"),
        Tier("AEO", "HIGHLY CONFIDENTIAL - AEO"),
        Tier("OCEO", "OUTSIDE COUNSEL'S EYES ONLY"),
    ]
    plan = volume.plan(designations_from_tiers(tiers))
    assert [doc.designation for doc in plan.documents] == [
        "OCEO",
        "AEO",
        "AEO",
        "CONFIDENTIAL",
        "PUBLIC",
    ]


def test_a_native_only_document_needs_no_images(volume) -> None:
    volume.document(600000, 600000, images=False, NATIVELINK="NATIVES\\sheet.xlsx")
    volume.files["NATIVES/sheet.xlsx"] = b"PK"
    doc = volume.plan().documents[-1]
    assert (doc.pages, doc.page_count, doc.native_path) == ((), 0, "NATIVES/sheet.xlsx")


def test_a_volume_without_an_opt_is_native_only() -> None:
    source = MemorySource(
        {
            "VOL.dat": write_dat(
                ["BEGBATES", "ENDBATES", "NATIVE", "CONFIDENTIALITY"],
                [[bates(1), bates(1), "NATIVES/a.xlsx", ""]],
            ),
            "NATIVES/a.xlsx": b"PK",
        },
        name="VOL009",
    )
    plan = build_plan(source, dat_path="VOL.dat", opt_path=None, designations=DEFAULT_DESIGNATIONS)
    assert plan.volume == "VOL" and plan.documents[0].native_path == "NATIVES/a.xlsx"


def test_field_aliases_never_overlap() -> None:
    names = [name for aliases in FIELD_ALIASES.values() for name in aliases]
    assert len(names) == len(set(names))


def test_parse_bates() -> None:
    assert parse_bates("AOL-DEF-00556914") == ("AOL-DEF-", 556914, 8)
    assert parse_bates("ABC 000123") == ("ABC ", 123, 6)
    assert parse_bates("0042") == ("", 42, 4)
    for bad in ("AOL-DEF-", "AOL-DEF-0055691X", " AOL-1", "AOL/DEF-1", "AOL  1", "AOL-１"):
        with pytest.raises(ValueError, match="is not a Bates number"):
            parse_bates(bad)


# --- one test per bad input ------------------------------------------------------------


def test_refuses_duplicate_bates(volume, problem: Problem) -> None:
    volume.document(528691, 528691, images=False, NATIVELINK="")
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=7,
        field="BEGBATES",
        reason=f"duplicate BEGBATES {bates(528691)}: also on line 6",
    )


def test_refuses_overlapping_bates(volume, problem: Problem) -> None:
    volume.rows.insert(0, {"BEGBATES": bates(528700), "ENDBATES": bates(528710)})
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=7,
        field="BEGBATES",
        reason=f"range {bates(528691)}-{bates(528707)} overlaps range "
        f"{bates(528700)}-{bates(528710)} on line 2",
    )


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("BEGBATES", "AOL-DEF-0055691X", "'AOL-DEF-0055691X' is not a Bates number"),
        ("BEGBATES", "", "is blank"),
        ("ENDBATES", "AOL-DEF-556918", "does not have the prefix and number of digits"),
        ("ENDBATES", bates(556913), "comes before BEGBATES"),
    ],
)
def test_refuses_bad_bates(volume, problem: Problem, field: str, value: str, reason: str) -> None:
    volume.rows[0][field] = value
    problem(volume.problems(), file=DAT_FILE, line=2, field=field, reason=reason)


def test_refuses_begattach_not_enclosing_the_document(volume, problem: Problem) -> None:
    volume.rows[3]["ENDATTACH"] = bates(556921)
    for row in volume.rows[:3]:
        row["ENDATTACH"] = bates(556921)
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=5,
        field="BEGATTACH",
        reason=f"family range {bates(556914)}-{bates(556921)} does not enclose the "
        f"document's range {bates(556921)}-{bates(556922)}",
    )


def test_refuses_a_family_with_two_ends(volume, problem: Problem) -> None:
    volume.rows[1]["ENDATTACH"] = bates(556930)
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=3,
        field="ENDATTACH",
        reason=f"{bates(556930)} differs from {bates(556922)} on line 2, a member of the "
        f"same family {bates(556914)}",
    )


def test_refuses_half_a_family_range(volume, problem: Problem) -> None:
    volume.rows[2]["ENDATTACH"] = ""
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=4,
        field="ENDATTACH",
        reason="is blank while BEGATTACH is not",
    )


def test_refuses_an_unknown_designation(volume, problem: Problem) -> None:
    volume.rows[4]["CONFIDENTIALITY"] = "SECRET"
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=6,
        field="CONFIDENTIALITY",
        reason="unknown designation 'SECRET'; accepted: AEO; CONFIDENTIAL; HIGHLY",
    )


def test_an_aeo_variant_is_unknown_unless_the_matter_lists_it(volume, problem: Problem) -> None:
    volume.rows[0]["CONFIDENTIALITY"] = "HIGHLY CONFIDENTIAL - AEO"
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=2,
        field="CONFIDENTIALITY",
        reason="unknown designation 'HIGHLY CONFIDENTIAL - AEO'",
    )


def test_refuses_a_missing_image(volume, problem: Problem) -> None:
    del volume.files[f"IMAGES/0001/{bates(556916)}.tif"]
    problem(
        volume.problems(),
        file=OPT_FILE,
        line=3,
        field="image path",
        reason=f"image file IMAGES/0001/{bates(556916)}.tif does not exist in the volume",
    )


def test_refuses_an_empty_image(volume, problem: Problem) -> None:
    volume.files[f"IMAGES/0001/{bates(556916)}.tif"] = b""
    problem(
        volume.problems(),
        file=OPT_FILE,
        line=3,
        field="image path",
        reason=f"image file IMAGES/0001/{bates(556916)}.tif is empty",
    )


def test_refuses_a_missing_native(volume, problem: Problem) -> None:
    volume.rows[0]["NATIVELINK"] = "NATIVES\\0001\\AOL-DEF-00556914.msg"
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=2,
        field="NATIVELINK",
        reason="native file NATIVES/0001/AOL-DEF-00556914.msg does not exist in the volume",
    )


def test_refuses_a_missing_text_file(volume, problem: Problem) -> None:
    volume.rows[4]["TEXTLINK"] = "TEXT\\fir.txt"
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=6,
        field="TEXTLINK",
        reason="text file TEXT/fir.txt does not exist in the volume",
    )


def test_refuses_a_document_with_neither_images_nor_native(volume, problem: Problem) -> None:
    volume.document(600000, 600001, images=False)
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=7,
        field="BEGBATES",
        reason=f"document {bates(600000)}-{bates(600001)} has no page images in "
        f"{OPT_FILE} and no native file",
    )


def test_refuses_an_opt_page_with_no_document(volume, problem: Problem) -> None:
    volume.opt.append(OptRow(bates(700000), "VOL001", "IMAGES\\0001\\stray.tif", True))
    volume.files["IMAGES/0001/stray.tif"] = b"tiff"
    problem(
        volume.problems(),
        file=OPT_FILE,
        line=27,
        field="image key",
        reason=f"page {bates(700000)} belongs to no document in {DAT_FILE}",
    )


def test_refuses_a_missing_document_break(volume, problem: Problem) -> None:
    volume.opt[5] = replace(volume.opt[5], document_break=False, page_count=None)
    problem(
        volume.problems(),
        file=OPT_FILE,
        line=6,
        field="document break",
        reason=f"page {bates(556919)} starts document {bates(556919)}-{bates(556919)} "
        f"({DAT_FILE} line 3) but its document break is not Y",
    )


def test_refuses_a_document_break_inside_a_document(volume, problem: Problem) -> None:
    volume.opt[2] = replace(volume.opt[2], document_break=True)
    problem(
        volume.problems(),
        file=OPT_FILE,
        line=3,
        field="document break",
        reason=f"page {bates(556916)} is inside document {bates(556914)}-{bates(556918)}",
    )


def test_refuses_missing_pages(volume, problem: Problem) -> None:
    del volume.opt[2]
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=2,
        field="BEGBATES",
        reason=f"has 4 of the 5 pages of document {bates(556914)}-{bates(556918)}; "
        f"the first missing is {bates(556916)}",
    )


def test_refuses_inconsistent_page_counts(volume, problem: Problem) -> None:
    volume.fields.append("PAGECOUNT")
    volume.rows[4]["PAGECOUNT"] = "16"
    volume.opt[0] = replace(volume.opt[0], page_count=4)
    errors = volume.problems()
    problem(
        errors,
        file=OPT_FILE,
        line=1,
        field="page count",
        reason=f"page count 4 but document {bates(556914)}-{bates(556918)} spans 5 page(s)",
    )
    problem(
        errors,
        file=DAT_FILE,
        line=6,
        field="PAGECOUNT",
        reason=f"16 but document {bates(528691)}-{bates(528707)} spans 17 page(s)",
    )


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("IMAGES\\..\\..\\secret.tif", "contains '..'"),
        ("/srv/volumes/secret.tif", "is absolute"),
        ("D:\\VOL001\\IMAGES\\x.tif", "has a drive letter"),
    ],
    ids=["dot-dot", "absolute", "drive-letter"],
)
def test_refuses_an_unsafe_image_path(volume, problem: Problem, path: str, reason: str) -> None:
    volume.opt[1] = replace(volume.opt[1], path=path)
    problem(volume.problems(), file=OPT_FILE, line=2, field="image path", reason=reason)


@pytest.mark.parametrize(
    ("path", "reason"),
    [("..\\..\\etc\\passwd", "contains '..'"), ("\\\\server\\share\\a.msg", "is absolute")],
    ids=["backslash-dot-dot", "unc"],
)
def test_refuses_an_unsafe_native_path(volume, problem: Problem, path: str, reason: str) -> None:
    volume.rows[4]["NATIVELINK"] = path
    problem(volume.problems(), file=DAT_FILE, line=6, field="NATIVELINK", reason=reason)


def test_backslashes_are_separators(volume) -> None:
    volume.rows[4]["NATIVELINK"] = "NATIVES\\0001\\fir.msg"
    volume.files["NATIVES/0001/fir.msg"] = b"msg"
    assert volume.plan().documents[-1].native_path == "NATIVES/0001/fir.msg"


def test_a_backslash_path_missing_on_disk_is_named(volume, problem: Problem) -> None:
    volume.rows[4]["NATIVELINK"] = "NATIVES\\0001\\fir.msg"
    problem(
        volume.problems(),
        file=DAT_FILE,
        line=6,
        field="NATIVELINK",
        reason="native file NATIVES/0001/fir.msg does not exist",
    )


def write_to_disk(volume, root: Path) -> DirectorySource:
    for name, data in volume.source()._files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return DirectorySource(root)


def plan_on_disk(source: DirectorySource):
    return build_plan(
        source,
        dat_path="DATA\\VOL001.dat",
        opt_path="DATA\\VOL001.opt",
        designations=DEFAULT_DESIGNATIONS,
    )


def test_plans_a_volume_folder_on_disk(volume, tmp_path: Path) -> None:
    plan = plan_on_disk(write_to_disk(volume, tmp_path / "VOL001"))
    assert [doc.page_count for doc in plan.documents] == [5, 1, 1, 2, 17]


def test_refuses_a_symlink_escaping_the_volume_folder(
    volume, problem: Problem, tmp_path: Path
) -> None:
    source = write_to_disk(volume, tmp_path / "VOL001")
    (tmp_path / "elsewhere.tif").write_bytes(b"someone else's file")
    victim = tmp_path / "VOL001" / "IMAGES" / "0001" / f"{bates(556915)}.tif"
    victim.unlink()
    victim.symlink_to(tmp_path / "elsewhere.tif")
    with pytest.raises(LoadFileErrors) as caught:
        plan_on_disk(source)
    problem(
        caught.value,
        file=OPT_FILE,
        line=2,
        field="image path",
        reason=f"image file IMAGES/0001/{bates(556915)}.tif: the path resolves outside the "
        "volume folder",
    )


def test_refuses_a_bad_image_key(volume, problem: Problem) -> None:
    volume.opt[1] = replace(volume.opt[1], image_key="AOL-DEF-0055691X")
    errors = volume.problems()
    problem(
        errors,
        file=OPT_FILE,
        line=2,
        field="image key",
        reason="'AOL-DEF-0055691X' is not a Bates number",
    )
    problem(
        errors,
        file=DAT_FILE,
        line=2,
        field="BEGBATES",
        reason=f"the first missing is {bates(556915)}",
    )


def test_refuses_a_header_without_bates_fields(volume, problem: Problem) -> None:
    volume.fields = ["DOCID", "TITLE"]
    volume.rows = [{"DOCID": "1", "TITLE": "x"}]
    errors = volume.problems()
    problem(
        errors,
        file=DAT_FILE,
        line=1,
        field="BEGBATES",
        reason="required field is missing from the header (fields: DOCID, TITLE)",
    )
    assert not any("belongs to no document" in e.reason for e in errors.errors)


def test_refuses_a_missing_dat(volume, problem: Problem) -> None:
    with pytest.raises(LoadFileErrors) as caught:
        build_plan(
            volume.source(),
            dat_path="DATA/other.dat",
            opt_path=None,
            designations=DEFAULT_DESIGNATIONS,
        )
    problem(
        caught.value,
        file="VOL001/DATA/other.dat",
        line=None,
        field=None,
        reason="the DAT file does not exist in the volume",
    )


def test_a_key_of_another_width_is_another_series(volume, problem: Problem) -> None:
    volume.opt[1] = replace(volume.opt[1], image_key="AOL-DEF-556915")
    problem(
        volume.problems(),
        file=OPT_FILE,
        line=2,
        field="image key",
        reason=f"page AOL-DEF-556915 belongs to no document in {DAT_FILE}",
    )


def test_refuses_mixed_volumes(volume, problem: Problem) -> None:
    volume.opt[3] = replace(volume.opt[3], volume="VOL002")
    problem(
        volume.problems(),
        file=OPT_FILE,
        line=4,
        field="volume",
        reason="volume VOL002 differs from VOL001 on line 1",
    )


def test_parse_errors_of_both_files_come_together(volume, problem: Problem) -> None:
    volume.dat_bytes = write_dat(volume.fields, volume.rows).replace(
        "\x14þAEOþ".encode(), "|þAEOþ".encode(), 1
    )
    volume.opt_bytes = b"A-1,VOL001,a.tif,Y\r\n"
    errors = volume.problems()
    problem(
        errors,
        file=DAT_FILE,
        line=2,
        field="CUSTODIAN",
        reason="expected the field separator U+0014",
    )
    problem(errors, file=OPT_FILE, line=1, field=None, reason="the line has 4 column(s)")


def test_every_problem_is_reported_up_to_the_cap(volume) -> None:
    for row in volume.rows:
        row["CONFIDENTIALITY"] = "TOP SECRET"
    for number in range(800000, 800000 + MAX_ERRORS + 20):
        volume.document(number, number, images=False, CONFIDENTIALITY="TOP SECRET")
    errors = volume.problems()
    assert len(errors.errors) == MAX_ERRORS
    assert errors.total == 5 + 2 * (MAX_ERRORS + 20)  # designation and no image/native
    assert errors.message.startswith(f"{errors.total} problems in the load files: ")
    assert errors.message.endswith(f"; and {errors.total - 5} more")
    assert errors.status == 422 and errors.code == "invalid"
    assert errors.details["errors"][0]["file"] == DAT_FILE
