"""Name pools, nickname tables and the corruptions agencies make when they write names."""

from __future__ import annotations

import random
import unicodedata

ENGLISH_MALE = (
    "David Paul Mark Andrew Richard Stephen James John Michael Robert William Christopher "
    "Daniel Matthew Thomas Lee Craig Gary Darren Jason Scott Wayne Dean Carl Shaun Ryan "
    "Jamie Liam Nathan Kyle Joseph Anthony Benjamin Samuel Nicholas Edward Peter Alan "
    "Keith Kevin Ian Neil Simon Martin Philip Adam Luke Jack Callum Connor Jordan Aaron "
    "Gavin Russell Stuart Graham Kieran Bradley Lewis Ashley Terry Frederick"
).split()
ENGLISH_FEMALE = (
    "Sarah Emma Laura Claire Lisa Rebecca Gemma Kelly Michelle Samantha Nicola Amy Jessica "
    "Katherine Elizabeth Victoria Hannah Charlotte Jennifer Rachel Stacey Kerry Natalie "
    "Louise Donna Joanne Helen Deborah Susan Margaret Patricia Lauren Chloe Megan Danielle "
    "Jade Leanne Abigail Amanda Karen Zoe Kirsty Hayley Tanya Paige Shannon Jodie Carly "
    "Alison Julie Tracey Sophie Eleanor Lucy Holly Bethany Kayleigh Naomi Fiona"
).split()
CHILD_MALE = (
    "Oliver Noah Jack Harry Leo Oscar Charlie George Freddie Alfie Archie Theo Arthur "
    "Henry Jacob Thomas William James Joshua Ethan Mason Logan Riley Max Lucas Finley "
    "Isaac Dylan Tyler Reggie Tommy Albert Ronnie Teddy Harrison Jenson Louie Bobby"
).split()
CHILD_FEMALE = (
    "Olivia Amelia Isla Ava Mia Ivy Lily Freya Florence Grace Poppy Evie Sophia Willow "
    "Isabella Ella Rosie Daisy Millie Phoebe Ruby Scarlett Matilda Harper Emily Sienna "
    "Elsie Maisie Evelyn Lola Layla Hallie Darcie Esme Bonnie Maya Aria Nancy Mollie"
).split()
ENGLISH_SURNAMES = (
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel Hughes Edwards Harris Lewis "
    "Martin Cooper King Baker Turner Hill Moore Ward Morris Allen Parker Watson Scott "
    "Mitchell Bennett Carter Shaw Cook Barker Atkinson Harvey Chapman Marshall Dawson "
    "Nicholson Mason Stevens Webb Lloyd Fisher Palmer Holmes Sowerby Goodwin Pearce "
    "Rowe Hollingworth Hainsworth Ellis Fox Howard Cox Richardson Bailey Kelly Murphy "
    "O'Sullivan O'Brien Reynolds Fletcher Gibson Knight Spencer Grant Burton Lawson Ryan "
    "Dixon Hunt Rose Wells Lambert Read Gray Mills Barnes Cole Ford Holland Osborne Perry "
    "Pike Bloomfield Gotts Thirtle Brewster Howes Bunn Cushion Ling Youngs Catchpole Bird"
).split()

