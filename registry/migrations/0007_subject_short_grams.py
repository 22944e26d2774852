"""An inverted index of the 1- and 2-character grams of public subjects' names (PostgreSQL).

The public search of a 1–2 character query needs any 201 subjects whose names contain it. The GIN
index on ``name_grams`` cannot stop early: for a character in 1–2 % of the names a bitmap scan reads
its whole posting list (10,000–15,000 entries) before ``LIMIT`` applies. A B-tree on (gram, subject)
is read in order and stops after 201 entries. A trigger keeps the table in step with
``registry_subject`` for every writer (ORM, admin, bulk SQL); natural persons are left out (the
public site never finds them by name). SQLite (the embedded default) has neither and searches with
the plain filter.
"""

from django.db import migrations

FORWARD = [
    "CREATE TABLE registry_subject_gram (gram text NOT NULL, subject_id bigint NOT NULL)",
    """
    CREATE FUNCTION registry_subject_gram_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND NEW.name_grams IS NOT DISTINCT FROM OLD.name_grams
           AND NEW.kind IS NOT DISTINCT FROM OLD.kind THEN
            RETURN NULL;
        END IF;
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            DELETE FROM registry_subject_gram WHERE subject_id = OLD.id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.kind <> 'natural_person' THEN
            INSERT INTO registry_subject_gram (gram, subject_id)
            SELECT DISTINCT g, NEW.id FROM unnest(NEW.name_grams) AS g WHERE char_length(g) <= 2;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER registry_subject_gram_sync
    AFTER INSERT OR UPDATE OF name_grams, kind OR DELETE ON registry_subject
    FOR EACH ROW EXECUTE FUNCTION registry_subject_gram_sync()
    """,
    # TRUNCATE (test database flushes) fires no row trigger.
    """
    CREATE FUNCTION registry_subject_gram_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        TRUNCATE registry_subject_gram;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER registry_subject_gram_truncate AFTER TRUNCATE ON registry_subject
    FOR EACH STATEMENT EXECUTE FUNCTION registry_subject_gram_truncate()
    """,
    # Existing subjects, then the indexes (built sorted, faster than growing them row by row). The
    # trigger above already holds a lock that keeps writers out until this migration commits.
    """
    INSERT INTO registry_subject_gram (gram, subject_id)
    SELECT DISTINCT g, s.id FROM registry_subject s, unnest(s.name_grams) AS g
    WHERE s.kind <> 'natural_person' AND char_length(g) <= 2
    """,
    "ALTER TABLE registry_subject_gram ADD CONSTRAINT registry_subject_gram_pkey PRIMARY KEY (gram, subject_id)",
    "CREATE INDEX registry_subject_gram_subject_idx ON registry_subject_gram (subject_id)",
    "ANALYZE registry_subject_gram",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS registry_subject_gram_truncate ON registry_subject",
    "DROP FUNCTION IF EXISTS registry_subject_gram_truncate()",
    "DROP TRIGGER IF EXISTS registry_subject_gram_sync ON registry_subject",
    "DROP FUNCTION IF EXISTS registry_subject_gram_sync()",
    "DROP TABLE IF EXISTS registry_subject_gram",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0006_record_redundant_fk_indexes"),
    ]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False)]
