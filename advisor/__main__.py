"""`python -m advisor` is the `advisor` command."""

from advisor.launch import main

main()
