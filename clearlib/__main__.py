"""``python -m clearlib``: the ``clearlib`` command, for when the venv's ``bin`` is not on PATH."""

from clearlib._cli import main

if __name__ == "__main__":
    main()
