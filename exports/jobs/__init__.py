"""Work done by a Celery worker, and its bookkeeping: export jobs (exportjob), result sets (results),
their recomputation after answers change (refresh) and the periodic sweep (sweep). Nothing here
sends a message: exports/tasks.py queues the work and calls these modules.
"""
