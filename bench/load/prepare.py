"""Users, tokens and fixtures for a load run, on the run's own database (the environment of run.py).

    python bench/load/prepare.py OUT_DIR --inspectors 50 --supervisors 10 [--summary-campaigns 0]

Writes OUT_DIR/fixture.json (tokens, village points, the jurisdiction's extent, filter values, the case ids each
supervisor may act on) and OUT_DIR/photo-*.jpg (phone-sized JPEGs). Tokens are made here with ApiToken.issue
rather than through POST /api/v1/auth/token/: sixty logins from one address would meet the login throttle
(30/hour) and the lockout rules, which are not what this run measures.
"""
import argparse
import io
import json
import os
import random
import sys
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from patrol.models import ApiToken  # noqa: E402
from gis.models import Jurisdiction  # noqa: E402
from patrol.choices import CampaignStatus, Category, Role, Status  # noqa: E402
from demo.seeder import random_point_in  # noqa: E402
from patrol.models import Campaign, Case, User  # noqa: E402

POINTS_PER_VILLAGE = 400


def phone_jpeg(seed, size=(1600, 1200)):
    """A textured JPEG about the size the phone uploads (resized to 1600 px, quality 0.8): 150-300 KB."""
    rng = random.Random(seed)
    image = Image.new("RGB", size, (rng.randint(60, 200), rng.randint(60, 200), rng.randint(60, 200)))
    draw = ImageDraw.Draw(image)
    for _ in range(400):
        x, y = rng.randint(0, size[0]), rng.randint(0, size[1])
        draw.rectangle([x, y, x + rng.randint(5, 200), y + rng.randint(5, 150)],
                       fill=(rng.randint(0, 255), rng.randint(0, 255), rng.randint(0, 255)))
    noise = Image.effect_noise(size, 40).convert("RGB")
    image = Image.blend(image, noise, 0.25).filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--inspectors", type=int, default=50)
    parser.add_argument("--supervisors", type=int, default=10)
    parser.add_argument("--summary-campaigns", type=int, default=0,
                        help="campaigns with three recipients each, whose summaries the worker-kill fault sends")
    args = parser.parse_args()
    out = Path(args.out)
    rng = random.Random(8)
    lwg = Jurisdiction.objects.get(code="LWG")
    villages = list(lwg.villages.order_by("name"))

    with transaction.atomic():
        inspectors, supervisors = [], []
        for i in range(args.inspectors):
            user, _ = User.objects.get_or_create(
                username=f"load_insp{i:03d}", defaults={"role": Role.INSPECTOR, "jurisdiction": lwg,
                                                        "last_name": "测", "first_name": f"队员{i:03d}",
                                                        "email": f"load_insp{i:03d}@xuncha.local"})
            inspectors.append({"id": user.pk, "username": user.username,
                               "token": ApiToken.issue(user, "load test")[1], "village": i % len(villages)})
        for i in range(args.supervisors):
            user, _ = User.objects.get_or_create(
                username=f"load_sup{i:02d}", defaults={"role": Role.SUPERVISOR, "jurisdiction": lwg,
                                                       "last_name": "测", "first_name": f"中队长{i:02d}",
                                                       "email": f"load_sup{i:02d}@xuncha.local"})
            supervisors.append({"id": user.pk, "username": user.username,
                                "token": ApiToken.issue(user, "load test")[1]})

        campaigns = []
        if args.summary_campaigns:
            today = timezone.localdate()
            recipients = [User.objects.get(pk=s["id"]) for s in supervisors[:3]]
            for k in range(args.summary_campaigns):
                campaign = Campaign.objects.create(
                    jurisdiction=lwg, name=f"压力测试专项行动 {k + 1:02d}", starts_on=today - timedelta(days=20 + k),
                    ends_on=today + timedelta(days=30), status=CampaignStatus.ACTIVE, summary_schedule="none",
                    target_categories=[Category.EXTENSION])
                campaign.villages.set(villages[k % len(villages):] or villages)
                campaign.recipients.set(recipients)
                campaigns.append(campaign.pk)

    points = [[[round(p.x, 6), round(p.y, 6)] for p in (random_point_in(v, rng) for _ in range(POINTS_PER_VILLAGE))]
              for v in villages]
    # Supervisors act on existing, not-closed cases, each on its own share (case id mod the number of
    # supervisors), so that two of them never race for one case: a 412 would then be a real fault.
    open_ids = list(Case.objects.filter(jurisdiction=lwg).exclude(status__in=[Status.CLOSED, Status.DISMISSED])
                    .order_by("?").values_list("pk", flat=True)[:3000])
    west, south, east, north = lwg.boundary.extent
    fixture = {
        "inspectors": inspectors, "supervisors": supervisors, "village_points": points,
        "village_ids": [v.pk for v in villages], "extent": [west, south, east, north],
        "campaigns": list(Campaign.objects.filter(jurisdiction=lwg).values_list("pk", flat=True)),
        "summary_campaigns": campaigns,
        "inspector_ids": [i["id"] for i in inspectors],
        "case_ids": {str(k): [pk for pk in open_ids if pk % max(1, args.supervisors) == k]
                     for k in range(args.supervisors)},
        "statuses": list(Status.values), "categories": list(Category.values),
    }
    (out / "fixture.json").write_text(json.dumps(fixture))
    for k in range(4):
        (out / f"photo-{k}.jpg").write_bytes(phone_jpeg(k))
    print(f"prepared {len(inspectors)} inspectors, {len(supervisors)} supervisors, {len(open_ids)} actionable cases, "
          f"{len(campaigns)} summary campaigns; photo sizes "
          f"{[round((out / f'photo-{k}.jpg').stat().st_size / 1024) for k in range(4)]} KiB")


if __name__ == "__main__":
    main()
