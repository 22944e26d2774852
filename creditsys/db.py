"""Database helpers for hot read paths: an array ``IN`` and querysets compiled once per process.

The check API answers in a few milliseconds of PostgreSQL time, and compiling its querysets (the
subject with three ``EXISTS`` flags, the list entries) cost more CPU than running them. Hot paths
therefore build their queryset once with placeholder values, keep the SQL, and run it again with new
values. The queryset stays the single definition of the query: the SQL is what Django generates.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from django.db import connections
from django.db.models import Field, ForeignObject, Lookup, QuerySet
from django.db.models.query import RawQuerySet


@Field.register_lookup
class AnyOf(Lookup):
    """``field__any=[…]``: ``field = ANY(%s)`` with the list as ONE array parameter on PostgreSQL.

    Unlike ``__in`` the SQL does not depend on the number of values, so a compiled query serves any
    batch size. Other databases get the usual ``IN (…)``.
    """

    lookup_name = "any"
    prepare_rhs = False

    def _values(self, connection) -> list:
        field = self.lhs.output_field
        return [field.get_db_prep_value(v, connection, prepared=False) for v in self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array_type = self.lhs.output_field.cast_db_type(connection)
        return f"{lhs} = ANY(%s::{array_type}[])", [*lhs_params, self._values(connection)]

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = self._values(connection)
        if not values:
            return "1=0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


ForeignObject.register_lookup(AnyOf)  # relations take their lookups from ForeignObject up, not Field


class PreparedQuery:
    """A queryset compiled once per process (per database) and run with new parameter values.

    ``build(**values)`` returns the queryset; it is called once with markers for every value, the
    markers are located in the compiled parameters, and later runs substitute the real values
    into a copy of those parameters. Values are strings, lists of strings (use ``__any``) or dates.
    Rows come back as model instances through ``QuerySet.raw`` (annotations become attributes; no
    ``select_related`` — annotate the related columns you need instead). On databases other than
    PostgreSQL, or when a marker cannot be located, the queryset is simply built with the values.
    """

    def __init__(self, build: Callable[..., QuerySet], **kinds: type):
        self.build = build
        self.kinds = kinds
        self._compiled: dict[str, tuple[object, str, list, dict[int, str]] | None] = {}
        self._lock = threading.Lock()

    def _markers(self) -> dict[str, object]:
        # One value per placeholder that no real query would carry, of the type the field expects.
        markers = {}
        for i, (name, kind) in enumerate(sorted(self.kinds.items(), key=lambda item: item[0])):
            text, number, day = f"\x00placeholder:{name}\x00", -(7_000_000_001 + i), date(1, 1, 1 + i)
            markers[name] = {str: text, int: number, date: day, list[str]: [text], list[int]: [number]}.get(kind)
            if markers[name] is None:
                raise TypeError(f"unsupported placeholder kind for {name}: {kind!r}")
        return markers

    def _compile(self, alias: str):
        markers = self._markers()
        queryset = self.build(**markers)
        sql, params = queryset.query.get_compiler(using=alias).as_sql()
        params = list(params)
        slots: dict[int, str] = {}
        for position, param in enumerate(params):
            for name, marker in markers.items():
                if param == marker:
                    slots[position] = name
        if sorted(set(slots.values())) != sorted(markers):
            return None  # a value was transformed on the way (or used twice differently): do not guess
        return queryset.model, sql, params, slots

    def raw(self, using: str = "default", **values) -> RawQuerySet | QuerySet:
        connection = connections[using]
        if connection.vendor != "postgresql":
            return self.build(**values)
        compiled = self._compiled.get(using, False)
        if compiled is False:
            with self._lock:
                compiled = self._compiled[using] = self._compile(using)
        if compiled is None:
            return self.build(**values)
        model, sql, params, slots = compiled
        params = list(params)
        for position, name in slots.items():
            value = values[name]
            params[position] = list(value) if isinstance(value, list | tuple | set | frozenset) else value
        return model.objects.db_manager(using).raw(sql, params)
