"""``python -m compress``: the ``sc-compress`` command."""

from .cli import main

if __name__ == "__main__":
    main()
