"""Pages. Each page reads through patrol.selectors, so it only ever sees the user's jurisdiction."""
import functools
import hashlib
import json
import os
import posixpath
import re
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.views.decorators.cache import cache_control
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from patrol import selectors, workflow
from patrol.case_page import render_case_page
from patrol.choices import (
    DEADLINE_STATUSES,
    CampaignStatus,
    Category,
    Stage,
    Structure,
    ReinspectionResult,
    Role,
)
from patrol.errors import DomainError
from patrol.filters import local_midnight
from patrol.photos import act_with_uploaded_photos

MAP_ROLES = {Role.SUPERVISOR, Role.LEGAL_REVIEWER, Role.LEADER}


@login_required
def home(request):
    """The landing page by role: inspectors go to the field page, desk roles to the map."""
    role = request.user.role
    if role == Role.INSPECTOR:
        return redirect("field")
    if role in MAP_ROLES:
        return redirect("map")
    if request.user.is_staff:
        return redirect("admin:index")
    return render(request, "patrol/no_role.html", status=403)


# The field page's lists of the inspector's own findings: today's and the rest of this week's, newest first.
FIELD_TODAY_LIMIT = 100
FIELD_WEEK_LIMIT = 50
# What the lists show (patrol/_case_rows.html and the due list): no location, no village boundary.
FIELD_LIST_FIELDS = ("id", "reference", "status", "category", "deadline", "created_at", "village__name")


@login_required
def field_page(request):
    """The inspector's page: log findings and patrols offline-first (static/js/field.js), and their lists."""
    if request.user.role not in workflow.FIELD_ROLES:
        # Legal reviewers and leaders do not log findings (the API would refuse what the page queued).
        raise PermissionDenied
    today = timezone.localdate()
    week_start = today - timezone.timedelta(days=today.weekday())
    midnight, week_midnight = local_midnight(today), local_midnight(week_start)
    # Ranges of created_at, not created_at__date (which casts every row), each list capped: the page costs the
    # same after ten years of findings as after one week (issue #20: 18,082 cases rendered, 2.7 MB).
    mine = (selectors.cases_for(request.user).filter(reported_by=request.user).select_related("village")
            .only(*FIELD_LIST_FIELDS))
    context = {
        "today_cases": mine.filter(created_at__gte=midnight).order_by("-created_at", "-id")[:FIELD_TODAY_LIMIT],
        "week_cases": mine.filter(created_at__gte=week_midnight, created_at__lt=midnight)
        .order_by("-created_at", "-id")[:FIELD_WEEK_LIMIT],
        "week_patrols": selectors.patrols_for(request.user).filter(inspector=request.user,
                                                                   started_at__gte=week_midnight)
        .defer("track").prefetch_related("villages").order_by("-started_at")[:20],
        "due_cases": selectors.cases_for(request.user)
        .filter(responsible=request.user, status__in=DEADLINE_STATUSES)
        .select_related("village").only(*FIELD_LIST_FIELDS).order_by("deadline", "id")[:20],
        "campaigns": selectors.campaigns_for(request.user).filter(status=CampaignStatus.ACTIVE),
        "categories": Category.choices, "stages": Stage.choices, "structures": Structure.choices,
        "reinspect_results": ReinspectionResult.choices,
        "messages_js": FIELD_MESSAGES,
        # What the jurisdiction asks of a finding's evidence (#15): the page refuses to save without it.
        "accuracy_max_m": request.user.jurisdiction.finding_accuracy_max_m,
        "min_photos": request.user.jurisdiction.finding_min_photos,
        "preload_modules": [name for name in field_preloaded_modules() if name not in FIELD_ENTRY_MODULES],
        "today": today,
    }
    return render(request, "patrol/field.html", context)


