"""Column mappings as data: which header spellings an MIS export may use for each field.

Headers are compared after :func:`squash` (lower case, letters and digits only), so
"Date of Birth", "date_of_birth" and "DATE OF BIRTH" are one spelling. When a file holds two
headers for one field (say "Legal Surname" and "Surname"), the alias listed first wins and the
other column is reported as ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def squash(header: str) -> str:
    """The comparable form of a header: lower case, letters and digits only, BOM stripped."""
    return _NOT_ALNUM.sub("", header.replace("\ufeff", "").strip().lower())


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    aliases: tuple[str, ...]
    required: bool = False

    @property
    def squashed(self) -> tuple[str, ...]:
        return tuple(squash(a) for a in self.aliases)


HOUSEHOLD_REF_ALIASES = (
    "Household Ref",
    "Household Reference",
    "Household ID",
    "Family ID",
    "Family Ref",
    "Family Reference",
    "Address Ref",
    "Address Reference",
    "Address ID",
)

#: Spellings of a person's own names in any kind of file.
FORENAME_ALIASES = ("Legal Forename", "Forename", "First Name")
SURNAME_ALIASES = ("Legal Surname", "Surname", "Last Name")
#: Pupils and staff files may also use these; a households file may not ("Family Name" there
#: could be the household's name rather than the contact's surname).
FORENAME = Column(
    "first_name",
    "Forename",
    (*FORENAME_ALIASES, "Legal First Name", "Given Name"),
    required=True,
)
SURNAME = Column(
    "last_name",
    "Surname",
    (*SURNAME_ALIASES, "Legal Last Name", "Family Name"),
    required=True,
)
#: Contact details; each kind adds the spellings of its own exports after these.
EMAIL_ALIASES = ("Email", "Email Address")
PHONE_ALIASES = ("Phone", "Mobile", "Mobile Phone", "Phone Number")

PUPIL_COLUMNS: tuple[Column, ...] = (
    Column("upn", "UPN", ("UPN", "Unique Pupil Number", "Pupil UPN"), required=True),
    SURNAME,
    FORENAME,
    Column(
        "preferred_name",
        "Preferred forename",
        ("Preferred Forename", "Preferred First Name", "Preferred Name", "Known As"),
    ),
    Column("date_of_birth", "Date of birth", ("DOB", "Date of Birth", "Birth Date"), required=True),
    Column(
        "year_group",
        "Year group",
        ("Year Group", "NC Year", "Year", "National Curriculum Year", "Curriculum Year"),
        required=True,
    ),
    Column("sen_status", "SEN status", ("SEN Status", "SEN", "SEN Provision", "SEN Stage")),
    Column("ehcp", "EHCP", ("EHCP", "EHC Plan", "Has EHCP")),
    Column("social_care", "Social care status", ("Social Care Status", "CIN/CP", "CP/CIN")),
    Column("cin", "CIN", ("CIN", "Child in Need")),
    Column("cp", "CP", ("CP", "Child Protection", "CP Plan", "Child Protection Plan", "CPP")),
    Column(
        "lac",
        "LAC",
        ("LAC", "Looked After", "Looked After Child", "CLA", "Child Looked After", "In Care"),
    ),
    Column("vulnerable", "Vulnerable", ("Vulnerable", "Vulnerable Pupil", "Is Vulnerable")),
    Column("household_ref", "Household reference", HOUSEHOLD_REF_ALIASES),
)

STAFF_COLUMNS: tuple[Column, ...] = (
    Column(
        "staff_ref",
        "Staff ID",
        (
            "Staff ID",
            "Staff Ref",
            "Staff Reference",
            "Staff Number",
            "Employee ID",
            "Employee Number",
            "Payroll Number",
            "Staff Code",
        ),
        required=True,
    ),
    Column("title", "Title", ("Title",)),
    FORENAME,
    SURNAME,
    Column("email", "Email", (*EMAIL_ALIASES, "Work Email", "School Email")),
    Column("phone", "Phone", (*PHONE_ALIASES, "Telephone", "Work Phone", "Tel")),
    Column("roles", "Roles", ("Roles", "Role", "Staff Roles", "Staff Role", "Role at School")),
    Column(
        "dbs_checked_on",
        "DBS check date",
        (
            "DBS Check Date",
            "DBS Date",
            "Date of DBS Check",
            "DBS Issue Date",
            "DBS Certificate Date",
            "DBS Checked",
            "DBS",
        ),
    ),
)

HOUSEHOLD_COLUMNS: tuple[Column, ...] = (
    Column("household_ref", "Household reference", HOUSEHOLD_REF_ALIASES, required=True),
    Column(
        "household_name", "Household name", ("Household Name", "Household", "Family", "Addressee")
    ),
    Column("address", "Address", ("Address", "Home Address", "Full Address", "Address Block")),
    Column("address_1", "Address line 1", ("Address Line 1", "Address 1", "Street")),
    Column("address_2", "Address line 2", ("Address Line 2", "Address 2", "Locality")),
    Column("address_3", "Address line 3", ("Address Line 3", "Address 3")),
    Column("town", "Town", ("Town", "City", "Town/City")),
    Column("county", "County", ("County",)),
    Column("postcode", "Postcode", ("Postcode", "Post Code", "Postal Code")),
    Column(
        "first_name",
        "Contact forename",
        ("Contact Forename", "Contact First Name", "Parent Forename", *FORENAME_ALIASES),
        required=True,
    ),
    Column(
        "last_name",
        "Contact surname",
        ("Contact Surname", "Contact Last Name", "Parent Surname", *SURNAME_ALIASES),
        required=True,
    ),
    Column(
        "relationship",
        "Relationship",
        ("Relationship", "Relationship to Pupil", "Contact Relationship", "Relation"),
    ),
    Column(
        "parental_responsibility",
        "Parental responsibility",
        ("Parental Responsibility", "Has Parental Responsibility", "Parental Resp", "PR"),
    ),
    Column("email", "Email", (*EMAIL_ALIASES, "Contact Email", "Primary Email")),
    Column(
        "phone",
        "Phone",
        (*PHONE_ALIASES, "Contact Phone", "Primary Phone", "Telephone", "Home Phone", "Tel"),
    ),
    Column(
        "preferred_channel",
        "Preferred channel",
        ("Preferred Channel", "Preferred Contact Method", "Contact Method", "Channel"),
    ),
    Column("language", "Language", ("Language", "Preferred Language", "Home Language")),
    Column("priority", "Priority", ("Priority", "Contact Priority", "Contact Order", "Order")),
)

#: Household column keys that together give an address, when a file has no one "Address" cell.
ADDRESS_PARTS = ("address_1", "address_2", "address_3", "town", "county")

#: A households header in each column's first spelling, with the address in one cell.
HOUSEHOLD_HEADER: tuple[str, ...] = tuple(
    c.aliases[0] for c in HOUSEHOLD_COLUMNS if c.key not in ADDRESS_PARTS
)

COLUMNS_BY_KIND: dict[str, tuple[Column, ...]] = {
    "pupils": PUPIL_COLUMNS,
    "staff": STAFF_COLUMNS,
    "households": HOUSEHOLD_COLUMNS,
}


def _check_no_clashes() -> None:
    """An alias must name one field per kind; checked at import so a bad edit fails loudly."""
    for kind, columns in COLUMNS_BY_KIND.items():
        seen: dict[str, str] = {}
        for column in columns:
            for alias in column.squashed:
                if seen.setdefault(alias, column.key) != column.key:
                    raise ValueError(f"{kind}: header alias {alias!r} maps to two fields")


_check_no_clashes()
