"""`python -m webhooks` runs the `evolve-bot` command."""

from .cli import main

main()
