"""The exit codes of ``wxm`` (stable: scripts may rely on them).

====  =====================================================================
0     success
1     WeChat refused the call (errcode), or could not be reached
2     usage error: a bad option, a missing argument, no credentials
3     invalid local input: a missing file, a wrong format, a file too big,
      an article that breaks WeChat's rules, an unreadable config file,
      a sandbox data directory that a running sandbox holds, an account
      that cannot get a token at the start of a backup or restore
129   stopped by SIGHUP (the terminal closed)
130   interrupted (Ctrl-C)
143   stopped by SIGTERM (``kill``, ``timeout``)
====  =====================================================================

Kept free of imports: the entry point needs the last one before anything loads.
"""

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_INTERRUPTED = 130


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised where the program is, to stop it the way Ctrl-C does.

    Being a KeyboardInterrupt, it runs the same clean-up (a download's
    temporary file is deleted); the exit code is 128 + the signal's number.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum
