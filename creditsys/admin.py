from django.contrib import admin

from .admin_audit import AuditedModelAdmin
from .models import AuditEvent, CalendarDay, CalendarYear, Notification

admin.site.site_header = "信用联合奖惩系统 管理后台"
admin.site.site_title = "creditsys 管理后台"
admin.site.index_title = "系统管理"


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedModelAdmin):
    list_display = ["year", "complete", "source", "updated_at"]


@admin.register(CalendarDay)
class CalendarDayAdmin(AuditedModelAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor", "channel", "action", "object_type", "object_repr", "request_id"]
    list_filter = ["action", "channel", "object_type"]
    search_fields = ["object_repr", "actor", "request_id", "object_id"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(AuditedModelAdmin):
    list_display = [
        "created_at",
        "channel",
        "title",
        "status",
        "attempts",
        "recipient_department_id",
        "tracking_number",
    ]
    list_filter = ["channel", "status"]
    search_fields = ["title", "dedupe_key", "tracking_number", "recipient_email"]
    readonly_fields = ["dedupe_key", "created_at", "sent_at", "attempts", "last_error"]
