from django.contrib import admin

from patrol.admin import ReadOnlyAdmin
from videos.models import Video, VideoUpload


@admin.register(Video)
class VideoAdmin(ReadOnlyAdmin):
    list_display = ["case", "filename", "size_bytes", "recorded_from", "uploaded_by", "sha256"]
    search_fields = ["case__reference", "sha256"]


@admin.register(VideoUpload)
class VideoUploadAdmin(ReadOnlyAdmin):
    list_display = ["case", "filename", "offset", "size_bytes", "created_by", "updated_at", "video"]
    search_fields = ["case__reference"]
