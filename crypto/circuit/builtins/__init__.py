"""Built-in step circuits, each with a native evaluator for computing traces cheaply."""
