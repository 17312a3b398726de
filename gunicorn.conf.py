"""
gunicorn settings for production (README, "Production"): `gunicorn -c gunicorn.conf.py --bind ADDR`.

Chosen by measurement (BENCHMARKS.md): sync workers, two per core. The API's requests are short
and CPU-bound (JWT, JSON, Argon2id at sign-in), so threads buy nothing under the GIL, and the
sign-in's ~50 ms of hashing in one worker must not stall the fast endpoints: other workers serve
them meanwhile.
"""

import os

wsgi_app = "authsite.wsgi:application"
workers = 2 * (os.cpu_count() or 1)
worker_class = "sync"
# Load the app once in the master: workers fork with the code (and WhiteNoise's file index)
# already imported, which starts them faster and shares memory.
preload_app = True
# Behind a reverse proxy (README); requests that take longer than this are killed and logged.
timeout = 30
keepalive = 5
accesslog = None
errorlog = "-"
