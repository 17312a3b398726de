"""
gunicorn settings for the benchmark's gunicorn runs (bench/servers.py), the measured alternative to
the production server (server.py, granian): `gunicorn -c bench/gunicorn.conf.py --bind ADDR`.
Sync workers, two per core; the gthread run overrides the worker class, workers and threads.
"""

import os

wsgi_app = "authsite.wsgi:application"
workers = 2 * (os.cpu_count() or 1)
worker_class = "sync"
# Load the app once in the master: workers fork with the code already imported.
preload_app = True
timeout = 30
keepalive = 5
accesslog = None
errorlog = "-"
