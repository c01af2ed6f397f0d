"""simdivert: discrete-event simulation of police drug-diversion capacity."""

__version__ = "0.1.0"
