from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from controlroom import demo


class Command(BaseCommand):
    help = (
        "Load synthetic demo data (Bihar's districts, villages, members, users). Safe to run twice. Refuses when "
        "DEBUG is off unless given --allow-production: the demo logins, a superuser among them, share a password "
        "anyone can read in the source."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="seed even with DEBUG off, on a stack that is only being tried out",
        )

    def handle(self, *args, allow_production: bool, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "DEBUG is off, so this may be a real database: seed_demo adds made-up members and logins (a "
                "superuser too) whose password is public. On a stack only being tried out, add --allow-production."
            )
        logins = demo.seed_demo()
        self.stdout.write(f"Demo logins (password for all: {demo.PASSWORD})")
        for login in logins:
            self.stdout.write(f"  {login.role:<26} {login.username:<16} {login.detail}")
