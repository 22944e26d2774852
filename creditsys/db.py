"""Database helpers for hot read paths: an array ``IN`` and querysets compiled once per process.

The check API answers in a few milliseconds of PostgreSQL time, and compiling its querysets (the
subject with three ``EXISTS`` flags, the list entries) cost more CPU than running them. Hot paths
therefore build their queryset once with placeholder values, keep the SQL, and run it again with new
values. The queryset stays the single definition of the query: the SQL is what Django generates.

On PostgreSQL such a query is also a server-side prepared statement with a generic plan: planning
the check's subject query took PostgreSQL 0.5 ms, executing it 0.08 ms. Django's own queries are
never prepared (they bind parameters client-side), so ``plan_cache_mode = force_generic_plan`` on
our connections (settings) affects these statements only: they are key lookups whose plan does not
depend on the values, and PostgreSQL's default would re-plan them on every execution. Rows come back
in binary unless a column is one Django reads as text. ``DB_PREPARED_STATEMENTS=0`` turns this off
(e.g. behind a transaction-pooling PgBouncer, where prepared statements do not survive).
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.backends.utils import CursorDebugWrapper
from django.db.models import Field, ForeignObject, Lookup, Model, QuerySet
from django.db.models.base import ModelState
from django.db.models.query import RawModelIterable, RawQuerySet
from django.db.models.signals import post_init, pre_init
from django.db.models.sql.query import RawQuery


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
        self._compiled: dict[str, _Compiled | None] = {}
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

    def _compile(self, alias: str) -> _Compiled | None:
        markers = self._markers()
        queryset = self.build(**markers)
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        params = list(params)
        # Rows in binary (cheaper to load) unless a column is one Django reads as text (JSON, addresses).
        binary = not any(
            getattr(column.output_field, "get_internal_type", str)() in _TEXT_RESULT_TYPES
            for column, _sql, _alias in compiler.select
        )
        slots: dict[int, str] = {}
        for position, param in enumerate(params):
            for name, marker in markers.items():
                if param == marker:
                    slots[position] = name
        if sorted(set(slots.values())) != sorted(markers):
            return None  # a value was transformed on the way (or used twice differently): do not guess
        statement, names = self._statement(alias, sql, params, slots)
        return _Compiled(
            model=queryset.model,
            sql=sql,
            params=params,
            slots=slots,
            statement=statement,
            names=names,
            binary=binary,
            columns=_column_names(compiler.select),
            converters=compiler.get_converters([column for column, _sql, _alias in compiler.select]),
        )

    @staticmethod
    def _statement(alias: str, sql: str, params: list, slots: dict[int, str]) -> tuple[str, list[str]]:
        """The SQL of the prepared statement: constants written into it as literals (so its one
        plan knows them, e.g. for partial indexes), placeholders left only for the values."""
        connection = connections[alias]
        connection.ensure_connection()
        parts, names, position = [], [], 0
        for token in re.split(r"(%%|%s)", sql):
            if token == "%s":
                if position in slots:
                    names.append(slots[position])
                    parts.append("%s")
                else:
                    parts.append(connection.ops.compose_sql("%s", [params[position]]).replace("%", "%%"))
                position += 1
            else:
                parts.append(token)
        return "".join(parts), names

    def _compiled_for(self, using: str):
        if connections[using].vendor != "postgresql":
            return None
        compiled = self._compiled.get(using, False)
        if compiled is False:
            with self._lock:
                compiled = self._compiled[using] = self._compile(using)
        return compiled

    def statement(self, using: str = "default", **values) -> tuple[str, list] | None:
        """The prepared statement's SQL and its parameters for these values (None where ``raw``
        builds the queryset instead): for running it through psycopg directly (the benchmark)."""
        compiled = self._compiled_for(using)
        if compiled is None:
            return None
        return compiled.statement, [_param(values[name]) for name in compiled.names]

    def raw(self, using: str = "default", **values) -> RawQuerySet | QuerySet:
        compiled = self._compiled_for(using)
        if compiled is None:
            return self.build(**values)
        if settings.DB_PREPARED_STATEMENTS:
            params = [_param(values[name]) for name in compiled.names]
            query = _PreparedRawQuery(compiled.statement, using, params, binary=compiled.binary)
            return _PreparedRawQuerySet(
                compiled.statement, model=compiled.model, query=query, params=params, using=using
            )
        params = list(compiled.params)
        for position, name in compiled.slots.items():
            params[position] = _param(values[name])
        return compiled.model.objects.db_manager(using).raw(compiled.sql, params)

    def rows(self, using: str = "default", **values) -> tuple[tuple[str, ...], list[tuple]]:
        """The query's rows for these values as tuples, and the name of each column: a field's
        ``attname`` or an annotation's name, as ``raw`` would set them on an instance. For a caller
        that builds its own objects from a few columns (the check): no instance per row, none of
        ``RawQuerySet``'s machinery. The prepared statement where ``raw`` uses one, the queryset's
        own compiler otherwise; field converters applied either way."""
        compiled = self._compiled_for(using) if settings.DB_PREPARED_STATEMENTS else None
        if compiled is None:
            compiler = self.build(**values).query.get_compiler(using=using)
            rows = list(compiler.results_iter(tuple_expected=True))
            return _column_names(compiler.select), rows
        connection = connections[using]
        adapt = connection.ops.adapt_unknown_value
        with prepared_cursor(using) as cursor:
            cursor.cursor.binary_results = compiled.binary
            cursor.execute(compiled.statement, tuple(adapt(_param(values[name])) for name in compiled.names))
            rows = cursor.fetchall()
        if compiled.converters:
            compiler = connection.ops.compiler("SQLCompiler")(None, connection, using)  # for its converters only
            rows = [tuple(row) for row in compiler.apply_converters(rows, compiled.converters)]
        return compiled.columns, rows


@dataclass(frozen=True)
class _Compiled:
    """A ``PreparedQuery`` compiled for one database: Django's SQL with the positions of the values
    in its parameters, and the prepared statement made from it."""

    model: type[Model]
    sql: str
    params: list
    slots: dict[int, str]  # parameter position → value name
    statement: str  # constants written in, ``%s`` only for the values
    names: list[str]  # the value of each ``%s`` of the statement
    binary: bool  # rows in binary
    columns: tuple[str, ...]  # the name of each column (``rows``)
    converters: dict  # Django's field converters by column position (``rows``)


def _column_names(select) -> tuple[str, ...]:
    return tuple(alias or column.target.attname for column, _sql, alias in select)


def _param(value):
    return list(value) if isinstance(value, list | tuple | set | frozenset) else value


# --- server-side prepared statements ----------------------------------------------------------------

# Column types Django's PostgreSQL backend loads as text (its adapters have no binary loader for them).
_TEXT_RESULT_TYPES = {"JSONField", "GenericIPAddressField", "IPAddressField"}


def prepared_cursor(using: str = "default"):
    """A cursor of connection ``using`` (PostgreSQL) whose statements run as server-side prepared
    statements: parsed and planned once per connection, then only executed. It goes through Django's
    cursor wrapper like any other (query logging, ``execute_wrapper``, error translation)."""
    connection = connections[using]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    # One psycopg cursor per connection serves its prepared statements in turn: a new cursor per
    # statement cost a third of the statement's client CPU (its adapters, a dumper lookup for every
    # parameter type). A statement run while the shared cursor is still in use (rows being read)
    # gets a cursor of its own.
    shared = connection.__dict__.get("_prepared_cursor")
    with connection.wrap_database_errors:
        if shared is None or shared.connection is not raw or shared.closed:
            shared = connection.__dict__["_prepared_cursor"] = _preparing_cursor_class()(raw, shared=True)
        own = _preparing_cursor_class()(raw) if shared.in_use else shared
    own.in_use = True
    cursor = connection._prepare_cursor(own)
    if isinstance(cursor, CursorDebugWrapper):  # queries logged (DEBUG, tests): with their values
        cursor = _PreparedDebugWrapper(cursor.cursor, connection)
    return cursor


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Logs a prepared statement with its values written in, as Django logs its own queries (it
    reads them from psycopg, which keeps no query text for a prepared statement's execution)."""

    @contextmanager
    def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
        shown = self.db.ops.compose_sql(sql, params) if params and not many else sql
        with super().debug_sql(shown, params, use_last_executed_query=False, many=many):
            yield


