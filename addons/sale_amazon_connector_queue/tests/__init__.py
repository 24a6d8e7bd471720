from . import test_jobs
