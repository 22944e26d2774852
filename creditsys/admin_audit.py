"""Admin edits go through the same audit log as the services."""

from django.contrib import admin

from . import audit


class AuditedModelAdmin(admin.ModelAdmin):
    audit_exclude: tuple[str, ...] = ()

    def _subject_id(self, obj):
        return getattr(obj, "subject_id", None) or (obj.pk if obj._meta.model_name == "subject" else None)

    def save_model(self, request, obj, form, change):
        before = None
        if change:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = audit.snapshot(old, self.audit_exclude) if old else None
        super().save_model(request, obj, form, change)
        after = audit.snapshot(obj, self.audit_exclude)
        b, a = audit.diff(before, after)
        if not change or a:
            audit.record(
                action="update" if change else "create",
                instance=obj,
                subject_id=self._subject_id(obj),
                before=b,
                after=a,
                reason="管理后台",
            )

    def delete_model(self, request, obj):
        before = audit.snapshot(obj, self.audit_exclude)
        subject_id = self._subject_id(obj)
        repr_, pk = str(obj), obj.pk
        super().delete_model(request, obj)
        audit.record(
            action="delete",
            object_type=obj._meta.label_lower,
            object_id=str(pk),
            object_repr=repr_,
            subject_id=subject_id,
            before=before,
            reason="管理后台",
        )

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
