"""The staff pages of the exports app, one module per part of the URL (see urls.py), with their forms,
what the views share (common) and the SVG chart geometry the templates draw (charts).
"""
