"""E-mail notifications to people: produced with the change they tell of, sent by the worker over SMTP.

Importing the package registers the task notices with the outbox (service/outbox/listeners.py).
"""

from service.notifications import task_notices

__all__ = ["task_notices"]
