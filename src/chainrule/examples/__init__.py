"""Runnable end-to-end demos: ``python -m chainrule.examples.digits`` trains an MLP and a CNN on
the bundled digits, checkpoints them and reloads them (also installed as ``chainrule-digits``)."""