@functools.cache
def _preparing_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor  # needs psycopg: PostgreSQL only

    class PreparingCursor(ServerBindingCursor):
        binary_results = False  # set per statement by _PreparedRawQuery
        in_use = False

        def __init__(self, connection, *, shared: bool = False):
            super().__init__(connection)
            self.shared = shared  # the connection's cursor, kept open between statements

        def execute(self, query, params=None, *, prepare=None, binary=None):
            binary = self.binary_results if binary is None else binary
            return super().execute(query, params, prepare=True, binary=binary)

        def close(self):
            self.in_use = False
            self.binary_results = False
            if not self.shared:
                super().close()

    return PreparingCursor


# What RawQuerySet works out from a statement's columns and the model on every run (a loop over the
# model's fields per query, for the same statement each time), kept per database and statement.
_ROW_LAYOUTS: dict[tuple, object] = {}


class _PreparedRawQuerySet(RawQuerySet):
    def iterator(self):
        yield from _FastRawModelIterable(self)

    def _memo(self, what: str, compute):
        key = (what, self.db, self.raw_query)
        found = _ROW_LAYOUTS.get(key)
        if found is None:
            found = _ROW_LAYOUTS[key] = compute()
        return found

    def resolve_model_init_order(self):
        return self._memo("init-order", super().resolve_model_init_order)

    @property
    def columns(self):
        return self._memo("columns", lambda: RawQuerySet.columns.func(self))

    @property
    def model_fields(self):
        return self._memo("model-fields", lambda: RawQuerySet.model_fields.func(self))


