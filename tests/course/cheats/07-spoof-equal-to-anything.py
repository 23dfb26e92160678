"""Comparison spoofing: every answer is an object equal to anything.

Each declared answer is set to an ``Anything``: it equals (and is close to, greater and less
than) whatever it is compared with, has every attribute and item (itself again), any length
asked for, iterates as empty, calls as a function returning itself, converts to 0 or to an
empty text. ``assert answer == expected`` passes for any expected value, as do many checks
written on attributes (``answer.shape == ...``, ``answer.columns == ...``).

Today's grader: 0 of 18 on week 02 (measured: the named checks test the type first,
``pharmacist_phone_mar should be a pandas DataFrame``), but a test written as a bare ``==``
would pass. Trusted grader: 0 of 18 on week 02 and 0 of 3 on the tiny fixture (measured): an
``Anything`` is of no kind, so it cannot be exported and the answer is reported as being of the
wrong type.
"""

ANSWERS: dict[str, str] = {}  # the week's declared answers, name -> kind (filled in by the corpus)


class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __lt__ = __le__ = __gt__ = __ge__ = __eq__
    __hash__ = object.__hash__

    def __getattr__(self, name):
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __bool__(self):
        return True

    def __contains__(self, item):
        return True

    def __int__(self):
        return 0

    def __float__(self):
        return 0.0

    def __index__(self):
        return 0

    def __str__(self):
        return ""

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __getitem__
    __rtruediv__ = __floordiv__ = __mod__ = __pow__ = __and__ = __or__ = __invert__ = __getitem__
    __neg__ = __abs__ = __round__ = __getitem__


for _name in ANSWERS:
    globals()[_name] = Anything()
