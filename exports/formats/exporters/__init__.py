"""One module per file format; the registry (../registry.py) imports each and registers its Exporter."""
