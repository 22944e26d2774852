"""gunicorn settings, read from the working directory by every gunicorn start (the Dockerfile,
docker-compose and the benchmark all start it in the project directory); the command line adds the
bind address and the number of workers."""

import gc


def post_worker_init(worker):
    # The application is loaded: move what it allocated at start-up (modules, models, templates,
    # the URL resolver) out of the garbage collector's generations. Otherwise every full collection
    # walks all of it again, and requests that allocate many objects pay for that — a 1,000-code
    # batch check spent about a quarter of its time in collections.
    gc.freeze()
