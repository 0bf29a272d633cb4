"""Report writers: render a results.json document as HTML, JUnit XML and Markdown; diff two runs."""
