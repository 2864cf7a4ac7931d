from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from gis.models import Jurisdiction
from patrol.bulk import add_synthetic_cases
from demo.seeder import DEMO_PASSWORD, DemoSeeder
from patrol.models import User


class Command(BaseCommand):
    help = ("Create the demo jurisdictions, users (password 'xuncha-demo'), campaign, patrols and about 200 "
            "cases in every state (from 100 demo cases on, always one on the court route, one with a hearing, one "
            "suspended by an appeal, one late, one served by public notice); safe to run again. --cases N adds N "
            "synthetic cases fast.")

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=0, help="add this many synthetic cases to LWG (bulk)")
        parser.add_argument("--demo-cases", type=int, default=200, help="number of demo cases with full history")

    def handle(self, *args, cases, demo_cases, **options):
        self.stdout.write("Seeding demo data…")
        DemoSeeder(stdout=self.stdout).run(cases=demo_cases)
        if cases:
            if cases < 0:
                raise CommandError("--cases must be positive")
            jurisdiction = Jurisdiction.objects.get(code="LWG")
            actor = User.objects.get(username="inspector")
            with tqdm(total=cases, unit="case", desc="synthetic cases", disable=options["verbosity"] == 0) as bar:
                add_synthetic_cases(jurisdiction=jurisdiction, actor=actor, count=cases, seed=cases,
                                    progress=bar.update)
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Every demo user's password: {DEMO_PASSWORD}"))