def plain_construction(model: type[Model]) -> bool:
    """May instances of ``model`` be built by filling their ``__dict__`` instead of ``Model.__init__``?

    Yes unless the model (or a parent) has its own ``__init__`` or ``from_db``, or something listens
    to ``pre_init``/``post_init`` (such as an ``ImageField``); checked at each use, as listeners may
    connect later.
    """
    if _own_init(model):
        return False
    # Nothing connected to either signal at all (this project): skip the per-sender lookups.
    if not pre_init.receivers and not post_init.receivers:
        return True
    return not (pre_init.has_listeners(model) or post_init.has_listeners(model))


def loaded_instance_builder(model: type[Model], using: str = "default") -> Callable[..., Model]:
    """A constructor of instances as Django loads them from a row (``Model.from_db``) that holds
    only the given fields by attname (the others deferred); by filling ``__dict__`` when
    ``plain_construction`` allows, as the prepared reads do. Ask again for each batch."""
    if not plain_construction(model):
        return lambda **values: model.from_db(using, list(values), list(values.values()))
    new = object.__new__

    def build(**values) -> Model:
        instance = new(model)
        state = instance._state = ModelState()
        state.adding, state.db = False, using
        instance.__dict__.update(values)
        return instance

    return build


@functools.cache
def _own_init(model: type[Model]) -> bool:
    return any("__init__" in vars(k) or "from_db" in vars(k) for k in model.__mro__[:-1] if k is not Model)


class _FastRawModelIterable(RawModelIterable):
    """``RawModelIterable`` building each instance by filling its ``__dict__``, as ``Model.__init__``
    would for loaded values, without the per-field loop and the init signals: a batch check builds
    1,200 instances, which cost a fifth of its CPU. Only for models without their own ``__init__``
    or ``from_db`` and while nothing listens to ``pre_init``/``post_init``; otherwise Django's way."""

    def __iter__(self):
        queryset = self.queryset
        model = queryset.model
        if not plain_construction(model):
            yield from super().__iter__()
            return
        db = queryset.db
        query = queryset.query
        connection = connections[db]
        compiler = connection.ops.compiler("SQLCompiler")(query, connection, db)
        rows = iter(query)
        try:
            names, positions, annotations = queryset.resolve_model_init_order()
            if model._meta.pk.attname not in names:
                raise FieldDoesNotExist("Raw query must include the primary key")
            converters = queryset._memo(
                "converters",
                lambda: compiler.get_converters(
                    [
                        f.get_col(f.model._meta.db_table) if f else None
                        for f in map(queryset.model_fields.get, queryset.columns)
                    ]
                ),
            )
            if converters:
                rows = compiler.apply_converters(rows, converters)
            pairs = list(zip(names, positions, strict=True))
            new = object.__new__
            for values in rows:
                instance = new(model)
                state = instance._state = ModelState()
                state.adding, state.db = False, db
                attributes = instance.__dict__
                for name, position in pairs:
                    attributes[name] = values[position]
                for column, position in annotations:
                    setattr(instance, column, values[position])
                yield instance
        finally:
            if getattr(query, "cursor", None):
                query.cursor.close()


class _PreparedRawQuery(RawQuery):
    """``RawQuery`` run on a ``prepared_cursor`` (``PreparedQuery`` rows come through it)."""

    def __init__(self, sql, using, params=(), *, binary: bool = False):
        super().__init__(sql, using, params)
        self.binary = binary

    def clone(self, using):
        return _PreparedRawQuery(self.sql, using, params=self.params, binary=self.binary)

    def _execute_query(self):
        connection = connections[self.using]
        adapt = connection.ops.adapt_unknown_value
        self.cursor = prepared_cursor(self.using)
        self.cursor.cursor.binary_results = self.binary
        self.cursor.execute(self.sql, tuple(adapt(value) for value in self.params))
