"""crampvoice: talks a person through a leg cramp, hands-free and offline."""

__version__ = "0.1.0"