# Texts the field script shows, translated on the server (the script has no catalogue of its own).
FIELD_MESSAGES = {
    "online": gettext_lazy("在线"), "offline": gettext_lazy("离线，记录会保存在手机上，联网后自动上传"),
    "queue": gettext_lazy("%(n)s 条待上传"), "queue_empty": gettext_lazy("全部已上传"),
    "locating": gettext_lazy("正在定位…"), "accuracy": gettext_lazy("精度 ±%(m)s 米"),
    "accuracy_ok": gettext_lazy("可以保存（要求 ≤ %(max)s 米）"),
    "accuracy_poor": gettext_lazy("不够准（要求 ≤ %(max)s 米）：请稍候，或点地图、拖动标记选定位置"),
    "no_gps": gettext_lazy("无法获取定位：请点地图或拖动标记，把位置选在现场"), "use_position": gettext_lazy("使用此位置"),
    "map_pick": gettext_lazy("已在地图上选点"), "need_location": gettext_lazy("位置（等定位够准，或在地图上选点）"),
    "need_category": gettext_lazy("类别"), "need_photos": gettext_lazy("还要 %(n)s 张现场照片"),
    "missing": gettext_lazy("还不能保存，缺少："), "separator": pgettext_lazy("list of missing items", "；"),
    "ready_to_save": gettext_lazy("可以保存"),
    "save_failed": gettext_lazy("没能保存在手机上，请再点一次保存。"),
    "saved": gettext_lazy("已保存在手机上，联网后自动上传；编号上传后生成"),
    "edit_heading": gettext_lazy("修改被退回的线索"), "remove_photo": gettext_lazy("删除这张照片"),
    "pending_ref": gettext_lazy("待上传"), "uploaded": gettext_lazy("已上传"), "today_n": pgettext_lazy("field page count", "今天 %(n)s 条"),
    "edit": gettext_lazy("打开修改"), "resend": gettext_lazy("重新发送"),
    "refused_400": gettext_lazy("服务器没有接受这条记录，请打开修改后重新发送："),
    "refused_409": gettext_lazy("服务器上已有一条同编号但内容不同的记录。请打开核对后重新发送，或放弃这一条。"),
    "refused_412": gettext_lazy("案件在您离线时已被别人改动，这条记录没有生效。请查看案件现状后重新提交。"),
    "refused_404": gettext_lazy("案件已不存在或不在您的辖区内，这条记录无法上传。"),
    "refused_413": gettext_lazy("照片文件太大，无法上传。请放弃这一条后重新拍照登记。"),
    "refused_403": gettext_lazy("您的账号不能提交这类记录，请联系中队长。"),
    "refused_other": gettext_lazy("服务器没有接受这条记录。"),
    "uploading": gettext_lazy("上传中"), "waiting": gettext_lazy("等待网络"), "failed": gettext_lazy("需要处理"),
    "finding": gettext_lazy("线索"), "photo": gettext_lazy("照片"), "track": gettext_lazy("巡查轨迹"), "patrol_start": gettext_lazy("开始巡查"),
    "patrol_finish": gettext_lazy("结束巡查"), "patrolling": gettext_lazy("巡查中 · 已记录 %(n)s 个点"),
    "patrol_bar": gettext_lazy("巡查中 %(time)s · %(km)s 公里 · %(n)s 个点 · 经过：%(villages)s"),
    "patrol_gps_denied": gettext_lazy("无法获取定位（未允许使用位置信息）：巡查照常记录，但不会记录轨迹。"
                                      "请在浏览器或手机设置中允许本网站使用位置信息。"),
    "patrol_gps_lost": gettext_lazy("暂时没有定位信号：信号恢复后继续记录轨迹。"),
    "villages_none": gettext_lazy("（上传后显示）"),
    "nearby_found": gettext_lazy("附近已有案件 %(ref)s，相距 %(m)s 米"), "nearby_none": gettext_lazy("附近 %(m)s 米内没有未结案件"),
    "is_duplicate": gettext_lazy("是同一处，不再登记"), "keep": gettext_lazy("不是同一处，继续登记"),
    "discard": gettext_lazy("放弃"), "photos_n": gettext_lazy("%(n)s 张照片"),
    "confirm_discard": gettext_lazy("确定放弃这条记录吗？放弃后无法恢复。"),
    # The 复查 list and form (static/js/field/cases.js): cases kept on the phone, re-inspected offline.
    "reinspect": gettext_lazy("复查"), "reinspect_heading": gettext_lazy("复查 %(ref)s"),
    "mine": gettext_lazy("我负责"), "distance": gettext_lazy("相距 %(m)s 米"), "deadline": gettext_lazy("期限 %(date)s"),
    "overdue": gettext_lazy("已逾期"),
    "store_at": gettext_lazy("%(time)s 更新，共 %(n)s 件"),
    "store_offline": gettext_lazy("离线：显示 %(time)s 保存的 %(n)s 件"),
    "label_status": gettext_lazy("状态"), "label_category": gettext_lazy("类别"),
    "label_address": gettext_lazy("地址"), "label_deadline": gettext_lazy("期限"),
    "cannot_reinspect": gettext_lazy("案件当前状态为“%(status)s”，不能复查。"),
    "need_result": gettext_lazy("复查结果"), "need_note": gettext_lazy("复查情况"),
    "need_after_photos": gettext_lazy("整改后照片（已整改时必须）"),
    "reinspect_saved": gettext_lazy("复查已保存在手机上，联网后自动上传"),
    "reinspect_pending": gettext_lazy("复查待上传"),
    "reapply": gettext_lazy("查看案件现状"), "reapply_heading": gettext_lazy("案件 %(ref)s 的现状"),
    "reapply_loading": gettext_lazy("正在读取案件现状…"), "reapply_changes": gettext_lazy("您离线期间案件的改动："),
    "reapply_offline": gettext_lazy("没有网络，读不到案件现状。联网后再试。"),
    "reapply_failed": gettext_lazy("没能读取案件现状，请稍后再试。"),
    "reapply_yours": gettext_lazy("您的复查：%(result)s，%(n)s 张照片。"),
    "reapply_send": gettext_lazy("按现状重新提交复查"),
    "reapply_unavailable": gettext_lazy("这条复查不能再提交：%(reason)s。请放弃这一条，或联系中队长。"),
    "close": gettext_lazy("关闭"),
    "action_no_gps": gettext_lazy("无法获取定位：这条记录不带现场坐标保存，地点以填写的为准。"),
    # On-site records offline (static/js/field/records.js).
    "record_inspection": gettext_lazy("现场检查（勘验）笔录"), "record_interview": gettext_lazy("询问笔录"),
    "record_inspection_pending": gettext_lazy("现场检查笔录待上传"),
    "record_interview_pending": gettext_lazy("询问笔录待上传"),
    "record_saved": gettext_lazy("%(record)s已保存在手机上，联网后自动上传"),
    "signatures_n": gettext_lazy("%(n)s 个签名"), "officer_signs": gettext_lazy("%(name)s 签名"),
    "officer_certificate": pgettext_lazy("officer and certificate", "%(name)s（%(number)s）"),
    "sign_again": gettext_lazy("重写"),
    "need_officers": gettext_lazy("两名执法人员"), "need_facts": gettext_lazy("检查（勘验）情况"),
    "need_interviewee": gettext_lazy("被询问人"), "need_questions": gettext_lazy("至少一组问和答"),
    "need_signer": gettext_lazy("签名人姓名"),
    "need_party_signature": gettext_lazy("当事人签名（或选择拒绝签名、不在场）"), "need_witness": gettext_lazy("见证人"),
    "no_officers_kept": gettext_lazy("手机上还没有执法人员名单：请在有网络时打开一次本页。"),
    "refused_409_action": gettext_lazy("这一步现在不能做了，服务器说："),
    "reapply_yours_record": gettext_lazy("您的%(record)s："),
    "reapply_send_record": gettext_lazy("按现状重新提交笔录"),
    "reapply_unavailable_record": gettext_lazy("这份笔录不能再提交：%(reason)s。请放弃这一条，或联系中队长。"),
    "case_not_kept": gettext_lazy("没有网络，这个案件也没有保存在手机上。联网后再打开。"),
}