POLISH_MALE = (
    "Łukasz Bartłomiej Piotr Tomasz Krzysztof Paweł Michał Marcin Jakub Kamil Mateusz "
    "Wojciech Aleksander Grzegorz Jan Szymon Filip Antoni Jędrzej Mikołaj"
).split()
POLISH_FEMALE = (
    "Katarzyna Agnieszka Małgorzata Anna Magdalena Joanna Aleksandra Zofia Natalia Maja "
    "Julia Zuzanna Wiktoria Oliwia Barbara Ewa Dorota Beata Monika Łucja"
).split()
# (male form, female form)
POLISH_SURNAMES = (
    ("Kowalski", "Kowalska"), ("Wiśniewski", "Wiśniewska"), ("Wójcik", "Wójcik"),
    ("Kowalczyk", "Kowalczyk"), ("Kamiński", "Kamińska"), ("Lewandowski", "Lewandowska"),
    ("Zieliński", "Zielińska"), ("Szymański", "Szymańska"), ("Woźniak", "Woźniak"),
    ("Dąbrowski", "Dąbrowska"), ("Kozłowski", "Kozłowska"), ("Jankowski", "Jankowska"),
    ("Mazur", "Mazur"), ("Kwiatkowski", "Kwiatkowska"), ("Krawczyk", "Krawczyk"),
    ("Piotrowski", "Piotrowska"), ("Grabowski", "Grabowska"), ("Pawłowski", "Pawłowska"),
    ("Michalski", "Michalska"), ("Nowak", "Nowak"), ("Wróbel", "Wróbel"), ("Król", "Król"),
    ("Jabłoński", "Jabłońska"), ("Majewski", "Majewska"), ("Olszewski", "Olszewska"),
    ("Stępień", "Stępień"), ("Górski", "Górska"), ("Rutkowski", "Rutkowska"),
)
LITHUANIAN_MALE = (
    "Tomas Mantas Darius Andrius Jonas Lukas Aleksandras Vytautas Žygimantas Mindaugas "
    "Rokas Matas Dominykas Kęstutis Nojus"
).split()
LITHUANIAN_FEMALE = (
    "Rūta Eglė Aistė Gabija Ieva Jurgita Kristina Laura Austėja Emilija Goda Urtė Agnė "
    "Rasa Skaistė"
).split()
# (masculine, married feminine, unmarried feminine)
LITHUANIAN_SURNAMES = (
    ("Kazlauskas", "Kazlauskienė", "Kazlauskaitė"), ("Jankauskas", "Jankauskienė", "Jankauskaitė"),
    ("Petrauskas", "Petrauskienė", "Petrauskaitė"), ("Stankevičius", "Stankevičienė", "Stankevičiūtė"),
    ("Vasiliauskas", "Vasiliauskienė", "Vasiliauskaitė"), ("Žukauskas", "Žukauskienė", "Žukauskaitė"),
    ("Butkus", "Butkienė", "Butkutė"), ("Paulauskas", "Paulauskienė", "Paulauskaitė"),
    ("Urbonas", "Urbonienė", "Urbonaitė"), ("Navickas", "Navickienė", "Navickaitė"),
    ("Ramanauskas", "Ramanauskienė", "Ramanauskaitė"), ("Rimkus", "Rimkienė", "Rimkutė"),
    ("Šimkus", "Šimkienė", "Šimkutė"), ("Mačiulis", "Mačiulienė", "Mačiulytė"),
    ("Lukoševičius", "Lukoševičienė", "Lukoševičiūtė"), ("Adomaitis", "Adomaitienė", "Adomaitytė"),
)
ROMANIAN_MALE = (
    "Andrei Alexandru Ionuț Mihai Ștefan Gheorghe Florin Cristian Răzvan Bogdan Constantin "
    "Vasile Darius Matei Luca"
).split()
ROMANIAN_FEMALE = (
    "Elena Ioana Maria Andreea Alexandra Mădălina Cristina Georgiana Ana Bianca Roxana "
    "Larisa Ștefania Denisa Alina"
).split()
ROMANIAN_SURNAMES = (
    "Popescu Ionescu Popa Radu Dumitru Stan Stoica Gheorghe Rusu Munteanu Matei Constantin "
    "Șerban Mocanu Ciobanu Țurcanu Lungu Ștefănescu Mihăilă Nistor"
).split()

