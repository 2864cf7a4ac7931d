from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from gis.management.commands.import_villages import display_width, pad
from gis.models import Jurisdiction
from tuban.importers import (
    TubanImportRefused,
    column_mapping,
    import_tuban,
    parse_column_overrides,
    read_tuban_file,
)


class Command(BaseCommand):
    help = _(
        "从 Shapefile（.zip）、GeoPackage 或 GeoJSON 导入一批卫片图斑。默认只试运行并报告将新增、不变和图形有变化的图斑；"
        "加 --commit 才写入数据库。同一批次按图斑编号去重，图形有变化的图斑只报告，不覆盖。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help=_("图斑文件：.zip（内含 Shapefile）、.shp、.gpkg 或 .geojson"))
        parser.add_argument("--jurisdiction", required=True, metavar="CODE", help=_("执法单位简码，如 LWG"))
        parser.add_argument("--batch", required=True, metavar="NAME", help=_("批次名称，如 2026年第3季度卫片"))
        parser.add_argument("--due", metavar="YYYY-MM-DD", help=_("核查截止日期"))
        parser.add_argument("--commit", action="store_true", help=_("写入数据库（默认只试运行）"))
        parser.add_argument("--columns", action="append", metavar="TBBH=F", default=[],
                            help=_("字段对应，如 --columns TBBH=JCBH,MJ=AREA（默认 TBBH、JCSJ、QSX、HSX、BHLX、MJ）"))
        parser.add_argument("--layer", metavar="L", help=_("图层名（文件或 zip 中有多个图层时必填）"))

    def handle(self, *args, file, jurisdiction, batch, due, commit, columns, layer, **options):
        target = self.jurisdiction(jurisdiction)
        due_date = None
        if due:
            due_date = parse_date(due)
            if due_date is None:
                raise CommandError(_("截止日期“%(due)s”应为 YYYY-MM-DD。") % {"due": due})
        try:
            overrides = parse_column_overrides(columns)
        except ValueError as error:
            raise CommandError(str(error)) from None
        tuban_file = read_tuban_file(file, columns=column_mapping(target, overrides), layer=layer)
        if tuban_file.errors:
            self.refuse(file, tuban_file)
        self.stdout.write(
            _("读取 %(file)s：%(format)s，图层“%(layer)s”，坐标系 %(srs)s，字段 %(columns)s。")
            % {"file": file, "format": tuban_file.format, "layer": tuban_file.layer, "srs": tuban_file.source_srs,
               "columns": "、".join(f"{k}={v}" for k, v in tuban_file.columns.items())})
        try:
            # The features are read (and the warnings and errors found) as they are imported.
            outcome = import_tuban(tuban_file, target, batch, commit=commit, due_date=due_date)
        except TubanImportRefused:
            self.refuse(file, tuban_file)
        self.warn(tuban_file)
        self.report(outcome)

    def warn(self, tuban_file):
        for warning in tuban_file.warnings:
            self.stderr.write(self.style.WARNING(_("警告：%(warning)s") % {"warning": warning}))

    def refuse(self, file, tuban_file):
        self.warn(tuban_file)
        for error in tuban_file.errors:
            self.stderr.write(self.style.ERROR(_("错误：%(error)s") % {"error": error}))
        raise CommandError(_("%(file)s 有 %(count)d 个错误，未写入任何数据。")
                           % {"file": file, "count": len(tuban_file.errors)})

    def jurisdiction(self, code):
        try:
            return Jurisdiction.objects.get(code=code.strip().upper())
        except Jurisdiction.DoesNotExist:
            raise CommandError(_("没有简码为“%(code)s”的执法单位。") % {"code": code}) from None

    def report(self, outcome):
        if outcome.changed:
            rows = [(_("图斑编号"), _("要素序号"), _("位移（米）"), _("原面积（㎡）"), _("新面积（㎡）"))]
            rows += [(c.number, str(c.feature_number), f"{c.shift_m:.1f}", f"{c.area_before_m2:.1f}",
                      f"{c.area_after_m2:.1f}") for c in outcome.changed]
            widths = [max(display_width(row[column]) for row in rows) for column in range(len(rows[0]))]
            self.stdout.write(_("图形有变化（未覆盖，请核对后另建批次或在后台处理）："))
            for row in rows:
                self.stdout.write("  ".join(pad(cell, width) for cell, width in zip(row, widths)).rstrip())
        self.stdout.write(
            _("批次“%(batch)s”：新增 %(created)d 个图斑，不变 %(unchanged)d 个，图形有变化 %(changed)d 个（未覆盖）。")
            % {"batch": outcome.batch_name, "created": len(outcome.created), "unchanged": len(outcome.unchanged),
               "changed": len(outcome.changed)})
        if outcome.outside_villages:
            self.stderr.write(self.style.WARNING(
                _("警告：%(count)d 个图斑不在任何行政村内：%(numbers)s")
                % {"count": len(outcome.outside_villages), "numbers": "、".join(outcome.outside_villages[:20])}))
        if outcome.committed:
            self.stdout.write(self.style.SUCCESS(_("已写入数据库。")))
        else:
            self.stdout.write(self.style.NOTICE(_("这是试运行，没有写入数据库。核对无误后加 --commit 重新运行。")))