@login_required
def case_page(request, pk):
    return render_case_page(request, pk)


@login_required
@require_POST
def case_action(request, pk, action):
    """The case page's forms: the same input, checks and service as the API, errors shown on the page."""
    case = get_object_or_404(selectors.cases_for(request.user), pk=pk)
    try:
        expected_version = int(request.POST.get("version", ""))
    except ValueError:
        expected_version = -1
    try:
        spec = workflow.action_spec(action)
        act_with_uploaded_photos(case_id=case.pk, actor=request.user, action=action, data=_form_data(request.POST),
                                 uploads=request.FILES.getlist("photo_files"), expected_version=expected_version)
    except DomainError as exc:
        # Field messages (dotted keys, as the API names them) go beside their fields, the message above the forms.
        errors = {"form": [str(exc.message)], **{key: [str(m) for m in texts] for key, texts in exc.fields.items()}}
        return render_case_page(request, pk, errors=errors, failed_action=action, status=exc.http_status)
    messages.success(request, _("已%(action)s") % {"action": spec.label})
    return redirect("case", pk=pk)


def _form_data(post):
    """The form's fields as an action's input: dotted names (``service.date``) nest, ``officers[]`` is a list, and
    ``questions[].q`` with ``questions[].a`` make a list of objects (one per row), a field sent several times is a
    list; empty fields are left out."""
    data, rows = {}, {}
    for key in post:
        if key in ("csrfmiddlewaretoken", "version"):
            continue
        if "[]." in key:
            name, part = key.split("[].", 1)
            rows.setdefault(name, {})[part] = post.getlist(key)
            continue
        # A field sent several times (ticked boxes: the videos of a demolition) is a list.
        values = [value for value in post.getlist(key) if value != ""]
        if not values:
            continue
        if key.endswith("[]"):
            data[key[:-2]] = values
            continue
        value = values if len(values) > 1 else values[0]
        *path, last = key.split(".")
        target = data
        for part in path:
            target = target.setdefault(part, {})
        target[last] = value
    for name, columns in rows.items():
        length = max(len(values) for values in columns.values())
        items = [{part: values[i] if i < len(values) else "" for part, values in columns.items()} for i in range(length)]
        items = [item for item in items if any(item.values())]
        if items:
            data[name] = items
    return data


