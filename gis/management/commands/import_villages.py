import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from gis.importers import Action, import_villages, read_village_boundaries
from gis.models import Jurisdiction


class Command(BaseCommand):
    help = _(
        "从 GeoJSON、Shapefile（.shp 或 .zip）或 GeoPackage 导入一个执法单位的村界。默认只试运行并列出将要新建和更新的村；"
        "加 --commit 才写入数据库。已有的村按村名更新村界，从不删除。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("村界文件：.geojson、.shp、.zip（内含 Shapefile）或 .gpkg"))
        parser.add_argument("--jurisdiction", required=True, metavar="CODE", help=_("执法单位简码，如 LWG"))
        parser.add_argument("--commit", action="store_true", help=_("写入数据库（默认只试运行）"))
        parser.add_argument("--name-field", metavar="F", help=_("村名字段（默认依次尝试 name、NAME、村名、村）"))
        parser.add_argument("--code-field", metavar="F", help=_("村代码字段（默认 code、CODE 或 村代码，若有）"))
        parser.add_argument("--layer", metavar="L", help=_("图层名（文件或 zip 中有多个图层时必填）"))
        parser.add_argument(
            "--update-jurisdiction-boundary", action="store_true", help=_("把执法单位的辖区边界设为其全部村界的并集")
        )

    def handle(self, *args, file, jurisdiction, commit, name_field, code_field, layer, update_jurisdiction_boundary,
               **options):
        target = self.jurisdiction(jurisdiction)
        boundary_file = read_village_boundaries(file, name_field=name_field, code_field=code_field, layer=layer)
        for warning in boundary_file.warnings:
            self.stderr.write(self.style.WARNING(_("警告：%(warning)s") % {"warning": warning}))
        if boundary_file.errors:
            for error in boundary_file.errors:
                self.stderr.write(self.style.ERROR(_("错误：%(error)s") % {"error": error}))
            raise CommandError(
                ngettext(
                    "%(file)s 有 %(count)d 个错误，未写入任何数据。",
                    "%(file)s 有 %(count)d 个错误，未写入任何数据。",
                    len(boundary_file.errors),
                )
                % {"file": file, "count": len(boundary_file.errors)}
            )

        self.stdout.write(
            _("读取 %(file)s：%(format)s，图层“%(layer)s”，坐标系 %(srs)s，村名字段“%(name)s”，代码字段“%(code)s”。")
            % {"file": file, "format": boundary_file.format, "layer": boundary_file.layer,
               "srs": boundary_file.source_srs, "name": boundary_file.name_field, "code": boundary_file.code_field or "—"}
        )
        outcome = import_villages(
            boundary_file, target, commit=commit, update_jurisdiction_boundary=update_jurisdiction_boundary
        )
        self.report(outcome)

    def jurisdiction(self, code):
        try:
            return Jurisdiction.objects.get(code=code.strip().upper())
        except Jurisdiction.DoesNotExist:
            codes = "、".join(Jurisdiction.objects.order_by("code").values_list("code", flat=True))
            raise CommandError(
                _("没有简码为“%(code)s”的执法单位。现有简码：%(codes)s")
                % {"code": code, "codes": codes or _("（尚无执法单位，请先在后台创建）")}
            ) from None

    def report(self, outcome):
        labels = {
            Action.CREATE: _("新建"),
            Action.UPDATE: _("更新"),
            Action.UNCHANGED: _("不变"),
        }
        what_changed = {"boundary": _("村界"), "code": _("村代码")}
        rows = [(_("操作"), _("村名"), _("代码"), _("面积（km²）"), _("变更内容"))]
        for change in outcome.changes:
            rows.append((
                labels[change.action],
                change.name,
                change.code or "—",
                f"{change.area_km2:.2f}",
                "、".join(str(what_changed[each]) for each in change.changed),
            ))
        widths = [max(display_width(row[column]) for row in rows) for column in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(pad(cell, width) for cell, width in zip(row, widths)).rstrip())

        self.stdout.write(
            _("执法单位 %(jurisdiction)s：新建 %(created)d 个村，更新 %(updated)d 个，不变 %(unchanged)d 个。")
            % {"jurisdiction": outcome.jurisdiction, "created": outcome.count(Action.CREATE),
               "updated": outcome.count(Action.UPDATE), "unchanged": outcome.count(Action.UNCHANGED)}
        )
        if outcome.kept:
            self.stdout.write(
                _("库中已有、文件中没有的村保持不变（导入从不删除村）：%(names)s") % {"names": "、".join(outcome.kept)}
            )
        if outcome.jurisdiction_boundary is not None:
            self.stdout.write(
                _("辖区边界设为 %(count)d 个村界的并集。") % {"count": len(outcome.changes) + len(outcome.kept)}
            )
        for warning in outcome.warnings:
            self.stderr.write(self.style.WARNING(_("警告：%(warning)s") % {"warning": warning}))
        if outcome.committed:
            self.stdout.write(self.style.SUCCESS(_("已写入数据库。")))
        else:
            self.stdout.write(self.style.NOTICE(_("这是试运行，没有写入数据库。核对无误后加 --commit 重新运行。")))


def display_width(text):
    """Columns a terminal gives the text: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(text))


def pad(text, width):
    return f"{text}{' ' * (width - display_width(text))}"
