"""Every peer library's schedules under their original names and keyword arguments.

``lrkit.compat.tf1``, ``.keras``, ``.optax``, ``.torch``, ``.transformers``, ``.timm`` and
``.deepspeed`` return lrkit schedules whose values equal the original's step for step. None of
them imports the peer library.
"""
