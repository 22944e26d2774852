"""Registry models, one module per purpose; import them from here (``registry.models``)."""

from .subjects import ApiClient, Department, Region, Subject, SubjectCode, SubjectName, SubjectRelation, User

__all__ = ["ApiClient", "Department", "Region", "Subject", "SubjectCode", "SubjectName", "SubjectRelation", "User"]
