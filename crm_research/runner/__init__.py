"""Runner: the study registry, the papermill pipeline, the HTML renderer and the command line."""
