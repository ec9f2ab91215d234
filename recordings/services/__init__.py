"""The rules of the recordings app, one module per noun.

Views, Celery tasks and the management command import the module they need
(``from recordings.services import sync``); nothing is re-exported here.

- ``sync``: bring local recordings and compositions up to date with Telnyx; the sync runs.
- ``browse``: filters, listing, totals, storage per day, choices for filters; the overview's figures.
- ``downloads``: open a recording's or composition's file (archive or Telnyx) as an audited ``Download``.
- ``deletion``: delete one recording or composition, or recordings in bulk by filter.
- ``compositions``: create a composition; where one comes from (room, session, sources).
- ``composition_polls``: the poll sweep that checks compositions in flight until they are final.
- ``archive``: copy completed files into Django storage.

Errors a user reads are ``dashboard.errors`` classes; tasks are queued by name with
``dashboard.celery.enqueue``.
"""
