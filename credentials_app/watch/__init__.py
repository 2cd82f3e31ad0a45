"""The watch: credentials re-checked on a schedule, health moves recorded and announced, keys noticed failing in use."""
