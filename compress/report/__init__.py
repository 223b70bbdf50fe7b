"""Report layer: report data, Markdown and HTML."""
