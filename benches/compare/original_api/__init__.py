"""A reconstruction of the original Koko Book Store API (Django + DRF on SQLite), the baseline ``http_cycle.py``
measures the koko-backed API against over HTTP. Not a product: only what renting and closing need, built the way the
original is (generic views with DRF's mixins, a ``Rental.save`` that marks the book rented on creation and computes
the charge when ``date_returned`` is set, a close view that marks the book available and then partially updates the
rental, the startproject settings with WhiteNoise). Two changes so both sides do the same, checkable work: the
rental's start is a field the client may give (``date_rented``, as in the koko API), and the charge is story 3
(``story3_reference.py``). ``ORIGINAL_API_DEBUG=1`` runs it with ``DEBUG = True`` as the original ships; the default
is ``False``, which makes it faster (a conservative baseline)."""
