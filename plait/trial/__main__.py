"""``python -m plait.trial tests...``: run tests, print trial's report (see ``_runner``)."""

from plait.trial._runner import main

if __name__ == "__main__":
    main()
