"""Agencies, teams and users."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from openmash.intake.domain.record import AGENCIES
from openmash.platform.domain.access_rules import Role, Viewer


class RoleChoice(models.TextChoices):
    TRIAGE = Role.TRIAGE.value, _("Front-door triage")
    PRACTITIONER = Role.PRACTITIONER.value, _("Practitioner")
    TEAM_MANAGER = Role.TEAM_MANAGER.value, _("Team manager")
    MARAC_COORDINATOR = Role.MARAC_COORDINATOR.value, _("MARAC coordinator")
    ANALYST = Role.ANALYST.value, _("Partnership analyst")
    AUDITOR = Role.AUDITOR.value, _("Auditor or inspector")
    ADMIN = Role.ADMIN.value, _("System administrator")


class Agency(models.Model):
    code = models.CharField(max_length=32, unique=True, choices=[(a, a) for a in AGENCIES])
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A team within an agency. ``code`` is the protocol's recipient team (``URN:<urn>``, ``ODS:<code>``,
    a probation team name) or blank for the agency's single default team."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    code = models.CharField(max_length=128, blank=True)
    name = models.CharField(max_length=200)
    postcode_districts = models.JSONField(default=list, blank=True)
    school_urn = models.CharField(max_length=16, blank=True)
    gp_ods_code = models.CharField(max_length=16, blank=True)
    manager = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_teams")

    class Meta:
        ordering = ["agency__code", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="team_unique_code_in_agency")]

    def __str__(self) -> str:
        return f"{self.agency.code}/{self.code or 'default'}"


class User(AbstractUser):
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="members")

    def role_set(self) -> frozenset[Role]:
        if not hasattr(self, "_roles"):
            self._roles = frozenset(Role(m.role) for m in self.memberships.all())
        return self._roles

    def as_viewer(self) -> Viewer:
        team = self.team
        return Viewer(
            username=self.username,
            agency=team.agency.code if team else "",
            team=team.code if team else "",
            roles=self.role_set(),
            active=self.is_active,
        )


class RoleMembership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=RoleChoice.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user.username}: {self.role}"
