"""The 卫片图斑 pages: the batches with their progress, the upload of a batch (supervisors: a dry run first, then
the import of exactly the file that was checked, kept meanwhile by tuban.uploads), one batch by village with
assignment by village."""
from pathlib import Path

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patrol import selectors as patrol_selectors
from patrol.choices import Role
from tuban import selectors, services, uploads
from tuban.importers import (
    TubanImportRefused,
    column_mapping,
    import_tuban,
    parse_column_overrides,
    read_tuban_file,
)

READERS = frozenset({Role.SUPERVISOR, Role.LEADER, Role.LEGAL_REVIEWER, Role.INSPECTOR})
UPLOAD_SUFFIXES = (".zip", ".gpkg", ".geojson", ".json")
SESSION_KEY = "tuban_upload"
# What the session's last imports did (token → batch and counts): the same form sent again, by a double click or
# from the browser's history, lands on the batch it imported, not on an error, and imports nothing more.
IMPORTED_KEY = "tuban_imported"
IMPORTED_KEPT = 10


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("图斑文件"),
                           help_text=gettext_lazy("Shapefile（打包为 .zip）、GeoPackage（.gpkg）或 GeoJSON"))
    batch = forms.CharField(label=gettext_lazy("批次名称"), max_length=100)
    due_date = forms.DateField(label=gettext_lazy("核查截止日期"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))
    columns = forms.CharField(label=gettext_lazy("字段对应"), required=False, max_length=300,
                              help_text=gettext_lazy("可空；如 TBBH=JCBH,MJ=AREA"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(UPLOAD_SUFFIXES):
            raise forms.ValidationError(_("只接受 .zip、.gpkg 或 .geojson 文件"))
        return upload

    def clean_columns(self):
        try:
            return parse_column_overrides([self.cleaned_data["columns"]])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None


def _id(value):
    if not value or not str(value).isdigit() or len(str(value)) > 18:
        raise Http404
    return int(value)


def _require(user, roles):
    if user.role not in roles or user.jurisdiction_id is None:
        raise PermissionDenied


@login_required
def batch_list(request):
    _require(request.user, READERS)
    batches = list(selectors.batches_for(request.user).order_by("-imported_at", "-id"))
    progress = selectors.batch_progress(selectors.batches_for(request.user))
    today = timezone.localdate()
    rows = [(batch, progress[batch.pk], batch.is_overdue(today)) for batch in batches]
    return render(request, "tuban/batch_list.html", {
        "rows": rows, "form": UploadForm() if request.user.role == Role.SUPERVISOR else None})


@login_required
def batch_upload(request):
    """Step one: keep the file, read it and show what the import would do. Nothing is written to the database."""
    _require(request.user, {Role.SUPERVISOR})
    if request.method != "POST":
        return redirect("tuban-batches")
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return render(request, "tuban/batch_list.html", {"rows": [], "form": form}, status=400)
    _discard_pending(request)  # an earlier dry run of this session can no longer be confirmed
    upload = form.cleaned_data["file"]
    suffix = Path(upload.name).suffix.lower()
    kept = uploads.keep(upload, suffix)
    data = form.cleaned_data
    request.session[SESSION_KEY] = {"token": kept.token, "suffix": suffix, "sha256": kept.sha256, "name": upload.name,
                                    "batch": data["batch"],
                                    "due_date": data["due_date"].isoformat() if data["due_date"] else None,
                                    "columns": data["columns"]}
    outcome, tuban_file = _run(request, kept.path, commit=False)
    if outcome is None:
        _discard_pending(request)  # a file with errors cannot be confirmed: nothing to keep it for
    return render(request, "tuban/batch_dry_run.html", {
        "file": tuban_file, "outcome": outcome, "token": kept.token, "name": upload.name, "batch": data["batch"]})


@require_POST
@login_required
def batch_commit(request):
    """Step two: import the very file the dry run read (kept on the server under the session's token, its SHA-256
    checked again), then delete it whatever the outcome. The same token once more (a double click sends two
    requests) imports nothing and lands on the batch the first one imported into."""
    _require(request.user, {Role.SUPERVISOR})
    token = request.POST.get("token")
    imported = _imported(request, token)
    if imported is not None:
        return _imported_batch(request, imported, again=_("该文件已导入，未重复导入。"))
    pending = request.session.get(SESSION_KEY)
    if not pending or pending.get("token") != token:
        messages.error(request, _("上传已过期，请重新上传文件。"))
        return redirect("tuban-batches")
    # The second request of a double click read the session before the first stored what it imported: it waits
    # here until the first is done, then finds the file gone and the import in the session store.
    with uploads.held(token):
        try:
            path = uploads.claim(token, pending.get("suffix"), pending.get("sha256"))
            outcome = _run(request, path, commit=True)[0] if path is not None else None
            if outcome is not None:
                imported = _remember_import(request, token, {
                    "batch_id": outcome.batch.pk, "batch": outcome.batch_name, "created": len(outcome.created),
                    "unchanged": len(outcome.unchanged), "changed": len(outcome.changed)})
                request.session.pop(SESSION_KEY)
                request.session.save()  # before the file goes: a request that then finds it gone reads this
        finally:
            request.session.pop(SESSION_KEY, None)
            uploads.discard(token)
    if path is None:
        imported = _imported(request, token, stored=True)
        if imported is None:
            messages.error(request, _("上传已过期，请重新上传文件。"))
            return redirect("tuban-batches")
        return _imported_batch(request, imported, again=_("该文件已导入，未重复导入。"))
    if outcome is None:
        messages.error(request, _("文件有错误，未导入。"))
        return redirect("tuban-batches")
    return _imported_batch(request, imported)


def _imported(request, token, *, stored=False):
    """What this session's import of the upload ``token`` did, or None. ``stored``: read afresh from the session
    store, where another request of the session (a double click's first) may have put it since this one began."""
    session = request.session
    if stored and session.session_key:
        session = type(session)(session.session_key)
    imported = session.get(IMPORTED_KEY, {}).get(token) if isinstance(token, str) else None
    if imported is not None and session is not request.session:
        _remember_import(request, token, imported)  # this request saves the session last: keep it there
    return imported


def _remember_import(request, token, imported):
    earlier = [(key, value) for key, value in request.session.get(IMPORTED_KEY, {}).items() if key != token]
    request.session[IMPORTED_KEY] = dict([*earlier, (token, imported)][-IMPORTED_KEPT:])
    return imported


def _imported_batch(request, imported, *, again=None):
    """The batch an import went into, with its counts; ``again`` says why this request did not import it itself."""
    if again:
        messages.info(request, again)
    messages.success(request, _("批次“%(batch)s”已导入：新增 %(created)d 个图斑，不变 %(unchanged)d 个，"
                                "图形有变化 %(changed)d 个（未覆盖）。") % imported)
    return redirect("tuban-batch", pk=imported["batch_id"])


@require_POST
@login_required
def batch_discard(request):
    """The dry run's 取消: the kept file goes at once. A commit of the same upload that came first (取消 clicked
    while 确认导入 was on its way, or in another tab) is waited for, not cut short: its file is not deleted under
    it, and once it has imported the batch, 取消 lands there and says so instead of claiming to have cancelled."""
    _require(request.user, {Role.SUPERVISOR})
    token = request.POST.get("token")
    imported = _imported(request, token)
    pending = request.session.get(SESSION_KEY)
    if imported is None and pending and pending.get("token") == token:
        with uploads.held(token):  # a commit of this upload that holds it finishes first (see batch_commit)
            imported = _imported(request, token, stored=True)
            if imported is None:
                _discard_pending(request)
                messages.info(request, _("已取消导入，上传的文件已删除。"))
                return redirect("tuban-batches")
        request.session.pop(SESSION_KEY)  # this request read it before the commit was done: it is used up
    if imported is None:
        return redirect("tuban-batches")
    return _imported_batch(request, imported, again=_("该文件已导入，无法取消。"))


def _discard_pending(request):
    pending = request.session.pop(SESSION_KEY, None)
    if pending:
        uploads.discard(pending.get("token"))


def _run(request, path, *, commit):
    pending = request.session[SESSION_KEY]
    jurisdiction = request.user.jurisdiction
    tuban_file = read_tuban_file(path, columns=column_mapping(jurisdiction, pending["columns"]))
    tuban_file.path = pending["name"]
    due = timezone.datetime.fromisoformat(pending["due_date"]).date() if pending["due_date"] else None
    try:
        outcome = import_tuban(tuban_file, jurisdiction, pending["batch"], commit=commit, due_date=due,
                               actor=request.user)
    except TubanImportRefused:
        return None, tuban_file
    return outcome, tuban_file


@login_required
def batch_detail(request, pk):
    _require(request.user, READERS)
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    villages = {village.name: village for village in patrol_selectors.villages_for(request.user)}
    rows = [(name, villages.get(name), counts) for name, counts in selectors.village_progress(batch)]
    return render(request, "tuban/batch_detail.html", {
        "batch": batch, "rows": rows, "total": selectors.batch_progress(
            selectors.batches_for(request.user).filter(pk=batch.pk))[batch.pk],
        "inspectors": patrol_selectors.field_users(request.user.jurisdiction_id)
        if request.user.role == Role.SUPERVISOR else None,
        "overdue": batch.is_overdue()})


@require_POST
@login_required
def assign_village(request, pk):
    _require(request.user, {Role.SUPERVISOR})
    batch = get_object_or_404(selectors.batches_for(request.user), pk=pk)
    village = get_object_or_404(patrol_selectors.villages_for(request.user), pk=_id(request.POST.get("village")))
    inspector = None
    if request.POST.get("inspector"):
        inspector = patrol_selectors.field_users(request.user.jurisdiction_id).filter(
            pk=_id(request.POST["inspector"])).first()
        if inspector is None:
            raise Http404
    count = services.assign(actor=request.user, inspector=inspector, batch=batch, village=village)
    messages.success(request, _("%(village)s 的 %(count)d 个待核查图斑已分派给 %(inspector)s。")
                     % {"village": village.name, "count": count,
                        "inspector": inspector.display_name if inspector else _("（无人）")})
    return redirect("tuban-batch", pk=batch.pk)
