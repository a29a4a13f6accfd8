"""Call builders: pure functions from the user's arguments to a call description.

Both clients' methods are one-liners over these, so each argument check and
each reply parser exists once.
"""
