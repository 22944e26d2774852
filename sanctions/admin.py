from django.contrib import admin

from creditsys.admin_audit import AuditedModelAdmin

from .models import (
    ChangeEvent,
    CheckLog,
    EnforcementTask,
    ListEntry,
    Measure,
    Memorandum,
    TaskAlert,
    WebhookDelivery,
    WebhookSubscription,
)


@admin.register(Memorandum)
class MemorandumAdmin(AuditedModelAdmin):
    list_display = ["number", "title", "list_type", "signed_on", "is_active"]
    list_filter = ["list_type", "is_active"]
    search_fields = ["number", "title"]
    filter_horizontal = ["signing_departments"]


@admin.register(Measure)
class MeasureAdmin(AuditedModelAdmin):
    list_display = ["code", "version", "name", "kind", "binding", "status", "published_at"]
    list_filter = ["kind", "binding", "status", "national_class"]
    search_fields = ["code", "name", "legal_basis"]
    filter_horizontal = ["implementing_departments"]
    readonly_fields = ["status", "published_at", "retired_at", "previous", "version"]


@admin.register(ListEntry)
class ListEntryAdmin(AuditedModelAdmin):
    list_display = ["subject", "list_type", "status", "is_suspended", "initiating_department", "valid_until"]
    list_filter = ["list_type", "status", "is_suspended"]
    search_fields = ["subject__name", "subject__uscc", "basis_document"]
    raw_id_fields = ["subject", "source_entry", "proposed_by", "reviewed_by"]
    readonly_fields = ["status", "published_at", "removed_at", "notice_due", "is_suspended"]


@admin.register(EnforcementTask)
class EnforcementTaskAdmin(AuditedModelAdmin):
    list_display = ["measure", "department", "kind", "status", "due_date", "outcome"]
    list_filter = ["kind", "status", "department"]
    raw_id_fields = ["entry", "measure", "answered_by"]
    readonly_fields = ["status", "answered_at"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AuditedModelAdmin):
    audit_exclude = ("secret",)
    list_display = ["client", "url", "region", "department", "is_active"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(AuditedModelAdmin):
    list_display = ["change", "subscription", "status", "attempts", "next_attempt_at", "last_error"]
    list_filter = ["status"]


@admin.register(CheckLog)
class CheckLogAdmin(AuditedModelAdmin):
    list_display = ["checked_at", "matter", "code", "department", "found", "summary"]
    list_filter = ["channel", "found"]
    search_fields = ["matter", "code"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.register(TaskAlert, AuditedModelAdmin)
admin.site.register(ChangeEvent, AuditedModelAdmin)
