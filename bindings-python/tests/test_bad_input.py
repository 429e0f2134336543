"""The exception classes that bad input raises: each a ``koko.KokoError`` and the builtin it stands for.

The bad inputs themselves — each a typed koko error naming the field, never a crash of the interpreter or a
``PanicException``, the store unchanged — are all cases of the shared table ``core/tests/bad_input_table.json``,
run from Python by ``test_shared_bad_inputs.py``. Every Python-only conversion (floats, NaN, ``None``, ``bool``,
``str`` or ``bytes`` where an int, a datetime or a money amount is expected; naive datetimes; ids out of range) is
written there too, with the tags the table offers, so no hand-written bad-input case remains here.
"""

from __future__ import annotations

import koko


def test_exception_classes_subclass_the_builtins() -> None:
    assert issubclass(koko.InvalidInput, ValueError)
    assert issubclass(koko.InvalidPlan, ValueError)
    assert issubclass(koko.NotFound, LookupError)
    for cls in (koko.NotFound, koko.Unavailable, koko.AlreadyReturned, koko.InactiveCustomer, koko.Duplicate,
                koko.InvalidInput, koko.InvalidPlan, koko.StorageError, koko.Corruption):
        assert issubclass(cls, koko.KokoError)
