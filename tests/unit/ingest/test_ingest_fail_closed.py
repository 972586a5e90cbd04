"""No document's designation or family is ever lost to a field the mapping does not know."""

from __future__ import annotations

import pytest

from gateway.authz.policy import load_default_policy, parse_tiers_csv
from gateway.designations import designations_from_tiers
from gateway.errors import Invalid
from gateway.ingest import FieldChoices, LoadFileErrors, MemorySource, build_plan, write_dat
from tests.unit.ingest.conftest import DAT_FILE, Volume, bates

SPELLINGS = designations_from_tiers(load_default_policy().tiers)


def _rename(volume: Volume, old: str, new: str) -> None:
    volume.fields = [new if name == old else name for name in volume.fields]
    for row in volume.rows:
        if old in row:
            row[new] = row.pop(old)


def _drop(volume: Volume, name: str) -> None:
    volume.fields.remove(name)
    for row in volume.rows:
        row.pop(name, None)


def _refused(volume: Volume, choices: FieldChoices | None = None) -> LoadFileErrors:
    with pytest.raises(LoadFileErrors) as caught:
        build_plan(
            volume.source(),
            dat_path="DATA/VOL001.dat",
            opt_path="DATA/VOL001.opt",
            designations=SPELLINGS,
            choices=choices,
        )
    return caught.value


def _plan(volume: Volume, choices: FieldChoices | None = None):
    return build_plan(
        volume.source(),
        dat_path="DATA/VOL001.dat",
        opt_path="DATA/VOL001.opt",
        designations=SPELLINGS,
        choices=choices,
    )


def _only(errors: LoadFileErrors) -> tuple[str | None, str]:
    assert errors.total == 1, errors.message
    error = errors.errors[0]
    assert (error.file, error.line) == (DAT_FILE, 1)
    return error.field, error.reason


@pytest.mark.parametrize(
    "name", ["Confidentiality Designation", "PROD_CONFIDENTIALITY", "Confidentiality Level"]
)
def test_an_unknown_designation_field_is_refused_naming_it_and_the_option(volume, name):
    _rename(volume, "CONFIDENTIALITY", name)
    errors = _refused(volume)
    fields = {error.field: error.reason for error in errors.errors}
    assert "its name says it gives a designation" in fields[name]
    assert f'--designation-field "{name}"' in fields[name]
    assert "no designation field in the header" in fields["CONFIDENTIALITY"]
    # named by the operator, the same volume is read with every designation kept
    plan = _plan(volume, FieldChoices.parse(designation_field=name))
    assert [d.designation for d in plan.documents] == ["AEO", "AEO", "AEO", "CONFIDENTIAL", "AEO"]
    assert plan.sources == {"fields": {"CONFIDENTIALITY": name}, "designation_field": name}


def test_a_field_whose_values_read_like_designations_is_refused(volume):
    _rename(volume, "CONFIDENTIALITY", "Stamp")
    for row in volume.rows:
        row["Stamp"] = "HIGHLY CONFIDENTIAL - AEO"
    errors = _refused(volume)
    reasons = {error.field: error.reason for error in errors.errors}
    assert "its values read like designations ('HIGHLY CONFIDENTIAL - AEO')" in reasons["Stamp"]


def test_a_dat_without_a_designation_field_is_never_public(volume):
    _drop(volume, "CONFIDENTIALITY")
    field, reason = _only(_refused(volume))
    assert field == "CONFIDENTIALITY"
    assert "--designation-field NAME" in reason and "--designation TIER" in reason
    # a volume produced under one tier, said so by the operator
    plan = _plan(volume, FieldChoices.parse(designation="Highly Confidential - AEO"))
    assert {d.designation for d in plan.documents} == {"AEO"}
    assert plan.sources == {"volume_designation": "AEO"}


def test_the_volume_tier_cannot_override_a_designation_field(volume):
    field, reason = _only(_refused(volume, FieldChoices.parse(designation="CONFIDENTIAL")))
    assert field == "CONFIDENTIALITY" and "leave --designation out" in reason


def test_an_unknown_volume_tier_is_refused_with_the_accepted_spellings(volume):
    _drop(volume, "CONFIDENTIALITY")
    with pytest.raises(Invalid, match=r"--designation: unknown designation 'SECRET'; accepted: "):
        _plan(volume, FieldChoices.parse(designation="SECRET"))


def test_an_unknown_family_field_is_refused_naming_the_option(volume):
    _rename(volume, "BEGATTACH", "Attach Start")
    _rename(volume, "ENDATTACH", "Attach End")
    errors = _refused(volume)
    reasons = {error.field: error.reason for error in errors.errors}
    assert set(reasons) == {"Attach Start", "Attach End"}
    assert "gives the family" in reasons["Attach Start"]
    assert '--field BEGATTACH="Attach Start"' in reasons["Attach Start"]
    mapped = FieldChoices.parse(["BEGATTACH=Attach Start", "ENDATTACH=Attach End"])
    plan = _plan(volume, mapped)
    assert [d.family for d in plan.documents[:4]] == [bates(556914)] * 4
    assert plan.documents[4].family == bates(528691)


