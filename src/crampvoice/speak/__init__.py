"""Speech out: adapters behind the `Speaker` port."""
