import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from demo.seeder import DEMO_PASSWORD, DemoSeeder
from demo.synthetic import add_realistic_cases, rebuild_deferred_indexes


class Command(BaseCommand):
    help = ("Create the demo jurisdictions, users (password 'xuncha-demo'), campaign, patrols and about 200 "
            "cases in every state (from 100 demo cases on, always one on the court route, one with a hearing, one "
            "suspended by an appeal, one late, one served by public notice); safe to run again. --cases N adds N "
            "synthetic cases fast: replays of the demo cases with their records, documents and deadlines, over LWG "
            "(most of them) and three synthetic towns (demo/synthetic.py).")

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=0, help="add this many synthetic cases (bulk)")
        parser.add_argument("--demo-cases", type=int, default=200, help="number of demo cases with full history")
        parser.add_argument("--seed", type=int, default=None, help="random seed of the synthetic cases (default N)")
        parser.add_argument("--one-jurisdiction", action="store_true",
                            help="put every synthetic case in LWG (the worst case: one township holds the table)")

    def handle(self, *args, cases, demo_cases, seed, one_jurisdiction, **options):
        if connection.vendor == "postgresql":
            rebuild_deferred_indexes()  # what an interrupted bulk seed dropped (demo/synthetic.py)
        self.stdout.write("Seeding demo data…")
        DemoSeeder(stdout=self.stdout).run(cases=demo_cases)
        if cases:
            if cases < 0:
                raise CommandError("--cases must be positive")
            started, cpu, stats = time.perf_counter(), time.process_time(), {}
            with tqdm(total=cases, unit="case", desc="synthetic cases", disable=options["verbosity"] == 0) as bar:
                made = add_realistic_cases(count=cases, demo_cases=demo_cases, seed=cases if seed is None else seed,
                                           progress=bar.update, stats=stats,
                                           one_jurisdiction=one_jurisdiction)
            self.stdout.write("Synthetic cases: " + ", ".join(f"{code} {n:,}" for code, n in made.items()))
            # The machine may be shared: CPU time says what the seed cost, wall time what it took.
            self.stdout.write(f"  {time.perf_counter() - started:.0f} s, CPU {time.process_time() - cpu:.0f} s here"
                              + (f" + {stats['server_cpu_s']:.0f} s in the database" if stats else ""))
        self.stdout.write(self.style.SUCCESS(f"Demo data ready. Every demo user's password: {DEMO_PASSWORD}"))