def test_a_field_naming_other_documents_bates_numbers_is_refused_whatever_its_name(volume):
    volume.fields.append("LINK")
    volume.rows[1]["LINK"] = bates(556914)  # the parent, under a name no table knows
    field, reason = _only(_refused(volume))
    assert field == "LINK" and "Bates numbers of other documents" in reason
    plan = _plan(volume, FieldChoices.parse(ignored=["link"]))
    assert plan.documents[1].extra == {"LINK": bates(556914)}


def test_a_field_repeating_the_documents_own_bates_number_is_no_family(volume):
    volume.fields.append("DOCID")
    for row in volume.rows:
        row["DOCID"] = row["BEGBATES"]
    plan = _plan(volume)
    assert plan.documents[0].extra["DOCID"] == bates(556914)


def test_a_second_designation_like_field_must_be_resolved_by_the_operator(volume):
    volume.fields.append("Sensitivity")
    volume.rows[0]["Sensitivity"] = "Confidential"
    field, reason = _only(_refused(volume))
    assert field == "Sensitivity" and "beside the designation field CONFIDENTIALITY" in reason
    plan = _plan(volume, FieldChoices.parse(ignored=["Sensitivity"]))
    assert plan.documents[0].designation == "AEO"
    assert plan.sources["ignored_fields"] == ["SENSITIVITY"]


def test_an_ignored_known_field_is_not_read(volume):
    """--ignore-field CONFIDENTIALITY with --designation: the operator's tier, not the field."""
    choices = FieldChoices.parse(ignored=["CONFIDENTIALITY"], designation="AEO")
    plan = _plan(volume, choices)
    assert {d.designation for d in plan.documents} == {"AEO"}


@pytest.mark.parametrize(
    "spelling, code",
    [
        ("HIGHLY CONFIDENTIAL - AEO", "AEO"),
        ("Highly Confidential - Attorneys Eyes Only", "AEO"),
        ("AEO", "AEO"),
        ("Attorneys\u2019 Eyes Only", "AEO"),
        ("highly confidential \u2013 attorneys' eyes only", "AEO"),
        ("Confidential - Subject to Protective Order", "CONFIDENTIAL"),
        ("  confidential ", "CONFIDENTIAL"),
        ("", "PUBLIC"),
    ],
)
def test_spellings_the_order_lists_map_to_their_tier(volume, spelling, code):
    volume.rows[4]["CONFIDENTIALITY"] = spelling
    assert _plan(volume).documents[4].designation == code


@pytest.mark.parametrize(
    "spelling", ["Highly Confidential", "Attorneys Eye Only", "CONFIDENTAL", "Confidential - AEO"]
)
def test_spellings_the_order_does_not_list_are_refused_never_guessed(volume, spelling):
    volume.rows[4]["CONFIDENTIALITY"] = spelling
    errors = _refused(volume)
    assert errors.total == 1
    error = errors.errors[0]
    assert (error.line, error.field) == (6, "CONFIDENTIALITY")
    assert f"unknown designation {spelling!r}; accepted: " in error.reason
    assert "HIGHLY CONFIDENTIAL - AEO" in error.reason


def test_operator_field_options_are_checked():
    with pytest.raises(Invalid, match="write ROLE=NAME"):
        FieldChoices.parse(["BEGBATES"])
    with pytest.raises(Invalid, match="'BATES' is not a role; roles: BEGBATES, ENDBATES"):
        FieldChoices.parse(["BATES=Bates Beg"])
    with pytest.raises(Invalid, match="exclude each other"):
        FieldChoices.parse(designation_field="Level", designation="AEO")
    with pytest.raises(Invalid, match="already gives BEGBATES"):
        FieldChoices.parse(["BEGBATES=Bates", "ENDBATES=bates"])
    with pytest.raises(Invalid, match="also mapped to CONFIDENTIALITY"):
        FieldChoices.parse(designation_field="Level", ignored=["LEVEL"])


def test_an_operator_field_missing_from_the_header_is_refused():
    source = MemorySource(
        {"v.dat": write_dat(["BEGBATES", "ENDBATES", "NATIVE"], [["A-1", "A-1", "n.pdf"]])},
        name="VOL",
    )
    with pytest.raises(LoadFileErrors, match="Level: the operator's field is not in the header"):
        build_plan(
            source,
            dat_path="v.dat",
            opt_path=None,
            designations=SPELLINGS,
            choices=FieldChoices.parse(designation_field="Level"),
        )


def test_tiers_csv_aliases_are_validated():
    header = "code,rank,legend,aliases\nPUBLIC,0,,\n"
    tiers = parse_tiers_csv(header + "AEO,2,HIGHLY,AEO only|Eyes Only\n", source_name="t.csv")
    assert tiers[1].aliases == ("AEO only", "Eyes Only")
    for text, why in [
        ("CONFIDENTIAL,1,CONFIDENTIAL,X\nAEO,2,HIGHLY,x", "would mean both CONFIDENTIAL and AEO"),
        ("AEO,2,HIGHLY,A||B", "an alias of AEO is blank"),
        ("AEO,2,HIGHLY,PUBLIC", "would mean both PUBLIC and AEO"),
    ]:
        with pytest.raises(Invalid, match=why):
            parse_tiers_csv(header + text, source_name="t.csv")
    # the shipped tiers carry the spellings producers use
    aeo = next(t for t in load_default_policy().tiers if t.code == "AEO")
    assert "HIGHLY CONFIDENTIAL - AEO" in aeo.aliases
