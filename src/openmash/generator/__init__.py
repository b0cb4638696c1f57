"""OpenMASH's own synthetic county generator: households that live, move, have babies, go to
school, see their GP and sometimes suffer domestic abuse over a few years, written out as the
records each agency would send under the interchange contract (with the typos, nicknames, dropped
diacritics, wrong dates of birth and address variants real feeds have), together with the truth
about who is who. Pure Python, no Django; deterministic for a given seed."""

from .county import GeneratedCounty, generate_county

__all__ = ["GeneratedCounty", "generate_county"]
