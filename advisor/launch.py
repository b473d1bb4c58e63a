"""The `advisor` command's entry point.

`advisor analyze` first asks `advisor.batch.replay` whether the very same command over
unchanged files was run before: if so, its record is printed before click or the rest of
the package is imported (a rerun in pre-commit or CI takes about as long as Python's own
start-up). Otherwise the command runs as usual (`advisor.cli`), watched, so that it can
leave a record for next time.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    """`advisor ...` (a replay is only ever served to the real process: with `argv`
    given, as tests call it, the command just runs)."""
    args = sys.argv[1:] if argv is None else argv
    watched = argv is None and args[:1] == ["analyze"]
    if watched:
        from advisor.batch import replay

        try:
            replay.serve(args)
        except KeyboardInterrupt:  # as the command itself says it (advisor.cli.main)
            from advisor.errors import ExitCode

            sys.stderr.write("interrupted\n")
            sys.exit(ExitCode.INTERRUPTED)
        replay.start(args)
    from advisor.cli import main as run

    try:
        run(argv)
    except SystemExit as exit_:
        if watched:
            recorder = replay.current()
            if recorder is not None:
                recorder.finish(exit_.code)
        raise


if __name__ == "__main__":
    main()
