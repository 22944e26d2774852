from django.contrib import admin

from creditsys.admin_audit import AuditedModelAdmin

from .models import Attachment, DeadlineEvent, Objection, RepairApplication

_SECRET = ("applicant_id_encrypted", "applicant_id_hmac", "query_code_hash")


@admin.register(Objection)
class ObjectionAdmin(AuditedModelAdmin):
    audit_exclude = _SECRET
    list_display = ["tracking_number", "subject", "target_kind", "department", "status", "due_date", "decision"]
    list_filter = ["status", "target_kind", "decision", "channel"]
    search_fields = ["tracking_number", "subject__name", "applicant_name"]
    exclude = _SECRET
    readonly_fields = ["tracking_number", "applicant_id_masked", "suspended_entry_ids", "next_action", "next_action_on"]
    raw_id_fields = ["subject", "penalty", "license", "entry", "decided_by"]


@admin.register(RepairApplication)
class RepairApplicationAdmin(AuditedModelAdmin):
    audit_exclude = _SECRET
    list_display = ["tracking_number", "subject", "target_kind", "department", "status", "accept_due", "decision_due"]
    list_filter = ["status", "target_kind", "channel", "false_materials"]
    search_fields = ["tracking_number", "subject__name", "applicant_name"]
    exclude = _SECRET
    readonly_fields = ["tracking_number", "applicant_id_masked", "next_action", "next_action_on"]
    raw_id_fields = ["subject", "penalty", "entry", "decided_by"]


@admin.register(Attachment)
class AttachmentAdmin(AuditedModelAdmin):
    list_display = ["original_name", "kind", "objection", "repair", "size", "created_at"]
    raw_id_fields = ["objection", "repair"]


@admin.register(DeadlineEvent)
class DeadlineEventAdmin(AuditedModelAdmin):
    list_display = ["item_type", "item_id", "kind", "due_date", "fired_on", "created_at"]
    list_filter = ["kind", "item_type"]
