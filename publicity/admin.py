from django.contrib import admin

from creditsys import audit
from creditsys.admin_audit import AuditedModelAdmin

from .models import Article, CreditReport, Tip
from .services import tip_reporter


@admin.register(Article)
class ArticleAdmin(AuditedModelAdmin):
    list_display = ["title", "category", "published_on", "is_published"]
    list_filter = ["category", "is_published"]
    search_fields = ["title", "body"]


@admin.register(CreditReport)
class CreditReportAdmin(admin.ModelAdmin):
    list_display = ["number", "subject_name", "generated_at", "content_digest"]
    search_fields = ["number", "subject_name"]
    readonly_fields = [f.name for f in CreditReport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Tip)
class TipAdmin(AuditedModelAdmin):
    list_display = ["tracking_number", "target_name", "status", "created_at"]
    list_filter = ["status"]
    readonly_fields = ["tracking_number", "target_name", "target_code", "content", "reporter", "created_at"]
    fields = ["tracking_number", "target_name", "target_code", "content", "reporter", "status", "reply", "created_at"]

    @admin.display(description="举报人（保密）")
    def reporter(self, obj):
        # Only superusers and the credit office's coordinators see who reported; each view is audited.
        user = getattr(self, "_request_user", None)
        if obj is None or user is None or not (user.is_superuser or getattr(user, "role", "") == "coordinator"):
            return "（保密：仅信用办授权人员可见）"
        audit.record(action="read", instance=obj, reason="查看举报人信息")
        data = tip_reporter(obj)
        return f"{data['name']}，{data['phone']}"

    def get_form(self, request, obj=None, **kwargs):
        self._request_user = request.user
        return super().get_form(request, obj, **kwargs)