NICKNAMES: dict[str, tuple[str, ...]] = {
    "William": ("Bill", "Will", "Billy"), "Robert": ("Bob", "Rob", "Bobby"),
    "Elizabeth": ("Liz", "Beth", "Lizzie"), "Katherine": ("Kate", "Kathy", "Katie"),
    "Margaret": ("Maggie", "Peggy"), "Richard": ("Rich", "Dick", "Richie"),
    "James": ("Jim", "Jimmy", "Jamie"), "Thomas": ("Tom", "Tommy"), "Michael": ("Mike", "Mick"),
    "Daniel": ("Dan", "Danny"), "Christopher": ("Chris",), "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"), "Samantha": ("Sam", "Sammy"), "Joseph": ("Joe",),
    "Anthony": ("Tony",), "Edward": ("Ed", "Eddie", "Ted"), "Jessica": ("Jess",),
    "Victoria": ("Vicky", "Tori"), "Nicholas": ("Nick",), "Matthew": ("Matt",),
    "Benjamin": ("Ben",), "Stephen": ("Steve",), "Andrew": ("Andy",), "Deborah": ("Debbie", "Deb"),
    "Patricia": ("Pat", "Trish"), "Susan": ("Sue",), "Charlotte": ("Charlie", "Lottie"),
    "Abigail": ("Abbie", "Abi"), "Alexander": ("Alex",), "Samuel": ("Sam",), "Nicola": ("Nicky",),
    "Frederick": ("Fred", "Freddie"), "Joshua": ("Josh",), "Isabella": ("Bella", "Izzy"),
    "Eleanor": ("Ellie", "Nell"), "Henry": ("Harry",), "Peter": ("Pete",), "Philip": ("Phil",),
    "Terry": ("Tel",), "Joanne": ("Jo",), "Amanda": ("Mandy",), "Zoe": ("Zoë",),
    "Katarzyna": ("Kasia",), "Aleksander": ("Olek",), "Małgorzata": ("Gosia", "Małgosia"),
    "Agnieszka": ("Aga",), "Magdalena": ("Magda",), "Joanna": ("Asia",), "Aleksandra": ("Ola",),
    "Anna": ("Ania",), "Zofia": ("Zosia",), "Barbara": ("Basia",), "Tomasz": ("Tomek",),
    "Wojciech": ("Wojtek",), "Krzysztof": ("Krzysiek",), "Jakub": ("Kuba",),
    "Bartłomiej": ("Bartek",), "Grzegorz": ("Grzesiek",), "Piotr": ("Piotrek",),
    "Aleksandras": ("Aleksas",), "Alexandru": ("Alex",), "Gheorghe": ("Ghiță",),
    "Constantin": ("Costel",), "Elena": ("Ela",), "Ștefan": ("Fane",),
}

_KEYBOARD = {
    "a": "sqz", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "y": "tu", "z": "x",
}

_STRIP = {"ł": "l", "Ł": "L", "ø": "o", "đ": "d"}


def strip_diacritics(text: str) -> str:
    if text.isascii():
        return text
    text = "".join(_STRIP.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def cedilla_form(text: str) -> str:
    """Romanian comma-below letters as the legacy cedilla letters that old systems store."""
    return text.replace("ș", "ş").replace("Ș", "Ş").replace("ț", "ţ").replace("Ț", "Ţ")


def typo(rng: random.Random, text: str) -> str:
    """One keyboard slip: a dropped, doubled, swapped or neighbouring letter."""
    if len(text) < 4:
        return text
    i = rng.randrange(1, len(text) - 1)
    op = rng.random()
    if op < 0.3:
        return text[:i] + text[i + 1 :]
    if op < 0.55:
        return text[:i] + text[i] + text[i:]
    if op < 0.8:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    near = _KEYBOARD.get(text[i].lower())
    if not near:
        return text[:i] + text[i] + text[i:]
    return text[:i] + rng.choice(near) + text[i + 1 :]


def nickname(rng: random.Random, given: str) -> str | None:
    options = NICKNAMES.get(given)
    return rng.choice(options) if options else None
