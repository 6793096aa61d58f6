"""The bundled demo: a small local portal that looks like real government sites, and ``fzzf demo``."""
