"""The ``wxm`` commands, one module per group of related commands."""
