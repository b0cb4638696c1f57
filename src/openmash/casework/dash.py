"""The 27 questions of the 2009 police DASH checklist, in our own short words, by section.

The wording is a paraphrase for reading answers on screen and for the printable checklist; an
area should check it against the form its force uses (questions 12 to 27 follow the usual order
of the 2009 form, see docs/domain notes).
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

SECTIONS: tuple[tuple[Promise, tuple[int, ...]], ...] = (
    (_("The current situation"), (1, 2, 3, 4, 5, 6, 7, 8)),
    (_("Children and dependants"), (9, 10, 11, 12)),
    (_("History of domestic abuse"), (13, 14, 15, 16, 17, 18, 19, 20, 21, 22)),
    (_("The alleged perpetrator"), (23, 24, 25, 26, 27)),
)

QUESTIONS: dict[int, Promise] = {
    1: _("Has the current incident resulted in an injury?"),
    2: _("Are you very frightened?"),
    3: _("What are you afraid of? Is it further injury or violence?"),
    4: _("Do you feel isolated from family or friends? Does the abuser try to stop you seeing them, or your doctor?"),
    5: _("Are you feeling depressed or having suicidal thoughts?"),
    6: _("Have you separated, or tried to separate, from the abuser in the past year?"),
    7: _("Is there conflict over contact with the children?"),
    8: _("Does the abuser keep texting, calling, contacting, following, stalking or harassing you?"),
    9: _("Are you pregnant, or have you had a baby in the past 18 months?"),
    10: _("Are there children or stepchildren in the household who are not the abuser's, or other dependants?"),
    11: _("Has the abuser ever hurt the children or dependants?"),
    12: _("Has the abuser ever threatened to hurt or kill the children or dependants?"),
    13: _("Is the abuse happening more often?"),
    14: _("Is the abuse getting worse?"),
    15: _("Does the abuser try to control everything you do, or are they excessively jealous?"),
    16: _("Has the abuser ever used weapons or objects to hurt you?"),
    17: _("Has the abuser ever threatened to kill you or someone else, and you believed them?"),
    18: _("Has the abuser ever tried to strangle, choke, suffocate or drown you?"),
    19: _("Does the abuser do or say things of a sexual nature that make you feel bad or that physically hurt you "
          "or someone else?"),
    20: _("Is there any other person who has threatened you or whom you are afraid of?"),
    21: _("Do you know if the abuser has hurt anyone else?"),
    22: _("Has the abuser ever mistreated an animal or the family pet?"),
    23: _("Are there any financial issues, for example are you dependent on the abuser for money?"),
    24: _("Has the abuser had problems in the past year with drugs, alcohol or mental health that affect "
          "everyday life?"),
    25: _("Has the abuser ever threatened or attempted suicide?"),
    26: _("Has the abuser ever broken bail, an injunction or an agreement about when they can see you or the "
          "children?"),
    27: _("Do you know if the abuser has ever been in trouble with the police or has a criminal history?"),
}


def question(number: int) -> str:
    found = QUESTIONS.get(number)
    return str(found) if found is not None else str(number)
