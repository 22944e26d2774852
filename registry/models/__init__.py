"""Registry models, one module per purpose; import them from here (``registry.models``)."""

from .commitments import Commitment
from .imports import ImportJob
from .records import (
    LONG_TERM,
    Disclosure,
    IdType,
    LicenseRecord,
    PenaltyRecord,
    RecordRevision,
    RecordStatus,
    SubjectCategory,
)
from .subjects import ApiClient, Department, Region, Subject, SubjectCode, SubjectName, SubjectRelation, User

__all__ = [
    "LONG_TERM",
    "ApiClient",
    "Commitment",
    "Department",
    "Disclosure",
    "IdType",
    "ImportJob",
    "LicenseRecord",
    "PenaltyRecord",
    "RecordRevision",
    "RecordStatus",
    "Region",
    "Subject",
    "SubjectCategory",
    "SubjectCode",
    "SubjectName",
    "SubjectRelation",
    "User",
]
