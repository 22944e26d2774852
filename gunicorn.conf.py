"""gunicorn settings, read from the working directory by every gunicorn start (the Dockerfile,
docker-compose and the benchmark all start it in the project directory); the command line adds the
bind address and the number of workers."""

import gc

# Python's defaults (700, 10, 10) but for the oldest generation: a full collection after 1,000
# collections of the middle one instead of 10.
GC_THRESHOLDS = (700, 10, 1000)


def post_worker_init(worker):
    # The application is loaded: move what it allocated at start-up (modules, models, templates,
    # the URL resolver) out of the garbage collector's generations. Otherwise every full collection
    # walks all of it again, and requests that allocate many objects pay for that — a 1,000-code
    # batch check spent about a quarter of its time in collections.
    gc.freeze()
    # With the defaults, a batch check (some 200,000 objects alive while it runs) met a full
    # collection in one request of eight, 55–75 ms each: the batch's whole p95 tail (in-process, 40
    # batches: p95 158 ms, max 171, 10.5 ms of collections per batch). With full collections rarer:
    # p95 122, max 125, 4.0 ms. The young generations keep their defaults: a larger first threshold
    # (10,000) made each young collection slower and single checks' tail longer.
    gc.set_threshold(*GC_THRESHOLDS)
