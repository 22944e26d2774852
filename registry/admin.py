from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from creditsys.admin_audit import AuditedModelAdmin
from creditsys.api.authentication import generate_key

from .models import (
    ApiClient,
    Commitment,
    Department,
    ImportJob,
    LicenseRecord,
    PenaltyRecord,
    RecordRevision,
    Region,
    Subject,
    SubjectCode,
    SubjectName,
    SubjectRelation,
    User,
)
from .services import AUDIT_EXCLUDE, refresh_search_fields


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ["name", "uscc", "region", "level", "is_credit_office", "is_active"]
    list_filter = ["level", "region", "is_credit_office"]
    search_fields = ["name", "uscc"]


@admin.register(User)
class CreditUserAdmin(UserAdmin):
    list_display = ["username", "full_name", "role", "department", "region", "is_active"]
    list_filter = ["role", "department", "is_active"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("业务角色", {"fields": ["full_name", "role", "department", "region", "phone"]}),
    ]
    add_fieldsets = [
        *UserAdmin.add_fieldsets,
        ("业务角色", {"fields": ["full_name", "role", "department", "region"]}),
    ]


@admin.register(ApiClient)
class ApiClientAdmin(AuditedModelAdmin):
    list_display = ["name", "department", "region", "scopes", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            key, obj.key_prefix, obj.key_hash = generate_key()
            messages.warning(request, f"新的 API 密钥（仅显示这一次，请立即保存）：{key}")
        super().save_model(request, obj, form, change)


class SubjectCodeInline(admin.TabularInline):
    model = SubjectCode
    extra = 0


class SubjectNameInline(admin.TabularInline):
    model = SubjectName
    extra = 0
    readonly_fields = ["recorded_at"]


@admin.register(Subject)
class SubjectAdmin(AuditedModelAdmin):
    audit_exclude = AUDIT_EXCLUDE
    list_display = ["name", "kind", "code", "region", "managing_department", "status", "updated_at"]
    list_filter = ["kind", "status", "region"]
    search_fields = ["name", "uscc"]
    readonly_fields = ["id_number_masked", "created_at", "updated_at"]
    inlines = [SubjectCodeInline, SubjectNameInline]

    def save_model(self, request, obj, form, change):
        refresh_search_fields(obj)
        super().save_model(request, obj, form, change)


@admin.register(SubjectRelation)
class SubjectRelationAdmin(AuditedModelAdmin):
    list_display = ["organization", "role", "person", "valid_from", "valid_until"]
    list_filter = ["role"]
    raw_id_fields = ["organization", "person"]


admin.site.register(SubjectCode, AuditedModelAdmin)
admin.site.register(SubjectName, AuditedModelAdmin)


# --- 双公示 records, commitments, imports (issue 3) ---------------------------------------------


class RecordRevisionInline(admin.TabularInline):
    model = RecordRevision
    extra = 0
    can_delete = False
    fields = ["version", "action", "reason", "actor", "channel", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PenaltyRecord)
class PenaltyRecordAdmin(AuditedModelAdmin):
    audit_exclude = ("legal_rep_id_encrypted", "input_hash")
    list_display = ["document_number", "subject_name", "department", "decision_date", "severity", "status", "is_late"]
    list_filter = ["status", "severity", "rule_set", "is_late", "disclosure", "department"]
    search_fields = ["document_number", "subject_name", "uscc"]
    raw_id_fields = ["subject"]
    readonly_fields = ["rule_set", "published", "publish_from", "repairable_from", "publish_until", "version"]
    inlines = [RecordRevisionInline]


@admin.register(LicenseRecord)
class LicenseRecordAdmin(AuditedModelAdmin):
    audit_exclude = ("legal_rep_id_encrypted", "input_hash")
    list_display = ["document_number", "subject_name", "department", "decision_date", "valid_until", "status"]
    list_filter = ["status", "category", "is_late", "disclosure", "department"]
    search_fields = ["document_number", "subject_name", "uscc"]
    raw_id_fields = ["subject"]
    readonly_fields = ["version"]
    inlines = [RecordRevisionInline]


@admin.register(Commitment)
class CommitmentAdmin(AuditedModelAdmin):
    list_display = ["number", "subject", "kind", "department", "commitment_date", "due_date", "status"]
    list_filter = ["status", "kind", "department"]
    search_fields = ["number", "subject__name", "matter"]
    raw_id_fields = ["subject"]


@admin.register(ImportJob)
class ImportJobAdmin(AuditedModelAdmin):
    list_display = ["original_name", "kind", "status", "processed_rows", "rejected_count", "created_by", "created_at"]
    list_filter = ["status", "kind"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]


@admin.register(RecordRevision)
class RecordRevisionAdmin(admin.ModelAdmin):
    """Prior versions of 双公示 records: read-only history."""

    list_display = ["__str__", "penalty", "license", "action", "actor", "created_at"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in RecordRevision._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
