"""gunicorn settings, read from the working directory by every gunicorn start (the Dockerfile,
docker-compose and the benchmark all start it in the project directory); the command line adds the
bind address and the number of workers."""

import gc

# Python's defaults (700, 10, 10), but full collections are not left to the allocator: it would run
# one only after 1,000 collections of the middle generation, practically never inside a request.
# ``post_request`` runs them between requests instead, at Python's default rate.
GC_THRESHOLDS = (700, 10, 1000)
FULL_COLLECTION_EVERY = 10  # collections of the middle generation, Python's default third threshold


def post_worker_init(worker):
    # The application is loaded: move what it allocated at start-up (modules, models, templates,
    # the URL resolver) out of the garbage collector's generations. Otherwise every full collection
    # walks all of it again, and requests that allocate many objects pay for that — a 1,000-code
    # batch check spent about a quarter of its time in collections.
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def post_request(worker, req, environ, resp):
    # A full collection inside a request walks everything the request holds: a batch check (some
    # 200,000 live objects) met one in eight batches, 55–75 ms each, its whole p95 tail. Run after
    # the response has been written, it walks little but the garbage. In-process, 60 rounds of a
    # batch, a 60-record credit report and 5 searches: batch p95 197 → 123 ms, max 413 → 137; peak
    # RSS as with the defaults (183 / 178 MB), where merely raising the threshold let cyclic
    # garbage (WeasyPrint's layout trees) grow the process to 604 MB.
    if gc.get_count()[2] >= FULL_COLLECTION_EVERY:
        gc.collect()
