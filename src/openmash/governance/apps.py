from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "openmash.governance"
    label = "governance"
    verbose_name = "Information governance"

    def ready(self) -> None:
        from openmash.governance import navigation, relationships

        relationships.register()
        navigation.register()
        from django.contrib.auth.signals import user_logged_in

        user_logged_in.connect(_remember_authority, dispatch_uid="governance.authority")


def _remember_authority(sender: object, request: object, user: object, **kwargs: object) -> None:
    """Fix, at sign-in, the team and roles the session rests on (the middleware ends it when they change)."""
    from openmash.platform.middleware import authority_fingerprint

    session = getattr(request, "session", None)
    if session is not None:
        session["authority"] = authority_fingerprint(user)
