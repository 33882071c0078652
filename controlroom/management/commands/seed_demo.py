from django.core.management.base import BaseCommand

from controlroom import demo


class Command(BaseCommand):
    help = "Load synthetic demo data (Bihar's districts, villages, members, users). Safe to run twice."

    def handle(self, *args, **options):
        logins = demo.seed_demo()
        self.stdout.write(f"Demo logins (password for all: {demo.PASSWORD})")
        for login in logins:
            self.stdout.write(f"  {login.role:<26} {login.username:<16} {login.detail}")
