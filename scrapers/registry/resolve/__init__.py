"""Find and prove each government's portal: ``fzzf registry resolve`` (run.py) and its parts."""
