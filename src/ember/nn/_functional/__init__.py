"""The parts of ``ember.nn.functional``, one file per family; ``functional.py`` exports their
``__all__``."""
