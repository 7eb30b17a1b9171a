"""Reference solutions: the single source of every stub in exercises/."""
