"""Accounts: the partnership's directory — agencies, their teams and what each team covers (postcode
districts, a school URN, a GP ODS code) — and the people who use OpenMASH with their roles."""
