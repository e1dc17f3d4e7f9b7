"""Invented names for the demo: people as varied as a modern English town, places that don't exist.

Every person is made up. Family names are grouped by heritage so that a household's names and
home language agree; the weights roughly follow a mixed town in England, not any real school.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Heritage:
    key: str
    weight: int
    boys: tuple[str, ...]
    girls: tuple[str, ...]
    men: tuple[str, ...]
    women: tuple[str, ...]
    surnames: tuple[str, ...]
    #: (language, weight): the language a household prefers for letters and calls
    languages: tuple[tuple[str, int], ...] = (("English", 1),)


def _t(words: str) -> tuple[str, ...]:
    return tuple(words.split())


HERITAGES: tuple[Heritage, ...] = (
    Heritage(
        "british",
        60,
        boys=_t(
            "Oliver George Noah Arthur Leo Harry Oscar Archie Henry Theodore Freddie Jack Charlie "
            "Alfie Jacob Thomas Finley Isaac Edward Reuben Albie Teddy Louie Tommy Max Rory "
            "Harrison Ethan Joshua Mason Riley Jude Elliot Dylan Callum Owen Rhys Lewis Finn Ronnie"
        ),
        girls=_t(
            "Olivia Amelia Isla Ava Ivy Freya Lily Florence Mia Willow Rosie Sophia Isabella Grace "
            "Daisy Sienna Poppy Elsie Emily Ella Evie Phoebe Harper Millie Erin Matilda Ruby "
            "Charlotte Esme Maisie Holly Imogen Niamh Megan Eleanor Harriet Lucy Jessica Chloe"
        ),
        men=_t(
            "James Daniel David Mark Paul Andrew Richard Matthew Christopher Michael Stephen Lee "
            "Craig Gareth Simon Jonathan Ben Sam Tom Adam Robert Neil Jamie Ryan Liam Kevin Stuart"
        ),
        women=_t(
            "Sarah Emma Laura Claire Rachel Gemma Hannah Rebecca Lisa Nicola Helen Kate Joanne Amy "
            "Charlotte Jennifer Victoria Kirsty Louise Natalie Zoe Lauren Stacey Siobhan Rhiannon "
            "Katie Sophie Jade"
        ),
        surnames=_t(
            "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson "
            "Evans Walker White Roberts Green Hall Wood Jackson Clarke Hughes Edwards Turner "
            "Harris Martin "
            "Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott "
            "Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter "
            "Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Marshall Simpson Ellis "
            "Adams Wilkinson Foster Chapman Mason Gray Webb Rogers Gibson Lloyd Holmes Fletcher "
            "O'Brien MacDonald Campbell Stewart Byrne Doyle Quinn Pritchard Howells"
        ),
    ),
    Heritage(
        "caribbean",
        3,
        boys=_t("Malachi Jayden Tyrese Kairo Elijah Josiah Micah"),
        girls=_t("Nia Amara Tiana Jada Kezia Aaliyah Shanice"),
        men=_t("Marcus Leon Delroy Andre Winston Clive"),
        women=_t("Marcia Natasha Simone Keisha Donna Paulette"),
        surnames=_t("Campbell Francis Thomas Grant Reid Forbes Henry Samuels Gordon Bailey"),
    ),
    Heritage(
        "west_african",
        5,
        boys=_t("Tobi David Daniel Ayo Chidi Kwame Femi Samuel Emmanuel Tobenna"),
        girls=_t("Adaeze Temi Zara Amara Chioma Esther Ada Abena Favour Precious"),
        men=_t("Oluwaseun Chukwuemeka Kofi Tunde Emeka Samuel Kwabena"),
        women=_t("Ngozi Funmilayo Adwoa Blessing Folake Akosua Grace"),
        surnames=_t(
            "Okafor Adeyemi Okonkwo Mensah Boateng Adebayo Eze Oyelaran Asante Owusu Nwosu Balogun"
        ),
    ),
    Heritage(
        "somali",
        2,
        boys=_t("Abdirahman Mohamed Ayaan Hamza Yusuf Abdullahi"),
        girls=_t("Hodan Sagal Ayan Ilhan Hibo Nimco Sumaya"),
        men=_t("Abdi Mohamed Ahmed Hassan Omar Ali"),
        women=_t("Faadumo Halima Amina Khadra Sahra Deeqa"),
        surnames=_t("Abdi Ali Hassan Farah Mohamed Warsame Osman Jama Nur Egal"),
        languages=(("Somali", 55), ("English", 45)),
    ),
    Heritage(
        "pakistani",
        6,
        boys=_t("Muhammad Ibrahim Yusuf Zayn Ayaan Hamza Musa Rayyan Zakariya Adam"),
        girls=_t("Aisha Maryam Zara Inaya Hafsa Amira Eman Anaya Safa Hania"),
        men=_t("Imran Asif Tariq Kamran Shahid Naveed Adeel Faisal"),
        women=_t("Saima Nadia Rabia Samina Shazia Ayesha Farah Sana"),
        surnames=_t(
            "Khan Hussain Ahmed Ali Shah Iqbal Akhtar Mahmood Riaz Butt Rashid Qureshi Malik Javed"
        ),
        languages=(("Urdu", 40), ("English", 60)),
    ),
    Heritage(
        "bangladeshi",
        3,
        boys=_t("Rayhan Arham Ishaq Zayan Mahir Sami"),
        girls=_t("Ruqayyah Tahmina Nusrat Safiya Jannat Anisa"),
        men=_t("Abdul Jamal Shahin Rafiq Mizanur Kamal"),
        women=_t("Rahima Shirin Nasima Taslima Rokeya Shapla"),
        surnames=_t("Begum Uddin Miah Rahman Islam Chowdhury Hoque Ahmed"),
        languages=(("Bengali", 45), ("English", 55)),
    ),
    Heritage(
        "indian",
        4,
        boys=_t("Arjun Rohan Dev Aarav Vihaan Kabir Jai Krish"),
        girls=_t("Priya Anaya Diya Saanvi Riya Ishani Kiran Meera"),
        men=_t("Rajesh Sanjay Vikram Amit Harpreet Gurpreet Sunil"),
        women=_t("Anjali Pooja Neha Sunita Manpreet Kavita Deepa"),
        surnames=_t("Patel Sharma Singh Gill Sandhu Mistry Shah Kumar Joshi Bains Dhillon"),
    ),
    Heritage(
        "polish",
        5,
        boys=_t("Jakub Szymon Filip Antoni Kacper Oliwer Wiktor Igor"),
        girls=_t("Zuzanna Julia Maja Hanna Lena Oliwia Alicja Zofia"),
        men=_t("Piotr Tomasz Krzysztof Marcin Paweł Łukasz Michał"),
        women=_t("Agnieszka Katarzyna Magdalena Joanna Anna Ewa Monika"),
        surnames=_t(
            "Nowak Wójcik Kowalczyk Mazur Krawczyk Kaczmarek Pawlak Michalak Sikora Wróbel"
        ),
        languages=(("Polish", 50), ("English", 50)),
    ),
    Heritage(
        "romanian",
        3,
        boys=_t("Andrei Luca David Matei Stefan Mihai Alexandru"),
        girls=_t("Ioana Maria Elena Sofia Ana Daria Bianca"),
        men=_t("Ion Gheorghe Vasile Florin Cristian Adrian Marius"),
        women=_t("Mihaela Elena Andreea Cristina Gabriela Alina Roxana"),
        surnames=_t("Popescu Ionescu Popa Dumitru Stan Stoica Munteanu Constantin Dobre Lungu"),
        languages=(("Romanian", 50), ("English", 50)),
    ),
    Heritage(
        "portuguese",
        2,
        boys=_t("Gonçalo Tiago Rodrigo Miguel Enzo Lucas"),
        girls=_t("Beatriz Leonor Matilde Lara Alice Mariana"),
        men=_t("João Pedro Ricardo Nuno Rafael Bruno"),
        women=_t("Ana Catarina Fernanda Patrícia Juliana Joana"),
        surnames=_t(
            "Silva Santos Ferreira Pereira Oliveira Costa Rodrigues Martins Sousa Carvalho"
        ),
        languages=(("Portuguese", 50), ("English", 50)),
    ),
    Heritage(
        "chinese",
        2,
        boys=_t("Ethan Lucas Ryan Jayden Hao Yichen"),
        girls=_t("Chloe Emily Zoe Mei Xinyi Ruby"),
        men=_t("Wei Jun Kevin Ming Jason Tao"),
        women=_t("Li Jing Mei Yan Helen Xia"),
        surnames=_t("Chen Wang Li Zhang Liu Wong Chan Lam Cheung Huang"),
    ),
    Heritage(
        "middle_eastern",
        3,
        boys=_t("Omar Ali Yusuf Emir Kerem Ahmad Mustafa"),
        girls=_t("Layla Elif Nour Yasmin Zeynep Mariam Sara"),
        men=_t("Mehmet Ahmad Karim Hassan Khalid Serkan"),
        women=_t("Fatma Leila Rania Huda Ayşe Samira"),
        surnames=_t("Yilmaz Demir Kaya Hassan Karimi Ahmadi Haddad Aziz Hamid Mansour"),
    ),
)

#: Short forms a pupil may be known by (``Pupil.preferred_name``).
NICKNAMES: dict[str, str] = {
    "Theodore": "Theo",
    "Isabella": "Bella",
    "Matilda": "Tilly",
    "Eleanor": "Ellie",
    "Joshua": "Josh",
    "Jessica": "Jess",
    "Florence": "Flo",
    "Alexandru": "Alex",
    "Abdirahman": "Abdi",
    "Zakariya": "Zak",
    "Harrison": "Harry",
    "Christopher": "Chris",
    "Oluwaseun": "Seun",
    "Chukwuemeka": "Emeka",
    "Katarzyna": "Kasia",
    "Gonçalo": "Gonç",
    "Zuzanna": "Zuzia",
    "Ruqayyah": "Ruqi",
}

STREET_WORDS = _t(
    "Wrenfield Larkmoor Fernhollow Brindlewood Copperbeech Tansy Osier Hazelmere Thistledown "
    "Kestrel Moorhen Saltmarsh Hollyridge Bramblecote Sorrel Alderwick Juniper Ravensmoor "
    "Elderbank Foxglove Wheatsheaf Millrace Quillbrook Marlowgate Pennywort Otterburn Teasel "
    "Lapwing Sedgemoor Cowslip"
)
STREET_KINDS = _t(
    "Road Close Way Lane Crescent Gardens Drive Avenue Street Grove Walk Mews Rise Court"
)
#: Letters allowed in the last two characters of a postcode (no C, I, K, M, O, V).
POSTCODE_UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
#: "NX" is a well-formed postcode area that no real place uses.
POSTCODE_AREA = "NX"

STAFF_TITLES_MEN = ("Mr", "Mr", "Mr", "Dr")
STAFF_TITLES_WOMEN = ("Mrs", "Ms", "Miss", "Mrs", "Ms", "Dr")

_ASCII = str.maketrans({"ł": "l", "Ł": "L", "ø": "o", "ß": "ss", "'": "", " ": "", "-": ""})


def email_local(*parts: str) -> str:
    """An ASCII e-mail local part from names: ``Łukasz``, ``O'Brien`` -> ``lukasz.obrien``."""
    out = []
    for part in parts:
        folded = unicodedata.normalize("NFKD", part.translate(_ASCII))
        out.append("".join(ch for ch in folded if ch.isascii() and ch.isalnum()).lower())
    return ".".join(p for p in out if p)