@login_required
def notice_print(request, pk, notice_pk):
    """The notice in the layout of an official enforcement document, for printing."""
    notice = get_object_or_404(selectors.notices_for(request.user).select_related("case__jurisdiction",
                                                                                  "case__village"),
                               pk=notice_pk, case_id=pk)
    case = notice.case
    village = case.village.name if case.village else ""
    place = case.address if case.address.startswith(village) else f"{village}{case.address}"
    return render(request, "patrol/notice_print.html", {"notice": notice, "case": case, "place": place,
                                                        "jurisdiction": case.jurisdiction})


# The field page's ES modules: the scripts its templates load (patrol/field.html, tuban/_field_block.html) and every
# module they import, directly or not, read from the files themselves, so that a new import or a new entry is kept
# offline without another list to update. The page preloads the modules it imports statically (one round trip instead
# of one per level of imports on a slow network) but not those it loads when they are first needed (``import("…")``:
# the on-site records), which stay out of the first load; the service worker keeps them all.
FIELD_ENTRY_MODULES = ("js/field.js", "js/tuban/field.js")
STATIC_IMPORT = re.compile(r'^(?:import|export)\b[^;]*?from\s*"([^"]+)";', re.M)
DYNAMIC_IMPORT = re.compile(r'\bimport\(\s*"([^"]+)"\s*\)')


def _imported(name, source, pattern):
    return [posixpath.normpath(posixpath.join(posixpath.dirname(name), target)) for target in pattern.findall(source)]


@functools.lru_cache(maxsize=1)
def _field_module_graph():
    """Every module of the field page → whether it is loaded only when first needed (reached by import() alone)."""
    lazy, todo = {}, [(name, False) for name in FIELD_ENTRY_MODULES]
    while todo:
        name, later = todo.pop(0)
        if name in lazy and (later or not lazy[name]):
            continue
        lazy[name] = later
        found = finders.find(name)
        if found is None:
            raise ImproperlyConfigured(f"The field page's module static/{name} is missing.")
        source = Path(found).read_text(encoding="utf-8")
        todo += [(target, later) for target in _imported(name, source, STATIC_IMPORT)]
        todo += [(target, True) for target in _imported(name, source, DYNAMIC_IMPORT)]
    return lazy


def field_modules():
    """Every module the field page may load, for the service worker."""
    return tuple(_field_module_graph())


def field_preloaded_modules():
    """The modules the field page loads at once (its entries and what they import statically)."""
    return tuple(name for name, later in _field_module_graph().items() if not later)


def service_worker_assets():
    """Everything the field page loads, so it opens after a reload without network."""
    return ["leaflet/leaflet.js", "leaflet/leaflet.css", "css/app.css", "css/field.css", *field_modules(),
            "img/icon.svg", "manifest.webmanifest"]


@cache_control(no_cache=True, max_age=0)
def service_worker(request):
    """/sw.js, served from the root so it may control /field/ (scope "/")."""
    urls = [static(path) for path in service_worker_assets()]
    version = hashlib.sha256("|".join(urls + [_asset_stamp()]).encode()).hexdigest()[:12]
    # A case page asked for without network opens the case as the phone keeps it, on the field page (cases.js).
    case_page = reverse("case", args=[918273645]).split("918273645")
    response = render(request, "patrol/sw.js", {"precache": json.dumps(urls), "version": version,
                                                "field_page": json.dumps(reverse("field")),
                                                "case_page": json.dumps([re.escape(part) for part in case_page])},
                      content_type="text/javascript")
    response["Service-Worker-Allowed"] = "/"
    return response


@functools.lru_cache(maxsize=1)
def _asset_stamp():
    # In development static files change without a new URL: their modification times version the cache.
    stamps = []
    for path in service_worker_assets():
        found = finders.find(path)
        stamps.append(str(os.path.getmtime(found)) if found else path)
    return "|".join(stamps)
