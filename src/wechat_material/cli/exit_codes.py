"""The exit codes of ``wxm`` (stable: scripts may rely on them).

====  =====================================================================
0     success
1     WeChat refused the call (errcode), or could not be reached
2     usage error: a bad option, a missing argument, no credentials
3     invalid local input: a missing file, a wrong format, a file too big,
      an article that breaks WeChat's rules, an unreadable config file,
      a sandbox data directory that a running sandbox holds
130   interrupted (Ctrl-C)
====  =====================================================================

Kept free of imports: the entry point needs the last one before anything loads.
"""

EXIT_OK = 0
EXIT_API = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_INTERRUPTED = 130
