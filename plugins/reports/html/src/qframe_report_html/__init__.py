"""The ``html`` reporter: ``report.html``, one self-contained page that opens offline.

Plots are drawn with matplotlib and inlined as SVG; tables sort with a few lines of inline
JavaScript; the page's Content-Security-Policy allows only that script (by hash), and every
string from the run (model outputs, prompts, names) is HTML-escaped.
"""
