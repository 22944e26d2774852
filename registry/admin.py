from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin

from creditsys.admin_audit import AuditedModelAdmin
from creditsys.api.authentication import generate_key

from .models import ApiClient, Department, Region, Subject, SubjectCode, SubjectName, SubjectRelation, User
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
