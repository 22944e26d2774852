"""A set-of-strings column: ``text[]`` with a GIN index on PostgreSQL, plain text on SQLite.

Used for the character n-grams of subject names, so that 1- and 2-character Chinese queries are
answered from an index (pg_trgm cannot, pg_bigm is not packaged).
"""

from django.db import models
from django.db.models import Lookup

_SEP = "\x1f"


class GramsField(models.Field):
    description = "set of strings (text[] on PostgreSQL)"

    def db_type(self, connection):
        return "text[]" if connection.vendor == "postgresql" else "text"

    def get_prep_value(self, value):
        if value is None:
            return None
        return sorted(set(value))

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        if value is None:
            return None
        if connection.vendor == "postgresql":
            return list(value)
        return _SEP.join(value)

    def from_db_value(self, value, expression, connection):
        if value is None or isinstance(value, list):
            return value or []
        return value.split(_SEP) if value else []

    def to_python(self, value):
        if isinstance(value, str):
            return value.split(_SEP) if value else []
        return list(value or [])


@GramsField.register_lookup
class ContainsAll(Lookup):
    """``grams__contains_all=[...]``: the row holds every given gram (PostgreSQL ``@>``)."""

    lookup_name = "contains_all"
    prepare_rhs = False

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} @> %s::text[]", [*lhs_params, sorted(set(self.rhs))]

    def as_sql(self, compiler, connection):
        # SQLite fallback: every gram appears between separators.
        lhs, lhs_params = self.process_lhs(compiler, connection)
        grams = sorted(set(self.rhs))
        if not grams:
            return "1=1", []
        clause = f"('{_SEP}' || {lhs} || '{_SEP}') LIKE %s"
        params = []
        for gram in grams:
            params += [*lhs_params, f"%{_SEP}{gram}{_SEP}%"]
        return " AND ".join([clause] * len(grams)), params
