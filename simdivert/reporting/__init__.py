"""Headlines in words, figures and the HTML report, made from an output folder alone."""
