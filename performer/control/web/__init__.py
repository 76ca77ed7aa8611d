"""The web console: every control, the preview, the neural memory map and the status in a
browser, served by performer itself (options.py, service.py, assets/)."""
