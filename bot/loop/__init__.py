"""The evolution loop: one module per feature around the deciding core, and the dispatcher that composes them."""
