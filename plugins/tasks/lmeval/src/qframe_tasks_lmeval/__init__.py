"""lm-evaluation-harness tasks as qframe tasks (``[[tasks]] name = "lmeval"``).

``lm_eval`` is imported only when a task is built or scored, never at plugin registration.
"""
