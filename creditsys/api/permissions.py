"""Scope checks for API clients: ``read``, ``write``, ``check`` (SPEC §13)."""

from rest_framework import permissions


class _Scope(permissions.BasePermission):
    scope = ""
    message = ""

    def has_permission(self, request, view):
        client = request.auth
        if client is None:
            return False
        return self.scope in client.scopes


class ReadScope(_Scope):
    scope = "read"
    message = "该 API 密钥没有读取（read）权限。"


class WriteScope(_Scope):
    scope = "write"
    message = "该 API 密钥没有写入（write）权限。"


class CheckScope(_Scope):
    scope = "check"
    message = "该 API 密钥没有核查（check）权限。"


class ReadOrWriteScope(permissions.BasePermission):
    """GET and friends need ``read``; anything that changes data needs ``write``."""

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            perm = ReadScope()
        else:
            perm = WriteScope()
        self.message = perm.message
        return perm.has_permission(request, view)
